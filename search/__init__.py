"""One search interface for Keras models: grid, random, genetic (DEAP), TPE (Optuna),
Hyperband and ASHA, run by one trial runner and judged by one evaluation protocol.

Examples:
    >>> import numpy as np
    >>> from search import search
    >>> from search.testing import TINY_SPACE, tiny_regressor
    >>> X = np.random.default_rng(0).normal(size=(40, 3)).astype("float32"); y = X.sum(1)
    >>> result = search("genetic", TINY_SPACE, tiny_regressor, X, y, n_trials=2, cv=2,
    ...                 epochs=1, progress=False)
    >>> result.best_estimator_.predict(X[:2]).shape
    (2,)
"""

import models  # noqa: F401  (first: imports TensorFlow quietly before anything loads it)
from search._facade import DEFAULT_SCORING, search
from search._parallel import local_cluster
from search._pool import shutdown_workers
from search.errors import AllTrialsFailedError
from search.estimators import (
    ASHASearchCV,
    GeneticSearchCV,
    HyperbandSearchCV,
    SpaceGridSearchCV,
    SpaceRandomizedSearchCV,
    SpaceSearchCV,
    TPESearchCV,
)
from search.ledger import DEFAULT_STORAGE, Ledger, LedgerWriteError, StorageURL, mask_url
from search.objective import KerasObjective
from search.result import LoadedResult, SearchResult, load_result
from search.strategies import (
    STRATEGIES,
    ASHAStrategy,
    GeneticStrategy,
    GridStrategy,
    HyperbandStrategy,
    NASStrategy,
    Proposal,
    RandomStrategy,
    Strategy,
    TPEStrategy,
    make_strategy,
)
from search.trial import Trial, trials_frame

__all__ = [
    "DEFAULT_SCORING",
    "DEFAULT_STORAGE",
    "STRATEGIES",
    "ASHASearchCV",
    "ASHAStrategy",
    "AllTrialsFailedError",
    "GeneticSearchCV",
    "GeneticStrategy",
    "GridStrategy",
    "HyperbandSearchCV",
    "HyperbandStrategy",
    "KerasObjective",
    "Ledger",
    "LedgerWriteError",
    "LoadedResult",
    "NASStrategy",
    "Proposal",
    "RandomStrategy",
    "SearchResult",
    "SpaceGridSearchCV",
    "SpaceRandomizedSearchCV",
    "SpaceSearchCV",
    "StorageURL",
    "Strategy",
    "TPESearchCV",
    "TPEStrategy",
    "Trial",
    "load_result",
    "local_cluster",
    "make_strategy",
    "mask_url",
    "search",
    "shutdown_workers",
    "trials_frame",
]

__version__ = "0.4.0"
