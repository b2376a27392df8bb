"""Strategy objects on their own: proposals and learning, without training anything."""

import math
import random

import numpy as np
import pytest
from sklearn.model_selection import ParameterGrid, ParameterSampler

from search.strategies import (
    GeneticStrategy,
    GridStrategy,
    RandomStrategy,
    TPEStrategy,
    fit_grid_points,
    make_strategy,
)
from search.testing import drive
from search.trial import Trial
from spaces import Categorical, Float, Int, Space, california_mlp


@pytest.fixture
def space() -> Space:
    return Space(x=Float(-2.0, 2.0), n=Int(1, 20), kind=Categorical(["a", "b", "c"]))


def objective(p: dict) -> float:
    # Best at x = 1, n = 15, kind = "b".
    return -((p["x"] - 1) ** 2) - ((p["n"] - 15) / 10) ** 2 - (0 if p["kind"] == "b" else 0.5)


def run(strategy, space: Space, n_trials: int, seed: int = 0) -> list[tuple[dict, float]]:
    trials = drive(strategy, space, n_trials, objective, seed=seed, workers=4)
    return [(t.params, t.score) for t in trials]


def asked(strategy, n: int) -> list[dict]:
    out = []
    for _ in range(n):
        params = strategy.ask()
        if params is None:
            break
        out.append(params)
    return out


def told(strategy, params: dict, score: float | None) -> None:
    state = "failed" if score is None or not math.isfinite(score) else "complete"
    strategy.tell(
        Trial(0, strategy.name, params, state=state, fold_scores=[] if score is None else [score])
    )


def test_random_candidates_equal_parameter_sampler(space: Space) -> None:
    s = RandomStrategy()
    s.bind(space, 12, seed=3)
    got = asked(s, 5) + asked(s, 7)
    expected = [space.cast(p) for p in ParameterSampler(space.to_sklearn(), 12, random_state=3)]
    assert got == expected
    assert s.ask() is None


def test_grid_covers_the_grid_in_parameter_grid_order() -> None:
    space = california_mlp()
    s = GridStrategy(points={"layer_size": 3, "learning_rate": 3, "hidden_layers": 2})
    s.bind(space, 18, seed=0)
    got = asked(s, 100)
    expected = list(
        ParameterGrid(space.to_grid({"layer_size": 3, "learning_rate": 3, "hidden_layers": 2}))
    )
    assert got == expected and len(got) == 18
    assert s.ask() is None


def test_grid_budget_fitting_and_errors() -> None:
    space = california_mlp()
    assert space.grid_size(fit_grid_points(space, 10)) == 8
    points = fit_grid_points(space, 30)
    assert space.grid_size(points) <= 30 and space.grid_size(points) >= 18
    with pytest.raises(ValueError, match="smallest grid .* has 8 points, more than n_trials=5"):
        GridStrategy().bind(space, 5, 0)
    with pytest.raises(ValueError, match="the grid has 100 points but n_trials=10"):
        GridStrategy(points=5).bind(space, 10, 0)


def test_genetic_generations_population_and_operators(space: Space) -> None:
    s = GeneticStrategy(population_size=6, cxpb=1.0, mutpb=1.0, survival="generational")
    s.bind(space, 60, seed=1)
    first = asked(s, 100)
    parents = [list(ind) for ind in s._population]
    assert len(first) == 6 and s.info == {"generation": 0}
    for p in first:
        told(s, p, objective(p))
    second = asked(s, 100)
    # One elite passes unchanged (already evaluated); the rest were crossed and mutated.
    assert s.info == {"generation": 1} and len(second) == 5
    changed = [list(ind) not in parents for _, ind in s._pending]
    assert sum(changed) >= 3  # a few genes may escape both operators by chance
    assert all(0.0 <= g <= 1.0 for _, ind in s._pending for g in ind)


