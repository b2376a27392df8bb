"""scikeras estimators with what a search needs and scikeras 0.13 lacks.

- The right estimator type for scikit-learn >= 1.6 (``__sklearn_tags__``), so that
  ``is_classifier`` is true and ``cv=3`` stratifies.
- Callbacks that really run: scikeras drops callbacks passed to ``fit(...)`` and uses only
  the constructor's, so the factory puts them there.
- One seed per fit, a fresh Keras session per fit (flat memory over hundreds of trials),
  ``steps_per_execution`` set after the build (the build function stays the user's), and a
  clear error when training diverges (NaN or infinite loss) instead of a NaN score.
- Less tracing per fit, the same numbers: the training step traced once instead of twice
  (``_build_training_state``), ``validation_split`` evaluated by calling the model's
  ``test_step`` directly (``_EagerValidation``), and ``share_model_with`` for a trial's
  folds (one model, reset to its starting state, instead of one per fold).
"""

from __future__ import annotations

import contextlib
import copy
import functools
import gc
import importlib.util
import inspect
import logging
import math
import os
import random
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Literal

import keras
import numpy as np
from scikeras.wrappers import BaseWrapper, KerasClassifier, KerasRegressor
from sklearn.base import clone
from sklearn.utils import ClassifierTags, RegressorTags, Tags

from models._state import load_state, model_state

__all__ = [
    "SCIKERAS_PARAMS",
    "HPKerasClassifier",
    "HPKerasRegressor",
    "RelativeEarlyStopping",
    "TrainingDivergedError",
    "check_losses",
    "checked_model",
    "has_early_stopping",
    "make_estimator",
    "search_process",
    "trial_session",
    "without_early_stopping",
]

# Names scikeras keeps for itself (optimizer, loss, batch_size, epochs, ...). scikeras never
# passes them to the build function, so a hyperparameter with such a name would silently not
# reach the model; ``model_params`` routes them (see ``_SearchTrialMixin``).
SCIKERAS_PARAMS = frozenset(inspect.signature(BaseWrapper.__init__).parameters) - {"self", "kwargs"}

Task = Literal["regression", "classification"]


# Every trial builds a fresh model after clear_session(), so TensorFlow traces new functions
# each time by design; its "triggered tf.function retracing" warnings say nothing useful here.
logging.getLogger("tensorflow").setLevel(logging.ERROR)


_imports_frozen = False


def _freeze_imports_once() -> None:
    """Move the objects alive now (TensorFlow's ~350k, after its import) out of the GC's view.

    ``clear_session`` runs ``gc.collect()``; measured here it costs ~0.16 s per fit over
    TensorFlow's import-time objects and ~3 ms once they are frozen. Objects made later are
    collected as usual, so trial memory stays flat.
    """
    global _imports_frozen
    if not _imports_frozen:
        gc.collect()
        gc.freeze()
        _imports_frozen = True


class TrainingDivergedError(RuntimeError):
    """Training produced a NaN or infinite loss (typically: learning rate too large)."""


@contextmanager
def _seeded(seed: int | None) -> Iterator[None]:
    """Seed Keras/TensorFlow for one fit and leave Python's and numpy's global state as found."""
    if seed is None:
        yield
        return
    py_state, np_state = random.getstate(), np.random.get_state()
    keras.utils.set_random_seed(int(seed))
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)


# Processes inside ``search_process()``: they run a search loop (and its refit) for a user
# whose session goes on afterwards, so they keep TensorFlow's own thread pools.
_search_pids: list[int] = []


@contextmanager
def search_process() -> Iterator[None]:
    """Mark this process as the one running a search: ``tf_threads`` caps do not apply here.

    ``tf_threads`` is for the worker processes that run parallel trials. TensorFlow fixes
    its thread pools once per process, so a cap applied in the user's own process (by the
    refit, say) would stay for the rest of their session.

    Examples:
        >>> with search_process():
        ...     pass  # fits here keep TensorFlow's default threads
    """
    _search_pids.append(os.getpid())
    try:
        yield
    finally:
        _search_pids.pop()


