"""Streamed data: trials on a ``tf.data.Dataset``, a ``keras.utils.PyDataset`` or batches from
a function (or on a multi-input model's dict or list of arrays), scored on a fixed
validation set.

Arrays go through scikeras and the search's folds; a stream cannot be split or indexed, so
its trials call Keras directly: ``build_model(**params)``, ``fit(train,
validation_data=valid)`` with the search's callbacks (early stopping watches ``val_loss``
on the validation set, as KerasTuner users write it), and the score is a Keras objective
(``val_loss`` unless ``objective=`` says otherwise) read from the logs each epoch and from
``evaluate`` on the validation set at the end.

How a stream reaches worker processes (``for_workers``):

- a function that returns the data (``X=make_dataset``): pickled and called in each worker
  (each trial opens a fresh stream);
- a ``PyDataset``: pickled with its attributes (cloudpickle);
- a ``tf.data.Dataset`` object: written once with ``Dataset.save`` to a temporary folder and
  read with ``Dataset.load`` in each worker (a local pool only; a Dask cluster needs a
  function, as its workers may not see this machine's disk);
- validation arrays ``(X_valid, y_valid)``: pickled.

A generator object is refused: it is used up after one pass, and a search trains many
models; a function returning a new generator is the way to give one.
"""

from __future__ import annotations

import copy
import inspect
import math
import tempfile
import time
import traceback
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np

from models import check_losses, checked_model, pack_model, trial_session, unpack_model
from search._fit import TrialOutcome, _ContinueFrom
from search.trial import short_error

__all__ = [
    "Source",
    "StreamData",
    "fit_stream_trial",
    "is_multi_input",
    "is_stream",
    "stream_data",
    "stream_model",
]

# Training settings a stream's trials do not take from the estimator (the batches are the
# stream's, and the validation set is given).
_NOT_FOR_STREAMS = ("batch_size", "validation_split")


def _is_tf_dataset(value: Any) -> bool:
    return type(value).__module__.startswith("tensorflow") and hasattr(value, "element_spec")


def is_stream(value: Any) -> bool:
    """Whether ``value`` is streamed data rather than an array: a ``tf.data.Dataset``, a
    ``keras.utils.PyDataset``, a generator, or a function (that returns one of these).

    Examples:
        >>> import numpy as np
        >>> is_stream(np.zeros((2, 2))), is_stream(lambda: iter([]))
        (False, True)
    """
    if isinstance(value, (np.ndarray, list, tuple, dict)) or hasattr(value, "__array__"):
        return False
    return (
        _is_tf_dataset(value)
        or isinstance(value, (keras.utils.PyDataset, types.GeneratorType))
        or callable(value)
    )


def is_multi_input(value: Any, y: Any = None) -> bool:
    """Whether ``value`` is the inputs of a multi-input model: a dict of arrays, or a list
    or tuple of NumPy arrays with one row per target each (a list of one array per sample,
    or of plain lists, stays one array).

    Examples:
        >>> import numpy as np
        >>> y = np.zeros(3)
        >>> is_multi_input([np.zeros((3, 2)), np.zeros((3, 5))], y)
        True
        >>> is_multi_input([np.zeros(2), np.zeros(2), np.zeros(2)], y)  # 3 samples
        False
    """
    if isinstance(value, dict):
        return bool(value) and all(hasattr(v, "__len__") for v in value.values())
    if isinstance(value, (list, tuple)) and y is not None and hasattr(y, "__len__"):
        n = len(y)
        return (
            1 < len(value) != n
            and all(isinstance(v, np.ndarray) for v in value)
            and all(len(v) == n for v in value)
        )
    return False


def _parts(X: Any) -> list[Any] | None:
    """The arrays of a multi-input X (None: X is one array)."""
    if isinstance(X, dict):
        return list(X.values())
    if isinstance(X, (list, tuple)) and X and all(isinstance(v, np.ndarray) for v in X):
        return list(X)
    return None


def _rows(X: Any) -> int:
    parts = _parts(X) or [X]
    lengths = {len(part) for part in parts}
    if len(lengths) != 1:
        raise ValueError(f"the inputs of a multi-input X must have as many rows, got {lengths}.")
    return lengths.pop()


