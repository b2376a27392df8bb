"""Keras build functions for the seed course's models.

Each function is defined at module level (search workers in other processes import it),
takes its hyperparameters as keyword arguments with the course's defaults, and reads the
input/output sizes from scikeras's ``meta`` (``n_features_in_``, ``X_shape_``,
``n_classes_``) or from explicit arguments when called directly. Each returns a compiled
model, exactly as the course writes them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import keras

__all__ = [
    "FeatureSlice",
    "classifier_mlp",
    "deep_mlp",
    "per_layer_classifier",
    "per_layer_regressor",
    "regression_mlp",
    "wide_deep",
]

_ACTIVATIONS = ("relu", "selu", "tanh", "elu", "sigmoid")
_BATCH_NORM = ("none", "before", "after")
_DROPOUT = ("none", "dropout", "alpha")
_OPTIMIZERS = ("sgd", "adam", "rmsprop", "nadam")


def _choice(name: str, value: object, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {list(allowed)}, got {value!r}.")
    return str(value)


def _positive_int(name: str, value: object, low: int = 1) -> int:
    # Keras 3 rejects numpy integers as layer sizes; accept only real Python ints here.
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(
            f"{name} must be a Python int >= {low}, got {value!r} ({type(value).__name__})."
        )
    return value


def _learning_rate(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"learning_rate must be a number > 0, got {value!r}.")
    return float(value)


def _input_shape(meta: Mapping[str, Any] | None, input_shape: Any) -> tuple[int, ...]:
    if input_shape is not None:
        return tuple(int(v) for v in input_shape)
    if meta is not None and "X_shape_" in meta:
        return tuple(int(v) for v in meta["X_shape_"][1:])
    if meta is not None and "n_features_in_" in meta:
        return (int(meta["n_features_in_"]),)
    raise ValueError(
        "the input shape is unknown: pass input_shape=... or call through scikeras, which "
        "passes meta with n_features_in_."
    )


def _n_classes(meta: Mapping[str, Any] | None, n_classes: int | None) -> int:
    if n_classes is not None:
        return _positive_int("n_classes", n_classes, low=2)
    if meta is not None and "n_classes_" in meta:
        return int(meta["n_classes_"])
    raise ValueError(
        "the number of classes is unknown: pass n_classes=... or call through scikeras "
        "(KerasClassifier passes meta with n_classes_)."
    )


def _optimizer(name: str, learning_rate: float) -> keras.optimizers.Optimizer:
    name = _choice("optimizer", name, _OPTIMIZERS)
    classes = {
        "sgd": keras.optimizers.SGD,
        "adam": keras.optimizers.Adam,
        "rmsprop": keras.optimizers.RMSprop,
        "nadam": keras.optimizers.Nadam,
    }
    return classes[name](learning_rate=learning_rate)


def _add_dense(model: keras.Sequential, units: int, activation: str, batch_norm: str) -> None:
    """One Dense layer; ``batch_norm`` "before" (between Dense and activation) or "after"."""
    if batch_norm == "before":
        model.add(keras.layers.Dense(units))
        model.add(keras.layers.BatchNormalization())
        model.add(keras.layers.Activation(activation))
    else:
        model.add(keras.layers.Dense(units, activation=activation))
        if batch_norm == "after":
            model.add(keras.layers.BatchNormalization())


def _add_dropout(model: keras.Sequential, dropout: str, rate: float) -> None:
    """``AlphaDropout`` (for selu) or plain ``Dropout`` at ``rate``; nothing for "none"."""
    if dropout == "alpha" and rate > 0:
        model.add(keras.layers.AlphaDropout(rate=float(rate)))
    elif dropout == "dropout" and rate > 0:
        model.add(keras.layers.Dropout(rate=float(rate)))


def regression_mlp(
    hidden_layers: int = 1,
    layer_size: int = 30,
    learning_rate: float = 3e-3,
    activation: str = "relu",
    optimizer: str = "sgd",
    meta: Mapping[str, Any] | None = None,
    input_shape: tuple[int, ...] | None = None,
) -> keras.Model:
    """The course's regression MLP: ``hidden_layers`` Dense(``layer_size``) + Dense(1), MSE.

    Examples:
        >>> regression_mlp(2, 16, input_shape=(8,)).output_shape
        (None, 1)
    """
    hidden_layers = _positive_int("hidden_layers", hidden_layers)
    layer_size = _positive_int("layer_size", layer_size)
    activation = _choice("activation", activation, _ACTIVATIONS)
    model = keras.Sequential([keras.Input(shape=_input_shape(meta, input_shape))])
    for _ in range(hidden_layers):
        model.add(keras.layers.Dense(layer_size, activation=activation))
    model.add(keras.layers.Dense(1))
    model.compile(loss="mse", optimizer=_optimizer(optimizer, _learning_rate(learning_rate)))
    return model


def classifier_mlp(
    hidden_layers: int = 2,
    layer_size: int = 100,
    learning_rate: float = 1e-3,
    activation: str = "relu",
    optimizer: str = "adam",
    meta: Mapping[str, Any] | None = None,
    input_shape: tuple[int, ...] | None = None,
    n_classes: int | None = None,
) -> keras.Model:
    """The course's Fashion-MNIST classifier: Flatten + Dense layers + softmax.

    Examples:
        >>> classifier_mlp(input_shape=(28, 28), n_classes=10).output_shape
        (None, 10)
    """
    return deep_mlp(
        hidden_layers=hidden_layers,
        layer_size=layer_size,
        learning_rate=learning_rate,
        activation=activation,
        optimizer=optimizer,
        meta=meta,
        input_shape=input_shape,
        n_classes=n_classes,
    )


def deep_mlp(
    hidden_layers: int = 20,
    layer_size: int = 100,
    activation: str = "relu",
    batch_norm: str = "none",
    dropout: str = "none",
    dropout_rate: float = 0.5,
    optimizer: str = "adam",
    learning_rate: float = 1e-3,
    meta: Mapping[str, Any] | None = None,
    input_shape: tuple[int, ...] | None = None,
    n_classes: int | None = None,
) -> keras.Model:
    """The course's deep classifier: N Dense layers with optional batch norm and dropout.

    ``batch_norm="after"`` puts ``BatchNormalization`` after the activation, ``"before"``
    between the Dense layer and its activation. ``dropout="alpha"`` adds ``AlphaDropout``
    (made for ``selu``: it keeps mean and variance), ``"dropout"`` plain ``Dropout``; as in the
    course, one dropout layer goes before the output layer.

    Examples:
        >>> deep_mlp(3, 32, batch_norm="before", input_shape=(784,), n_classes=10).output_shape
        (None, 10)
    """
    hidden_layers = _positive_int("hidden_layers", hidden_layers)
    layer_size = _positive_int("layer_size", layer_size)
    activation = _choice("activation", activation, _ACTIVATIONS)
    batch_norm = _choice("batch_norm", batch_norm, _BATCH_NORM)
    dropout = _choice("dropout", dropout, _DROPOUT)
    if isinstance(dropout_rate, bool) or not isinstance(dropout_rate, (int, float)):
        raise ValueError(f"dropout_rate must be a number in [0, 1), got {dropout_rate!r}.")
    if not 0 <= dropout_rate < 1:
        raise ValueError(f"dropout_rate must be in [0, 1), got {dropout_rate!r}.")
    classes = _n_classes(meta, n_classes)

    model = keras.Sequential(
        [keras.Input(shape=_input_shape(meta, input_shape)), keras.layers.Flatten()]
    )
    for _ in range(hidden_layers):
        _add_dense(model, layer_size, activation, batch_norm)
    _add_dropout(model, dropout, dropout_rate)
    model.add(keras.layers.Dense(classes, activation="softmax"))
    model.compile(
        loss="sparse_categorical_crossentropy",
        optimizer=_optimizer(optimizer, _learning_rate(learning_rate)),
        metrics=["accuracy"],
    )
    return model


@keras.saving.register_keras_serializable(package="hpsearch")
class FeatureSlice(keras.layers.Layer):
    """Columns ``[start:stop]`` of a 2-D input (the wide or the deep part of Wide & Deep)."""

    def __init__(self, start: int, stop: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start, self.stop = int(start), None if stop is None else int(stop)

    def call(self, inputs: Any) -> Any:
        return inputs[:, self.start : self.stop]

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[Any, ...]:
        n = input_shape[1]
        width = None if n is None else len(range(n)[self.start : self.stop])
        return (input_shape[0], width)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "start": self.start, "stop": self.stop}


def wide_deep(
    hidden_layers: int = 2,
    layer_size: int = 30,
    learning_rate: float = 3e-3,
    wide_features: int = 5,
    deep_from: int = 2,
    activation: str = "relu",
    optimizer: str = "sgd",
    meta: Mapping[str, Any] | None = None,
    input_shape: tuple[int, ...] | None = None,
) -> keras.Model:
    """Wide & Deep regression with the functional API, as the course builds it.

    The wide input is features ``[:wide_features]``, the deep input ``[deep_from:]`` (the
    course's split of the 8 California features: 5 wide, 6 deep); the deep input runs
    through ``hidden_layers`` Dense layers, is concatenated with the wide input, and one
    linear unit predicts the target.

    Examples:
        >>> wide_deep(input_shape=(8,)).output_shape
        (None, 1)
    """
    hidden_layers = _positive_int("hidden_layers", hidden_layers)
    layer_size = _positive_int("layer_size", layer_size)
    activation = _choice("activation", activation, _ACTIVATIONS)
    shape = _input_shape(meta, input_shape)
    if len(shape) != 1:
        raise ValueError(f"wide_deep needs 2-D input (samples x features), got shape {shape}.")
    n_features = shape[0]
    wide_features = _positive_int("wide_features", wide_features)
    if wide_features > n_features or not 0 <= deep_from < n_features:
        raise ValueError(
            f"wide_features={wide_features} and deep_from={deep_from} must select columns of "
            f"the {n_features} input features."
        )
    inputs = keras.Input(shape=shape)
    wide = FeatureSlice(0, wide_features, name="wide_input")(inputs)
    deep = FeatureSlice(deep_from, None, name="deep_input")(inputs)
    for _ in range(hidden_layers):
        deep = keras.layers.Dense(layer_size, activation=activation)(deep)
    concat = keras.layers.concatenate([wide, deep])
    output = keras.layers.Dense(1)(concat)
    model = keras.Model(inputs=inputs, outputs=output)
    model.compile(loss="mse", optimizer=_optimizer(optimizer, _learning_rate(learning_rate)))
    return model


_LAYER_KEYS = re.compile(r"^(units|activation|batch_norm|dropout|dropout_rate)_(\d+)$")
# What scikeras adds for a build function that takes **kwargs.
_SCIKERAS_EXTRAS = frozenset({"compile_kwargs", "params"})


def _layer_settings(hidden_layers: int, layers: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per layer ``i`` (1-based) its ``units_i``, ``activation_i``... (None: the default)."""
    settings: list[dict[str, Any]] = [{} for _ in range(hidden_layers)]
    for name, value in layers.items():
        if name in _SCIKERAS_EXTRAS:
            continue
        match = _LAYER_KEYS.match(name)
        if match is None:
            raise ValueError(
                f"per-layer builders take units_<i>, activation_<i>, batch_norm_<i>, "
                f"dropout_<i>, dropout_rate_<i>; got {name!r}."
            )
        key, layer = match.group(1), int(match.group(2))
        if 1 <= layer <= hidden_layers and value is not None:
            settings[layer - 1][key] = value
    return settings


def _per_layer_stack(
    model: keras.Sequential, hidden_layers: int, layers: Mapping[str, Any], default_units: int
) -> None:
    for i, layer in enumerate(_layer_settings(hidden_layers, layers), start=1):
        units = _positive_int(f"units_{i}", layer.get("units", default_units))
        activation = _choice(f"activation_{i}", layer.get("activation", "relu"), _ACTIVATIONS)
        batch_norm = _choice(f"batch_norm_{i}", layer.get("batch_norm", "none"), _BATCH_NORM)
        dropout = _choice(f"dropout_{i}", layer.get("dropout", "none"), _DROPOUT)
        rate = layer.get("dropout_rate", 0.2)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
            raise ValueError(f"dropout_rate_{i} must be a number in [0, 1), got {rate!r}.")
        _add_dense(model, units, activation, batch_norm)
        _add_dropout(model, dropout, rate)


def per_layer_classifier(
    hidden_layers: int = 2,
    optimizer: str = "adam",
    learning_rate: float = 1e-3,
    meta: Mapping[str, Any] | None = None,
    input_shape: tuple[int, ...] | None = None,
    n_classes: int | None = None,
    **layers: Any,
) -> keras.Model:
    """The course's deep Fashion-MNIST classifier with settings per layer: layer ``i`` has
    ``units_i``, ``activation_i`` (relu/selu...), ``batch_norm_i`` (none/before/after),
    ``dropout_i`` (none/dropout/alpha) and ``dropout_rate_i``. Only the first
    ``hidden_layers`` layers are built; settings of others, and ``None`` (an inactive
    conditional parameter), are ignored.

    Examples:
        >>> m = per_layer_classifier(2, units_1=64, units_2=32, dropout_2="dropout",
        ...                          dropout_rate_2=0.3, input_shape=(784,), n_classes=10)
        >>> [layer.units for layer in m.layers if hasattr(layer, "units")]
        [64, 32, 10]
    """
    hidden_layers = _positive_int("hidden_layers", hidden_layers)
    classes = _n_classes(meta, n_classes)
    model = keras.Sequential(
        [keras.Input(shape=_input_shape(meta, input_shape)), keras.layers.Flatten()]
    )
    _per_layer_stack(model, hidden_layers, layers, default_units=100)
    model.add(keras.layers.Dense(classes, activation="softmax"))
    model.compile(
        loss="sparse_categorical_crossentropy",
        optimizer=_optimizer(optimizer, _learning_rate(learning_rate)),
        metrics=["accuracy"],
    )
    return model


def per_layer_regressor(
    hidden_layers: int = 1,
    optimizer: str = "adam",
    learning_rate: float = 1e-3,
    meta: Mapping[str, Any] | None = None,
    input_shape: tuple[int, ...] | None = None,
    **layers: Any,
) -> keras.Model:
    """The course's regression MLP with settings per layer (see ``per_layer_classifier``).

    Examples:
        >>> per_layer_regressor(2, units_1=16, units_2=8, input_shape=(8,)).output_shape
        (None, 1)
    """
    hidden_layers = _positive_int("hidden_layers", hidden_layers)
    model = keras.Sequential([keras.Input(shape=_input_shape(meta, input_shape))])
    _per_layer_stack(model, hidden_layers, layers, default_units=30)
    model.add(keras.layers.Dense(1))
    model.compile(loss="mse", optimizer=_optimizer(optimizer, _learning_rate(learning_rate)))
    return model
