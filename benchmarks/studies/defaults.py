"""``python -m benchmarks.studies.defaults``: the course's recipe as written vs our engine, and the
measurements our defaults (early stopping, ``refit``) were chosen from.

The phases, per dataset and seed:

- ``measure``: (1) the course's recipe as written (``benchmarks.recipe``), timed; (2) the same
  10 candidates, folds and epochs through ``search()`` with early stopping **off** and
  ``refit="trial"``, timed. From (2)'s per-epoch fold curves (each fold's held-out score
  after every epoch) it replays early-stopping rules (Keras's ``EarlyStopping`` logic,
  best weights restored) to see what each would have chosen and cost; and it compares the
  refit policies on the **validation** set (never used by either search): the best
  trial's fold ensemble vs the best candidate retrained on all the training data, with
  three seeds for the retraining's spread. Test scores are printed for the record only.
- ``refit``: the refit policies again, with the chosen early stopping on (our defaults
  otherwise) and without the course's run: ``search()`` with ``refit="trial"``, then the
  best candidate retrained on all the training data with three seeds; both scored on the
  validation set. Run on seeds the ``measure`` phase did not use.
- ``ensemble``: for each seed of a ``refit`` run, the same three retrainings again (same
  seeds: the same models) and their mean prediction / mean class probabilities, on
  validation: is an ensemble of retrainings better than both one retraining and the fold
  ensemble?
- ``epochs``: our defaults with ``refit=False``; then the chosen candidate retrained twice
  (seeds ``seed``, ``seed + 100``) two ways and averaged: with the defaults' early stopping
  (which holds out 10 % of the rows), and on every row without early stopping for the
  epoch count at which its folds' held-out scores peaked (median over folds). Validation
  decides; test is printed for the record.
- ``pooled``: our defaults with ``refit="trial"`` (the best trial's fold models kept);
  then the chosen candidate retrained twice on all the training data as ``refit="all"``
  does (seeds ``seed``, ``seed + 100``); on validation: the mean of the two retrainings
  (the default), the fold ensemble, and the mean of all five models (the two
  retrainings and the three fold models, equal weights: every model the search trained
  for its chosen candidate, at no extra training).
- ``idle``: our defaults with ``refit=False``; the chosen candidate retrained twice (seeds
  ``seed``, ``seed + 100``) and averaged, as ``refit="all"`` does, with the defaults' early
  stopping; and, when early stopping stopped none of the best trial's folds (each trained
  every epoch: the 10 % it holds out stopped nothing), retrained twice more on every row for
  all the epochs without early stopping. Validation decides; test is for the record.
- ``guard``: our defaults with ``refit=False``; the chosen candidate retrained as
  ``refit="all"`` does (the every-row rule included) with four seeds (``seed``, ``seed +
  100``, ``seed + 200``, ``seed + 300``). A retraining that held rows out for its early
  stopping is *accepted* when its score on those rows is at least the best trial's worst
  fold score (a draw far below what cross-validation promised, as high SGD learning rates
  give, is rejected); the guard averages the first two accepted retrainings (too few
  accepted: the best of the rejected by that score fill in) against the defaults' first
  two. Retrainings on every row have no rows to check and are always accepted. Validation
  decides; test is for the record.
- ``floor``: our defaults with ``refit=False``; where the refit keeps early stopping (a
  fold of the best trial stopped), the chosen candidate retrained twice (seeds ``seed``,
  ``seed + 100``) with the defaults' early stopping and twice with early stopping that
  watches no epoch before the earliest at which a fold's held-out score peaked (Keras's
  ``start_from_epoch``): a noisy SGD curve can trip the stopper long before the folds'
  peaks (``retrain`` found a refit stopped at epoch 18, keeping epoch 8). Validation
  decides; test is for the record.
- ``retrain`` (a diagnosis, no search): one candidate (``--params``) retrained on the
  training set with each of ``--seeds``, as the defaults' refit does (early stopping on
  the last 10 %) and on every row for all the epochs (as the course's refit does): per
  retraining its epochs, the epoch whose weights early stopping kept, and its validation
  score.
- ``headline``: the course's recipe as written vs ``search()`` with our defaults, same
  candidates, folds and epochs, ``n_jobs=2``; wall time and test score per seed and median.

The datasets: California (``regression_mlp``, the course's SGD model, 100 epochs, all of its
11,610 training rows) and Fashion-MNIST (the course's search recipe over its classifier,
``classifier_mlp`` with SGD, the 10 epochs of the course's Fashion fit, a 10,000-image slice
of the training set so that a seed takes minutes; the full test set).
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import keras
import numpy as np
from sklearn.base import clone
from sklearn.metrics import get_scorer

from benchmarks.datasets import Dataset, load_california_housing, load_fashion_mnist
from benchmarks.recipe import run_course_recipe
from benchmarks.studies._record import Record, add_output_arguments, recorded, results_path
from benchmarks.tables import NAMES, markdown
from models import (
    classifier_mlp,
    held_back,
    make_estimator,
    regression_mlp,
    stopping_from,
    without_early_stopping,
)
from search import search
from search._refit import (
    guarded,
    passes_guard,
    refit_every_row,
    refit_floor_epoch,
    voting_ensemble,
)
from spaces import california_mlp

__all__ = ["RULES", "Rule", "main", "replay"]


@dataclass(frozen=True)
class Rule:
    """An early-stopping rule to replay: Keras's ``EarlyStopping(patience, min_delta)``
    with ``restore_best_weights``; ``relative``: ``min_delta`` is a fraction of the best
    score so far (scale-free across losses). ``patience=None``: no stopping."""

    name: str
    patience: int | None
    min_delta: float = 0.0
    relative: bool = False
    restore: bool = True


# Fixed before any run: the rules compared, and how one is chosen (``choose``).
RULES: tuple[Rule, ...] = (
    Rule("none (last epoch)", None, restore=False),
    Rule("none (best epoch)", None),
    Rule("p5 abs 1e-2 (course)", 5, 1e-2),
    Rule("p5 abs 1e-3 (old default)", 5, 1e-3),
    Rule("p5 abs 0", 5, 0.0),
    Rule("p10 abs 0", 10, 0.0),
    Rule("p20 abs 0", 20, 0.0),
    Rule("p5 rel 1e-3", 5, 1e-3, relative=True),
    Rule("p10 rel 1e-3", 10, 1e-3, relative=True),
    Rule("p10 rel 1e-4", 10, 1e-4, relative=True),
    Rule("p20 rel 1e-4", 20, 1e-4, relative=True),
)
# A rule is acceptable when the CV score of the candidate it chooses is within this
# fraction of the best rule's, on every dataset (median over seeds); among acceptable
# rules the one that trains the fewest epochs wins.
TOLERANCE = 0.005


@dataclass(frozen=True)
class Task:
    name: str
    load: Callable[[str | None], Dataset]
    build: Callable[..., keras.Model]
    epochs: int
    scoring: str
    course: bool = True  # the course has a recipe for it (headline and measure run it)

    @property
    def kind(self) -> Literal["regression", "classification"]:
        return "regression" if self.scoring == "neg_mean_squared_error" else "classification"


TASKS: dict[str, Task] = {
    "california": Task(
        "california",
        lambda d: load_california_housing(data_dir=d),
        regression_mlp,
        100,
        "neg_mean_squared_error",
    ),
    "fashion": Task(
        "fashion",
        lambda d: load_fashion_mnist(data_dir=d, n_train=10_000),
        functools.partial(classifier_mlp, optimizer="sgd"),
        10,
        "accuracy",
    ),
    # The early-stopping rule must also suit Adam, our presets' optimizer: the same
    # California candidates with Adam, measured only (the course has no such recipe).
    "california_adam": Task(
        "california_adam",
        lambda d: load_california_housing(data_dir=d),
        functools.partial(regression_mlp, optimizer="adam"),
        100,
        "neg_mean_squared_error",
        course=False,
    ),
}


def replay(curve: list[float], rule: Rule) -> tuple[int, float]:
    """(epochs trained, score of the model kept) for one fold's curve under ``rule``.

    Examples:
        >>> replay([0.1, 0.3, 0.31, 0.305, 0.2], Rule("r", 2, 0.05))
        (4, 0.3)
    """
    best, best_at, wait = -math.inf, 0, 0
    for epoch, value in enumerate(curve):
        delta = (
            rule.min_delta * abs(best) if rule.relative and math.isfinite(best) else rule.min_delta
        )
        wait += 1
        if value - delta > best:
            best, best_at, wait = value, epoch, 0
            continue
        if rule.patience is not None and wait >= rule.patience and epoch > 0:
            return epoch + 1, curve[best_at] if rule.restore else value
    return len(curve), curve[best_at] if rule.restore else curve[-1]


def _rule_table(trials: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per rule: the candidate it would choose, that candidate's CV score, epochs trained."""
    out: dict[str, dict[str, Any]] = {}
    for rule in RULES:
        scores: list[float] = []
        stops: list[int] = []
        epochs = 0
        for trial in trials:
            folds = [replay(c, rule) for c in trial["curve"]]
            epochs += sum(e for e, _ in folds)
            stops.extend(e for e, _ in folds)
            scores.append(statistics.fmean(s for _, s in folds))
        best = int(np.nanargmax(scores))
        out[rule.name] = {
            "chosen": trials[best]["params"],
            "cv_score": scores[best],
            "epochs": epochs,
            "median_stop": statistics.median(stops),
        }
    return out


