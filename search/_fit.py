"""One trial, fold by fold, wherever it runs (this process, a worker process, a Dask worker).

A Keras callback scores the fold's held-out part after every epoch with the search's own
scorer (the curve), and, when the runner asks for it, reports each epoch and stops the fit
if told to. Every score, per epoch and the fold's final one, calls the model directly
instead of ``model.predict`` (``_score_direct`` says what that saves).
"""

from __future__ import annotations

import math
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np
from sklearn.base import clone

from models import pack_model, unpack_model
from search.trial import short_error

__all__ = [
    "EpochReport",
    "TrialData",
    "TrialOutcome",
    "TrialSpec",
    "fit_trial",
]

# (fold, epoch, score) -> stop?
EpochReport = Callable[[int, int, float], bool]

_PREDICT_CHUNK = 8192  # rows per direct model call: bounded memory on large folds


@dataclass
class TrialData:
    """What every trial of a search shares: the data and the splits (sent once per worker)."""

    X: np.ndarray | None
    y: np.ndarray | None
    splits: list[tuple[np.ndarray, np.ndarray]]
    stream: Any = None  # a ``search._stream.StreamData`` instead of X, y and splits


@dataclass
class TrialSpec:
    """What one trial needs besides the shared data."""

    number: int
    params: dict[str, Any]
    estimator: Any  # an unfitted template; cloned per fold
    scorer: Any
    fit_params: dict[str, Any] = field(default_factory=dict)
    live: bool = False  # report every epoch to the runner and obey its verdict
    # Multi-fidelity: train to ``epochs`` (None: the estimator's), continuing per fold from
    # ``models`` (``pack_model`` bytes, trained to ``start_epoch``); ``keep_model`` brings
    # the trained models back.
    epochs: int | None = None
    start_epoch: int = 0
    models: list[bytes] | None = None
    keep_model: bool = False
    # A refit member instead of a trial: train once on every row of the data, score
    # nothing, bring the model and its history back.
    refit: bool = False


@dataclass
class TrialOutcome:
    """What came back: the state and what the trial measured."""

    state: str
    fold_scores: list[float]
    fold_epochs: list[int]
    curve: list[list[float]]
    fold_fit_times: list[float]
    fold_score_times: list[float]
    error: str | None = None
    models: list[bytes] | None = None  # per fold, when the spec asked to keep them
    history: dict[str, list[float]] | None = None  # a refit member's Keras history


class _EpochScorer(keras.callbacks.Callback):
    """Scores the held-out part after each epoch; reports it and stops when told to."""

    def __init__(
        self, estimator: Any, scorer: Any, X: np.ndarray, y: np.ndarray, fold: int, report: Any
    ) -> None:
        super().__init__()
        self.estimator, self.scorer, self.X, self.y = estimator, scorer, X, y
        self.fold, self.report = fold, report
        self.curve: list[float] = []
        self.stopped = False
        self.seconds = 0.0

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        start = time.perf_counter()
        score = _score_now(self.estimator, self.model, self.scorer, self.X, self.y)
        self.seconds += time.perf_counter() - start
        self.curve.append(score)
        if self.report is not None and self.report(self.fold, epoch + 1, score):
            self.stopped = True
            self.model.stop_training = True


class _ContinueFrom(keras.callbacks.Callback):
    """Loads a parent's weights and optimizer state when training begins: by then Keras
    has built the model and its optimizer's variables (momenta, iteration count)."""

    def __init__(self, packed: bytes) -> None:
        super().__init__()
        self.packed = packed

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        unpack_model(self.packed, self.model)


def _score_direct(estimator: Any, model: keras.Model, scorer: Any, X: np.ndarray, y: Any) -> float:
    """The scorer on ``model`` as it is now, calling it directly instead of through
    ``model.predict`` (scikeras decodes the output as in ``predict``).

    ``predict`` traces a new function for every new model; a trial builds one per fold, so
    that trace was most of a fold's scoring time: measured on a Fashion-MNIST fold (3,333
    images, ``steps_per_execution=32``), 0.35-0.42 s through ``predict`` against 0.012 s
    called directly, the same predictions.
    """

    def direct(x: Any, **_: Any) -> np.ndarray:
        parts = [
            np.asarray(model(x[i : i + _PREDICT_CHUNK], training=False))
            for i in range(0, len(x), _PREDICT_CHUNK)
        ]
        return np.concatenate(parts)

    model.predict = direct  # an instance attribute shadows Model.predict for this call only
    try:
        return float(scorer(estimator, X, y))
    finally:
        del model.predict


