"""Peer rows: the tools a user would otherwise pick, run as their users run them.

Every peer gets what our rows get as far as the tool allows: the same data (trained on the
training split, validated on the validation split, scored once on the untouched test set),
the same ``Space`` (translated to the tool's own), the same ``build_model``, epochs, batch
size, early stopping (``patience`` from the plan, ``min_delta`` and restored best weights as
``search()``'s defaults) and trial budget. What differs is listed in each cell's
``differences`` and shown next to the row in the report.

- ``kt-random``, ``kt-bayes``, ``kt-hyperband``: KerasTuner 1.4.8 ``RandomSearch``,
  ``BayesianOptimization``, ``Hyperband`` over a ``build(hp)`` generated from the space;
  the model returned is the best trial's own (``get_best_models``).
- ``optuna-hyperband``: Optuna without us: ``TPESampler`` + ``HyperbandPruner`` with
  ``optuna_integration.KerasPruningCallback`` in a plain ``study.optimize`` loop; the
  model returned is the best trial's own (its weights kept in memory).
- ``sk-halving``: scikit-learn's ``HalvingRandomSearchCV(resource="epochs")`` over the
  estimator our rows use (``models.make_estimator``), ``n_candidates`` = the trial budget,
  ``min_resources="exhaust"`` so that the last round trains the full epochs; refit on
  train + valid, as our rows with the validation holdout.
- ``ga-sklearn``: sklearn-genetic-opt's ``GASearchCV`` (0.12, the last release for Python
  3.11) over the same estimator; population 4, generations so that about the trial budget
  is evaluated.

Installed with ``pip install 'hpsearch[peers]'``; a peer whose package is missing is
skipped with a note naming the extra, never faked.
"""

from __future__ import annotations

import importlib.util
import inspect
import math
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import keras
import numpy as np
from sklearn.base import BaseEstimator
from sklearn.model_selection import PredefinedSplit

from benchmarks.datasets import Dataset
from benchmarks.profiles import DatasetPlan
from models import make_estimator
from search import search
from spaces import Categorical, Float, Int, Space

__all__ = ["PEERS", "PEER_PACKAGES", "missing_peer_package", "run_peer"]

# row -> (module that must import, what to install)
PEER_PACKAGES: dict[str, tuple[str, str]] = {
    "kt-random": ("keras_tuner", "keras-tuner"),
    "kt-bayes": ("keras_tuner", "keras-tuner"),
    "kt-hyperband": ("keras_tuner", "keras-tuner"),
    "optuna-hyperband": ("optuna_integration", "optuna-integration"),
    "sk-halving": ("sklearn", "scikit-learn"),
    "ga-sklearn": ("sklearn_genetic", "sklearn-genetic-opt"),
}
PEERS = tuple(PEER_PACKAGES)
_DEFAULTS = inspect.signature(search).parameters
# ``search()``'s early stopping, given to every peer (one place decides it: search()).
_MIN_DELTA = float(_DEFAULTS["min_delta"].default)
# The build function compiles the model as a user's would, at Keras's default of one step per
# execution; our estimator sets 32 after the build (the same maths, less per-step overhead).
_ONE_STEP_PER_EXECUTION = (
    "trains at Keras's default steps_per_execution=1, as the build function compiles the "
    "model (ours: 32, the same updates with less overhead per step)"
)


def missing_peer_package(row: str) -> str | None:
    """Why ``row`` cannot run here (its package is missing), or None."""
    module, package = PEER_PACKAGES[row]
    # optuna_integration is a lazy module: once imported its __spec__ is None and
    # find_spec raises; an imported module is installed.
    if module not in sys.modules and importlib.util.find_spec(module) is None:
        return f"{row}: {package} is not installed (pip install 'hpsearch[peers]'); skipped."
    return None


class _Predictor(BaseEstimator):
    """A trained Keras model as something scikit-learn's scorers can call."""

    def __init__(self, model: keras.Model, task: str) -> None:
        self.model, self.task = model, task

    def predict(self, X: np.ndarray) -> np.ndarray:
        out = np.asarray(self.model.predict(X, verbose=0, batch_size=4096))
        return out.argmax(axis=1) if self.task == "classification" else out.ravel()


