"""``search()``: one call, any strategy, one evaluation protocol."""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import keras
import numpy as np
import optuna
from sklearn.model_selection import (
    BaseCrossValidator,
    BaseShuffleSplit,
    KFold,
    PredefinedSplit,
    ShuffleSplit,
    StratifiedKFold,
    StratifiedShuffleSplit,
)
from sklearn.utils.multiclass import type_of_target

from models import deep_mlp, make_estimator, regression_mlp
from search._pool import HEARTBEAT_GRACE_SECONDS
from search._refit import (
    REFIT_FLOOR,
    check_flag,
    check_refit,
    check_refit_early_stopping,
    check_refit_guard,
)
from search._stream import StreamData, is_multi_input, is_stream, stream_data
from search._validation import BACKENDS, check_budget, check_int, resolve_n_jobs
from search.estimators import SpaceSearchCV
from search.ledger import StorageURL
from search.objective import KerasObjective
from search.result import SearchResult
from search.strategies import Strategy, TPEStrategy, make_strategy
from spaces import Space, fashion_mlp, get_preset
from spaces.define_by_run import discover
from spaces.presets import california_mlp

__all__ = ["DEFAULT_SCORING", "search"]

DEFAULT_SCORING = {"regression": "neg_mean_squared_error", "classification": "accuracy"}
# Chosen on validation scores by ``python -m benchmarks.studies.defaults ensemble`` (docs).
DEFAULT_REFIT_MODELS = 2
_DEFAULT_BUILD: dict[str, Callable[..., keras.Model]] = {
    "regression": regression_mlp,
    "classification": deep_mlp,
}
_DEFAULT_SPACE = {"regression": california_mlp, "classification": fashion_mlp}
# Training settings a space may vary; they go to Keras's fit, not to build_model.
_FIT_SETTINGS = frozenset({"epochs", "batch_size", "validation_split"})