def _head(X: Any) -> Any:
    if isinstance(X, dict):
        return {k: np.asarray(v)[:1] for k, v in X.items()}
    if _parts(X) is not None:
        return [np.asarray(v)[:1] for v in X]
    return np.asarray(X)[:1]


def _shapes(X: Any) -> str:
    if isinstance(X, dict):
        return "{" + ", ".join(f"{k}: {np.shape(v)}" for k, v in X.items()) + "}"
    if _parts(X) is not None:
        return "[" + ", ".join(str(np.shape(v)) for v in X) + "]"
    return str(np.shape(X))


@dataclass
class Source:
    """One side of a stream: how to open it for a trial, in this process or a worker."""

    kind: str  # "dataset", "pydataset", "function", "arrays"
    value: Any = None
    path: str | None = None  # a saved tf.data.Dataset (for workers)
    _folder: Any = field(default=None, repr=False)

    def open(self) -> Any:
        """What ``fit`` / ``evaluate`` take: a fresh stream, or ``(X, y)`` arrays."""
        if self.kind == "function":
            opened = _check_opened(self.value(), "the function given as data")
            if isinstance(opened, types.GeneratorType):
                # Keras reads a generator once; a dataset over the function calls it again
                # for every epoch.
                return _epochs_of(self.value, opened)
            return opened
        if self.kind == "dataset" and self.value is None:
            import tensorflow as tf

            self.value = tf.data.Dataset.load(self.path)
        return self.value

    def describe(self) -> str:
        """A text that names the data the same way in every process (the fingerprint)."""
        if self.kind == "function":
            return f"function {getattr(self.value, '__module__', '?')}.{self.value.__qualname__}"
        if self.kind == "arrays":
            X, y = self.value
            return f"arrays {_shapes(X)} {np.shape(y)}"
        if self.kind == "pydataset":
            return f"PyDataset {type(self.value).__qualname__} of {len(self.value)} batches"
        return f"tf.data.Dataset {self.open().element_spec}"

    def for_workers(self, folder: str) -> Source:
        """A copy that pickles for a worker process (see the module docstring)."""
        if self.kind != "dataset" or self.path is not None:
            return self
        path = tempfile.mkdtemp(prefix="dataset-", dir=folder)
        self.value.save(path)
        return Source("dataset", None, path)

    def __getstate__(self) -> dict[str, Any]:
        if self.kind == "dataset" and self.path is None:
            raise TypeError(
                "a tf.data.Dataset object cannot be sent to another process; pass a function "
                "that returns the dataset instead (X=make_dataset)."
            )
        state = dict(self.__dict__)
        state["_folder"] = None
        if self.kind == "dataset":
            state["value"] = None  # loaded from ``path`` where it is opened
        return state


@dataclass
class StreamData:
    """A stream's training side and its fixed validation set."""

    train: Source
    valid: Source
    _folder: Any = field(default=None, repr=False)

    def for_workers(self) -> StreamData:
        """Both sides made ready for worker processes (a saved dataset lives as long as
        the returned object's temporary folder)."""
        folder = tempfile.TemporaryDirectory(prefix="hpsearch-stream-")
        return StreamData(
            self.train.for_workers(folder.name), self.valid.for_workers(folder.name), folder
        )

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_folder"] = None
        return state

    def describe(self) -> str:
        return f"train: {self.train.describe()}; valid: {self.valid.describe()}"

    def sample_inputs(self) -> Any:
        """One batch of validation inputs (to build a model that has no ``keras.Input``)."""
        opened = self.valid.open()
        if self.valid.kind == "arrays":
            return _head(opened[0])
        batch = opened[0] if isinstance(opened, keras.utils.PyDataset) else next(iter(opened))
        return batch[0]


def _epochs_of(function: Callable[[], Any], probe: types.GeneratorType) -> Any:
    """``tf.data.Dataset.from_generator(function)``, its element signature read from the
    first batch of ``probe`` (batch dimension left open)."""
    import tensorflow as tf

    try:
        first = next(probe)
    except StopIteration:
        raise ValueError("the function given as data returned a generator with no batch.") from None
    finally:
        probe.close()

    def spec(part: Any) -> Any:
        array = np.asarray(part)
        return tf.TensorSpec(shape=(None, *array.shape[1:]), dtype=tf.as_dtype(array.dtype))

    signature = tuple(spec(part) for part in first) if isinstance(first, tuple) else spec(first)
    return tf.data.Dataset.from_generator(function, output_signature=signature)


