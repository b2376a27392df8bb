"""Trained estimators as one ``keras.Model``: what a Keras user saves, loads and evaluates.

A search's best estimator may be one scikeras model or an ensemble (the refit's seeds, a
trial's fold models) averaged by scikit-learn's voting estimators. ``keras_model`` gives
either as a ``keras.Model``: the model itself, or a functional model whose output is the
mean of the members' outputs (the mean prediction, or the mean class probabilities of
softmax / sigmoid outputs: what the voting estimators compute). It is compiled as the
first member was (``get_compile_config``), so ``evaluate`` reports the same metrics, and it
saves to ``.keras`` like any model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras

__all__ = ["average_model", "keras_model"]


def average_model(members: Sequence[keras.Model]) -> keras.Model:
    """One functional model averaging the outputs of ``members`` (one member: itself).

    The members keep their weights (they are layers of the new model, renamed
    ``member_0``, ``member_1``... so that their names are unique in it).

    Examples:
        >>> import numpy as np
        >>> def net(bias):
        ...     m = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        ...     m.set_weights([np.ones((2, 1)), np.array([bias])])
        ...     return m
        >>> mean = average_model([net(0.0), net(2.0)])
        >>> float(mean.predict(np.zeros((1, 2)), verbose=0)[0, 0])
        1.0
    """
    members = list(members)
    if not members or not all(isinstance(m, keras.Model) for m in members):
        raise TypeError(f"average_model needs one or more keras.Model, got {members!r}.")
    if len(members) == 1:
        return members[0]
    first = members[0]
    inputs = [keras.Input(shape=t.shape[1:], dtype=t.dtype) for t in first.inputs]
    feed: Any = inputs[0] if len(inputs) == 1 else inputs
    outputs = []
    for i, member in enumerate(members):
        member.name = f"member_{i}"
        outputs.append(member(feed))
    mean = keras.Model(inputs, keras.layers.Average()(outputs), name="ensemble")
    if getattr(first, "compiled", False):
        mean.compile_from_config(first.get_compile_config())
    return mean


def keras_model(estimator: Any) -> keras.Model:
    """The ``keras.Model`` of a trained estimator of ours: the model itself, a scikeras
    estimator's ``model_``, or for a voting ensemble of them (``VotingRegressor`` /
    ``VotingClassifier`` over ``FrozenEstimator``s) the ``average_model`` of its members.

    Examples:
        >>> try:
        ...     keras_model(object())
        ... except TypeError as error:
        ...     print(str(error)[-11:])
        got object.
    """
    if isinstance(estimator, keras.Model):
        return estimator  # a streamed search's best model is one already
    model = getattr(estimator, "model_", None)
    if isinstance(model, keras.Model):
        return model
    members = [getattr(m, "estimator", m) for m in getattr(estimator, "estimators_", None) or []]
    models = [getattr(m, "model_", None) for m in members]
    if models and all(isinstance(m, keras.Model) for m in models):
        cached = getattr(estimator, "_hpsearch_keras_model", None)
        if cached is None:
            cached = average_model(models)
            estimator._hpsearch_keras_model = cached
        return cached
    raise TypeError(
        "keras_model needs a trained scikeras estimator or a voting ensemble of them, got "
        f"{type(estimator).__name__}."
    )
