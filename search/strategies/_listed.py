"""Grid and random search: a list of candidates fixed in advance, proposed in order."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

from sklearn.model_selection import ParameterSampler

from search.strategies._base import Params, Strategy
from search.trial import Trial
from spaces import Space

__all__ = ["GridStrategy", "RandomStrategy", "fit_grid_points"]


class _ListStrategy(Strategy):
    """Proposes a precomputed list in order; scores never change it."""

    def _start(self, n_trials: int, seed: int) -> None:
        self._queue = self._candidates(n_trials, seed)
        self._next = 0

    @abstractmethod
    def _candidates(self, n_trials: int, seed: int) -> list[Params]: ...

    def ask(self) -> Params | None:
        if self._next >= len(self._queue):
            return None
        self._next += 1
        return self.space.cast(self._queue[self._next - 1])

    def tell(self, trial: Trial) -> None:
        return None


class GridStrategy(_ListStrategy):
    """Every point of ``Space.to_grid(points)``, in ``ParameterGrid`` order.

    ``points`` (per numeric parameter, an int or a mapping) may be given; by default the
    largest grid with at most ``n_trials`` points is chosen (numeric parameters get points
    in turn, starting from their two bounds).

    Examples:
        >>> from spaces import Space, Int
        >>> s = GridStrategy()
        >>> s.bind(Space(n=Int(1, 3)), n_trials=3, seed=0)
        >>> [s.ask(), s.ask(), s.ask(), s.ask()]
        [{'n': 1}, {'n': 2}, {'n': 3}, None]
    """

    name = "grid"

    def __init__(self, points: int | dict[str, int] | None = None) -> None:
        super().__init__()
        self.points = points

    def get_config(self) -> dict[str, Any]:
        return {"points": self.points}

    def _candidates(self, n_trials: int, seed: int) -> list[Params]:
        points = self.points if self.points is not None else fit_grid_points(self.space, n_trials)
        size = self.space.grid_size(points)
        if size > n_trials:
            raise ValueError(
                f"grid: the grid has {size} points but n_trials={n_trials}; raise n_trials to "
                f"{size} or give fewer points (points={points!r})."
            )
        self.points_ = points
        return self.space.grid_points(points)


def fit_grid_points(space: Space, n_trials: int) -> dict[str, int]:
    """The per-parameter point counts of the largest grid with at most ``n_trials`` points.

    Examples:
        >>> from spaces import california_mlp
        >>> fit_grid_points(california_mlp(), 10)
        {'hidden_layers': 2, 'layer_size': 2, 'learning_rate': 2}
    """
    points = {name: 2 for name in space}
    smallest = space.grid_size(points)
    if smallest > n_trials:
        raise ValueError(
            f"grid: even the smallest grid (categoricals x 2 values per numeric parameter) "
            f"has {smallest} points, more than n_trials={n_trials}; raise n_trials to "
            f"{smallest}, or use strategy='random', 'genetic' or 'tpe'."
        )
    growable = [n for n, p in space.items() if (m := p.max_points()) is None or m > 2]
    grown = True
    while grown:
        grown = False
        for name in growable:
            limit = space[name].max_points()
            if limit is not None and points[name] >= limit:
                continue
            trial = {**points, name: points[name] + 1}
            if space.grid_size(trial) <= n_trials:
                points, grown = trial, True
    return points


class RandomStrategy(_ListStrategy):
    """scikit-learn's ``ParameterSampler`` over ``Space.to_sklearn()`` (log floats drawn
    from ``scipy.stats.reciprocal``), ``n_iter = n_trials``, seeded.

    Examples:
        >>> from spaces import Space, Int
        >>> s = RandomStrategy()
        >>> s.bind(Space(n=Int(1, 9)), n_trials=2, seed=0)
        >>> s.ask(), s.ask(), s.ask()
        ({'n': 6}, {'n': 1}, None)
    """

    name = "random"

    def _candidates(self, n_trials: int, seed: int) -> list[Params]:
        return list(ParameterSampler(self.space.to_sklearn(), n_iter=n_trials, random_state=seed))
