"""A Keras model's state: its weights and its optimizer's variables (moments, step count).

One piece of code for three uses: a trial's later folds reset the first fold's model to the
state it was built with (``models._estimators``), a promoted multi-fidelity trial continues
from its parent's state, and trained models travel from workers as ``.npz`` bytes
(``search._fit``, ``search._refit``).
"""

from __future__ import annotations

import io

import keras
import numpy as np

__all__ = ["load_state", "model_state", "pack_model", "unpack_model"]


def model_state(
    model: keras.Model, *, build_optimizer: bool = False
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(weights, optimizer variables) of ``model`` as NumPy copies.

    ``build_optimizer``: build an optimizer that has not taken a step yet first (Keras
    builds it at the first step, with these same starting values), so its slots are part
    of the state.
    """
    optimizer = getattr(model, "optimizer", None)
    if build_optimizer and optimizer is not None and not optimizer.built:
        optimizer.build(model.trainable_variables)
    variables = list(getattr(optimizer, "variables", []) or [])
    state = [np.array(keras.ops.convert_to_numpy(v)) for v in variables]
    return model.get_weights(), state


def load_state(model: keras.Model, weights: list[np.ndarray], state: list[np.ndarray]) -> None:
    """Give ``model`` (built from the same parameters) ``model_state``'s values."""
    model.set_weights(weights)
    optimizer = model.optimizer
    if state and not getattr(optimizer, "built", True):
        # Keras builds an optimizer's slots (Adam's moments) at its first step; build them
        # now so the saved values have somewhere to go.
        optimizer.build(model.trainable_variables)
    variables = list(getattr(optimizer, "variables", []) or [])
    if state and len(variables) != len(state):
        raise ValueError(
            f"the saved optimizer had {len(state)} variables, this model's has "
            f"{len(variables)}: rebuild the same model and optimizer to load it."
        )
    for variable, value in zip(variables, state, strict=False):
        variable.assign(value)


def pack_model(model: keras.Model) -> bytes:
    """A trained model's weights and optimizer state as ``.npz`` bytes (numbers only:
    loading never unpickles; the architecture comes from the candidate's parameters).

    Examples:
        >>> m = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> m.compile(loss="mse", optimizer="adam"); m.optimizer.build(m.trainable_variables)
        >>> unpack_model(pack_model(m), m)
    """
    weights, state = model_state(model)
    arrays = {f"w{i}": w for i, w in enumerate(weights)}
    arrays.update({f"o{i}": v for i, v in enumerate(state)})
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]  # numpy's stub: allow_pickle
    return buffer.getvalue()


def unpack_model(packed: bytes, model: keras.Model) -> None:
    """Load ``pack_model`` bytes into ``model`` (built from the same parameters)."""
    with np.load(io.BytesIO(packed), allow_pickle=False) as arrays:
        weights = [arrays[f"w{i}"] for i in range(sum(k[0] == "w" for k in arrays.files))]
        state = [arrays[f"o{i}"] for i in range(sum(k[0] == "o" for k in arrays.files))]
    load_state(model, weights, state)