def _meta(data: Dataset) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "n_features_in_": int(np.prod(data.X_train.shape[1:])),
        "X_shape_": data.X_train.shape,
    }
    if data.task == "classification":
        meta["n_classes_"] = len(np.unique(data.y_train))
    return meta


def _early_stopping(plan: DatasetPlan) -> keras.callbacks.EarlyStopping:
    return keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=plan.patience, min_delta=_MIN_DELTA, restore_best_weights=True
    )


def _val_score(task: str, model: keras.Model, data: Dataset) -> float:
    """Greater is better, as our rows' scores: -MSE or accuracy on the validation split."""
    pred = _Predictor(model, task).predict(data.X_valid)
    if task == "regression":
        return -float(np.mean((pred - data.y_valid) ** 2))
    return float(np.mean(pred == data.y_valid))


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


# ----------------------------------------------------------------------------------------
# KerasTuner
# ----------------------------------------------------------------------------------------
def _kt_build(space: Space, plan: DatasetPlan, meta: dict[str, Any]) -> Callable[[Any], Any]:
    def build(hp: Any) -> keras.Model:
        params: dict[str, Any] = {}
        for name in space:
            p = space[name]
            if isinstance(p, Int):
                params[name] = hp.Int(name, p.low, p.high, sampling="log" if p.log else "linear")
            elif isinstance(p, Float):
                params[name] = hp.Float(name, p.low, p.high, sampling="log" if p.log else "linear")
            elif isinstance(p, Categorical):
                params[name] = hp.Choice(name, list(p.choices))
            else:  # pragma: no cover - every Param type is one of the three
                raise TypeError(f"no KerasTuner translation for {p!r}")
        return plan.build_model(**params, meta=meta)

    return build


def _run_keras_tuner(
    row: str, data: Dataset, plan: DatasetPlan, seed: int, trials: int
) -> dict[str, Any]:
    import keras_tuner as kt

    space = plan.space()
    if space.conditions:
        raise ValueError(f"{row}: conditional spaces have no KerasTuner translation here.")
    objective = "val_loss" if data.task == "regression" else "val_accuracy"
    ends: dict[str, float] = {}
    # KerasTuner records only each trial's best epoch, so the epochs early stopping let run
    # are counted here, one per finished epoch (a resumed Hyperband trial counts only its own).
    ran: dict[str, int] = {}
    start = time.perf_counter()

    kinds = {
        "kt-random": kt.RandomSearch,
        "kt-bayes": kt.BayesianOptimization,
        "kt-hyperband": kt.Hyperband,
    }

    class Timed(kinds[row]):  # type: ignore[misc, valid-type]
        def on_epoch_end(self, trial: Any, model: Any, epoch: int, logs: Any = None) -> None:
            super().on_epoch_end(trial, model, epoch, logs=logs)
            ran[trial.trial_id] = ran.get(trial.trial_id, 0) + 1

        def on_trial_end(self, trial: Any) -> None:
            super().on_trial_end(trial)
            ends[trial.trial_id] = time.perf_counter() - start

    budget: dict[str, Any] = (
        {"max_epochs": plan.epochs, "factor": 3, "hyperband_iterations": 1}
        if row == "kt-hyperband"
        else {"max_trials": trials}
    )
    with tempfile.TemporaryDirectory(prefix="hpsearch-kt-") as folder:
        tuner = Timed(
            _kt_build(space, plan, _meta(data)),
            objective=objective,
            seed=seed,
            directory=folder,
            project_name=row,
            overwrite=True,
            **budget,
        )
        tuner.search(
            data.X_train,
            data.y_train,
            validation_data=(data.X_valid, data.y_valid),
            epochs=plan.epochs,
            batch_size=plan.batch_size,
            callbacks=[_early_stopping(plan)],
            verbose=0,
        )
        wall = time.perf_counter() - start
        model = tuner.get_best_models(1)[0]
        best_hp = tuner.get_best_hyperparameters(1)[0].values
        rows, epochs_trained = [], 0
        for number, trial in enumerate(tuner.oracle.trials.values()):
            hp = dict(trial.hyperparameters.values)
            epochs = ran.get(trial.trial_id, 0)
            epochs_trained += epochs
            score = trial.score
            if score is not None and data.task == "regression":
                score = -float(score)
            rows.append(
                {
                    "number": number,
                    "params": {k: _plain(v) for k, v in hp.items() if k in space},
                    "score": None if score is None else float(score),
                    "elapsed": ends.get(trial.trial_id),
                    "status": "complete" if trial.status == "COMPLETED" else trial.status.lower(),
                    "epochs_trained": epochs,
                }
            )
    differences = [
        "one trial at a time (KerasTuner's own loop; no n_jobs)",
        "the model returned is the best trial's own, trained on the training split only "
        "(restored to its best epoch); no refit on train + valid (ours: the mean of two)",
        f"early stopping watches {objective} on the validation split (ours: a 10 % split of "
        "the training data); the trial score is that split's best epoch",
        _ONE_STEP_PER_EXECUTION,
    ]
    if row == "kt-hyperband":
        differences.append(
            f"budget: one Hyperband iteration at max_epochs={plan.epochs}, factor 3 "
            f"({epochs_trained} epochs trained, not a trial count)"
        )
    if row == "kt-bayes":
        differences.append("BayesianOptimization: a Gaussian process over the space, not TPE")
    return {
        "best_params": {k: _plain(v) for k, v in best_hp.items() if k in space},
        "best_val_score": _val_score(data.task, model, data),
        "epochs_trained": epochs_trained,
        "wall": wall,
        "search_elapsed": wall,
        "trials": rows,
        "history": {},
        "settings": {
            "tool": f"keras_tuner {kt.__version__} {kinds[row].__name__}",
            "seed": seed,
            **budget,
        },
        "differences": differences,
        "refit": "train (the best trial's own model)",
        "estimator": _Predictor(model, data.task),
    }