def search(
    strategy: str | Strategy = "random",
    space: Space | str | None = None,
    build_model: Callable[..., keras.Model] | None = None,
    X: Any = None,
    y: Any = None,
    *,
    data: Any = None,
    task: str | None = None,
    n_trials: int | None = None,
    timeout: float | None = None,
    max_epochs_total: int | None = None,
    cv: Any = None,
    scoring: Any = None,
    epochs: int = 100,
    batch_size: int = 32,
    callbacks: Sequence[keras.callbacks.Callback] | None = None,
    early_stopping: bool = True,
    patience: int = 10,
    min_delta: float = 1e-3,
    min_delta_mode: str = "relative",
    validation_split: float = 0.1,
    steps_per_execution: int = 32,
    n_jobs: int | str = 1,
    backend: str = "processes",
    scheduler: Any = None,
    tf_threads: int | None = None,
    seed: int = 0,
    storage: str | StorageURL | None = None,
    study_name: str | None = None,
    progress: bool = True,
    refit: bool | str = True,
    refit_models: int | None = None,
    refit_early_stopping: bool | str = "auto",
    refit_floor: bool = True,
    refit_guard: bool = True,
    pruner: str | optuna.pruners.BasePruner | None = None,
    trial_timeout: float | None = None,
    heartbeat_grace: float = HEARTBEAT_GRACE_SECONDS,
    hypermodel: Any = None,
    validation_data: Any = None,
    objective: str | None = None,
    direction: str | None = None,
    fit_kwargs: Mapping[str, Any] | None = None,
    sample_weight: Any = None,
    keep_models: int = 0,
) -> SearchResult:
    """Search the hyperparameters of a Keras model with one strategy.

    ``build_model`` receives every ``space`` parameter as a keyword argument, plus scikeras's
    ``meta`` (``n_features_in_``, ``n_classes_``...) when it accepts ``meta``. Training
    settings (``epochs``, ``batch_size``, early stopping, ``callbacks``) are shared by all
    trials. Early stopping watches the loss on the last ``validation_split`` of each
    training set and stops after ``patience`` epochs that did not improve the best loss by
    ``min_delta`` times it (``min_delta_mode="absolute"``: by ``min_delta``), keeping the
    best epoch's weights; the defaults were chosen on validation scores (docs: "The
    evaluation protocol"). ``cv`` is an int (k-fold; stratified for classification), a
    float in (0, 1) (one holdout of that fraction), a tuple ``(X_valid, y_valid)`` (a fixed
    validation set; ``refit="all"`` then uses train + valid) or a scikit-learn splitter.
    ``scoring`` follows scikit-learn (greater is better): default ``neg_mean_squared_error``
    or ``accuracy``.

    Parallel trials: ``n_jobs=k`` runs k trials at once in reused worker processes of our
    own (``-1``: all cores, ``-2``: all but one; clamped to the cores), each with
    TensorFlow capped at ``tf_threads`` threads (default: cores // k); a worker is given
    the next trial as soon as it is free. ``backend="dask"`` runs them on a Dask cluster:
    ``scheduler`` is a ``distributed.Client``, a scheduler address, or ``None`` for a local
    cluster on 127.0.0.1; the data is scattered to the workers once, and ``tf_threads``
    defaults to each host's cores divided by the Dask threads its workers run. The calling
    process keeps TensorFlow's own threads (the refit runs there). ``data`` is any object
    with ``X_train`` and ``y_train`` (and optionally ``task``), such as a
    ``benchmarks.datasets.Dataset``.

    Budget: ``n_trials``, ``timeout`` seconds and/or ``max_epochs_total`` (epochs trained
    over all trials and folds, the cost unit of multi-fidelity search), whichever ends
    first; at least one trial runs, and running trials finish. ``n_trials=None``: 30, or
    for ``"hyperband"`` / ``"asha"`` one round of Hyperband's brackets for ``epochs``
    (each rung run is a trial; their budget is best given as ``max_epochs_total``).

    ``"hyperband"`` and ``"asha"`` give candidates few epochs first and more to the best,
    up to ``epochs``; a promotion continues its trained model (weights and optimizer
    state). Options go through the strategy object: ``HyperbandStrategy(eta=3,
    sampler="tpe")`` draws new candidates with TPE (BOHB's idea).

    ``refit`` says what ``best_estimator_`` is: ``True`` / ``"all"`` (default) retrains the
    best candidate on all the data (with ``cv=(X_valid, y_valid)``: train + valid);
    ``"trial"`` keeps the best trial's own trained models, no retraining (the holdout
    model, or under k-fold the ensemble of its fold models: mean prediction / mean class
    probabilities); ``False`` keeps none. ``refit_models=k``: ``"all"`` retrains k models,
    seeded ``seed``, ``seed + 100``..., and averages them (mean prediction / mean class
    probabilities). ``None`` (default): two for ``"all"``, chosen on validation scores (the
    mean of two retrainings beat both one retraining and the fold ensemble; docs: "The
    evaluation protocol"); ``refit_models=1`` is scikit-learn's single refit.
    ``refit_early_stopping="auto"`` (default): those retrainings train on every row for all
    the ``epochs``, without early stopping, when it stopped none of the best trial's folds
    (they each trained every epoch: the rows it holds out stopped nothing), else with it;
    ``True``: always with it, ``False``: never (chosen on validation scores, as above).
    ``refit_floor=True`` (default): where they keep early stopping, it watches no epoch
    before the earliest at which a fold of the best trial peaked (a noisy curve cannot
    stop a retraining long before the folds' peaks). ``refit_guard=True`` (default)
    checks them too: one that scores below the best trial's worst fold on the rows its
    stopper held back is replaced by the next seed's, up to twice ``refit_models``
    retrainings; ``False`` keeps them all (both chosen on validation scores, as above).

    ``pruner`` (with ``strategy="tpe"``): ``"median"``, ``"hyperband"`` or any
    ``optuna.pruners.BasePruner`` stops unpromising trials after an epoch of their first
    fold; they are recorded ``pruned`` and never chosen as the best.

    Faults: ``trial_timeout`` seconds (default none) bound each trial: one past it is
    stopped by killing its worker process, recorded ``failed`` with the reason, and the
    search goes on (with ``n_jobs=1`` the trials then run one at a time in a worker
    process, which can be killed; on Dask the trial is cancelled and its worker restarted).
    A worker that sends no heartbeat for ``heartbeat_grace`` seconds (stopped, frozen) is
    killed likewise.

    Keras habits (docs: "Keras workloads"): ``hypermodel=build`` instead of ``space`` and
    ``build_model``, where ``build(hp)`` is written for KerasTuner (``hp.Int``,
    ``hp.Float``, ``hp.Choice``, ``hp.Boolean``, ``hp.Fixed``, ``hp.conditional_scope``; or a
    ``keras_tuner.HyperModel``) or ``build(trial)`` for Optuna (``trial.suggest_int``,
    ``suggest_float``, ``suggest_categorical``): the space is discovered by running it
    (``spaces.define_by_run``). ``validation_data=(X_valid, y_valid)`` is ``cv=(X_valid,
    y_valid)``. ``objective="val_auc"`` optimises a metric the compiled model logs on
    validation (``val_loss`` included), ``direction`` ``"min"`` / ``"max"`` (default:
    losses and errors minimised, the rest maximised); ``best_score_`` keeps greater is
    better (a minimised objective negated). ``fit_kwargs`` go to every ``fit`` (refit
    included; ``class_weight`` by class label); ``sample_weight`` (one per row of ``X``) is
    cut with the folds. ``keep_models=k`` keeps the k best trials' trained models
    (``result.top_models(k)``). ``n_jobs="gpus"``: one worker per GPU; with GPUs every
    worker process is given its own (``CUDA_VISIBLE_DEVICES``, round-robin, memory growth
    on).

    Examples:
        >>> import numpy as np
        >>> from search import search
        >>> from search.testing import TINY_SPACE, tiny_regressor
        >>> X = np.random.default_rng(0).normal(size=(40, 3)).astype("float32"); y = X.sum(1)
        >>> result = search("tpe", TINY_SPACE, tiny_regressor, X, y, n_trials=2, cv=2,
        ...                 epochs=1, progress=False)
        >>> len(result.trials_), sorted(result.best_params_)
        (2, ['learning_rate', 'units'])
    """
    if data is not None:
        if not (hasattr(data, "X_train") and hasattr(data, "y_train")):
            raise TypeError(
                f"data must have X_train and y_train (e.g. a benchmarks.datasets.Dataset), "
                f"got {type(data).__name__}."
            )
        if X is not None or y is not None:
            raise ValueError("give either data=... or X and y, not both.")
        X, y = data.X_train, data.y_train
        task = task or getattr(data, "task", None)
    streamed = is_stream(X) or is_multi_input(X, y)
    if streamed:
        X, y = _check_stream(X, y, validation_data, cv, build_model, hypermodel, scoring), None
        task = _check_stream_task(task)
        validation_data = cv = None  # in X now
        if sample_weight is not None:
            raise ValueError(
                "with streamed data the weights come in the batches, (x, y, sample_weight); "
                "drop sample_weight= (a multi-input X: not weighted yet)."
            )
        if objective is None:
            objective = "val_loss"
        if refit is True:
            refit = "trial"  # a stream has no "all the rows" to retrain on
    else:
        X, y = _check_xy(X, y)
        task = _check_task(task, y)
    strategy_obj = _with_pruner(make_strategy(strategy), strategy, pruner)
    build: Callable[..., Any]
    if hypermodel is not None:
        if space is not None or build_model is not None:
            raise ValueError(
                "hypermodel=build defines the space and builds the model; give it alone, "
                "without space= and build_model= (or those two without hypermodel=)."
            )
        space_obj, build = discover(hypermodel, seed=seed)
    else:
        space_obj = _check_space(space, task or "regression")
        build = build_model if build_model is not None else _DEFAULT_BUILD[task or "regression"]
    _check_build_model(build, space_obj)
    cv = _check_validation_data(validation_data, cv)
    scoring = _check_objective(objective, direction, scoring)
    check_budget(30 if n_trials is None else n_trials, timeout)
    if max_epochs_total is not None:
        check_int("max_epochs_total", max_epochs_total, 1)
    check_int("seed", seed, 0)
    check_refit_early_stopping(refit_early_stopping)
    check_flag("refit_floor", refit_floor, REFIT_FLOOR)
    check_refit_guard(refit_guard, None)
    if refit_models is None:
        refit_models = DEFAULT_REFIT_MODELS if check_refit(refit) == "all" else 1
    if backend not in BACKENDS:
        raise ValueError(f"backend must be 'processes' or 'dask', got {backend!r}.")
    workers = 1 if backend == "dask" else resolve_n_jobs(n_jobs)
    fit_params = _check_fit_kwargs(fit_kwargs, task)
    if streamed:
        # Keras's own class_weight (keys: the class indices the model is trained on).
        splitter, class_weight = None, None
    else:
        n_rows = len(X)
        assert task is not None  # inferred from y for arrays
        X, y, splitter = _check_cv(cv, X, y, task, seed)
        class_weight = fit_params.pop("class_weight", None)  # by label, through scikeras
    if sample_weight is not None:
        fit_params["sample_weight"] = _check_sample_weight(sample_weight, n_rows, len(X))
    check_int("keep_models", keep_models, 0)
    if backend != "dask" and scheduler is not None:
        raise ValueError("scheduler is only used with backend='dask'; set backend='dask'.")
    if tf_threads is not None and backend != "dask" and workers == 1:
        raise ValueError(
            f"tf_threads={tf_threads!r} caps TensorFlow in worker processes, and n_jobs=1 runs "
            "every trial in this process; use n_jobs > 1 or backend='dask', or cap this "
            "process with tf.config.threading.set_intra_op_parallelism_threads(...)."
        )
    training: dict[str, Any] = {
        "epochs": epochs,
        "batch_size": batch_size,
        "validation_split": validation_split,
    }
    starting = space_obj.defaults()
    # A space may vary a training setting itself (e.g. batch_size); it starts at the
    # space's default and each trial sets it like any other parameter.
    training.update({k: starting.pop(k) for k in list(starting) if k in _FIT_SETTINGS})
    estimator = make_estimator(
        build,
        task or "regression",  # type: ignore[arg-type]  # a stream's trials bypass scikeras
        early_stopping=early_stopping,
        patience=patience,
        min_delta=min_delta,
        min_delta_mode=min_delta_mode,  # type: ignore[arg-type]  # make_estimator checks it
        callbacks=callbacks,
        steps_per_execution=steps_per_execution,
        seed=seed,
        tf_threads=tf_threads,
        **training,
        **starting,
    )
    if class_weight is not None:
        estimator.set_params(class_weight=class_weight)
    searcher = SpaceSearchCV(
        estimator,
        space_obj,
        strategy=strategy_obj,
        n_trials=n_trials,
        timeout=timeout,
        max_epochs_total=max_epochs_total,
        scoring=scoring if scoring is not None else DEFAULT_SCORING[task or "regression"],
        n_jobs=n_jobs if backend == "dask" else workers,
        refit=refit,
        refit_models=refit_models,
        refit_early_stopping=refit_early_stopping,
        refit_floor=refit_floor,
        refit_guard=refit_guard,
        cv=splitter,
        seed=seed,
        storage=None if storage is None else StorageURL(storage),
        study_name=study_name,
        progress=progress,
        backend=backend,
        scheduler=scheduler,
        trial_timeout=trial_timeout,
        heartbeat_grace=heartbeat_grace,
        keep_models=keep_models,
    )
    searcher.fit(X, y, **fit_params)
    settings = {
        "strategy": searcher.strategy_.name,
        "strategy_config": searcher.strategy_.get_config(),
        "task": task,
        "n_trials": searcher.n_trials_,
        "timeout": timeout,
        "max_epochs_total": max_epochs_total,
        "cv": "validation_data (streamed)" if streamed else repr(splitter),
        "data": X.describe() if streamed else f"arrays {X.shape}",
        "scoring": searcher.scoring,
        "objective": None if objective is None else repr(scoring),
        "fit_kwargs": {**dict(fit_kwargs or {})},
        "sample_weight": sample_weight is not None,
        "keep_models": keep_models,
        "epochs": epochs,
        "batch_size": batch_size,
        "early_stopping": early_stopping,
        "patience": patience,
        "min_delta": min_delta,
        "min_delta_mode": min_delta_mode,
        "validation_split": validation_split,
        "steps_per_execution": steps_per_execution,
        "n_jobs": n_jobs,
        "backend": backend,
        "tf_threads": searcher.tf_threads_,
        "trial_timeout": trial_timeout,
        "heartbeat_grace": heartbeat_grace,
        "seed": seed,
        "refit": check_refit(refit) or False,
        "refit_models": refit_models,
        "refit_early_stopping": refit_early_stopping,
        "refit_every_row": searcher.refit_every_row_,
        "refit_floor": refit_floor,
        "refit_floor_epoch": searcher.refit_floor_epoch_,
        "refit_guard": refit_guard,
        "refit_held_back": searcher.refit_held_back_,
        "refit_kept": searcher.refit_kept_,
        "build_model": getattr(build, "__qualname__", repr(build)),
        "hypermodel": None if hypermodel is None else repr(build),
        "space": repr(space_obj),
        "ledger": None
        if searcher.ledger_ is None
        else f"{searcher.ledger_.storage_url} / {searcher.ledger_.study_name}",
    }
    return SearchResult(searcher, task=task or "unknown", settings=settings)


