"""Conditional parameters: a parameter that exists only when an earlier one has some value.

``Int(16, 256).when("hidden_layers", ">=", 2)`` declares a parameter active only in
networks of at least 2 layers; ``per_layer("hidden_layers", 4, units=Int(16, 256))``
declares ``units_1`` ... ``units_4``, layer ``i``'s active when ``hidden_layers >= i`` (the
per-layer case that KerasTuner writes with ``conditional_scope`` and Optuna users write as
define-by-run code).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any

from spaces._params import Param

__all__ = ["Condition", "Conditional", "per_layer", "when"]

_OPS = ("==", "!=", ">=", ">", "<=", "<", "in")


@dataclass(frozen=True)
class Condition:
    """``parent op value``, e.g. ``Condition("hidden_layers", ">=", 2)``.

    Examples:
        >>> Condition("dropout", "in", ("plain", "alpha")).holds("alpha")
        True
    """

    parent: str
    op: str
    value: Any

    def __post_init__(self) -> None:
        if not isinstance(self.parent, str) or not self.parent:
            raise ValueError(f"a condition's parent must be a parameter name, got {self.parent!r}.")
        if self.op not in _OPS:
            raise ValueError(
                f"a condition's op must be one of {list(_OPS)}, got {self.op!r} "
                f"(in when({self.parent!r}, {self.op!r}, {self.value!r}))."
            )
        if self.op == "in":
            if isinstance(self.value, (str, bytes)) or not hasattr(self.value, "__iter__"):
                raise ValueError(
                    f"when({self.parent!r}, 'in', ...) needs a list of values, got {self.value!r}."
                )
            object.__setattr__(self, "value", tuple(self.value))
        elif self.op not in ("==", "!=") and not (
            isinstance(self.value, numbers.Real) and not isinstance(self.value, bool)
        ):
            raise ValueError(
                f"when({self.parent!r}, {self.op!r}, ...) compares numbers, got {self.value!r}."
            )

    def holds(self, parent_value: Any) -> bool:
        if self.op == "in":
            return bool(parent_value in self.value)
        if self.op == "==":
            return bool(parent_value == self.value)
        if self.op == "!=":
            return bool(parent_value != self.value)
        if self.op == ">=":
            return bool(parent_value >= self.value)
        if self.op == ">":
            return bool(parent_value > self.value)
        if self.op == "<=":
            return bool(parent_value <= self.value)
        return bool(parent_value < self.value)

    def values_of(self, parent: Param) -> list[Any]:
        """The values the condition names, to check them against the parent's range."""
        return list(self.value) if self.op == "in" else [self.value]

    def __repr__(self) -> str:
        return f"when({self.parent!r}, {self.op!r}, {self.value!r})"


@dataclass(frozen=True)
class Conditional:
    """A parameter and the condition under which it exists (see ``Param.when``)."""

    param: Param
    condition: Condition

    def __repr__(self) -> str:
        return f"{self.param!r}.{self.condition!r}"


def when(param: Param, parent: str, op: str, value: Any) -> Conditional:
    """``param`` exists only when ``parent op value`` (``Param.when`` is the short form).

    Examples:
        >>> from spaces import Int
        >>> when(Int(16, 256), "hidden_layers", ">=", 2)
        Int(low=16, high=256, log=False).when('hidden_layers', '>=', 2)
    """
    if not isinstance(param, Param):
        raise TypeError(f"when: param must be Int, Float or Categorical, got {param!r}.")
    return Conditional(param, Condition(parent, op, value))


def per_layer(count: str, max_layers: int, **params: Param) -> dict[str, Param | Conditional]:
    """Per-layer parameters ``<name>_<i>`` for layers ``1..max_layers``; layer ``i``'s exist
    when ``count >= i``. Ordered layer by layer (layer 1's parameters, then layer 2's...),
    the order in which a controller decides them.

    Examples:
        >>> from spaces import Categorical, Int, Space
        >>> space = Space(layers=Int(1, 2), **per_layer("layers", 2, units=Int(8, 64),
        ...                                             act=Categorical(["relu", "selu"])))
        >>> list(space)
        ['layers', 'units_1', 'act_1', 'units_2', 'act_2']
        >>> space.cast({"layers": 1, "units_1": 8, "act_1": "relu"})
        {'layers': 1, 'units_1': 8, 'act_1': 'relu'}
    """
    if isinstance(max_layers, bool) or not isinstance(max_layers, int) or max_layers < 1:
        raise ValueError(f"per_layer: max_layers must be an int >= 1, got {max_layers!r}.")
    if not params:
        raise ValueError("per_layer: give at least one parameter, e.g. units=Int(16, 256).")
    out: dict[str, Param | Conditional] = {}
    for layer in range(1, max_layers + 1):
        for name, param in params.items():
            if not isinstance(param, Param):
                raise TypeError(
                    f"per_layer: {name} must be Int, Float or Categorical, got {param!r}."
                )
            out[f"{name}_{layer}"] = when(param, count, ">=", layer)
    return out