def _check_opened(value: Any, what: str) -> Any:
    if _is_tf_dataset(value) or isinstance(value, (keras.utils.PyDataset, types.GeneratorType)):
        return value
    raise TypeError(
        f"{what} returned {type(value).__name__}; it must return a tf.data.Dataset, a "
        "keras.utils.PyDataset or a generator of (x, y) or (x, y, sample_weight) batches."
    )


def _source(value: Any, name: str) -> Source:
    if isinstance(value, types.GeneratorType):
        raise TypeError(
            f"{name} is a generator, which is used up after one pass, and a search trains many "
            f"models; pass a function that returns a new generator instead ({name}=make_batches)."
        )
    if _is_tf_dataset(value):
        return Source("dataset", value)
    if isinstance(value, keras.utils.PyDataset):
        return Source("pydataset", value)
    if callable(value):
        try:
            takes_none = not [
                p
                for p in inspect.signature(value).parameters.values()
                if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
            ]
        except (TypeError, ValueError):
            takes_none = True
        if not takes_none:
            raise TypeError(
                f"{name}: a function given as data is called with no arguments to open the "
                f"stream; {getattr(value, '__name__', value)!r} needs some."
            )
        _check_opened(value(), f"{name} (a function)")
        return Source("function", value)
    raise TypeError(f"{name} must be streamed data, got {type(value).__name__}.")


def stream_data(X: Any, y: Any, validation_data: Any, cv: Any) -> StreamData:
    """``X`` and ``validation_data`` as a ``StreamData``, refusing what cannot work before
    any training (each error says what to pass instead). ``X`` is a stream, or the inputs of
    a multi-input model (a dict or list of arrays, with ``y``)."""
    multi = isinstance(X, dict) or (isinstance(X, (list, tuple)) and _parts(X) is not None)
    if multi and y is None:
        raise ValueError("a multi-input X (a dict or list of arrays) needs its targets: pass y.")
    if not multi and y is not None:
        raise ValueError(
            "with streamed X (a dataset, PyDataset or function), the targets come in its "
            "batches: (x, y) or (x, y, sample_weight); pass y=None."
        )
    if cv is not None:
        what = "a multi-input X is not split into folds yet" if multi else "a stream cannot be"
        raise ValueError(
            f"cv={cv!r} splits arrays into folds, which {what}; give a fixed validation set "
            "instead: validation_data=(X_valid, y_valid) or a dataset."
        )
    if validation_data is None:
        raise ValueError(
            "streamed X needs a fixed validation set to score trials on: pass "
            "validation_data=(X_valid, y_valid), a tf.data.Dataset, a PyDataset or a function "
            "returning one."
        )
    train = _arrays(X, y, "X, y") if multi else _source(X, "X")
    if isinstance(validation_data, tuple):
        if len(validation_data) != 2:
            raise ValueError("validation_data as arrays must be a tuple (X_valid, y_valid).")
        valid = _arrays(*validation_data, "validation_data=(X_valid, y_valid)")
    else:
        valid = _source(validation_data, "validation_data")
    return StreamData(train, valid)


def _arrays(X: Any, y: Any, name: str) -> Source:
    if _parts(X) is None:
        X = np.asarray(X)
    y = np.asarray(y)
    n = _rows(X)
    if n != len(y) or n == 0:
        raise ValueError(
            f"{name} needs as many targets as rows (and at least one), got {n} and {len(y)}."
        )
    return Source("arrays", (X, y))


class _LogScore(keras.callbacks.Callback):
    """The objective from each epoch's logs: the curve, the runner's reports, stopping."""

    def __init__(self, name: str, sign: float, report: Any) -> None:
        super().__init__()
        self.name, self.sign, self.report = name, sign, report
        self.curve: list[float] = []
        self.stopped = False
        self.logged: list[str] = []

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        self.logged = sorted(logs)
        value = logs.get(self.name)
        score = math.nan if value is None else self.sign * float(value)
        self.curve.append(score)
        if self.report is not None and self.report(0, epoch + 1, score):
            self.stopped = True
            self.model.stop_training = True