def _with_pruner(made: Strategy, asked: str | Strategy, pruner: Any) -> Strategy:
    if pruner is None:
        return made
    if not isinstance(made, TPEStrategy):
        raise ValueError(
            f"pruner={pruner!r} works with strategy='tpe'; {made.name!r} does not stop trials "
            "per epoch. Drop pruner, or use strategy='tpe'."
        )
    if isinstance(asked, Strategy):
        raise ValueError(
            "give the pruner to the strategy object (TPEStrategy(pruner=...)), not to search()."
        )
    return TPEStrategy(pruner=pruner)


# fit() arguments that search() sets itself, and where to give them instead.
_OWN_FIT_ARGS = {
    "x": "X=",
    "y": "y=",
    "epochs": "search(epochs=...)",
    "batch_size": "search(batch_size=...)",
    "callbacks": "search(callbacks=[...])",
    "validation_split": "search(validation_split=...)",
    "validation_data": "search(validation_data=(X_valid, y_valid))",
    "sample_weight": "search(sample_weight=...), which is cut with the folds",
    "initial_epoch": "nothing (multi-fidelity strategies set it)",
    "verbose": "nothing (trials train silently; progress=True shows the search)",
}


def _check_stream(
    X: Any,
    y: Any,
    validation_data: Any,
    cv: Any,
    build_model: Any,
    hypermodel: Any,
    scoring: Any,
) -> StreamData:
    """Streamed ``X``: what it needs, refused before any training when it is missing."""
    if build_model is None and hypermodel is None:
        raise ValueError(
            "streamed data needs your model: give build_model= and space=, or hypermodel= "
            "(the default models are sized from arrays)."
        )
    if scoring is not None:
        raise ValueError(
            f"scoring={scoring!r} scores predictions on arrays; streamed data is scored by a "
            "metric Keras logs on the validation set: objective='val_loss' (the default), "
            "'val_accuracy', 'val_auc'..."
        )
    return stream_data(X, y, validation_data, cv)


