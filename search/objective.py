"""``KerasObjective``: optimise any metric the compiled model logs on validation.

Keras users name what they optimise as the log key: ``"val_loss"``, ``"val_auc"``,
``"val_accuracy"``. ``objective="val_auc"`` makes that metric the search's scorer: every
trial's per-epoch curve, its final fold scores, pruning and multi-fidelity decisions use
it. It is computed by the model's own ``test_step`` on the fold's held-out rows, so the
value is the one Keras's ``evaluate`` would log (the same loss and metric objects, weighted
by rows), without tracing an evaluation function per model.

Scores keep scikit-learn's convention (greater is better): a minimised objective is
negated, as ``neg_mean_squared_error`` is. ``KerasObjective.value(score)`` gives the metric
back.
"""

from __future__ import annotations

import re
from typing import Any

import keras
import numpy as np

from models import keras_model

__all__ = ["DIRECTIONS", "KerasObjective", "infer_direction"]

DIRECTIONS = ("min", "max")

# Log keys of quantities to minimise: losses and errors, by Keras's names and aliases.
_MINIMISE = re.compile(
    r"(loss|error|crossentropy|hinge|divergence|poisson|cosh|^mse$|^mae$|^mape$|^msle$|^rmse$)"
)
_CHUNK = 8192  # rows per test_step call: bounded memory on large folds


def infer_direction(name: str) -> str:
    """``"min"`` for a loss or an error (``val_loss``, ``val_mae``,
    ``val_mean_squared_error``), ``"max"`` for the rest (``val_auc``, ``val_accuracy``).

    Examples:
        >>> infer_direction("val_loss"), infer_direction("val_auc"), infer_direction("mae")
        ('min', 'max', 'min')
    """
    key = name[4:] if name.startswith("val_") else name
    return "min" if _MINIMISE.search(key) else "max"


class KerasObjective:
    """A scikit-learn scorer (``scorer(estimator, X, y)``, greater is better) for the Keras
    metric ``name`` on ``X, y``, through the model's ``test_step``.

    ``name`` is a validation log key (``"val_auc"``; ``"auc"`` is read the same way);
    ``direction`` is ``"min"`` or ``"max"`` (``None``: ``infer_direction``). The estimator is
    a scikeras estimator of ours (its ``model_`` and encoders are used, fitted or still
    training) or an ensemble of them (its members' mean output is evaluated).

    Examples:
        >>> objective = KerasObjective("val_loss")
        >>> objective.direction, objective.value(-0.25)
        ('min', 0.25)
        >>> KerasObjective("val_auc")
        KerasObjective('val_auc', direction='max')
    """

    def __init__(self, name: str, direction: str | None = None) -> None:
        if not isinstance(name, str) or not name.strip() or name.strip() in ("val", "val_"):
            raise ValueError(
                f"objective must name a metric the model logs on validation, such as "
                f"'val_loss' or 'val_auc', got {name!r}."
            )
        name = name.strip()
        self.name = name if name.startswith("val_") else f"val_{name}"
        self.key = self.name[4:]
        if direction is None:
            direction = infer_direction(self.name)
        if direction not in DIRECTIONS:
            raise ValueError(
                f"direction must be 'min' or 'max' (or None: inferred from the name, losses "
                f"and errors minimised), got {direction!r}."
            )
        self.direction = direction
        self.sign = -1.0 if direction == "min" else 1.0

    def __repr__(self) -> str:
        return f"KerasObjective({self.name!r}, direction={self.direction!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, KerasObjective) and repr(self) == repr(other)

    def __hash__(self) -> int:
        return hash(repr(self))

    def value(self, score: float) -> float:
        """The metric itself for a score of this scorer (undoes the sign of ``"min"``)."""
        return float(self.sign * score)

    def __call__(self, estimator: Any, X: Any, y: Any) -> float:
        model, encoder = _model_and_encoders(estimator)
        if encoder is None:  # a Keras model: the data as it is
            X_in, y_in = X, y
        else:
            X_in = encoder.feature_encoder_.transform(X)
            y_in = encoder.target_encoder_.transform(y)
        return float(self.sign * evaluate_metric(model, X_in, y_in, self.key, self.name))


def evaluate_metric(model: Any, X: Any, y: Any, key: str, name: str | None = None) -> float:
    """The compiled ``model``'s metric ``key`` (``"loss"``, ``"auc"``...) on ``X, y`` by its
    ``test_step``, as ``evaluate`` would log it; the model's metrics are reset before and
    after (a fit in progress has logged its epoch already and resets them itself)."""
    if not getattr(model, "compiled", False):
        raise ValueError(
            f"objective={name or key!r} reads the compiled model's metrics; this model is not "
            "compiled (compile it in build_model)."
        )
    try:
        # A functional model built on a list of one input wants its array in a list.
        listed = isinstance(model.input, list) and len(model.input) == 1
    except (AttributeError, ValueError):
        listed = False
    model.reset_metrics()
    result: dict[str, Any] = {}
    try:
        for start in range(0, len(X), _CHUNK):
            part = slice(start, start + _CHUNK)
            inputs = [X[part]] if listed else X[part]
            result = model.test_step((inputs, y[part], None))
    finally:
        model.reset_metrics()
    if key not in result:
        logged = sorted(f"val_{k}" for k in result)
        raise ValueError(
            f"objective={name or 'val_' + key!r} is not logged by this model; it logs "
            f"{logged}. Compile the model with the metric (metrics=[...]) or choose one of those."
        )
    return float(np.asarray(result[key]))


def _model_and_encoders(estimator: Any) -> tuple[Any, Any]:
    """The Keras model to evaluate and the scikeras estimator whose encoders turn ``X, y``
    into its inputs: the estimator's own, for an ensemble its members' mean model, or a
    Keras model (a streamed search's) with no encoders."""
    if isinstance(estimator, keras.Model):
        return estimator, None
    if getattr(estimator, "model_", None) is not None:
        return estimator.model_, estimator  # mid-fit too: scikeras sets it before training
    members = [getattr(m, "estimator", m) for m in getattr(estimator, "estimators_", None) or []]
    return keras_model(estimator), members[0] if members else estimator