def _score(scoring: str, estimator: Any, X: np.ndarray, y: np.ndarray) -> float:
    return float(get_scorer(scoring)(estimator, X, y))


def _scored(task: Task, data: Dataset, estimator: Any) -> dict[str, float]:
    """``estimator``'s validation score (what decides) and test score (for the record)."""
    return {
        "valid": _score(task.scoring, estimator, data.X_valid, data.y_valid),
        "test": _score(task.scoring, estimator, data.X_test, data.y_test),
    }


def _retrain(
    task: Task, data: Dataset, make: Callable[..., Any], seeds: tuple[int, ...]
) -> tuple[list[Any], list[dict[str, Any]]]:
    """``make(seed=s)`` trained on the training set for each ``s`` of ``seeds``: the models,
    and per model its seed, seconds, epochs and validation score."""
    members, singles = [], []
    for refit_seed in seeds:
        est = make(seed=refit_seed)
        t0 = time.perf_counter()
        est.fit(data.X_train, data.y_train)
        singles.append(
            {
                "seed": refit_seed,
                "seconds": time.perf_counter() - t0,
                "epochs": len(est.history_["loss"]),
                "valid": _score(task.scoring, est, data.X_valid, data.y_valid),
            }
        )
        members.append(est)
    return members, singles


def _holds_everywhere(measured: dict[str, list[dict[str, Any]]], new: str, old: str) -> bool:
    """On every dataset, the median over seeds of (``new``'s validation score - ``old``'s),
    paired by seed, is >= 0: the test every refit criterion here shares."""
    for rows in measured.values():
        if statistics.median(r[new]["valid"] - r[old]["valid"] for r in rows) < 0:
            return False
    return True


def _mean_of_two(task: Task, data: Dataset, seed: int, make: Callable[..., Any]) -> dict[str, Any]:
    """``make`` retrained with seeds ``seed`` and ``seed + 100`` (as ``refit="all"``
    seeds them), averaged: each retraining's record and the mean's scores."""
    members, singles = _retrain(task, data, make, (seed, seed + 100))
    mean = voting_ensemble(members, data.X_train, data.y_train)
    return {"members": singles, **_scored(task, data, mean)}


def _course(task: Task, data: Dataset, seed: int) -> dict[str, Any]:
    """The course's recipe as written: wall time, its choice, validation and test scores."""
    run = run_course_recipe(data, task.build, epochs=task.epochs, seed=seed)
    best = run.search_cv.best_estimator_
    return {
        "wall": run.wall,
        "chosen": {k: _plain(v) for k, v in run.search_cv.best_params_.items()},
        "valid": _score(task.scoring, best, data.X_valid, data.y_valid),
        "test": _score(task.scoring, best, data.X_test, data.y_test),
    }


def _ours(task: Task, data: Dataset, seed: int, **overrides: Any) -> tuple[Any, float]:
    """The course's candidates, folds and epochs through ``search()`` (timed)."""
    start = time.perf_counter()
    result = search(
        "random",
        california_mlp(),
        task.build,
        data=data,
        n_trials=10,
        cv=3,
        epochs=task.epochs,
        n_jobs=2,
        seed=seed,
        progress=False,
        **overrides,
    )
    return result, time.perf_counter() - start


def _refit_policies(task: Task, data: Dataset, seed: int, result: Any) -> dict[str, Any]:
    """The best trial's kept models (``result`` ran with ``refit="trial"``) vs the best
    candidate retrained on all the training data with three seeds, on validation (and
    test, for the record)."""
    chosen = result.best_params_
    refits = []
    for refit_seed in (seed, seed + 100, seed + 200):
        est = clone(result.search_.estimator).set_params(**chosen, seed=refit_seed)
        t0 = time.perf_counter()
        est.fit(data.X_train, data.y_train)
        refits.append(
            {
                "seed": refit_seed,
                "seconds": time.perf_counter() - t0,
                "valid": _score(task.scoring, est, data.X_valid, data.y_valid),
                "test": _score(task.scoring, est, data.X_test, data.y_test),
            }
        )
    ensemble = result.best_estimator_
    return {
        "chosen": chosen,
        "cv_score": result.best_score_,
        "trial_ensemble": {
            "valid": _score(task.scoring, ensemble, data.X_valid, data.y_valid),
            "test": _score(task.scoring, ensemble, data.X_test, data.y_test),
        },
        "refit_all": refits,
    }


