"""``Space``: named hyperparameters and their conversions for every strategy."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import optuna.distributions as od

from spaces._params import Param

__all__ = ["Space"]


class Space(Mapping[str, Param]):
    """A search space: an ordered mapping of parameter names to ``Int``/``Float``/``Categorical``.

    >>> from spaces import Space, Int, Float
    >>> space = Space(hidden_layers=Int(1, 4), learning_rate=Float(1e-4, 1e-2, log=True))
    >>> space.decode([0.0, 1.0])
    {'hidden_layers': 1, 'learning_rate': 0.01}
    """

    def __init__(self, params: Mapping[str, Param] | None = None, /, **kwargs: Param) -> None:
        merged: dict[str, Param] = {}
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
                if not isinstance(param, Param):
                    raise TypeError(
                        f"Space: parameter {name!r} must be Int, Float or Categorical, got "
                        f"{param!r}; wrap lists as Categorical([...])."
                    )
                merged[name] = param
        self._params = merged

    # Mapping protocol ---------------------------------------------------------------
    def __getitem__(self, name: str) -> Param:
        return self._params[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self._params.items())
        return f"Space({inner})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Space) and self._params == other._params

    def __hash__(self) -> int:
        return hash(tuple(self._params.items()))

    # Values ---------------------------------------------------------------------------
    def cast(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Return ``params`` with plain Python values, in the space's order.

        Raises ``ValueError`` when a name is missing or unknown, or a value lies outside.
        """
        unknown = sorted(set(params) - set(self._params))
        missing = [name for name in self._params if name not in params]
        if unknown or missing:
            raise ValueError(
                f"params must name exactly the space's parameters {list(self._params)}; "
                f"unknown: {unknown}, missing: {missing}."
            )
        out = {name: p.cast(params[name]) for name, p in self._params.items()}
        for name, value in out.items():
            if not self._params[name].contains(value):
                raise ValueError(f"params[{name!r}]={value!r} lies outside {self._params[name]!r}.")
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
        return {name: p.sample(gen) for name, p in self._params.items()}

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

    def grid_size(self, points: int | Mapping[str, int] = 5) -> int:
        """Number of points of ``to_grid(points)``."""
        return math.prod(len(values) for values in self.to_grid(points).values())

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

    # Genome ---------------------------------------------------------------------------
    def encode(self, params: Mapping[str, Any]) -> list[float]:
        """Map a point to a genome in [0, 1]^d (d = number of parameters)."""
        checked = self.cast(params)
        return [self._params[name].encode(checked[name]) for name in self._params]

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
        return {
            name: p.decode(float(g))
            for (name, p), g in zip(self._params.items(), genes, strict=True)
        }