def _set_tf_threads(threads: int | None) -> None:
    """Cap TensorFlow's thread pools in this process (a worker running one of k trials).

    TensorFlow fixes its pools when its runtime starts; in a fresh worker process the first
    fit comes before that, so the cap applies. The process running the search loop
    (``search_process``) is left as it is.
    """
    if threads is None or os.getpid() in _search_pids:
        return
    import tensorflow as tf

    if tf.config.threading.get_intra_op_parallelism_threads() == threads:
        return
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(min(2, threads))
    except RuntimeError:
        pass


@contextmanager
def trial_session(seed: int | None, tf_threads: int | None = None) -> Iterator[None]:
    """What every fit of a search starts with: the worker's TensorFlow thread cap, a fresh
    Keras session (flat memory over hundreds of trials) and Keras seeded with ``seed``
    (Python's and numpy's global state left as found).

    Examples:
        >>> with trial_session(seed=0):
        ...     pass  # build and fit one model here
    """
    _set_tf_threads(tf_threads)
    _freeze_imports_once()
    keras.backend.clear_session(free_memory=True)
    with _seeded(seed):
        yield


class _SearchTrialMixin:
    """Behaviour shared by our regressor and classifier (see the module docstring).

    Extra parameters: ``seed`` (seeds every fit), ``steps_per_execution``,
    ``clear_session`` (a fresh Keras session before each fit) and ``tf_threads`` (cap on
    TensorFlow's threads in a worker process that fits, so parallel trials do not
    oversubscribe the cores; not applied inside ``search_process()``).
    """

    _estimator_type_name: str = ""
    history_: dict[str, list[float]]

    def __init__(
        self,
        model: Any = None,
        *,
        seed: int | None = None,
        steps_per_execution: int = 1,
        clear_session: bool = True,
        tf_threads: int | None = None,
        model_params: tuple[str, ...] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(model=model, **kwargs)  # type: ignore[call-arg]
        self.seed = seed
        self.steps_per_execution = steps_per_execution
        self.clear_session = clear_session
        self.tf_threads = tf_threads
        self.model_params = model_params

    def share_model_with(self, previous: Any | None) -> None:
        """At the next ``fit``, record the model's starting state; and when ``previous``
        (fitted after its own ``share_model_with``) has the same parameters and data shape,
        train its model reset to that state instead of building a new one. A trial calls
        it for each fold.

        A new model costs a traced training function (a new graph) at its first epoch; the
        reset model keeps its own. The reset is exact: the weights it was built with and
        its optimizer's starting state, which is what the seeded build would give again.
        """
        self._share: tuple[Any, Any] = (None, None)
        start = getattr(previous, "_start_state", None)
        if previous is not None and start is not None and _same_settings(self, previous):
            self._share = (previous.model_, start)

    def _build_keras_model(self) -> keras.Model:
        model = self._shared_or_new_model()
        _encode_for_loss(self, model)
        return model

    def _shared_or_new_model(self) -> keras.Model:
        share = self.__dict__.pop("_share", None)
        if share is None:
            return self._new_keras_model()
        model, start = share
        meta = _meta_key(self._get_metadata())  # type: ignore[attr-defined]
        if model is not None and start[0] == meta:
            load_state(model, start[1], start[2])
            self._start_state = start
            return model
        model = self._new_keras_model()
        self._start_state = _start_state(model, meta)
        return model

    def _new_keras_model(self) -> keras.Model:
        build: Any = getattr(self, "model")  # noqa: B009 - scikeras leaves it untyped
        # Hyperparameters named like a scikeras parameter (``optimizer``...) are scikeras's
        # attributes; hand them to the build function too when it takes them.
        shadowed = {
            name: getattr(self, name)
            for name in self.model_params
            if name in SCIKERAS_PARAMS and callable(build) and _accepts(build, name)
        }
        if shadowed:
            self.model = functools.partial(build, **shadowed)
        try:
            model = super()._build_keras_model()  # type: ignore[misc]
        finally:
            self.model = build
        checked_model(
            model,
            build,
            getattr(self, "steps_per_execution", 1),
            compiled_elsewhere=getattr(self, "loss", None) is not None,
        )
        shape = getattr(self, "X_shape_", None)
        if not model.built and shape is not None:
            # A Sequential begun without keras.Input (KerasTuner's and Optuna's examples)
            # has no outputs until it sees data, and scikeras reads them before training.
            with contextlib.suppress(Exception):
                model.build((None, *tuple(shape)[1:]))
        return model

    def _fit_keras_model(
        self,
        X: Any,
        y: Any,
        sample_weight: Any,
        warm_start: bool,
        epochs: int,
        initial_epoch: int,
        **kwargs: Any,
    ) -> None:
        _build_training_state(self.model_, X, y)  # type: ignore[attr-defined]
        split = _eager_split(self, X, y, sample_weight, kwargs)
        if split is None:
            super()._fit_keras_model(  # type: ignore[misc]
                X, y, sample_weight, warm_start, epochs, initial_epoch, **kwargs
            )
            return
        (X, y, sample_weight), held_back = split
        # scikeras hands Keras ``self._fit_callbacks`` (built from ``callbacks``) as they are.
        callbacks: list[Any] = getattr(self, "_fit_callbacks")  # noqa: B009
        self._fit_callbacks = [_EagerValidation(*held_back), *callbacks]
        try:
            super()._fit_keras_model(  # type: ignore[misc]
                X,
                y,
                sample_weight,
                warm_start,
                epochs,
                initial_epoch,
                **{**kwargs, "validation_split": 0.0},
            )
        finally:
            self._fit_callbacks = callbacks

    def fit(self, X: Any, y: Any, sample_weight: Any = None, **kwargs: Any) -> Any:
        if sample_weight is not None:
            # scikeras multiplies class weights into it in place: never the caller's array.
            sample_weight = np.array(sample_weight, dtype=np.float64)
        if self.clear_session:
            session = trial_session(self.seed, self.tf_threads)
        else:
            _set_tf_threads(self.tf_threads)
            session = _seeded(self.seed)
        with session:
            result = super().fit(X, y, sample_weight=sample_weight, **kwargs)  # type: ignore[misc]
        check_losses(self.history_.get("loss", []))
        return result

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()  # type: ignore[misc]
        tags.estimator_type = self._estimator_type_name
        if self._estimator_type_name == "classifier":
            tags.classifier_tags = ClassifierTags()
        else:
            tags.regressor_tags = RegressorTags()
        return tags


_CATEGORICAL_LOSSES = ("categorical_crossentropy", "cce", "CategoricalCrossentropy")


def _encode_for_loss(wrapper: Any, model: keras.Model) -> None:
    """One-hot targets for a classifier whose build function compiled
    ``categorical_crossentropy`` (as KerasTuner's and Optuna's examples do).

    scikeras chooses its target encoding from the wrapper's own ``loss`` (None when the
    build function compiles the model), so it would feed that loss class indices; its
    encoder is refitted here on the known classes with the model's loss, before scikeras
    encodes the targets.
    """
    if getattr(wrapper, "_estimator_type_name", "") != "classifier":
        return
    if getattr(wrapper, "loss", None) is not None or getattr(wrapper, "classes_", None) is None:
        return
    loss = getattr(model, "loss", None)
    name = loss if isinstance(loss, str) else getattr(loss, "__name__", type(loss).__name__)
    if name not in _CATEGORICAL_LOSSES:
        return
    from scikeras.utils.transformers import ClassifierLabelEncoder

    classes = wrapper.classes_
    wrapper.target_encoder_ = ClassifierLabelEncoder(loss=loss, categories=[classes]).fit(classes)


def checked_model(
    model: Any, build: Any, steps_per_execution: int | None, *, compiled_elsewhere: bool = False
) -> keras.Model:
    """What ``build_model`` returned, checked (a compiled ``keras.Model``, unless
    ``compiled_elsewhere``) and set to run ``steps_per_execution`` batches per call.

    Examples:
        >>> net = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> net.compile(loss="mse")
        >>> checked_model(net, "build", 8).steps_per_execution
        8
    """
    name = getattr(build, "__qualname__", repr(build))
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"build_model {name} returned {type(model).__name__}, not a keras.Model; it "
            "must build, compile and return the model (return model)."
        )
    if not model.compiled and not compiled_elsewhere:
        raise ValueError(
            f"build_model {name} returned a model that is not compiled; call "
            "model.compile(loss=..., optimizer=...) before returning it."
        )
    if steps_per_execution and steps_per_execution != 1 and model.compiled:
        # Runs several batches per call into TensorFlow: the same maths, far less
        # per-step overhead for small models on CPU.
        model.steps_per_execution = int(steps_per_execution)
    return model