def _check_stream_task(task: str | None) -> str | None:
    if task is not None and task not in DEFAULT_SCORING:
        raise ValueError(f"task must be 'regression', 'classification' or None, got {task!r}.")
    return task


def _check_validation_data(validation_data: Any, cv: Any) -> Any:
    """``validation_data=(X_valid, y_valid)``: Keras's name for ``cv=(X_valid, y_valid)``."""
    if validation_data is None:
        return cv
    if cv is not None:
        raise ValueError(
            f"give validation_data= or cv=, not both (got cv={cv!r}); validation_data="
            "(X_valid, y_valid) is the same as cv=(X_valid, y_valid)."
        )
    if not isinstance(validation_data, tuple) or len(validation_data) != 2:
        kind = type(validation_data).__name__
        raise TypeError(
            f"validation_data must be a tuple (X_valid, y_valid) of arrays, got {kind}; "
            "streamed inputs (tf.data, PyDataset, generators) are not supported yet: pass "
            "arrays."
        )
    return validation_data


def _check_objective(objective: str | None, direction: str | None, scoring: Any) -> Any:
    if objective is None:
        if direction is not None:
            raise ValueError(
                f"direction={direction!r} is the direction of an objective=...; give "
                "objective= too (e.g. objective='val_auc'), or drop direction."
            )
        return scoring
    if scoring is not None:
        raise ValueError(
            f"give objective= (a Keras metric, got {objective!r}) or scoring= (scikit-learn, "
            f"got {scoring!r}), not both."
        )
    return KerasObjective(objective, direction)