def test_genetic_improves_over_generations_and_beats_random(space: Space) -> None:
    history = run(GeneticStrategy(population_size=8), space, 80, seed=2)
    first_gen = max(score for _, score in history[:8])
    assert max(score for _, score in history) > first_gen

    def median_best(factory) -> float:
        return float(
            np.median([max(s for _, s in run(factory(), space, 80, seed=i)) for i in range(7)])
        )

    assert median_best(lambda: GeneticStrategy(population_size=8)) > median_best(RandomStrategy)


def test_genetic_does_not_touch_global_random(space: Space) -> None:
    random.seed(123)
    state = random.getstate()
    run(GeneticStrategy(population_size=4), space, 12)
    assert random.getstate() == state


def test_genetic_failed_trials_rank_worst(space: Space) -> None:
    s = GeneticStrategy(population_size=4, n_elite=1)
    s.bind(space, 20, seed=0)
    batch = asked(s, 100)
    for p, score in zip(batch, [None, 1.0, None, None], strict=True):
        told(s, p, score)
    assert [ind.fitness.values[0] for ind in s._population].count(-math.inf) == 3
    assert s.ask() is not None  # the next generation: the hall of fame was updated
    assert s._hof[0].fitness.values == (1.0,)


def test_genetic_generation_limit(space: Space) -> None:
    s = GeneticStrategy(population_size=4, generations=2)
    s.bind(space, 100, seed=0)
    for _ in range(2):
        for p in asked(s, 100):
            told(s, p, 0.0)
    assert s.ask() is None


def test_tpe_is_told_and_learns(space: Space) -> None:
    s = TPEStrategy(n_startup_trials=5)
    history = run(s, space, 40, seed=0)
    assert len(s.study.trials) == 40
    assert all(t.value is not None for t in s.study.trials)
    late = np.mean([score for _, score in history[-10:]])
    early = np.mean([score for _, score in history[:5]])
    assert late > early


def test_tpe_failed_trials_are_told_as_failed(space: Space) -> None:
    s = TPEStrategy()
    s.bind(space, 10, seed=0)
    batch = asked(s, 3)
    for p, score in zip(batch, [1.0, None, float("nan")], strict=True):
        told(s, p, score)
    states = [t.state.name for t in s.study.trials]
    assert states == ["COMPLETE", "FAIL", "FAIL"]


@pytest.mark.parametrize("name", ["random", "genetic", "tpe"])
def test_same_seed_same_proposals(name: str, space: Space) -> None:
    a = [p for p, _ in run(make_strategy(name), space, 16, seed=4)]
    b = [p for p, _ in run(make_strategy(name), space, 16, seed=4)]
    c = [p for p, _ in run(make_strategy(name), space, 16, seed=5)]
    assert a == b and a != c


@pytest.mark.parametrize("name", ["grid", "random", "genetic", "tpe"])
def test_proposals_are_valid_plain_python(name: str, space: Space) -> None:
    for params, _ in run(make_strategy(name), space, 30):
        assert space.cast(params) == params
        assert type(params["n"]) is int and type(params["x"]) is float


def test_bad_options_and_names() -> None:
    with pytest.raises(ValueError, match="cxpb must be in"):
        GeneticStrategy(cxpb=2)
    with pytest.raises(ValueError, match="population_size must be an int >= 2"):
        GeneticStrategy(population_size=1)
    with pytest.raises(ValueError, match="n_startup_trials"):
        TPEStrategy(n_startup_trials=-1)
    with pytest.raises(ValueError, match="strategy must be one of"):
        make_strategy("annealing")
    with pytest.raises(ValueError, match="n_trials must be an int >= 1"):
        RandomStrategy().bind(california_mlp(), 0, 0)