def check_losses(losses: Any, first_epoch: int = 1) -> None:
    """Raise ``TrainingDivergedError`` at the first NaN or infinite training loss.

    Examples:
        >>> check_losses([0.5, 0.4])
    """
    for epoch, value in enumerate(losses, start=first_epoch):
        if not math.isfinite(value):
            raise TrainingDivergedError(
                f"training loss became {value} at epoch {epoch} (diverged; a smaller "
                "learning rate usually helps)"
            )


def _meta_key(meta: dict[str, Any]) -> str:
    """What of scikeras's ``meta`` can shape a model: all of it but the number of rows."""
    items = []
    for key, value in sorted(meta.items()):
        if key == "X_shape_":
            value = tuple(value)[1:]
        elif isinstance(value, np.ndarray):
            value = value.tolist()
        items.append((key, value))
    return repr(items)


def _same_settings(a: Any, b: Any) -> bool:
    """The same hyperparameters and settings (callbacks and other objects aside)."""
    plain = (int, float, str, bool, tuple, type(None))

    def settings(estimator: Any) -> dict[str, Any]:
        params = estimator.get_params(deep=False)
        # A build function may be a partial, which clone copies: compare what it calls.
        return {
            k: repr(v) if callable(v) else v
            for k, v in params.items()
            if isinstance(v, plain) or callable(v)
        }

    return type(a) is type(b) and settings(a) == settings(b)


