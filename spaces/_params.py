"""Parameter types of a search space: ``Int``, ``Float`` and ``Categorical``.

Each parameter knows how to express itself to every consumer (scikit-learn,
a grid, Optuna, a genome in [0, 1]) and how to turn a raw value back into a
plain Python value. Keeping those conversions here means a build function
never sees a ``numpy.int64`` (Keras 3 rejects them as layer sizes).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np
import optuna.distributions as od
from scipy import stats

__all__ = ["Categorical", "Float", "Int", "Param"]

_CHOICE_TYPES = (str, bool, int, float, type(None))


def _check_number(owner: str, name: str, value: object, *, integer: bool) -> None:
    kind = "an integer" if integer else "a real number"
    ok = isinstance(value, numbers.Integral if integer else numbers.Real) and not isinstance(
        value, bool
    )
    if not ok:
        raise TypeError(f"{owner}: {name} must be {kind}, got {value!r} ({type(value).__name__}).")
    if not math.isfinite(float(value)):  # type: ignore[arg-type]
        raise ValueError(f"{owner}: {name} must be finite, got {value!r}.")


class Param:
    """Common interface of the parameter types (see ``Int``, ``Float``, ``Categorical``)."""

    def cast(self, value: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def default(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def to_sklearn(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def grid(self, points: int) -> list[Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def max_points(self) -> int | None:  # pragma: no cover - abstract
        """Number of distinct values, or ``None`` when unbounded (floats)."""
        raise NotImplementedError

    def to_optuna(self) -> od.BaseDistribution:  # pragma: no cover - abstract
        raise NotImplementedError

    def encode(self, value: Any) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def decode(self, gene: float) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def sample(self, rng: np.random.Generator) -> Any:
        return self.decode(float(rng.random()))

    def contains(self, value: Any) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def when(self, parent: str, op: str, value: Any) -> Any:
        """This parameter, existing only when ``parent op value`` (a ``Conditional``).

        Examples:
            >>> Int(16, 256).when("hidden_layers", ">=", 2).condition
            when('hidden_layers', '>=', 2)
        """
        from spaces._conditions import when

        return when(self, parent, op, value)


def _clip01(gene: float) -> float:
    return min(max(float(gene), 0.0), 1.0)


@dataclass(frozen=True)
class _Numeric(Param):
    low: float
    high: float
    log: bool = False

    def _validate(self, integer: bool) -> None:
        owner = type(self).__name__
        _check_number(owner, "low", self.low, integer=integer)
        _check_number(owner, "high", self.high, integer=integer)
        if not isinstance(self.log, bool):
            raise TypeError(f"{owner}: log must be True or False, got {self.log!r}.")
        if self.low > self.high:
            raise ValueError(
                f"{owner}: low must be <= high, got low={self.low!r}, high={self.high!r}; "
                "swap them."
            )
        if self.log and self.low <= 0:
            raise ValueError(
                f"{owner}: log=True needs low > 0, got low={self.low!r}; "
                "use a positive lower bound or log=False."
            )

    # The unit interval maps linearly onto [low, high], or onto [log low, log high].
    def _to_unit(self, value: float) -> float:
        if self.log:
            span = math.log(self.high) - math.log(self.low)
            # Bounds a rounding error apart have no span in log space: the middle.
            return 0.5 if span == 0 else (math.log(value) - math.log(self.low)) / span
        span = self.high - self.low
        return 0.5 if span == 0 else (value - self.low) / span


@dataclass(frozen=True)
class Int(_Numeric):
    """An integer in ``[low, high]`` (both included), optionally log-uniform.

    Examples:
        >>> Int(1, 4).grid(4)
        [1, 2, 3, 4]
    """

    low: int
    high: int
    log: bool = False

    def __post_init__(self) -> None:
        self._validate(integer=True)
        object.__setattr__(self, "low", int(self.low))
        object.__setattr__(self, "high", int(self.high))

    def cast(self, value: Any) -> int:
        return int(value)

    def default(self) -> int:
        if self.log:
            return int(round(math.sqrt(self.low * self.high)))
        return (self.low + self.high) // 2

    def to_sklearn(self) -> Any:
        if self.log:
            return _LogIntDistribution(self.low, self.high)
        return stats.randint(self.low, self.high + 1)

    def max_points(self) -> int:
        return self.high - self.low + 1

    def grid(self, points: int) -> list[int]:
        if points >= self.max_points():
            return list(range(self.low, self.high + 1))
        space = np.geomspace if self.log else np.linspace
        return sorted({int(round(v)) for v in space(self.low, self.high, points)})

    def to_optuna(self) -> od.IntDistribution:
        return od.IntDistribution(self.low, self.high, log=self.log)

    def encode(self, value: Any) -> float:
        # Centre of the value's bin, so that decode(encode(v)) == v.
        n = self.max_points()
        if self.log:
            lo, hi = math.log(self.low), math.log(self.high + 1)
            a = (math.log(int(value)) - lo) / (hi - lo)
            b = (math.log(int(value) + 1) - lo) / (hi - lo)
            return (a + b) / 2
        return (int(value) - self.low + 0.5) / n

    def decode(self, gene: float) -> int:
        g = _clip01(gene)
        if self.log:
            lo, hi = math.log(self.low), math.log(self.high + 1)
            value = int(math.floor(math.exp(lo + g * (hi - lo))))
        else:
            value = self.low + int(math.floor(g * self.max_points()))
        return min(max(value, self.low), self.high)

    def contains(self, value: Any) -> bool:
        return (
            isinstance(value, numbers.Integral)
            and not isinstance(value, bool)
            and self.low <= int(value) <= self.high
        )


@dataclass(frozen=True)
class Float(_Numeric):
    """A real number in ``[low, high]``, uniform or (``log=True``) log-uniform.

    Examples:
        >>> Float(1e-4, 1e-2, log=True).grid(3)
        [0.0001, 0.001, 0.01]
    """

    low: float
    high: float
    log: bool = False

    def __post_init__(self) -> None:
        self._validate(integer=False)
        object.__setattr__(self, "low", float(self.low))
        object.__setattr__(self, "high", float(self.high))

    def cast(self, value: Any) -> float:
        return float(value)

    def default(self) -> float:
        if self.log:
            return float(math.sqrt(self.low * self.high))
        return (self.low + self.high) / 2

    def to_sklearn(self) -> Any:
        if self.high == self.low:
            return [self.low]
        if self.log:
            # The seed course's recipe: reciprocal(a, b) == loguniform(a, b).
            return stats.reciprocal(self.low, self.high)
        return stats.uniform(self.low, self.high - self.low)

    def max_points(self) -> int | None:
        return 1 if self.low == self.high else None

    def grid(self, points: int) -> list[float]:
        if self.low == self.high or points == 1:
            return [self.default()]
        space = np.geomspace if self.log else np.linspace
        # Round away float noise so that grid values print as the user wrote them, but never
        # past a bound (a rounded bound of 3.1622776601683795 would leave the range).
        values = [
            min(max(float(f"{v:.12g}"), self.low), self.high)
            for v in space(self.low, self.high, points)
        ]
        return list(dict.fromkeys(values))  # bounds closer than the rounding: one point

    def to_optuna(self) -> od.FloatDistribution:
        return od.FloatDistribution(self.low, self.high, log=self.log)

    def encode(self, value: Any) -> float:
        return _clip01(self._to_unit(float(value)))

    def decode(self, gene: float) -> float:
        g = _clip01(gene)
        if self.log:
            value = math.exp(math.log(self.low) + g * (math.log(self.high) - math.log(self.low)))
        else:
            value = self.low + g * (self.high - self.low)
        return min(max(value, self.low), self.high)

    def contains(self, value: Any) -> bool:
        return (
            isinstance(value, numbers.Real)
            and not isinstance(value, bool)
            and self.low <= float(value) <= self.high
        )


@dataclass(frozen=True)
class Categorical(Param):
    """One of a fixed list of choices (str, int, float, bool or None).

    Examples:
        >>> Categorical(["relu", "selu"]).grid(5)
        ['relu', 'selu']
    """

    choices: tuple[Any, ...]

    def __init__(self, choices: Any) -> None:
        if isinstance(choices, (str, bytes)) or not hasattr(choices, "__iter__"):
            raise TypeError(
                f"Categorical: choices must be a list or tuple of values, got {choices!r}; "
                f"write Categorical([{choices!r}]) for a single choice."
            )
        items = tuple(_plain(item) for item in choices)
        if not items:
            raise ValueError("Categorical: choices must not be empty; give at least one value.")
        for item in items:
            if not isinstance(item, _CHOICE_TYPES):
                raise TypeError(
                    f"Categorical: every choice must be str, int, float, bool or None, got "
                    f"{item!r} ({type(item).__name__}); use a name and map it in build_model."
                )
        if len(set(map(_choice_key, items))) != len(items):
            raise ValueError(f"Categorical: choices must be distinct, got {list(items)!r}.")
        object.__setattr__(self, "choices", items)

    def cast(self, value: Any) -> Any:
        return _plain(value)

    def default(self) -> Any:
        return self.choices[0]

    def to_sklearn(self) -> list[Any]:
        return list(self.choices)

    def max_points(self) -> int:
        return len(self.choices)

    def grid(self, points: int) -> list[Any]:
        return list(self.choices)

    def to_optuna(self) -> od.CategoricalDistribution:
        return od.CategoricalDistribution(self.choices)

    def _index(self, value: Any) -> int:
        key = _choice_key(_plain(value))
        for i, choice in enumerate(self.choices):
            if _choice_key(choice) == key:
                return i
        raise ValueError(f"{value!r} is not one of the choices {list(self.choices)!r}.")

    def encode(self, value: Any) -> float:
        return (self._index(value) + 0.5) / len(self.choices)

    def decode(self, gene: float) -> Any:
        n = len(self.choices)
        return self.choices[min(int(math.floor(_clip01(gene) * n)), n - 1)]

    def contains(self, value: Any) -> bool:
        try:
            self._index(value)
        except (ValueError, TypeError):
            return False
        return True


def _plain(value: Any) -> Any:
    """numpy scalars -> the Python scalar of the same kind."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def _choice_key(value: Any) -> tuple[str, Any]:
    # True == 1 in Python; the type keeps bool and int choices apart.
    return (type(value).__name__, value)


class _LogIntDistribution:
    """Log-uniform integers for ``ParameterSampler`` (scipy has no such distribution)."""

    def __init__(self, low: int, high: int) -> None:
        self.low, self.high = low, high
        self._float = stats.loguniform(low, high + 1)

    def rvs(self, random_state: Any = None) -> int:
        value = int(math.floor(self._float.rvs(random_state=random_state)))
        return min(max(value, self.low), self.high)

    def __repr__(self) -> str:
        return f"log_randint({self.low}, {self.high})"