def test_genetic_never_reports_done_because_one_generation_changed_nobody() -> None:
    space = Space(kind=Categorical(["a", "b"]), n=Int(1, 3))
    # No crossover, no mutation: every bred generation is a copy of evaluated parents.
    s = GeneticStrategy(population_size=4, cxpb=0.0, mutpb=0.0)
    s.bind(space, 40, seed=0)
    for p in asked(s, 100):
        told(s, p, 1.0)
    assert s.ask() is None  # converged for good only after many empty generations
    assert s.generation >= 1000

    lively = GeneticStrategy(population_size=4, cxpb=0.0, mutpb=0.2)
    lively.bind(space, 40, seed=0)
    for _ in range(5):
        batch = asked(lively, 100)
        assert batch, "an unchanged generation must not end the search"
        for p in batch:
            told(lively, p, float(p["n"]))


def test_genetic_first_generation_is_a_latin_hypercube() -> None:
    space = Space(a=Float(0.0, 1.0), b=Float(0.0, 1.0))
    s = GeneticStrategy(population_size=10)
    s.bind(space, 40, seed=0)
    first = asked(s, 10)
    for name in ("a", "b"):
        strata = sorted(int(p[name] * 10) for p in first)
        assert strata == list(range(10))  # one value in each tenth of the range


def test_genetic_plus_survival_keeps_the_best_of_parents_and_children() -> None:
    space = Space(x=Float(0.0, 1.0), kind=Categorical(["a", "b", "c"]))
    s = GeneticStrategy(population_size=4, survival="plus", mutpb=1.0)
    s.bind(space, 40, seed=1)
    scores = {}
    for _ in range(4):
        batch = asked(s, 100)
        for p in batch:
            scores[p["x"]] = -abs(p["x"] - 0.7)
            told(s, p, scores[p["x"]])
    best_four = sorted(scores.values(), reverse=True)[:4]
    asked(s, 100)  # breeds the next generation from the survivors
    survivors = sorted((ind.fitness.values[0] for ind in s._parents), reverse=True)
    assert survivors == best_four


def test_genetic_mutated_categoricals_are_drawn_anew_and_options_are_checked() -> None:
    with pytest.raises(ValueError, match="survival must be"):
        GeneticStrategy(survival="comma")
    with pytest.raises(ValueError, match="init must be"):
        GeneticStrategy(init="sobol")
    assert GeneticStrategy().get_config()["survival"] == "plus"


def test_tpe_with_a_median_pruner_stops_trials_worse_than_the_median_at_an_epoch() -> None:
    s = TPEStrategy(n_startup_trials=3, pruner="median")
    assert s.wants_epoch_reports and not TPEStrategy().wants_epoch_reports
    s.bind(Space(x=Float(0.0, 1.0)), 20, seed=0)
    stopped_at = []
    for k in range(8):
        p = s.ask()
        trial = Trial(k, "tpe", p)
        level = 1.0 if k % 2 == 0 else -1.0  # good and bad trials in turn
        stop_epoch = None
        for epoch in range(1, 6):
            if s.should_stop(trial, 0, epoch, level + 0.01 * epoch):
                stop_epoch = epoch
                break
        stopped_at.append(stop_epoch)
        state = "pruned" if stop_epoch else "complete"
        trial.state, trial.fold_scores = state, [] if stop_epoch else [level]
        trial.curve = [[level + 0.01 * e for e in range(1, (stop_epoch or 5) + 1)]]
        s.tell(trial)
    # Optuna's MedianPruner waits for 5 finished trials, then stops the bad ones at once.
    assert stopped_at[:5] == [None] * 5
    assert stopped_at[5:] == [1, None, 1]
    states = [t.state.name for t in s.study.trials]
    assert states[5:] == ["PRUNED", "COMPLETE", "PRUNED"]
    # Only the first fold is judged.
    p = s.ask()
    assert not s.should_stop(Trial(9, "tpe", p), 1, 1, -100.0)


def test_a_bad_pruner_is_named() -> None:
    with pytest.raises(ValueError, match="pruner must be one of"):
        TPEStrategy(pruner="sometimes")