def _start_state(model: keras.Model, meta: str) -> tuple[str, list[Any], list[Any]] | None:
    """(meta key, weights, optimizer state) of a freshly built model, or None where it
    cannot be reset exactly (not built yet, no optimizer, one that does not build)."""
    if not getattr(model, "built", False) or getattr(model, "optimizer", None) is None:
        return None
    try:
        weights, state = model_state(model, build_optimizer=True)
    except Exception:
        return None
    return meta, weights, state


def _build_training_state(model: keras.Model, X: Any, y: Any) -> None:
    """Create the optimizer's slots and the compiled loss's and metrics' variables now,
    eagerly, on two rows, so that Keras traces the training step once instead of twice.

    Without a distribution strategy Keras 3 builds them inside the first trace of the
    training function; variables created in a trace make ``tf.function`` trace everything
    again. Measured on a Fashion-MNIST MLP (3 x 256, Adam, batch 128): 2 traces and a
    first call of 0.95-1.27 s, against 1 trace and 0.53-0.72 s built first, the same
    losses to the last digit. Skipped where it does not apply (inputs other than arrays,
    a model without a compiled loss); any failure here leaves the building to Keras.
    """
    if not (isinstance(X, np.ndarray) and isinstance(y, np.ndarray)) or len(X) == 0:
        return
    if not getattr(model, "compiled", False) or getattr(model, "optimizer", None) is None:
        return
    x2, y2 = X[:2], y[:2]
    try:
        if not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
        y_pred = model(x2, training=False)
        model.compute_loss(x2, y2, y_pred)
        model.compute_metrics(x2, y2, y_pred, None)
    except Exception:
        # Only a saving: Keras builds what is missing at the first step, as it would have.
        pass
    finally:
        model.reset_metrics()


_VALIDATION_CHUNK = 8192  # rows per eager validation call: bounded memory


