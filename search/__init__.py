"""One search interface for Keras models: grid, random, genetic (DEAP) and TPE (Optuna).

>>> from search import search
>>> result = search(strategy="genetic", space="california_mlp", X=X, y=y)   # doctest: +SKIP
>>> result.best_params_, result.best_score_, result.best_estimator_          # doctest: +SKIP
"""

from search._facade import DEFAULT_SCORING, search
from search._parallel import local_cluster
from search.estimators import (
    AllTrialsFailedError,
    GeneticSearchCV,
    SpaceGridSearchCV,
    SpaceRandomizedSearchCV,
    SpaceSearchCV,
    TPESearchCV,
)
from search.ledger import DEFAULT_STORAGE, Ledger, mask_url
from search.result import SearchResult
from search.strategies import (
    STRATEGIES,
    GeneticStrategy,
    GridStrategy,
    RandomStrategy,
    Strategy,
    TPEStrategy,
    make_strategy,
)

__all__ = [
    "DEFAULT_SCORING",
    "DEFAULT_STORAGE",
    "STRATEGIES",
    "AllTrialsFailedError",
    "GeneticSearchCV",
    "GeneticStrategy",
    "GridStrategy",
    "Ledger",
    "RandomStrategy",
    "SearchResult",
    "SpaceGridSearchCV",
    "SpaceRandomizedSearchCV",
    "SpaceSearchCV",
    "Strategy",
    "TPESearchCV",
    "TPEStrategy",
    "local_cluster",
    "make_strategy",
    "mask_url",
    "search",
]

__version__ = "0.1.0"
