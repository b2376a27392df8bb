"""One trial, fold by fold, wherever it runs (this process, a worker process, a Dask worker).

A Keras callback scores the fold's held-out part after every epoch with the search's own
scorer (the curve), and, when the runner asks for it, reports each epoch and stops the fit
if told to. The per-epoch score calls the model directly instead of ``model.predict``:
measured here on a California fold (3,800 rows), 2.7 ms an epoch against ~70 ms through
``predict``, with identical scores.
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

from search.trial import short_error

__all__ = ["EpochReport", "TrialData", "TrialOutcome", "TrialSpec", "fit_trial"]

# (fold, epoch, score) -> stop?
EpochReport = Callable[[int, int, float], bool]

_PREDICT_CHUNK = 8192  # rows per direct model call: bounded memory on large folds


@dataclass
class TrialData:
    """What every trial of a search shares: the data and the splits (sent once per worker)."""

    X: np.ndarray
    y: np.ndarray
    splits: list[tuple[np.ndarray, np.ndarray]]


@dataclass
class TrialSpec:
    """What one trial needs besides the shared data."""

    number: int
    params: dict[str, Any]
    estimator: Any  # an unfitted template; cloned per fold
    scorer: Any
    fit_params: dict[str, Any] = field(default_factory=dict)
    live: bool = False  # report every epoch to the runner and obey its verdict


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


def _score_now(estimator: Any, model: keras.Model, scorer: Any, X: np.ndarray, y: Any) -> float:
    """The scorer on the model as it is now, mid-fit (scikeras decodes as in ``predict``)."""

    def direct(x: Any, **_: Any) -> np.ndarray:
        parts = [
            np.asarray(model(x[i : i + _PREDICT_CHUNK], training=False))
            for i in range(0, len(x), _PREDICT_CHUNK)
        ]
        return np.concatenate(parts)

    model.predict = direct  # an instance attribute shadows Model.predict for this call only
    try:
        return float(scorer(estimator, X, y))
    except Exception:
        return math.nan
    finally:
        del model.predict


def fit_trial(spec: TrialSpec, data: TrialData, report: EpochReport | None = None) -> TrialOutcome:
    """Fit and score ``spec`` on every split of ``data``; never raises for a trial's fault.

    A fit that raises fails the trial (the last line of the traceback is its error); a
    ``report`` answering True stops the fit after that epoch and the trial is ``pruned``.
    """
    out = TrialOutcome("complete", [], [], [], [], [])
    for fold, (train, test) in enumerate(data.splits):
        estimator = clone(spec.estimator).set_params(**spec.params)
        X_test, y_test = data.X[test], data.y[test]
        scorer_cb = _EpochScorer(
            estimator, spec.scorer, X_test, y_test, fold, report if spec.live else None
        )
        estimator.set_params(callbacks=[*(estimator.callbacks or []), scorer_cb])
        start = time.perf_counter()
        try:
            estimator.fit(data.X[train], data.y[train], **spec.fit_params)
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
            score = float(spec.scorer(estimator, X_test, y_test))
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
    return out
