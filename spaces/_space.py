"""``Space``: named hyperparameters and their conversions for every strategy."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import optuna.distributions as od

from spaces._conditions import Condition, Conditional
from spaces._params import Param

__all__ = ["Space"]


class Space(Mapping[str, Param]):
    """A search space: an ordered mapping of parameter names to ``Int``/``Float``/``Categorical``.

    A parameter may be conditional (``Int(8, 64).when("layers", ">=", 2)``, or
    ``per_layer(...)``): it exists only when its condition on an *earlier* parameter holds.
    A candidate then names only its active parameters; ``full()`` adds the inactive ones as
    ``None`` (what ``build_model`` receives).

    Examples:
        >>> from spaces import Space, Int, Float
        >>> space = Space(hidden_layers=Int(1, 4), learning_rate=Float(1e-4, 1e-2, log=True))
        >>> space.decode([0.0, 1.0])
        {'hidden_layers': 1, 'learning_rate': 0.01}
    """

    def __init__(
        self, params: Mapping[str, Param | Conditional] | None = None, /, **kwargs: Any
    ) -> None:
        merged: dict[str, Param] = {}
        conditions: dict[str, Condition] = {}
        for source in (params or {}), kwargs:
            if not isinstance(source, Mapping):
                raise TypeError(
                    f"Space: params must be a mapping of name -> parameter, got {source!r}."
                )
            for name, param in source.items():
                if name in merged:
                    raise ValueError(
                        f"Space: duplicate parameter name {name!r}; each name may appear once."
                    )
                if not isinstance(name, str) or not name.isidentifier():
                    raise ValueError(
                        f"Space: parameter names must be Python identifiers (they become "
                        f"keyword arguments of build_model), got {name!r}."
                    )
                if "__" in name:
                    raise ValueError(
                        f"Space: parameter name {name!r} contains '__', which scikit-learn "
                        "reserves for nested parameters; rename it."
                    )
                if isinstance(param, Conditional):
                    conditions[name] = param.condition
                    param = param.param
                if not isinstance(param, Param):
                    raise TypeError(
                        f"Space: parameter {name!r} must be Int, Float or Categorical, got "
                        f"{param!r}; wrap lists as Categorical([...])."
                    )
                merged[name] = param
        self._params = merged
        self._conditions = conditions
        self._check_conditions()

    def _check_conditions(self) -> None:
        names = list(self._params)
        for name, condition in self._conditions.items():
            parent = condition.parent
            if parent not in self._params:
                raise ValueError(
                    f"Space: the condition of {name!r} refers to {parent!r}, which is not a "
                    f"parameter of this space ({names}); declare it, before {name!r}."
                )
            if names.index(parent) >= names.index(name):
                # Conditions only look back, so a cycle cannot be declared either.
                raise ValueError(
                    f"Space: the condition of {name!r} refers to {parent!r}, declared after "
                    f"it (or in a cycle of conditions); declare {parent!r} first."
                )
            for value in condition.values_of(self._params[parent]):
                numeric = condition.op in (">=", ">", "<=", "<")
                if not numeric and not self._params[parent].contains(value):
                    raise ValueError(
                        f"Space: the condition of {name!r} names {value!r}, which "
                        f"{parent!r} = {self._params[parent]!r} never takes."
                    )

    @property
    def conditions(self) -> dict[str, Condition]:
        """The conditional parameters' conditions, by name (empty for a flat space)."""
        return dict(self._conditions)

    def active_names(self, params: Mapping[str, Any]) -> list[str]:
        """The parameters that exist for ``params`` (in the space's order).

        Examples:
            >>> from spaces import Int
            >>> s = Space(n=Int(1, 2), w2=Int(1, 9).when("n", ">=", 2))
            >>> s.active_names({"n": 1}), s.active_names({"n": 2, "w2": 3})
            (['n'], ['n', 'w2'])
        """
        active: list[str] = []
        for name in self._params:
            condition = self._conditions.get(name)
            if condition is None or (
                condition.parent in active
                and condition.parent in params
                and condition.holds(params[condition.parent])
            ):
                active.append(name)
        return active

    def is_active(self, name: str, decided: Mapping[str, Any]) -> bool:
        """Whether ``name`` exists given ``decided``: the active parameters decided so far
        (every condition looks back, so they are all it can depend on).

        Examples:
            >>> from spaces import Int
            >>> s = Space(n=Int(1, 2), w2=Int(1, 9).when("n", ">=", 2))
            >>> s.is_active("w2", {"n": 1}), s.is_active("w2", {"n": 2})
            (False, True)
        """
        condition = self._conditions.get(name)
        return condition is None or (
            condition.parent in decided and condition.holds(decided[condition.parent])
        )

    def full(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """``params`` plus every inactive parameter as ``None``: what ``build_model`` gets.

        Examples:
            >>> from spaces import Int
            >>> Space(n=Int(1, 2), w2=Int(1, 9).when("n", ">=", 2)).full({"n": 1})
            {'n': 1, 'w2': None}
        """
        return {name: params.get(name) for name in self._params}

    # Mapping protocol ---------------------------------------------------------------
    def __getitem__(self, name: str) -> Param:
        return self._params[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)

    def __repr__(self) -> str:
        inner = ", ".join(
            f"{k}={v!r}" + (f".{self._conditions[k]!r}" if k in self._conditions else "")
            for k, v in self._params.items()
        )
        return f"Space({inner})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Space)
            and self._params == other._params
            and self._conditions == other._conditions
        )

    def __hash__(self) -> int:
        return hash((tuple(self._params.items()), tuple(self._conditions.items())))

    # Values ---------------------------------------------------------------------------
    def cast(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Return ``params`` with plain Python values, in the space's order.

        Raises ``ValueError`` when a name is missing or unknown, or a value lies outside.
        In a conditional space only the active parameters are returned (inactive ones given
        are dropped: a genome or a sampler draws them all).
        """
        unknown = sorted(set(params) - set(self._params))
        if unknown:
            raise ValueError(
                f"params name parameters {unknown} that are not in the space {list(self._params)}."
            )
        out: dict[str, Any] = {}
        for name, param in self._params.items():
            if not self.is_active(name, out):
                continue
            if name not in params:
                missing = [n for n in self.active_names({**params, **out}) if n not in params]
                raise ValueError(
                    f"params must name every active parameter of the space "
                    f"{list(self._params)}; missing: {missing}."
                )
            value = param.cast(params[name])
            if not param.contains(value):
                raise ValueError(f"params[{name!r}]={value!r} lies outside {param!r}.")
            out[name] = value
        return out

    def defaults(self) -> dict[str, Any]:
        """A central value of every parameter (geometric mean for log scales, first choice)."""
        return {name: p.default() for name, p in self._params.items()}

    def sample(self, rng: np.random.Generator | int) -> dict[str, Any]:
        """One uniformly drawn point (log-uniform for log parameters).

        ``rng`` is a ``numpy.random.Generator`` or an integer seed.
        """
        gen = np.random.default_rng(rng) if isinstance(rng, (int, np.integer)) else rng
        if not isinstance(gen, np.random.Generator):
            raise TypeError(f"rng must be a numpy Generator or an int seed, got {rng!r}.")
        return self.cast({name: p.sample(gen) for name, p in self._params.items()})

    # scikit-learn ---------------------------------------------------------------------
    def to_sklearn(self) -> dict[str, Any]:
        """``param_distributions`` for ``RandomizedSearchCV`` / ``ParameterSampler``.

        Log floats become ``scipy.stats.reciprocal``, ints ``randint``, categoricals lists.
        """
        return {name: p.to_sklearn() for name, p in self._params.items()}

    def to_grid(self, points: int | Mapping[str, int] = 5) -> dict[str, list[Any]]:
        """A ``ParameterGrid``-ready dict of lists.

        ``points`` is the number of values per numeric parameter (log-spaced where
        ``log=True``), one number for all or a mapping name -> number. Categoricals keep all
        their choices; integer ranges never repeat a value.
        """
        per_param = self._points(points)
        return {name: p.grid(per_param[name]) for name, p in self._params.items()}

    def grid_points(self, points: int | Mapping[str, int] = 5) -> list[dict[str, Any]]:
        """The candidates of the grid ``to_grid(points)``: ``ParameterGrid``'s, in its order,
        for a flat space; for a conditional space each distinct candidate once (only its
        active parameters), depth first in the space's order.

        Examples:
            >>> from spaces import Int
            >>> Space(n=Int(1, 2), w2=Int(1, 9).when("n", ">=", 2)).grid_points(2)
            [{'n': 1}, {'n': 2, 'w2': 1}, {'n': 2, 'w2': 9}]
        """
        grid = self.to_grid(points)
        if not self._conditions:
            from sklearn.model_selection import ParameterGrid

            return [dict(p) for p in ParameterGrid(grid)]
        return list(self._walk(0, {}, grid))

    def _walk(
        self, index: int, chosen: dict[str, Any], grid: Mapping[str, list[Any]]
    ) -> Iterator[dict[str, Any]]:
        """Every active candidate below ``chosen`` (parameters before ``index`` decided)."""
        names = list(self._params)
        if index == len(names):
            yield dict(chosen)
            return
        name = names[index]
        if not self.is_active(name, chosen):
            yield from self._walk(index + 1, chosen, grid)
            return
        for value in grid[name]:
            chosen[name] = value
            yield from self._walk(index + 1, chosen, grid)
            del chosen[name]

    def grid_size(self, points: int | Mapping[str, int] = 5) -> int:
        """Number of points of ``grid_points(points)``, counted without listing them (a
        per-layer space's grid can hold billions of points)."""
        grid = self.to_grid(points)
        if not self._conditions:
            return math.prod(len(values) for values in grid.values())
        names = list(self._params)
        # The parameters whose values later conditions read: the only state that matters.
        watched_after = [
            {c.parent for n, c in self._conditions.items() if names.index(n) >= i}
            for i in range(len(names) + 1)
        ]
        memo: dict[tuple[int, tuple[tuple[str, Any], ...]], int] = {}

        def count(index: int, chosen: dict[str, Any]) -> int:
            if index == len(names):
                return 1
            key = (
                index,
                tuple((p, repr(chosen[p])) for p in sorted(watched_after[index]) if p in chosen),
            )
            if key not in memo:
                name = names[index]
                if not self.is_active(name, chosen):
                    memo[key] = count(index + 1, chosen)
                else:
                    memo[key] = sum(count(index + 1, {**chosen, name: v}) for v in grid[name])
            return memo[key]

        return count(0, {})

    def _points(self, points: int | Mapping[str, int]) -> dict[str, int]:
        if isinstance(points, Mapping):
            unknown = sorted(set(points) - set(self._params))
            if unknown:
                raise ValueError(
                    f"points names parameters {unknown} that are not in the space "
                    f"{list(self._params)}."
                )
            chosen = {name: points.get(name, 5) for name in self._params}
        else:
            chosen = {name: points for name in self._params}
        for name, value in chosen.items():
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"points for {name!r} must be an integer >= 1, got {value!r}.")
        return {name: int(value) for name, value in chosen.items()}

    # Optuna ---------------------------------------------------------------------------
    def to_optuna(self) -> dict[str, od.BaseDistribution]:
        """Optuna distributions, for ``study.ask(fixed_distributions)`` and ledgers."""
        return {name: p.to_optuna() for name, p in self._params.items()}

    def suggest(self, trial: Any) -> dict[str, Any]:
        """Optuna define-by-run: suggest the active parameters only, in order (so TPE never
        models a parameter that does not exist in a candidate).

        Examples:
            >>> import optuna
            >>> from spaces import Int
            >>> s = Space(n=Int(1, 1), w2=Int(1, 9).when("n", ">=", 2))
            >>> s.suggest(optuna.create_study().ask())
            {'n': 1}
        """
        drawn: dict[str, Any] = {}
        for name, param in self._params.items():
            if not self.is_active(name, drawn):
                continue
            dist = param.to_optuna()
            if isinstance(dist, od.CategoricalDistribution):
                drawn[name] = trial.suggest_categorical(name, dist.choices)
            elif isinstance(dist, od.IntDistribution):
                drawn[name] = trial.suggest_int(name, dist.low, dist.high, log=dist.log)
            else:
                assert isinstance(dist, od.FloatDistribution)
                drawn[name] = trial.suggest_float(name, dist.low, dist.high, log=dist.log)
        return self.cast(drawn)

    # Genome ---------------------------------------------------------------------------
    def encode(self, params: Mapping[str, Any]) -> list[float]:
        """Map a point to a genome in [0, 1]^d (d = number of parameters)."""
        checked = self.cast(params)
        # An inactive parameter's gene: its default (the GA keeps such genes and ignores them).
        return [
            p.encode(checked[name] if name in checked else p.default())
            for name, p in self._params.items()
        ]

    def decode(self, genome: Sequence[float]) -> dict[str, Any]:
        """Map a genome in [0, 1]^d back to a point; genes outside [0, 1] are clipped."""
        genes = list(genome)
        if len(genes) != len(self._params):
            raise ValueError(
                f"genome must have one gene per parameter ({len(self._params)}), got {len(genes)}."
            )
        for gene in genes:
            if not isinstance(gene, (int, float, np.floating, np.integer)) or not math.isfinite(
                float(gene)
            ):
                raise ValueError(f"genome genes must be finite numbers, got {gene!r}.")
        return self.cast(
            {
                name: p.decode(float(g))
                for (name, p), g in zip(self._params.items(), genes, strict=True)
            }
        )