# ----------------------------------------------------------------------------------------
# Optuna without us
# ----------------------------------------------------------------------------------------
def _run_optuna(data: Dataset, plan: DatasetPlan, seed: int, trials: int) -> dict[str, Any]:
    import optuna
    from optuna_integration import KerasPruningCallback

    space = plan.space()
    minimize = data.task == "regression"
    monitor, direction = ("val_loss", "minimize") if minimize else ("val_accuracy", "maximize")
    meta = _meta(data)
    best: dict[str, Any] = {}
    ends: dict[int, float] = {}
    epochs_of: dict[int, int] = {}
    start = time.perf_counter()

    def objective(trial: optuna.Trial) -> float:
        params: dict[str, Any] = {}
        for name in space:
            p = space[name]
            if isinstance(p, Int):
                params[name] = trial.suggest_int(name, p.low, p.high, log=p.log)
            elif isinstance(p, Float):
                params[name] = trial.suggest_float(name, p.low, p.high, log=p.log)
            elif isinstance(p, Categorical):
                params[name] = trial.suggest_categorical(name, list(p.choices))
        keras.backend.clear_session()
        model = plan.build_model(**params, meta=meta)
        try:
            history = model.fit(
                data.X_train,
                data.y_train,
                validation_data=(data.X_valid, data.y_valid),
                epochs=plan.epochs,
                batch_size=plan.batch_size,
                callbacks=[_early_stopping(plan), KerasPruningCallback(trial, monitor)],
                verbose=0,
            )
        finally:
            ends[trial.number] = time.perf_counter() - start
        curve = history.history[monitor]
        epochs_of[trial.number] = len(curve)
        value = float(min(curve) if direction == "minimize" else max(curve))
        if not best or (
            value < best["value"] if direction == "minimize" else value > best["value"]
        ):
            best.update(value=value, weights=model.get_weights(), params=params)
        return value

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction="minimize" if minimize else "maximize",
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=optuna.pruners.HyperbandPruner(
            min_resource=1, max_resource=plan.epochs, reduction_factor=3
        ),
    )
    study.optimize(objective, n_trials=trials)
    wall = time.perf_counter() - start
    keras.backend.clear_session()
    model = plan.build_model(**best["params"], meta=meta)
    model.set_weights(best["weights"])
    rows = []
    for t in study.trials:
        score = t.value
        if score is not None and direction == "minimize":
            score = -score
        rows.append(
            {
                "number": t.number,
                "params": {k: _plain(v) for k, v in t.params.items()},
                "score": None if score is None else float(score),
                "elapsed": ends.get(t.number),
                "status": t.state.name.lower(),
                "epochs_trained": epochs_of.get(t.number, len(t.intermediate_values)),
            }
        )
    return {
        "best_params": best["params"],
        "best_val_score": _val_score(data.task, model, data),
        "epochs_trained": sum(r["epochs_trained"] for r in rows),
        "wall": wall,
        "search_elapsed": wall,
        "trials": rows,
        "history": {},
        "settings": {
            "tool": f"optuna {optuna.__version__} TPESampler + HyperbandPruner",
            "seed": seed,
            "n_trials": trials,
        },
        "differences": [
            "one trial at a time (study.optimize, n_jobs=1)",
            "pruned trials count against n_trials (Optuna's rule), so fewer epochs are spent",
            "the model returned is the best trial's own, trained on the training split only "
            "(restored to its best epoch); no refit on train + valid (ours: the mean of two)",
            f"the trial value is the best {monitor} on the validation split",
            _ONE_STEP_PER_EXECUTION,
        ],
        "refit": "train (the best trial's own model)",
        "estimator": _Predictor(model, data.task),
    }