def measure_ensemble(task: Task, data: Dataset, row: dict[str, Any]) -> dict[str, Any]:
    """Phase ``ensemble`` for one seed of a ``refit`` run (``row``): its three retrainings
    again, and their mean, on validation and test."""
    recorded = row["ours_defaults"]
    members, singles = [], []
    for refit in recorded["refit_all"]:
        est = make_estimator(
            task.build, task.kind, epochs=task.epochs, seed=refit["seed"], **recorded["chosen"]
        )
        t0 = time.perf_counter()
        est.fit(data.X_train, data.y_train)
        singles.append(
            {
                "seed": refit["seed"],
                "seconds": time.perf_counter() - t0,
                "valid": _score(task.scoring, est, data.X_valid, data.y_valid),
                "recorded_valid": refit["valid"],
            }
        )
        members.append(est)
    means = {}
    for k in ENSEMBLE_SIZES:
        ensemble = voting_ensemble(members[:k], data.X_train, data.y_train)
        means[str(k)] = {
            "valid": _score(task.scoring, ensemble, data.X_valid, data.y_valid),
            "test": _score(task.scoring, ensemble, data.X_test, data.y_test),
        }
    return {
        "course": None,
        "ours_defaults": recorded,
        "retrain_ensemble": {"members": singles, **means},
    }


# The ensembles of retrainings measured: the mean of the first k of the three.
ENSEMBLE_SIZES = (2, 3)


def choose_retrain_ensemble(measured: dict[str, list[dict[str, Any]]]) -> int | None:
    """Fixed before the ``ensemble`` phase ran: the smallest k of ``ENSEMBLE_SIZES`` whose
    mean of k retrainings is, on every dataset, at least as good on validation as both the
    median single retraining and the fold ensemble (median over seeds of the paired
    differences >= 0); ``None``: no ensemble of retrainings earns its cost."""
    for k in ENSEMBLE_SIZES:
        ok = True
        for rows in measured.values():
            over_single, over_trial = [], []
            for r in rows:
                ens = r["retrain_ensemble"][str(k)]["valid"]
                o = r["ours_defaults"]
                over_single.append(ens - statistics.median(x["valid"] for x in o["refit_all"]))
                over_trial.append(ens - o["trial_ensemble"]["valid"])
            if statistics.median(over_single) < 0 or statistics.median(over_trial) < 0:
                ok = False
        if ok:
            return k
    return None


def measure_epochs(task: Task, data: Dataset, seed: int) -> dict[str, Any]:
    """Phase ``epochs`` for one dataset and seed (see the module docstring)."""
    result, wall = _ours(task, data, seed, refit=False)
    best = result.search_.records_[result.search_.best_index_]
    peaks = [int(np.nanargmax(curve)) + 1 for curve in best.curve]
    epochs = int(statistics.median(peaks))
    out: dict[str, Any] = {
        "course": None,
        "wall": wall,
        "chosen": result.best_params_,
        "fold_peaks": peaks,
        "fold_stops": list(best.fold_epochs),
    }
    ways: dict[str, dict[str, Any]] = {
        "early_stopping": {"epochs": task.epochs},
        "fixed_epochs": {"epochs": epochs, "early_stopping": False, "validation_split": 0.0},
    }
    for way, settings in ways.items():
        make = functools.partial(
            make_estimator, task.build, task.kind, **settings, **result.best_params_
        )
        out[way] = _mean_of_two(task, data, seed, make)
    return out


def measure_pooled(task: Task, data: Dataset, seed: int) -> dict[str, Any]:
    """Phase ``pooled`` for one dataset and seed (see the module docstring)."""
    result, wall = _ours(task, data, seed, refit="trial")
    folds = [frozen.estimator for _, frozen in result.best_estimator_.estimators]
    members, singles = _retrain(task, data, _refit_of(result), (seed, seed + 100))
    ways = {
        "retrain_mean": voting_ensemble(members, data.X_train, data.y_train),
        "fold_ensemble": result.best_estimator_,
        "pooled": voting_ensemble([*members, *folds], data.X_train, data.y_train),
    }
    out: dict[str, Any] = {
        "course": None,
        "wall": wall,
        "chosen": result.best_params_,
        "cv_score": result.best_score_,
        "retrainings": singles,
    }
    for way, estimator in ways.items():
        out[way] = _scored(task, data, estimator)
    return out


def _refit_of(result: Any) -> Callable[..., Any]:
    """``result``'s chosen candidate to retrain with a ``seed``, as ``refit="all"`` makes it."""
    return lambda seed: clone(result.search_.estimator).set_params(**result.best_params_, seed=seed)


def choose_pooled(measured: dict[str, list[dict[str, Any]]]) -> bool:
    """Fixed before the ``pooled`` phase ran: the mean of all five models (two retrainings
    and three fold models) replaces the mean of the two retrainings as the default when,
    on every dataset, the median over seeds of (its validation score - the two
    retrainings' mean's) is >= 0. It trains nothing more, so a tie goes to it."""
    return _holds_everywhere(measured, "pooled", "retrain_mean")


def _print_pooled(name: str, rows: list[dict[str, Any]]) -> None:
    print(f"\n## {name}: mean of the two retrainings vs fold ensemble vs all five (valid)")
    for r in rows:
        singles = ", ".join(f"{m['valid']:.4f} ({m['epochs']} ep)" for m in r["retrainings"])
        print(
            f"seed {r['seed']}: chose {r['chosen']} (cv {r['cv_score']:.4f}); retrainings {singles}"
        )
        for way in ("retrain_mean", "fold_ensemble", "pooled"):
            w = r[way]
            print(f"  {way}: valid {w['valid']:.4f} test {w['test']:.4f}", flush=True)


def measure_idle(task: Task, data: Dataset, seed: int) -> dict[str, Any]:
    """Phase ``idle`` for one dataset and seed (see the module docstring)."""
    result, wall = _ours(task, data, seed, refit=False)
    best = result.search_.records_[result.search_.best_index_]
    idle = refit_every_row(result.search_.estimator, best, "auto")
    out: dict[str, Any] = {
        "course": None,
        "wall": wall,
        "chosen": result.best_params_,
        "fold_stops": list(best.fold_epochs),
        "idle": idle,
    }
    refit = _refit_of(result)
    ways = {"early_stopping": refit}
    if idle:
        ways["every_row"] = lambda seed: without_early_stopping(refit(seed=seed))
    for way, make in ways.items():
        out[way] = _mean_of_two(task, data, seed, make)
    # The rule under test: every row when the folds' early stopping was idle, else as now.
    out["rule"] = out["every_row" if idle else "early_stopping"]
    return out