def _check_fit_kwargs(fit_kwargs: Mapping[str, Any] | None, task: str | None) -> dict[str, Any]:
    if fit_kwargs is None:
        return {}
    if not isinstance(fit_kwargs, Mapping):
        raise TypeError(
            f"fit_kwargs must be a dict of keras.Model.fit arguments (e.g. "
            f"{{'class_weight': {{0: 1.0, 1: 5.0}}}}), got {type(fit_kwargs).__name__}."
        )
    for key in fit_kwargs:
        if key in _OWN_FIT_ARGS:
            raise ValueError(
                f"fit_kwargs[{key!r}] is set by the search for every trial; give it as "
                f"{_OWN_FIT_ARGS[key]} instead."
            )
    weights = fit_kwargs.get("class_weight")
    if weights is not None:
        if task == "regression":
            raise ValueError(
                "fit_kwargs['class_weight'] weighs classes, and this task is regression; use "
                "sample_weight= to weigh rows."
            )
        if not (isinstance(weights, Mapping) or weights == "balanced"):
            raise TypeError(
                f"fit_kwargs['class_weight'] must be a dict {{class label: weight}} or "
                f"'balanced', got {weights!r}."
            )
    return dict(fit_kwargs)


def _check_sample_weight(sample_weight: Any, n_rows: int, n_all: int) -> np.ndarray:
    """One weight per training row; rows that ``cv=(X_valid, y_valid)`` appended weigh 1."""
    try:
        weights = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"sample_weight must be numbers, one per row of X, got {type(sample_weight).__name__}."
        ) from None
    if weights.shape != (n_rows,):
        raise ValueError(
            f"sample_weight must hold one weight per row of X ({n_rows}), got shape "
            f"{weights.shape}."
        )
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise ValueError("sample_weight must be finite and >= 0; fix the negative or NaN weights.")
    return np.r_[weights, np.ones(n_all - n_rows)]