# ----------------------------------------------------------------------------------------
# scikit-learn's halving search and sklearn-genetic-opt: the estimator our rows use
# ----------------------------------------------------------------------------------------
def _holdout(data: Dataset) -> tuple[np.ndarray, np.ndarray, PredefinedSplit]:
    X = np.concatenate([data.X_train, data.X_valid])
    y = np.concatenate([data.y_train, data.y_valid])
    fold = np.r_[np.full(len(data.X_train), -1), np.zeros(len(data.X_valid), dtype=int)]
    return X, y, PredefinedSplit(fold)


def _estimator(data: Dataset, plan: DatasetPlan, seed: int) -> Any:
    defaults = plan.space().defaults()
    return make_estimator(
        plan.build_model,
        data.task,
        epochs=plan.epochs,
        batch_size=plan.batch_size,
        patience=plan.patience,
        min_delta=_MIN_DELTA,
        seed=seed,
        **defaults,
    )


def _scoring(task: str) -> str:
    return "neg_mean_squared_error" if task == "regression" else "accuracy"


def _run_halving(data: Dataset, plan: DatasetPlan, seed: int, trials: int) -> dict[str, Any]:
    from sklearn.experimental import enable_halving_search_cv  # noqa: F401
    from sklearn.model_selection import HalvingRandomSearchCV

    X, y, cv = _holdout(data)
    searcher = HalvingRandomSearchCV(
        _estimator(data, plan, seed),
        plan.space().to_sklearn(),
        n_candidates=trials,
        resource="epochs",
        max_resources=plan.epochs,
        min_resources="exhaust",
        factor=3,
        cv=cv,
        scoring=_scoring(data.task),
        random_state=seed,
        refit=True,
    )
    start = time.perf_counter()
    searcher.fit(X, y)
    wall = time.perf_counter() - start
    res = searcher.cv_results_
    per = np.asarray(res["mean_fit_time"]) + np.asarray(res["mean_score_time"])
    rows: list[dict[str, Any]] = [
        {
            "number": i,
            "params": {k: _plain(v) for k, v in p.items() if k != "epochs"},
            "score": float(s) if np.isfinite(s) else None,
            "elapsed": float(e),
            "status": "complete" if np.isfinite(s) else "failed",
            "epochs_trained": int(r),
            "fidelity": int(r),
        }
        for i, (p, s, e, r) in enumerate(
            zip(
                res["params"],
                res["mean_test_score"],
                np.cumsum(per),
                res["n_resources"],
                strict=True,
            )
        )
    ]
    best = {k: _plain(v) for k, v in searcher.best_params_.items() if k != "epochs"}
    return {
        "best_params": best,
        "best_val_score": float(searcher.best_score_),
        "epochs_trained": int(sum(r["epochs_trained"] for r in rows)),
        "wall": wall,
        "search_elapsed": wall,
        "trials": rows,
        "history": {},
        "settings": {
            "tool": "scikit-learn HalvingRandomSearchCV",
            "n_candidates": trials,
            "resource": "epochs",
            "max_resources": plan.epochs,
            "min_resources": int(searcher.min_resources_),
            "factor": 3,
        },
        "differences": [
            f"n_candidates={trials} start at {int(searcher.min_resources_)} epochs; a third go "
            f"on each round (its budget: {sum(r['epochs_trained'] for r in rows)} epochs, "
            "not trials x epochs); a round retrains from scratch (no continued training)",
            "one candidate at a time (n_jobs=1); one refit on train + valid (ours: the mean "
            "of two refits)",
        ],
        "refit": "train + valid (refit)",
        "estimator": searcher.best_estimator_,
    }