def choose_idle(measured: dict[str, list[dict[str, Any]]]) -> bool:
    """Fixed before the ``idle`` phase ran: the rule (retrain on every row without early
    stopping when it stopped none of the best trial's folds) becomes the default when it
    fired at least once, and on every dataset the median over seeds of (the rule's
    validation score - the defaults'), both means of two retrainings, is >= 0."""
    if not any(r["idle"] for rows in measured.values() for r in rows):
        return False
    return _holds_everywhere(measured, "rule", "early_stopping")


def _print_idle(name: str, rows: list[dict[str, Any]]) -> None:
    print(f"\n## {name}: refit with early stopping vs on every row when it was idle (valid)")
    for r in rows:
        print(f"seed {r['seed']}: chose {r['chosen']}; fold stops {r['fold_stops']}")
        for way in ("early_stopping", "every_row"):
            if way in r:
                w = r[way]
                epochs = [m["epochs"] for m in w["members"]]
                print(f"  {way}: valid {w['valid']:.4f} test {w['test']:.4f} (epochs {epochs})")


GUARD_SEEDS = 4  # retrainings the guard may draw from; the defaults use the first two


def _held_back_score(task: Task, estimator: Any, data: Dataset) -> float | None:
    """``estimator``'s score on the training rows its early stopping held back; None when
    it held none back."""
    rows = held_back(estimator, data.X_train, data.y_train)
    return None if rows is None else _score(task.scoring, estimator, *rows)


def measure_guard(task: Task, data: Dataset, seed: int) -> dict[str, Any]:
    """Phase ``guard`` for one dataset and seed (see the module docstring)."""
    result, wall = _ours(task, data, seed, refit=False)
    best = result.search_.records_[result.search_.best_index_]
    refit = _refit_of(result)
    if refit_every_row(result.search_.estimator, best, "auto"):
        make: Callable[..., Any] = lambda seed: without_early_stopping(refit(seed=seed))  # noqa: E731
        seeds: tuple[int, ...] = (
            seed,
            seed + 100,
        )  # nothing held back: the guard keeps the first two
    else:
        make = refit
        seeds = tuple(seed + 100 * i for i in range(GUARD_SEEDS))
    members, singles = _retrain(task, data, make, seeds)
    checks = [_held_back_score(task, m, data) for m in members]
    for single, check in zip(singles, checks, strict=True):
        single["held_back"] = check
    floor = min(best.fold_scores)
    kept = guarded(checks, floor, k=2)
    out: dict[str, Any] = {
        "course": None,
        "wall": wall,
        "chosen": result.best_params_,
        "fold_scores": list(best.fold_scores),
        "floor": floor,
        "members": singles,
        "kept": kept,
        # Retrainings the guard would have trained: up to its last kept one, or all of
        # them when it had to fill in with rejected ones.
        "guard_retrainings": (
            max(kept) + 1 if all(passes_guard(checks[i], floor) for i in kept) else len(members)
        ),
        "fired": kept != [0, 1],
    }
    for way, chosen in (("defaults", [0, 1]), ("guard", kept)):
        mean = voting_ensemble([members[i] for i in chosen], data.X_train, data.y_train)
        out[way] = _scored(task, data, mean)
    return out


def choose_guard(measured: dict[str, list[dict[str, Any]]]) -> bool:
    """Fixed before the ``guard`` phase ran: the guard becomes the default refit when it
    fired at least once and, on every dataset, the median over seeds of (its validation
    score - the defaults'), both means of two retrainings, is >= 0."""
    if not any(r["fired"] for rows in measured.values() for r in rows):
        return False
    return _holds_everywhere(measured, "guard", "defaults")


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _print_guard(name: str, rows: list[dict[str, Any]]) -> None:
    print(f"\n## {name}: the defaults' two retrainings vs the guard's (valid)")
    for r in rows:
        checks = ", ".join(
            f"{m['valid']:.4f} (held back {_fmt(m['held_back'])})" for m in r["members"]
        )
        print(f"seed {r['seed']}: chose {r['chosen']}; floor {r['floor']:.4f}; kept {r['kept']}")
        print(f"  retrainings: {checks}")
        for way in ("defaults", "guard"):
            print(f"  {way}: valid {r[way]['valid']:.4f} test {r[way]['test']:.4f}", flush=True)


def retrain_ways(
    task: Task, data: Dataset, params: dict[str, Any], seeds: list[int]
) -> list[dict[str, Any]]:
    """Phase ``retrain``: ``params`` retrained with each of ``seeds`` two ways (see the
    module docstring); one row per seed and way."""
    rows = []
    for seed in seeds:
        refit = make_estimator(task.build, task.kind, epochs=task.epochs, seed=seed, **params)
        for way, est in (("early_stopping", refit), ("every_row", without_early_stopping(refit))):
            t0 = time.perf_counter()
            est.fit(data.X_train, data.y_train)
            watched = est.history_.get("val_loss", [])
            rows.append(
                {
                    "seed": seed,
                    "way": way,
                    "seconds": time.perf_counter() - t0,
                    "epochs": len(est.history_["loss"]),
                    "kept_epoch": int(np.argmin(watched)) + 1 if watched else None,
                    "valid": _score(task.scoring, est, data.X_valid, data.y_valid),
                }
            )
            r = rows[-1]
            print(
                f"seed {seed} {way}: {r['epochs']} epochs, kept epoch {r['kept_epoch']}, "
                f"valid {r['valid']:.4f}",
                flush=True,
            )
    return rows


def measure_floor(task: Task, data: Dataset, seed: int) -> dict[str, Any]:
    """Phase ``floor`` for one dataset and seed (see the module docstring)."""
    result, wall = _ours(task, data, seed, refit=False)
    best = result.search_.records_[result.search_.best_index_]
    peaks = [int(np.nanargmax(curve)) + 1 for curve in best.curve]  # for the record
    refit = _refit_of(result)
    # Where the refit trains on every row it has no stopper to hold back.
    floor = refit_floor_epoch(best)
    fired = not refit_every_row(result.search_.estimator, best, "auto") and floor is not None
    out: dict[str, Any] = {
        "course": None,
        "wall": wall,
        "chosen": result.best_params_,
        "fold_peaks": peaks,
        "fold_stops": list(best.fold_epochs),
        "fired": fired,
    }
    ways: dict[str, Callable[..., Any]] = {"defaults": refit}
    if fired and floor is not None:
        epoch = floor  # bound here: the closure keeps the narrowed int
        ways["floor"] = lambda seed: stopping_from(refit(seed=seed), epoch)
    for way, make in ways.items():
        out[way] = _mean_of_two(task, data, seed, make)
    out["rule"] = out["floor" if fired else "defaults"]
    return out


def choose_floor(measured: dict[str, list[dict[str, Any]]]) -> bool:
    """Fixed before the ``floor`` phase ran: the floor becomes the default when it fired
    at least once, the mean over the rows where it fired of (its validation score - the
    defaults'), both means of two retrainings, is > 0 (it must win where it acts: a
    median over seeds where it did not fire is mostly ties), and on every dataset the
    median over seeds of that difference is >= 0."""
    fired = [r for rows in measured.values() for r in rows if r["fired"]]
    if not fired:
        return False
    if statistics.fmean(r["floor"]["valid"] - r["defaults"]["valid"] for r in fired) <= 0:
        return False
    return _holds_everywhere(measured, "rule", "defaults")