def _eager_split(
    wrapper: Any, X: Any, y: Any, sample_weight: Any, kwargs: dict[str, Any]
) -> tuple[tuple[Any, Any, Any], tuple[Any, Any, Any]] | None:
    """(training part, held-back part) exactly as Keras's ``validation_split`` cuts them
    (the last fraction, before any shuffling), or None where Keras should do it itself:
    no split, ``validation_data`` given, or inputs other than plain arrays."""
    fraction = kwargs.get("validation_split", getattr(wrapper, "validation_split", 0.0))
    given = kwargs.get("validation_data", getattr(wrapper, "fit__validation_data", None))
    arrays = isinstance(X, np.ndarray) and isinstance(y, np.ndarray)
    if not fraction or given is not None or not arrays:
        return None
    at = _split_at(len(X), float(fraction))
    if at in (0, len(X)):
        return None  # Keras raises its own error for a split that leaves one side empty
    weights = (None, None) if sample_weight is None else (sample_weight[:at], sample_weight[at:])
    return (X[:at], y[:at], weights[0]), (X[at:], y[at:], weights[1])


def _split_at(n_rows: int, fraction: float) -> int:
    """Where Keras's ``validation_split=fraction`` cuts ``n_rows``: the rows from here on
    are held back."""
    return int(math.floor(n_rows * (1.0 - fraction)))


class _EagerValidation(keras.callbacks.Callback):
    """Keras's end-of-epoch validation (``val_loss`` and every compiled metric, through
    the model's own ``test_step``), run eagerly on the held-back rows.

    Keras's ``validation_split`` runs them through ``evaluate``, which traces a test
    function for every new model; a search builds one per fold. Measured on a
    Fashion-MNIST fold (6,000 images, 10 epochs, one thread): a fit took 1.29-1.41 s with
    Keras's validation and 0.93-1.04 s with none. The values are Keras's: the same rows,
    the same loss and metric objects, weighted by rows as ``evaluate`` weights its batches.
    Runs first among the callbacks, so early stopping and ``History`` see its ``val_*``.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None) -> None:
        super().__init__()
        self.X, self.y, self.sample_weight = X, y, sample_weight

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if logs is None:
            return
        model = self.model
        model.reset_metrics()
        result: dict[str, Any] = {}
        for i in range(0, len(self.X), _VALIDATION_CHUNK):
            part = slice(i, i + _VALIDATION_CHUNK)
            weights = None if self.sample_weight is None else self.sample_weight[part]
            result = model.test_step((self.X[part], self.y[part], weights))
        logs.update({f"val_{name}": float(value) for name, value in result.items()})


class HPKerasRegressor(_SearchTrialMixin, KerasRegressor):
    """``scikeras.wrappers.KerasRegressor`` that reports itself as a regressor.

    Extra parameters: see ``_SearchTrialMixin`` (``seed``, ``steps_per_execution``,
    ``clear_session``, ``tf_threads``).

    Examples:
        >>> from sklearn.base import is_regressor
        >>> from models import regression_mlp
        >>> is_regressor(HPKerasRegressor(regression_mlp))
        True
    """

    _estimator_type_name = "regressor"


class HPKerasClassifier(_SearchTrialMixin, KerasClassifier):
    """``scikeras.wrappers.KerasClassifier`` that reports itself as a classifier.

    Examples:
        >>> from sklearn.base import is_classifier
        >>> from models import classifier_mlp
        >>> is_classifier(HPKerasClassifier(classifier_mlp))
        True
    """

    _estimator_type_name = "classifier"


def _accepts(fn: Callable[..., Any], name: str) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return name in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


class RelativeEarlyStopping(keras.callbacks.EarlyStopping):
    """Keras's ``EarlyStopping`` with ``min_delta`` as a fraction of the best value so far.

    An improvement must beat the best monitored value by ``min_delta * |best|``: the same
    rule at any scale of the loss (an MSE of 0.3 or of 3,000). Measured by
    ``python -m benchmarks.studies.defaults`` (docs: "The evaluation protocol"): with the absolute
    ``min_delta=1e-3`` and ``patience=5`` the course's SGD model stopped while still
    improving and the candidates it chose scored worse in cross-validation.

    Examples:
        >>> stop = RelativeEarlyStopping(patience=2, min_delta=0.01)
        >>> stop._set_monitor_op(); stop.best = 0.5
        >>> bool(stop._is_improvement(0.497, 0.5)), bool(stop._is_improvement(0.49, 0.5))
        (False, True)
    """

    def _is_improvement(self, monitor_value: Any, reference_value: Any) -> Any:
        if reference_value is None:
            return True
        # Keras stores min_delta signed by the monitor's direction (negative for a loss).
        delta = self.min_delta * abs(float(reference_value))
        return self.monitor_op(monitor_value - delta, reference_value)


def has_early_stopping(estimator: Any) -> bool:
    """Whether ``estimator`` stops early: a Keras ``EarlyStopping`` among its callbacks."""
    callbacks = estimator.get_params().get("callbacks") or []
    return any(isinstance(c, keras.callbacks.EarlyStopping) for c in callbacks)


def held_back(estimator: Any, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The rows of ``X, y`` that ``estimator``'s early stopping holds back when it fits
    them (the last ``validation_split``, as Keras cuts them); None when it holds none back.

    Examples:
        >>> from models import make_estimator, regression_mlp
        >>> X, y = np.zeros((50, 2)), np.arange(50.0)
        >>> held_back(make_estimator(regression_mlp, "regression"), X, y)[1]
        array([45., 46., 47., 48., 49.])
    """
    fraction = float(estimator.get_params().get("validation_split") or 0.0)
    if not fraction or not has_early_stopping(estimator):
        return None
    at = _split_at(len(X), fraction)
    return X[at:], y[at:]