def _check_xy(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    if X is None or y is None:
        raise ValueError("X and y are required (or data=Dataset); got None.")
    try:
        X_arr = np.asarray(X)
        y_arr = np.asarray(y)
    except Exception as exc:
        raise TypeError(f"X and y must be array-like: {exc}") from None
    if X_arr.ndim < 2:
        raise ValueError(f"X must be 2-D or more (samples x features), got shape {X_arr.shape}.")
    if y_arr.ndim != 1:
        raise ValueError(f"y must be 1-D (one target per sample), got shape {y_arr.shape}.")
    if len(X_arr) != len(y_arr):
        raise ValueError(
            f"X and y must have the same number of samples, got {len(X_arr)} and {len(y_arr)}."
        )
    if len(X_arr) == 0 or X_arr[0].size == 0:
        raise ValueError(
            f"X must hold at least one sample and one feature, got shape {X_arr.shape}."
        )
    if not np.issubdtype(X_arr.dtype, np.number):
        raise TypeError(f"X must be numeric, got dtype {X_arr.dtype}.")
    # Trials train on float32: larger values would become infinite there.
    limit = float(np.finfo(np.float32).max)
    if np.isfinite(X_arr).all() and np.abs(X_arr).max() > limit:
        raise ValueError(
            f"X holds values beyond float32's range (|x| > {limit:.3g}), which become "
            "infinite when converted for training; rescale X (e.g. StandardScaler)."
        )
    if not np.isfinite(X_arr).all():
        bad = int((~np.isfinite(X_arr)).any(axis=tuple(range(1, X_arr.ndim))).sum())
        raise ValueError(
            f"X contains NaN or infinite values in {bad} samples; clean or impute them."
        )
    if np.issubdtype(y_arr.dtype, np.number) and not np.isfinite(y_arr).all():
        raise ValueError("y contains NaN or infinite values; drop those samples.")
    # One contiguous float32 copy per search; trials slice it and never convert again.
    return np.ascontiguousarray(X_arr, dtype=np.float32), y_arr


def _check_task(task: str | None, y: np.ndarray) -> str:
    if task is None:
        kind = type_of_target(y)
        if kind == "continuous":
            return "regression"
        if kind in ("binary", "multiclass"):
            return "classification"
        raise ValueError(
            f"cannot infer task from y (type {kind!r}); pass task='regression' or "
            "task='classification'."
        )
    if task not in DEFAULT_SCORING:
        raise ValueError(f"task must be 'regression', 'classification' or None, got {task!r}.")
    if task == "regression" and not np.issubdtype(y.dtype, np.number):
        raise ValueError(
            f"task='regression' needs a numeric y, got dtype {y.dtype} (e.g. {y[0]!r}); "
            "convert the target to numbers, or use task='classification' for labels."
        )
    return task


def _check_space(space: Space | str | None, task: str) -> Space:
    if space is None:
        return _DEFAULT_SPACE[task]()
    if isinstance(space, str):
        return get_preset(space)
    if not isinstance(space, Space):
        raise TypeError(
            f"space must be a spaces.Space or a preset name, got {type(space).__name__}; "
            "build one with Space(name=Int(...), ...)."
        )
    if len(space) == 0:
        raise ValueError("space must name at least one parameter; got an empty Space.")
    return space


def _check_build_model(build: Callable[..., Any], space: Space) -> None:
    if not callable(build):
        raise TypeError(f"build_model must be a function returning a Keras model, got {build!r}.")
    try:
        sig = inspect.signature(build)
    except (TypeError, ValueError):
        return
    if any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values()):
        return
    missing = [name for name in space if name not in sig.parameters and name not in _FIT_SETTINGS]
    if missing:
        raise ValueError(
            f"build_model {getattr(build, '__name__', build)!r} does not accept the space "
            f"parameters {missing}; add them as keyword arguments or remove them from the space."
        )