def _print_floor(name: str, rows: list[dict[str, Any]]) -> None:
    print(f"\n## {name}: refit early stopping from epoch 1 vs from the folds' earliest peak")
    for r in rows:
        print(f"seed {r['seed']}: chose {r['chosen']}; fold peaks {r['fold_peaks']}, "
              f"fold stops {r['fold_stops']}")  # fmt: skip
        for way in ("defaults", "floor"):
            if way in r:
                w = r[way]
                epochs = [m["epochs"] for m in w["members"]]
                singles = [round(m["valid"], 4) for m in w["members"]]
                print(f"  {way}: valid {w['valid']:.4f} test {w['test']:.4f} "
                      f"(epochs {epochs}, each {singles})", flush=True)  # fmt: skip


def choose_fixed_epochs(measured: dict[str, list[dict[str, Any]]]) -> bool:
    """Fixed before the ``epochs`` phase ran: retraining for the folds' peak epoch count
    on every row beats retraining with early stopping when, on every dataset, the median
    over seeds of (its validation score - early stopping's), both means of two, is >= 0."""
    return _holds_everywhere(measured, "fixed_epochs", "early_stopping")


def _print_epochs(name: str, rows: list[dict[str, Any]]) -> None:
    print(f"\n## {name}: refit with early stopping vs for the folds' peak epoch count")
    for r in rows:
        print(f"seed {r['seed']}: chose {r['chosen']}; fold peaks {r['fold_peaks']}, "
              f"fold stops {r['fold_stops']}")  # fmt: skip
        for way in ("early_stopping", "fixed_epochs"):
            w = r[way]
            print(f"  {way}: valid {w['valid']:.4f} test {w['test']:.4f} "
                  f"(epochs {[m['epochs'] for m in w['members']]})", flush=True)  # fmt: skip


def measure(task: Task, data: Dataset, seed: int) -> dict[str, Any]:
    """Phase ``measure`` for one dataset and seed (see the module docstring)."""
    row: dict[str, Any] = {"course": _course(task, data, seed) if task.course else None}
    result, wall = _ours(task, data, seed, early_stopping=False, refit="trial")
    trials = [
        {"params": t.params, "curve": t.curve, "score": t.score}
        for t in result.search_.records_
        if t.complete
    ]
    row["ours_no_early_stopping"] = {
        "wall": wall,
        **_refit_policies(task, data, seed, result),
        "rules": _rule_table(trials),
        "trials": trials,
    }
    return row


def measure_refit(task: Task, data: Dataset, seed: int) -> dict[str, Any]:
    """Phase ``refit`` for one dataset and seed: our defaults but ``refit="trial"``."""
    result, wall = _ours(task, data, seed, refit="trial")
    return {
        "course": None,
        "ours_defaults": {"wall": wall, **_refit_policies(task, data, seed, result)},
    }


def headline(task: Task, data: Dataset, seed: int, course: dict[str, Any] | None) -> dict[str, Any]:
    """Phase ``headline`` for one dataset and seed; ``course``: a recorded course run."""
    if course is None:
        course = _course(task, data, seed)
    result, wall = _ours(task, data, seed)
    ours = {
        "wall": wall,
        "test": _score(task.scoring, result.best_estimator_, data.X_test, data.y_test),
        "chosen": result.best_params_,
        "settings": {
            k: result.settings[k]
            for k in (
                "early_stopping",
                "patience",
                "min_delta",
                "refit",
                "refit_models",
                "refit_early_stopping",
                "refit_every_row",
                "refit_floor",
                "refit_floor_epoch",
                "refit_guard",
                "refit_held_back",
                "refit_kept",
            )
        },
    }
    return {"course": course, "ours": ours}


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _print_measure(name: str, rows: list[dict[str, Any]]) -> None:
    key = "ours_defaults" if "ours_defaults" in rows[0] else "ours_no_early_stopping"
    label = "ours (defaults)" if key == "ours_defaults" else "ours (no ES)"
    print(f"\n## {name}: {'refit' if key == 'ours_defaults' else 'measure'}")
    for row in rows:
        c, o = row["course"], row[key]
        refit_valid = [r["valid"] for r in o["refit_all"]]
        if c is not None:
            print(
                f"seed {row['seed']}: course {c['wall']:.0f} s valid {c['valid']:.4f} test "
                f"{c['test']:.4f} chose {c['chosen']}"
            )
        print(
            f"seed {row['seed']}:"
            f"  {label} {o['wall']:.0f} s cv {o['cv_score']:.4f} chose {o['chosen']}\n"
            f"  refit='trial' valid {o['trial_ensemble']['valid']:.4f} test "
            f"{o['trial_ensemble']['test']:.4f}; refit='all' valid "
            + ", ".join(f"{v:.4f}" for v in refit_valid)
            + " test "
            + ", ".join(f"{r['test']:.4f}" for r in o["refit_all"])
            + f" ({statistics.median(r['seconds'] for r in o['refit_all']):.0f} s a refit)"
        )
    if key == "ours_defaults":
        return
    print("\n| rule | median CV score of its choice | median epochs | median stop epoch |")
    print("|---|---|---|---|")
    for rule in RULES:
        per = [row["ours_no_early_stopping"]["rules"][rule.name] for row in rows]
        print(
            f"| {rule.name} | {statistics.median(p['cv_score'] for p in per):.4f} | "
            f"{statistics.median(p['epochs'] for p in per):.0f} | "
            f"{statistics.median(p['median_stop'] for p in per):.0f} |"
        )


def choose(measured: dict[str, list[dict[str, Any]]]) -> str:
    """The rule the fixed criterion (``TOLERANCE``) picks from the measured datasets."""
    acceptable = []
    for rule in RULES:
        ok = True
        for rows in measured.values():
            med = {
                r.name: statistics.median(
                    row["ours_no_early_stopping"]["rules"][r.name]["cv_score"] for row in rows
                )
                for r in RULES
            }
            top = max(med.values())
            if med[rule.name] < top - TOLERANCE * abs(top):
                ok = False
        if ok:
            cost = sum(
                statistics.median(
                    row["ours_no_early_stopping"]["rules"][rule.name]["epochs"] for row in rows
                )
                for rows in measured.values()
            )
            acceptable.append((cost, rule.name))
    return min(acceptable)[1] if acceptable else "none (best epoch)"