def _final_score(estimator: Any, scorer: Any, X: np.ndarray, y: Any) -> float:
    """A fold's score once its fit has ended (its errors fail the trial)."""
    return _score_direct(estimator, estimator.model_, scorer, X, y)


def _score_now(estimator: Any, model: keras.Model, scorer: Any, X: np.ndarray, y: Any) -> float:
    """``_score_direct`` mid-fit, where a failing score is a NaN point of the curve."""
    try:
        return _score_direct(estimator, model, scorer, X, y)
    except Exception:
        return math.nan


def fit_trial(spec: TrialSpec, data: TrialData, report: EpochReport | None = None) -> TrialOutcome:
    """Fit and score ``spec`` on every split of ``data``; never raises for a trial's fault.

    A fit that raises fails the trial (the last line of the traceback is its error); a
    ``report`` answering True stops the fit after that epoch and the trial is ``pruned``.
    """
    if data.stream is not None:
        from search._stream import fit_stream_trial

        return fit_stream_trial(spec, data.stream, report)
    if spec.refit:
        return _fit_refit_member(spec, data)
    assert data.X is not None and data.y is not None  # arrays here; streams returned above
    out = TrialOutcome("complete", [], [], [], [], [])
    if spec.keep_model:
        out.models = []
    previous = None
    for fold, (train, test) in enumerate(data.splits):
        estimator = clone(spec.estimator).set_params(**spec.params)
        if hasattr(estimator, "share_model_with"):
            estimator.share_model_with(previous)  # a fold after the first: no new graph
        previous = estimator
        X_test, y_test = data.X[test], data.y[test]
        scorer_cb = _EpochScorer(
            estimator, spec.scorer, X_test, y_test, fold, report if spec.live else None
        )
        callbacks = [*(estimator.callbacks or []), scorer_cb]
        fit_params = _fold_params(spec.fit_params, train)
        if spec.epochs is not None:
            # scikeras trains ``epochs`` more after ``initial_epoch``; Keras numbers them on.
            fit_params.update(epochs=spec.epochs - spec.start_epoch)
            fit_params.update(initial_epoch=spec.start_epoch)
        if spec.models is not None:
            callbacks.insert(0, _ContinueFrom(spec.models[fold]))
        estimator.set_params(callbacks=callbacks)
        start = time.perf_counter()
        try:
            estimator.fit(data.X[train], data.y[train], **fit_params)
        except Exception:
            out.error = short_error(traceback.format_exc())
        finally:
            out.fold_fit_times.append(time.perf_counter() - start - scorer_cb.seconds)
            out.fold_score_times.append(scorer_cb.seconds)
            out.curve.append(scorer_cb.curve)
        if out.error is not None:
            out.fold_epochs.append(len(scorer_cb.curve))
            out.state = "failed"
            break
        out.fold_epochs.append(len(estimator.history_.get("loss", scorer_cb.curve)))
        if scorer_cb.stopped:
            out.state = "pruned"
            break
        start = time.perf_counter()
        try:
            score = _final_score(estimator, spec.scorer, X_test, y_test)
        except Exception:
            out.error = short_error(traceback.format_exc())
            out.state = "failed"
            break
        finally:
            out.fold_score_times[-1] += time.perf_counter() - start
        out.fold_scores.append(score)
        if not math.isfinite(score):
            out.error = "score is not finite (NaN or infinite predictions)"
            out.state = "failed"
            break
        if out.models is not None:
            out.models.append(pack_model(estimator.model_))
    return out


def _fold_params(fit_params: dict[str, Any], train: np.ndarray) -> dict[str, Any]:
    """``fit_params`` for a fold trained on the rows ``train``: ``sample_weight`` is cut
    with the rows (as scikit-learn's cross-validation cuts it), the rest goes as it is."""
    params = dict(fit_params)
    if params.get("sample_weight") is not None:
        params["sample_weight"] = np.asarray(params["sample_weight"])[train]
    return params


def _fit_refit_member(spec: TrialSpec, data: TrialData) -> TrialOutcome:
    """``spec`` trained on all of ``data.X, data.y`` (one member of ``refit="all"``)."""
    assert data.X is not None and data.y is not None
    estimator = clone(spec.estimator).set_params(**spec.params)
    start = time.perf_counter()
    try:
        estimator.fit(data.X, data.y, **spec.fit_params)
    except Exception:
        error = short_error(traceback.format_exc())
        return TrialOutcome("failed", [], [], [], [time.perf_counter() - start], [], error)
    history = {key: [float(v) for v in values] for key, values in estimator.history_.items()}
    return TrialOutcome(
        "complete",
        [],
        [len(history.get("loss", []))],
        [],
        [time.perf_counter() - start],
        [],
        models=[pack_model(estimator.model_)],
        history=history,
    )