def _run_genetic(data: Dataset, plan: DatasetPlan, seed: int, trials: int) -> dict[str, Any]:
    from sklearn_genetic import GASearchCV
    from sklearn_genetic import space as ga_space

    grid: dict[str, Any] = {}
    space = plan.space()
    for name in space:
        p = space[name]
        if isinstance(p, Int):
            grid[name] = ga_space.Integer(p.low, p.high)
        elif isinstance(p, Float):
            grid[name] = ga_space.Continuous(
                p.low, p.high, distribution="log-uniform" if p.log else "uniform"
            )
        elif isinstance(p, Categorical):
            grid[name] = ga_space.Categorical(list(p.choices))
    population = 4
    generations = max(1, math.ceil(trials / population) - 1)
    X, y, cv = _holdout(data)
    # sklearn-genetic-opt 0.12 draws from the global random modules and takes no seed
    # (run_peer seeded them through keras.utils.set_random_seed).
    searcher = GASearchCV(
        _estimator(data, plan, seed),
        cv=cv,
        param_grid=grid,
        scoring=_scoring(data.task),
        population_size=population,
        generations=generations,
        n_jobs=1,
        verbose=False,
        refit=True,
    )
    start = time.perf_counter()
    searcher.fit(X, y)
    wall = time.perf_counter() - start
    evaluated = list(searcher.logbook.chapters["parameters"])
    # No finish times are kept: cumulate each evaluation's fit + score time.
    spent = np.cumsum([float(np.sum(h["fit_time"]) + np.sum(h["score_time"])) for h in evaluated])
    rows: list[dict[str, Any]] = [
        {
            "number": i,
            "params": {k: _plain(v) for k, v in h.items() if k in space},
            "score": float(h["score"]),
            "elapsed": float(e),
            "status": "complete",
        }
        for i, (h, e) in enumerate(zip(evaluated, spent, strict=True))
    ]
    return {
        "best_params": {k: _plain(v) for k, v in searcher.best_params_.items()},
        "best_val_score": float(searcher.best_score_),
        "wall": wall,
        "search_elapsed": wall,
        "trials": rows,
        "history": {},
        "settings": {
            "tool": "sklearn-genetic-opt GASearchCV",
            "population_size": population,
            "generations": generations,
        },
        "differences": [
            f"population {population}, {generations} generations: {len(rows)} evaluations "
            f"(budget {trials}); no seed argument (the global random modules are seeded)",
            "one refit on train + valid (ours: the mean of two refits)",
        ],
        "refit": "train + valid (refit)",
        "estimator": searcher.best_estimator_,
    }


def run_peer(
    row: str, data: Dataset, plan: DatasetPlan, seed: int, *, trials: int
) -> dict[str, Any]:
    """Run one peer row; the cell has our rows' keys plus ``differences`` and
    ``estimator`` (what the harness scores on the test set, then drops)."""
    if row not in PEER_PACKAGES:
        raise ValueError(f"row must be one of {sorted(PEER_PACKAGES)}, got {row!r}.")
    # KerasTuner and plain Keras draw initial weights from Keras's global seed; seeding it
    # is how their users make a run repeatable (our rows seed each model instead).
    keras.utils.set_random_seed(seed)
    if row.startswith("kt-"):
        cell = _run_keras_tuner(row, data, plan, seed, trials)
    elif row == "optuna-hyperband":
        cell = _run_optuna(data, plan, seed, trials)
    elif row == "sk-halving":
        cell = _run_halving(data, plan, seed, trials)
    else:
        cell = _run_genetic(data, plan, seed, trials)
    if plan.cv != "valid":
        cell["differences"].append(
            f"validated on the validation split; our rows use cv={plan.cv!r} on the training data"
        )
    return cell