def stopping_from(estimator: Any, epoch: int) -> Any:
    """A clone of ``estimator`` whose early stopping watches no epoch before ``epoch``
    (1-based): it can neither stop nor keep weights before it (Keras's
    ``start_from_epoch``).

    Examples:
        >>> from models import make_estimator, regression_mlp
        >>> est = stopping_from(make_estimator(regression_mlp, "regression"), 30)
        >>> [c.start_from_epoch for c in est.callbacks if hasattr(c, "start_from_epoch")]
        [29]
    """
    callbacks = []
    for callback in estimator.get_params().get("callbacks") or []:
        if isinstance(callback, keras.callbacks.EarlyStopping):
            callback = copy.deepcopy(callback)
            callback.start_from_epoch = max(0, epoch - 1)  # Keras counts epochs from 0
        callbacks.append(callback)
    return clone(estimator).set_params(callbacks=callbacks)


def without_early_stopping(estimator: Any) -> Any:
    """A clone of ``estimator`` that trains on every row for all its epochs: no
    ``EarlyStopping`` callback and ``validation_split=0`` (the rows it held out for the
    stopper are trained on).

    Examples:
        >>> from models import make_estimator, regression_mlp
        >>> est = without_early_stopping(make_estimator(regression_mlp, "regression"))
        >>> est.validation_split, has_early_stopping(est)
        (0.0, False)
    """
    callbacks = estimator.get_params().get("callbacks") or []
    kept = [c for c in callbacks if not isinstance(c, keras.callbacks.EarlyStopping)]
    return clone(estimator).set_params(validation_split=0.0, callbacks=kept)


def _check_int(name: str, value: object, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}.")
    return int(value)