def _built(estimator: Any, params: dict[str, Any]) -> keras.Model:
    """The candidate's model from the estimator's build function, checked as every
    trial's is (the training settings a stream does not take left out)."""
    settings = estimator.get_params()
    build = settings["model"]
    kwargs = {k: v for k, v in params.items() if k not in ("epochs", *_NOT_FOR_STREAMS)}
    return checked_model(build(**kwargs), build, settings.get("steps_per_execution"))


def _evaluate(model: keras.Model, valid: Source) -> dict[str, float]:
    opened = valid.open()
    if valid.kind == "arrays":
        result = model.evaluate(opened[0], opened[1], verbose=0, return_dict=True)
    else:
        result = model.evaluate(opened, verbose=0, return_dict=True)
    return {f"val_{k}": float(v) for k, v in result.items()}


def fit_stream_trial(spec: Any, stream: StreamData, report: Any = None) -> Any:
    """``fit_trial`` for streamed data: one "fold", the stream against its validation set."""
    out = TrialOutcome("complete", [], [], [], [], [])
    objective = spec.scorer
    params = spec.estimator.get_params()
    epochs = int(spec.epochs or spec.params.get("epochs") or params["epochs"])
    scorer = _LogScore(objective.name, objective.sign, report if spec.live else None)
    # Copies: a callback keeps state (EarlyStopping's best epoch), one per trial.
    callbacks: list[Any] = [*copy.deepcopy(list(params.get("callbacks") or [])), scorer]
    if spec.models is not None:
        callbacks.insert(0, _ContinueFrom(spec.models[0]))
    start = time.perf_counter()
    fit_seconds = 0.0
    try:
        with trial_session(params.get("seed"), params.get("tf_threads")):
            model = _built(spec.estimator, spec.params)
            train = stream.train.open()
            fit_params = dict(spec.fit_params)
            if _is_tf_dataset(train):
                fit_params.setdefault("shuffle", False)  # a dataset shuffles itself
            if stream.train.kind == "arrays":  # a multi-input model's arrays
                batch = spec.params.get("batch_size") or params["batch_size"]
                train, fit_params["y"], fit_params["batch_size"] = train[0], train[1], batch
            history = model.fit(
                train,
                validation_data=stream.valid.open(),
                epochs=epochs,
                initial_epoch=spec.start_epoch,
                callbacks=callbacks,
                verbose=0,
                **fit_params,
            )
            fit_seconds = time.perf_counter() - start
            losses = history.history.get("loss", [])
            check_losses(losses, first_epoch=spec.start_epoch + 1)
            out.fold_epochs.append(len(losses))
            out.curve.append(scorer.curve)
            if scorer.stopped:
                out.state = "pruned"
            else:
                logged = _evaluate(model, stream.valid)
                if objective.name not in logged:
                    raise ValueError(
                        f"objective={objective.name!r} is not logged by this model; it logs "
                        f"{sorted(logged)}. Compile the model with the metric or choose one."
                    )
                out.fold_scores.append(objective.sign * logged[objective.name])
                if spec.keep_model:
                    out.models = [pack_model(model)]
    except Exception:
        out.state = "failed"
        out.error = short_error(traceback.format_exc())
        if not out.curve:
            out.curve.append(scorer.curve)
            out.fold_epochs.append(len(scorer.curve))
    total = time.perf_counter() - start
    out.fold_fit_times.append(fit_seconds or total)
    out.fold_score_times.append(total - (fit_seconds or total))
    if out.state == "complete" and not all(math.isfinite(s) for s in out.fold_scores):
        out.state, out.error = "failed", "score is not finite (NaN or infinite predictions)"
    return out


def stream_model(
    estimator: Any, params: dict[str, Any], packed: bytes, stream: StreamData
) -> keras.Model:
    """A trial's trained model rebuilt from its candidate and ``pack_model`` bytes."""
    seed = estimator.get_params().get("seed")
    with trial_session(seed):
        model = _built(estimator, params)
    if not model.built:
        model(stream.sample_inputs())
    unpack_model(packed, model)
    return model