def choose_refit(
    measured: dict[str, list[dict[str, Any]]], key: str = "ours_no_early_stopping"
) -> str:
    """``"trial"`` when, on every dataset, the best trial's models score at least as well
    on the validation set as a retraining on all the data, paired by seed: the median over
    seeds of (trial's score - the median of that seed's three retrainings) is >= 0. They
    cost nothing more, so a tie goes to them. Else ``"all"``.

    (The first criterion, used for ``defaults-measure-2026-11-30``, compared the median of
    the trial scores with the median of the retrainings' medians, unpaired: one seed's
    retraining decided it. This one was fixed before the ``refit`` phase's seeds 3-5.)
    """
    for rows in measured.values():
        gains = [
            r[key]["trial_ensemble"]["valid"]
            - statistics.median(x["valid"] for x in r[key]["refit_all"])
            for r in rows
        ]
        if statistics.median(gains) < 0:
            return "all"
    return "trial"


def _print_headline(name: str, rows: list[dict[str, Any]]) -> None:
    print(f"\n## {name}: headline (course's recipe as written vs search() defaults)")
    print("| seed | course wall s | ours wall s | ratio | course test | ours test |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        c, o = row["course"], row["ours"]
        print(
            f"| {row['seed']} | {c['wall']:.0f} | {o['wall']:.0f} | {o['wall'] / c['wall']:.3f} | "
            f"{c['test']:.4f} | {o['test']:.4f} |"
        )
    med = lambda side, key: statistics.median(r[side][key] for r in rows)  # noqa: E731
    print(
        f"| median | {med('course', 'wall'):.0f} | {med('ours', 'wall'):.0f} | "
        f"{med('ours', 'wall') / med('course', 'wall'):.3f} | {med('course', 'test'):.4f} | "
        f"{med('ours', 'test'):.4f} |"
    )


def _ensemble_phase(sources: list[str], data_dir: str | None, record: Record) -> int:
    out: dict[str, Any] = {"phase": "ensemble", "datasets": {}}
    for source in sources:
        for name, rows in json.loads(Path(source).read_text())["datasets"].items():
            task = TASKS[name]
            data = task.load(data_dir)
            done = out["datasets"].setdefault(name, [])
            print(f"\n## {name}: ensemble of the three retrainings (validation)")
            for row in rows:
                done.append({"seed": row["seed"], **measure_ensemble(task, data, row)})
                record.json(out)
                r = done[-1]
                singles = r["retrain_ensemble"]["members"]
                print(
                    f"seed {row['seed']}: retrainings "
                    + ", ".join(
                        f"{x['valid']:.4f} (was {x['recorded_valid']:.4f})" for x in singles
                    )
                    + "; mean of the first "
                    + ", ".join(
                        f"{k}: {r['retrain_ensemble'][str(k)]['valid']:.4f}" for k in ENSEMBLE_SIZES
                    )
                    + "; fold ensemble "
                    f"{r['ours_defaults']['trial_ensemble']['valid']:.4f}",
                    flush=True,
                )
    out["retrain_ensemble_chosen"] = choose_retrain_ensemble(out["datasets"])
    print(
        "\nretrainings averaged by the chosen refit (criterion fixed in code; None: one): "
        f"{out['retrain_ensemble_chosen']}"
    )
    record.json(out)
    return 0


@dataclass(frozen=True)
class _Phase:
    """What a phase trains per seed, how it prints a dataset, and what it decides.

    ``decisions``: (key in the JSON, criterion over every dataset's rows, what it decides).
    """

    # None for the headline, which main() runs: it needs the course's recorded runs.
    measure: Callable[[Task, Dataset, int], dict[str, Any]] | None
    show: Callable[[str, list[dict[str, Any]]], None] = _print_measure
    decisions: tuple[tuple[str, Callable[[dict[str, Any]], Any], str], ...] = ()


_PHASES: dict[str, _Phase] = {
    "measure": _Phase(
        measure,
        decisions=(
            ("chosen_rule", choose, "chosen early-stopping rule"),
            ("chosen_refit", choose_refit, "chosen refit policy"),
        ),
    ),
    "refit": _Phase(
        measure_refit,
        decisions=(
            (
                "chosen_refit",
                functools.partial(choose_refit, key="ours_defaults"),
                "chosen refit policy",
            ),
        ),
    ),
    "epochs": _Phase(
        measure_epochs,
        _print_epochs,
        (
            (
                "fixed_epochs_chosen",
                choose_fixed_epochs,
                "refit for the folds' peak epoch count chosen",
            ),
        ),
    ),
    "pooled": _Phase(
        measure_pooled,
        _print_pooled,
        (("pooled_chosen", choose_pooled, "the mean of all five models chosen"),),
    ),
    "idle": _Phase(
        measure_idle,
        _print_idle,
        (
            (
                "idle_chosen",
                choose_idle,
                "retraining on every row when early stopping was idle chosen",
            ),
        ),
    ),
    "guard": _Phase(
        measure_guard,
        _print_guard,
        (("guard_chosen", choose_guard, "the guarded refit chosen"),),
    ),
    "floor": _Phase(
        measure_floor,
        _print_floor,
        (("floor_chosen", choose_floor, "the floored refit chosen"),),
    ),
    "headline": _Phase(None, _print_headline),
}


# --- The tables of this study's results in the docs ---


def _defaults(name: str) -> dict[str, Any]:
    """A results file of this study: ``name`` relative to ``benchmarks/results/defaults/``, or
    any other path (a run's own ``--out``)."""
    return json.loads(results_path("defaults", name).read_text())


def defaults_headline(*names: str) -> str:
    """The course's recipe as written vs ``search()``'s defaults, per seed and median; each
    dataset from the first of ``names`` that has it (a run may cover one dataset)."""
    datasets: dict[str, list[dict[str, Any]]] = {}
    for name in names:
        for dataset, runs in _defaults(name)["datasets"].items():
            datasets.setdefault(dataset, runs)
    rows = []
    for dataset, runs in datasets.items():
        regression = dataset == "california"
        show = (lambda v: f"MSE {-v:.4f}") if regression else (lambda v: f"acc {v:.4f}")
        for r in runs:
            c, o = r["course"], r["ours"]
            ratio = o["wall"] / c["wall"]
            rows.append([NAMES[dataset], str(r["seed"]), f"{c['wall']:.0f}", f"{o['wall']:.0f}",
                         f"{ratio:.3f}", show(c["test"]), show(o["test"])])  # fmt: skip
        cw = statistics.median(r["course"]["wall"] for r in runs)
        ow = statistics.median(r["ours"]["wall"] for r in runs)
        rows.append([NAMES[dataset], "**median**", f"{cw:.0f}", f"{ow:.0f}", f"{ow / cw:.3f}",
                     show(statistics.median(r["course"]["test"] for r in runs)),
                     show(statistics.median(r["ours"]["test"] for r in runs))])  # fmt: skip
    header = ["dataset", "seed", "course wall s", "ours wall s", "time ratio",
              "course test", "ours test"]  # fmt: skip
    return markdown(header, rows)


def _per_seed(
    name: str,
    header: list[str],
    cells: Callable[[dict[str, Any], Callable[[float], str]], list[str]],
) -> str:
    """One row per dataset and seed of a ``benchmarks.studies.defaults`` JSON file: the dataset, the
    seed, then ``cells(run, show)``; ``show`` prints a stored score (neg MSE as MSE)."""
    rows = []
    for dataset, runs in _defaults(name)["datasets"].items():
        regression = dataset.startswith("california")
        show = (lambda v: f"{-v:.4f}") if regression else (lambda v: f"{v:.4f}")
        rows += [[NAMES[dataset], str(r["seed"]), *cells(r, show)] for r in runs]
    return markdown(["dataset", "seed", *header], rows)


def defaults_refit(name: str) -> str:
    """Refit policies on the validation set per dataset and seed: the fold ensemble, three
    retrainings, and their paired difference (what ``choose_refit`` decides on)."""

    def cells(r: dict[str, Any], show: Callable[[float], str]) -> list[str]:
        o = r.get("ours_defaults") or r["ours_no_early_stopping"]
        refits = o["refit_all"]
        # Greater is better on the stored scale (neg MSE, accuracy).
        gain = o["trial_ensemble"]["valid"] - statistics.median(x["valid"] for x in refits)
        return [
            show(o["trial_ensemble"]["valid"]),
            ", ".join(show(x["valid"]) for x in refits),
            f"{gain:+.4f}",
            f"{statistics.median(x['seconds'] for x in refits):.0f}",
            "n/a" if r["course"] is None else show(r["course"]["valid"]),
        ]

    header = ["refit='trial' (fold ensemble)", "refit='all', 3 retraining seeds",
              "trial better by", "s per retraining", "course's recipe (its refit)"]  # fmt: skip
    return _per_seed(name, header, cells)


def defaults_ensemble(name: str) -> str:
    """Means of retrainings vs one retraining vs the fold ensemble, on validation."""

    def cells(r: dict[str, Any], show: Callable[[float], str]) -> list[str]:
        ens = r["retrain_ensemble"]
        return [
            ", ".join(show(m["valid"]) for m in ens["members"]),
            show(ens["2"]["valid"]),
            show(ens["3"]["valid"]),
            show(r["ours_defaults"]["trial_ensemble"]["valid"]),
        ]

    header = ["one retraining (3 seeds)", "mean of the first 2", "mean of all 3",
              "fold ensemble (refit='trial')"]  # fmt: skip
    return _per_seed(name, header, cells)


def defaults_epochs(name: str) -> str:
    """Two retrainings averaged: with early stopping vs on every row for the folds' peak
    epoch count, on validation, per dataset and seed."""

    def cells(r: dict[str, Any], show: Callable[[float], str]) -> list[str]:
        es, fx = r["early_stopping"], r["fixed_epochs"]
        return [
            ", ".join(str(e) for e in r["fold_peaks"]),
            show(es["valid"]),
            ", ".join(str(m["epochs"]) for m in es["members"]),
            show(fx["valid"]),
            f"{fx['valid'] - es['valid']:+.4f}",
        ]

    header = ["folds' peak epochs", "early stopping (mean of 2)", "its epochs",
              "peak epoch count, every row (mean of 2)", "better by"]  # fmt: skip
    return _per_seed(name, header, cells)


def defaults_pooled(name: str) -> str:
    """The two retrainings' mean vs the fold ensemble vs all five models, on validation."""

    def cells(r: dict[str, Any], show: Callable[[float], str]) -> list[str]:
        gain = r["pooled"]["valid"] - r["retrain_mean"]["valid"]
        return [
            show(r["retrain_mean"]["valid"]),
            show(r["fold_ensemble"]["valid"]),
            show(r["pooled"]["valid"]),
            f"{gain:+.4f}",
        ]

    header = ["mean of 2 retrainings (default)", "fold ensemble", "all five, equal weights",
              "all five better by"]  # fmt: skip
    return _per_seed(name, header, cells)


def defaults_idle(name: str) -> str:
    """The refit with early stopping vs on every row where it stopped no fold (validation)."""

    def cells(r: dict[str, Any], show: Callable[[float], str]) -> list[str]:
        es = r["early_stopping"]
        every = r.get("every_row")
        return [
            ", ".join(str(e) for e in r["fold_stops"]),
            show(es["valid"]),
            ", ".join(str(m["epochs"]) for m in es["members"]),
            "not run (a fold stopped)" if every is None else show(every["valid"]),
            f"{r['rule']['valid'] - es['valid']:+.4f}",
        ]

    header = ["best trial's folds trained (epochs)", "with early stopping (mean of 2)",
              "its epochs", "every row, all epochs (mean of 2)", "rule better by"]  # fmt: skip
    return _per_seed(name, header, cells)


def defaults_guard(name: str) -> str:
    """The defaults' two retrainings vs the guard's (validation), with each retraining's
    epochs and score on the rows its early stopping held back."""

    def cells(r: dict[str, Any], show: Callable[[float], str]) -> list[str]:
        members = [
            f"{show(m['valid'])} ({m['epochs']} ep, held back "
            f"{'-' if m['held_back'] is None else show(m['held_back'])})"
            for m in r["members"]
        ]
        return [
            show(r["floor"]),
            "; ".join(members),
            ", ".join(str(i + 1) for i in r["kept"]),
            show(r["defaults"]["valid"]),
            show(r["guard"]["valid"]),
            f"{r['guard']['valid'] - r['defaults']['valid']:+.4f}",
        ]

    header = ["best trial's worst fold", "retrainings: validation (epochs, held back)",
              "guard keeps", "defaults (first 2)", "guard", "guard better by"]  # fmt: skip
    return _per_seed(name, header, cells)


def defaults_floor(name: str) -> str:
    """The defaults' refit vs one whose stopper watches nothing before the folds' earliest
    peak (validation, means of two retrainings), with the epochs each retraining ran."""

    def cells(r: dict[str, Any], show: Callable[[float], str]) -> list[str]:
        floor = r.get("floor")
        epochs = lambda way: ", ".join(str(m["epochs"]) for m in way["members"])  # noqa: E731
        return [
            ", ".join(str(p) for p in r["fold_peaks"]),
            ", ".join(str(e) for e in r["fold_stops"]),
            f"{show(r['defaults']['valid'])} ({epochs(r['defaults'])})",
            "not run (refit on every row)" if floor is None
            else f"{show(floor['valid'])} ({epochs(floor)})",
            f"{r['rule']['valid'] - r['defaults']['valid']:+.4f}",
        ]  # fmt: skip

    header = ["best trial's folds peaked at (epoch)", "folds trained", "defaults (epochs)",
              "floor at the earliest peak (epochs)", "floor better by"]  # fmt: skip
    return _per_seed(name, header, cells)


def defaults_rules(name: str) -> str:
    """Early-stopping rules replayed on the no-early-stopping curves (median over seeds)."""
    data = _defaults(name)
    datasets = list(data["datasets"])
    rules = list(data["datasets"][datasets[0]][0]["ours_no_early_stopping"]["rules"])
    rows = []
    for rule in rules:
        row = [rule]
        for dataset in datasets:
            per = [r["ours_no_early_stopping"]["rules"][rule] for r in data["datasets"][dataset]]
            score = statistics.median(p["cv_score"] for p in per)
            regression = dataset.startswith("california")
            shown = f"MSE {-score:.4f}" if regression else f"acc {score:.4f}"
            row += [shown, f"{statistics.median(p['epochs'] for p in per):.0f}"]
        rows.append(row)
    header = ["rule"]
    for dataset in datasets:
        header += [f"{NAMES[dataset]} CV score of its choice", f"{NAMES[dataset]} epochs"]
    return markdown(header, rows)


# The docs' tables of this study's committed results (``python -m benchmarks.tables``).
TABLES: dict[str, Callable[[], str]] = {
    "defaults-headline-one-refit": lambda: defaults_headline("2026-11-30/headline.json"),
    "defaults-headline": lambda: defaults_headline(
        "2026-12-03/headline-side-by-side.json", "2026-12-02/headline-side-by-side.json"
    ),
    "defaults-headline-course-reused": lambda: defaults_headline(
        "2026-12-03/headline-guard-floor.json"
    ),
    "defaults-headline-side-by-side": lambda: defaults_headline(
        "2026-12-02/headline-side-by-side.json"
    ),
    "defaults-headline-before-every-row": lambda: defaults_headline("2026-12-01/headline.json"),
    "defaults-headline-two-refits": lambda: defaults_headline(
        "2026-11-30/headline-two-refits.json"
    ),
    "defaults-refit": lambda: defaults_refit("2026-11-30/measure.json"),
    "defaults-refit-es": lambda: defaults_refit("2026-11-30/refit.json"),
    "defaults-ensemble": lambda: defaults_ensemble("2026-11-30/ensemble.json"),
    "defaults-epochs": lambda: defaults_epochs("2026-11-30/epochs.json"),
    "defaults-pooled": lambda: defaults_pooled("2026-12-02/pooled.json"),
    "defaults-idle": lambda: defaults_idle("2026-12-02/idle.json"),
    "defaults-guard": lambda: defaults_guard("2026-12-02/guard.json"),
    "defaults-floor": lambda: defaults_floor("2026-12-02/floor.json"),
    "defaults-rules": lambda: defaults_rules("2026-11-30/measure.json"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.studies.defaults", description=__doc__
    )
    parser.add_argument(
        "phase",
        choices=(*_PHASES, "ensemble", "retrain", "choose"),
    )
    parser.add_argument(
        "--measured",
        nargs="+",
        default=[],
        help="choose: measure JSON files to merge and decide the early-stopping rule from",
    )
    parser.add_argument(
        "--refit-measured",
        nargs="+",
        default=[],
        help="choose: refit-phase JSON files to decide the refit policy from; ensemble: "
        "the refit-phase JSON whose retrainings to repeat and average",
    )
    parser.add_argument(
        "--datasets", nargs="+", choices=tuple(TASKS), default=["california", "fashion"]
    )
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--data-dir", default=None)
    add_output_arguments(parser, "the phase's name")
    parser.add_argument(
        "--course-from",
        default=None,
        help="headline: take the course recipe's runs from this measure JSON instead of "
        "running it again (same machine; say so when quoting the ratio)",
    )
    parser.add_argument(
        "--params",
        type=json.loads,
        default=None,
        help='retrain: the candidate, as JSON: \'{"hidden_layers": 4, "layer_size": 68, ...}\'',
    )
    args = parser.parse_args(argv)
    if args.phase == "retrain" and args.params is None:
        parser.error("retrain needs --params, the candidate as JSON")
    with recorded("defaults", args.name or args.phase, args.out, argv) as record:
        return _run(parser, args, record)


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace, record: Record) -> int:
    if args.phase == "choose":
        merged: dict[str, Any] = {"phase": "measure", "datasets": {}}
        for path in args.measured:
            merged["datasets"].update(json.loads(Path(path).read_text())["datasets"])
        refit_rows: dict[str, Any] = {}
        for path in args.refit_measured:
            refit_rows.update(json.loads(Path(path).read_text())["datasets"])
        merged["refit_datasets"] = refit_rows
        merged["chosen_rule"] = choose(merged["datasets"])
        merged["chosen_refit_without_early_stopping"] = choose_refit(merged["datasets"])
        if refit_rows:
            merged["chosen_refit"] = choose_refit(refit_rows, "ours_defaults")
        for name, rows in [*merged["datasets"].items(), *refit_rows.items()]:
            _print_measure(name, rows)
        print(f"\nchosen early-stopping rule (criterion fixed in code): {merged['chosen_rule']}")
        print(
            "refit policy the criterion picks from the measure phase (no early stopping): "
            f"{merged['chosen_refit_without_early_stopping']}"
        )
        if refit_rows:
            print(f"chosen refit policy (criterion fixed in code): {merged['chosen_refit']}")
        for rows in merged["datasets"].values():
            for row in rows:
                for trial in row["ours_no_early_stopping"]["trials"]:
                    # 5 decimals of a per-epoch score: what the replay needs, a third the size.
                    trial["curve"] = [[round(v, 5) for v in fold] for fold in trial["curve"]]
        record.json(merged, indent=None)
        return 0
    if args.phase == "ensemble":
        return _ensemble_phase(args.refit_measured, args.data_dir, record)
    if args.phase == "retrain":
        retrained = {
            name: retrain_ways(
                TASKS[name], TASKS[name].load(args.data_dir), args.params, args.seeds
            )
            for name in args.datasets
        }
        record.json({"phase": "retrain", "params": args.params, "datasets": retrained})
        return 0
    recorded = json.loads(Path(args.course_from).read_text()) if args.course_from else {}
    phase = _PHASES[args.phase]
    out: dict[str, Any] = {"phase": args.phase, "seeds": args.seeds, "datasets": {}}
    for name in args.datasets:
        task = TASKS[name]
        data = task.load(args.data_dir)
        rows = []
        for seed in args.seeds:
            if phase.measure is None:
                prior = {r["seed"]: r["course"] for r in recorded.get("datasets", {}).get(name, [])}
                if not task.course:
                    parser.error(f"{name}: the course has no recipe to compare with")
                row = headline(task, data, seed, prior.get(seed))
            else:
                row = phase.measure(task, data, seed)
            rows.append({"seed": seed, **row})
            out["datasets"][name] = rows
            record.json(out)
            print(f"{name} seed {seed} done", flush=True)
        phase.show(name, rows)
    for key, decide, message in phase.decisions:
        out[key] = decide(out["datasets"])
        print(f"\n{message} (criterion fixed in code): {out[key]}")
    record.json(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