def make_estimator(
    build_model: Callable[..., keras.Model],
    task: Task,
    *,
    epochs: int = 100,
    batch_size: int = 32,
    validation_split: float = 0.1,
    early_stopping: bool = True,
    patience: int = 10,
    min_delta: float = 1e-3,
    min_delta_mode: Literal["relative", "absolute"] = "relative",
    callbacks: Sequence[keras.callbacks.Callback] | None = None,
    checkpoint_path: str | None = None,
    tensorboard_dir: str | None = None,
    steps_per_execution: int = 32,
    seed: int | None = 0,
    verbose: int = 0,
    clear_session: bool = True,
    tf_threads: int | None = None,
    **model_params: Any,
) -> HPKerasRegressor | HPKerasClassifier:
    """A scikeras estimator for ``build_model`` with search-ready defaults.

    Early stopping watches the loss on the last ``validation_split`` of each training set
    (``EarlyStopping(patience, min_delta, restore_best_weights=True)``; with
    ``min_delta_mode="relative"``, the default, an epoch must improve the best loss by
    ``min_delta`` times that loss: ``RelativeEarlyStopping``); ``TerminateOnNaN``
    ends a diverging fit at once. ``model_params`` are passed to ``build_model`` (the
    hyperparameters a search varies must be given here, with their starting values).

    Examples:
        >>> from models import regression_mlp
        >>> est = make_estimator(regression_mlp, "regression", epochs=5, hidden_layers=2)
        >>> est.get_params()["hidden_layers"], type(est).__name__
        (2, 'HPKerasRegressor')
    """
    if not callable(build_model):
        raise TypeError(
            f"build_model must be a callable returning a Keras model, got {build_model!r}."
        )
    if task not in ("regression", "classification"):
        raise ValueError(f"task must be 'regression' or 'classification', got {task!r}.")
    epochs = _check_int("epochs", epochs, 1)
    batch_size = _check_int("batch_size", batch_size, 1)
    patience = _check_int("patience", patience, 0)
    steps_per_execution = _check_int("steps_per_execution", steps_per_execution, 1)
    if tf_threads is not None:
        tf_threads = _check_int("tf_threads", tf_threads, 1)
    if not isinstance(validation_split, (int, float)) or not 0 <= validation_split < 1:
        raise ValueError(f"validation_split must be in [0, 1), got {validation_split!r}.")
    if not isinstance(min_delta, (int, float)) or min_delta < 0:
        raise ValueError(f"min_delta must be a number >= 0, got {min_delta!r}.")
    if min_delta_mode not in ("relative", "absolute"):
        raise ValueError(
            f"min_delta_mode must be 'relative' (a fraction of the best loss) or 'absolute', "
            f"got {min_delta_mode!r}."
        )
    if early_stopping and validation_split == 0:
        raise ValueError(
            "early_stopping=True needs validation_split > 0 (it watches the validation loss); "
            "set validation_split=0.1 or early_stopping=False."
        )
    user_callbacks = list(callbacks or [])
    for cb in user_callbacks:
        if not isinstance(cb, keras.callbacks.Callback):
            raise TypeError(f"callbacks must be keras.callbacks.Callback instances, got {cb!r}.")

    chosen: list[keras.callbacks.Callback] = [keras.callbacks.TerminateOnNaN()]
    if early_stopping:
        stopper = (
            RelativeEarlyStopping if min_delta_mode == "relative" else keras.callbacks.EarlyStopping
        )
        chosen.append(
            stopper(
                monitor="val_loss",
                patience=patience,
                min_delta=min_delta,
                restore_best_weights=True,
            )
        )
    if checkpoint_path is not None:
        chosen.append(keras.callbacks.ModelCheckpoint(checkpoint_path, save_best_only=True))
    if tensorboard_dir is not None:
        if importlib.util.find_spec("tensorboard") is None:
            # Keras only fails at the first logged scalar, deep inside a trial.
            raise ValueError(
                "tensorboard_dir needs the tensorboard package, which is not installed: "
                "pip install 'hpsearch[tensorboard]' (or drop tensorboard_dir)."
            )
        chosen.append(keras.callbacks.TensorBoard(tensorboard_dir))
    chosen.extend(user_callbacks)

    cls = HPKerasRegressor if task == "regression" else HPKerasClassifier
    return cls(
        build_model,
        epochs=epochs,
        batch_size=batch_size,
        validation_split=validation_split,
        callbacks=chosen,
        steps_per_execution=steps_per_execution,
        seed=seed,
        verbose=verbose,
        clear_session=clear_session,
        tf_threads=tf_threads,
        model_params=tuple(model_params),
        **model_params,
    )
