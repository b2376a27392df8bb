"""Strategies: objects that propose candidates (``ask``) and learn from trials (``tell``).

One file per strategy beside ``_base.py``; ``STRATEGIES`` is the one registry of names.

Examples:
    >>> sorted(STRATEGIES)
    ['asha', 'genetic', 'grid', 'hyperband', 'nas', 'random', 'tpe']
"""

from __future__ import annotations

from search.strategies._asha import ASHAStrategy
from search.strategies._base import Params, Proposal, Strategy
from search.strategies._fidelity import rung_epochs
from search.strategies._genetic import GeneticStrategy
from search.strategies._hyperband import HyperbandStrategy
from search.strategies._listed import GridStrategy, RandomStrategy, fit_grid_points
from search.strategies._nas import NASStrategy
from search.strategies._tpe import PRUNERS, TPEStrategy

__all__ = [
    "PRUNERS",
    "STRATEGIES",
    "ASHAStrategy",
    "GeneticStrategy",
    "GridStrategy",
    "HyperbandStrategy",
    "NASStrategy",
    "Params",
    "Proposal",
    "RandomStrategy",
    "Strategy",
    "TPEStrategy",
    "fit_grid_points",
    "make_strategy",
    "rung_epochs",
]

STRATEGIES: dict[str, type[Strategy]] = {
    "grid": GridStrategy,
    "random": RandomStrategy,
    "genetic": GeneticStrategy,
    "tpe": TPEStrategy,
    "hyperband": HyperbandStrategy,
    "asha": ASHAStrategy,
    "nas": NASStrategy,
}


def make_strategy(strategy: str | Strategy) -> Strategy:
    """A strategy object from a name in ``STRATEGIES`` (or the object itself).

    Examples:
        >>> make_strategy("tpe").name
        'tpe'
    """
    if isinstance(strategy, Strategy):
        return strategy
    if isinstance(strategy, str) and strategy in STRATEGIES:
        return STRATEGIES[strategy]()
    raise ValueError(
        f"strategy must be one of {sorted(STRATEGIES)} or a search.strategies.Strategy "
        f"object, got {strategy!r}."
    )
