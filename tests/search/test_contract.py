"""Every strategy passes the shipped contract (``search.testing``): the pure ask/tell tier
and the training tier, as Optuna's samplers share one suite."""

from __future__ import annotations

from search.strategies import (
    ASHAStrategy,
    GeneticStrategy,
    GridStrategy,
    HyperbandStrategy,
    NASStrategy,
    RandomStrategy,
    TPEStrategy,
)
from search.testing import SearchContract, StrategyContract


class TestGridStrategy(StrategyContract):
    def make_strategy(self):
        return GridStrategy()

    def test_same_seed_same_proposals_other_seed_other(self) -> None:
        # A grid ignores the seed by design; the same grid both times.
        from search.testing import drive

        a = [t.params for t in drive(self.make_strategy(), self.space, 12, seed=4)]
        b = [t.params for t in drive(self.make_strategy(), self.space, 12, seed=5)]
        assert a == b


class TestRandomStrategy(StrategyContract):
    def make_strategy(self):
        return RandomStrategy()


class TestGeneticStrategy(StrategyContract):
    def make_strategy(self):
        return GeneticStrategy(population_size=4)


class TestTPEStrategy(StrategyContract):
    def make_strategy(self):
        return TPEStrategy(n_startup_trials=3)


class TestHyperbandStrategy(StrategyContract):
    def make_strategy(self):
        return HyperbandStrategy()


class TestBOHBStrategy(StrategyContract):
    def make_strategy(self):
        return HyperbandStrategy(sampler="tpe", n_startup_trials=3)


class TestASHAStrategy(StrategyContract):
    def make_strategy(self):
        return ASHAStrategy()


class TestGridSearch(SearchContract):
    strategy = "grid"


class TestRandomSearch(SearchContract):
    strategy = "random"


class TestGeneticSearch(SearchContract):
    strategy = "genetic"


class TestTPESearch(SearchContract):
    strategy = "tpe"


# Multi-fidelity strategies need epochs >= eta: 3 epochs gives rungs of 1 and 3 epochs.
_MULTI_FIDELITY = {**SearchContract.fast, "epochs": 3}


class TestHyperbandSearch(SearchContract):
    strategy = "hyperband"
    fast = _MULTI_FIDELITY


class TestASHASearch(SearchContract):
    strategy = "asha"
    fast = _MULTI_FIDELITY


class TestNASSearch(SearchContract):
    @staticmethod
    def strategy():
        return NASStrategy(buckets={"learning_rate": 5})
