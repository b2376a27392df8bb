"""The NAS strategy: an LSTM controller trained with REINFORCE over conditional spaces."""

from __future__ import annotations

import numpy as np
import pytest

from search import search
from search.strategies import NASStrategy
from search.testing import StrategyContract, drive, tiny_regressor
from search.trial import Trial
from spaces import Categorical, Float, Int, Space, per_layer

ARCH_SPACE = Space(
    layers=Int(1, 3),
    **per_layer("layers", 3, units=Categorical([8, 16, 32]), act=Categorical(["relu", "selu"])),
)
TARGET = {"layers": 2, "units_1": 32, "act_1": "selu", "units_2": 8, "act_2": "relu"}


class TestNASStrategy(StrategyContract):
    def make_strategy(self):
        return NASStrategy(buckets={"x": 5, "n": [1, 5, 10, 15, 20]})


def _teach(seed: int, updates: int) -> NASStrategy:
    """Reward 1 for TARGET, 0 otherwise; nothing trained."""
    strategy = NASStrategy(learning_rate=0.02)
    drive(strategy, ARCH_SPACE, updates, lambda p: float(p == TARGET), seed=seed)
    return strategy


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_controller_learns_a_target_architecture(seed: int) -> None:
    strategy = _teach(seed, 300)
    assert strategy.probability(TARGET) > 0.5
    history = strategy.history_
    # Entropy falls; the baseline (a moving average, decay 0.99) closes at least half of
    # its gap to the recent mean reward.
    assert np.mean([h["entropy"] for h in history[-20:]]) < history[0]["entropy"] - 1.0
    recent = np.mean([h["reward"] for h in history[-100:]])
    assert abs(history[-1]["baseline"] - recent) < abs(recent) / 2
    assert history[-1]["likely"] == TARGET


def test_rewarded_architectures_become_more_likely() -> None:
    before = NASStrategy(learning_rate=0.02)
    before.bind(ARCH_SPACE, 1, 0)
    strategy = _teach(0, 60)
    assert strategy.probability(TARGET) > 3 * before.probability(TARGET)


def test_decisions_follow_the_conditions_and_the_seed() -> None:
    a = [t.params for t in drive(NASStrategy(), ARCH_SPACE, 30, lambda p: 0.0, seed=3)]
    b = [t.params for t in drive(NASStrategy(), ARCH_SPACE, 30, lambda p: 0.0, seed=3)]
    assert a == b
    for params in a:
        assert list(params) == ARCH_SPACE.active_names(params)
        assert len(params) == 1 + 2 * params["layers"]  # a 1-layer net: no layer-2 tokens


def test_continuous_parameters_need_buckets() -> None:
    space = Space(n=Int(1, 3), lr=Float(1e-4, 1e-2, log=True))
    with pytest.raises(ValueError, match="'lr' .* is continuous; .*buckets=\\{'lr': 5\\}"):
        NASStrategy().bind(space, 5, 0)
    with pytest.warns(UserWarning, match="buckets name \\['nope'\\]"):
        NASStrategy(buckets={"nope": 3, "lr": 3}).bind(space, 5, 0)
    strategy = NASStrategy(buckets={"lr": 3})
    strategy.bind(space, 5, 0)
    assert strategy.decisions_["lr"] == pytest.approx([1e-4, 1e-3, 1e-2])
    with pytest.raises(ValueError, match="learning_rate must be a number > 0"):
        NASStrategy(learning_rate=0)


def test_the_controller_survives_real_trials_in_its_process(reg_data) -> None:
    """Trials clear the Keras session and reseed Keras in this very process (n_jobs=1):
    the controller keeps its weights and its optimizer state across them."""
    X, y = reg_data
    space = Space(units=Int(2, 5), learning_rate=Float(1e-3, 1e-1, log=True))
    snapshots: list[list[np.ndarray]] = []

    class Watched(NASStrategy):
        def tell(self, trial: Trial) -> None:
            if snapshots:  # a real trial trained since the last update: nothing moved
                for before, now in zip(snapshots[-1], self.controller_weights, strict=True):
                    np.testing.assert_array_equal(before, np.asarray(now))
            super().tell(trial)
            snapshots.append([np.asarray(w).copy() for w in self.controller_weights])

    strategy = Watched(buckets={"learning_rate": 3})
    result = search(
        strategy,
        space,
        tiny_regressor,
        X,
        y,
        n_trials=4,
        cv=2,
        epochs=2,
        progress=False,
        refit=False,
    )
    learned = result.search_.strategy_
    assert len(snapshots) == 4 and learned is not strategy  # the search works on a copy
    assert learned.updates_ == 4 and int(learned._optimizer.iterations) == 4
    assert any(not np.array_equal(a, b) for a, b in zip(snapshots[0], snapshots[-1], strict=True))
    extras = result.trials_
    assert list(extras["nas_updates"]) == [0, 1, 2, 3]
    assert extras["nas_entropy"].notna().all() and extras["nas_likely"].str.startswith("{").all()