def _check_cv(
    cv: Any, X: np.ndarray, y: np.ndarray, task: str, seed: int
) -> tuple[np.ndarray, np.ndarray, Any]:
    classify = task == "classification"
    n = len(X)
    if cv is None:
        cv = 3
    if isinstance(cv, bool):
        raise TypeError("cv must be an int, a float, (X_valid, y_valid) or a splitter, got a bool.")
    if isinstance(cv, numbers.Integral):
        cv = int(cv)
        if cv < 2:
            raise ValueError(f"cv must be >= 2 folds, got {cv}; use a float for a single holdout.")
        smallest = int(np.bincount(np.unique(y, return_inverse=True)[1]).min()) if classify else n
        if cv > smallest:
            what = "the smallest class" if classify else "the data"
            raise ValueError(
                f"cv={cv} folds is more than {what} has samples ({smallest}); use fewer folds."
            )
        cls = StratifiedKFold if classify else KFold
        return X, y, cls(n_splits=int(cv), shuffle=True, random_state=seed)
    if isinstance(cv, numbers.Real):
        cv = float(cv)
        if not 0 < cv < 1 or math.isnan(cv):
            raise ValueError(f"a float cv is the holdout fraction and must be in (0, 1), got {cv}.")
        if round(cv * n) < 1 or round((1 - cv) * n) < 2:
            raise ValueError(f"cv={cv} leaves no samples to train or validate on ({n} samples).")
        split_cls = StratifiedShuffleSplit if classify else ShuffleSplit
        return X, y, split_cls(n_splits=1, test_size=float(cv), random_state=seed)
    if isinstance(cv, tuple):
        if len(cv) != 2:
            raise ValueError("cv as validation data must be a tuple (X_valid, y_valid).")
        X_valid, y_valid = _check_xy(*cv)
        if X_valid.shape[1:] != X.shape[1:]:
            raise ValueError(
                f"cv: X_valid has sample shape {X_valid.shape[1:]}, X has {X.shape[1:]}."
            )
        fold = np.r_[np.full(n, -1), np.zeros(len(X_valid), dtype=int)]
        X_all = np.ascontiguousarray(np.concatenate([X, X_valid]), dtype=np.float32)
        return X_all, np.concatenate([y, y_valid]), PredefinedSplit(fold)
    if isinstance(cv, (BaseCrossValidator, BaseShuffleSplit)) or (
        hasattr(cv, "split") and not isinstance(cv, str)
    ):
        return X, y, cv
    raise TypeError(
        f"cv must be an int (folds), a float (holdout fraction), (X_valid, y_valid) or a "
        f"scikit-learn splitter, got {cv!r}."
    )
