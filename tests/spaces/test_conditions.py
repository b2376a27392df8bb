"""Conditional parameters in ``Space``: declaration, activity, conversions, bad input."""

from __future__ import annotations

import optuna
import pytest

from spaces import Categorical, Condition, Float, Int, Space, per_layer, when


def nested() -> Space:
    return Space(
        layers=Int(1, 3),
        **per_layer("layers", 3, units=Int(8, 64), dropout=Categorical(["none", "plain"])),
        rate_1=Float(0.1, 0.5).when("dropout_1", "!=", "none"),
    )


def test_active_parameters_follow_the_conditions_transitively() -> None:
    space = nested()
    params = {"layers": 1, "units_1": 8, "dropout_1": "plain", "rate_1": 0.2}
    assert space.cast(params) == params
    # rate_1 exists only with dropout; layer 2's parameters only with 2+ layers.
    assert space.cast({**params, "dropout_1": "none"}) == {
        "layers": 1,
        "units_1": 8,
        "dropout_1": "none",
    }
    drawn = space.cast({**params, "layers": 1, "units_2": 9, "dropout_2": "none"})
    assert "units_2" not in drawn  # inactive values given are dropped
    with pytest.raises(ValueError, match="missing: \\['units_2', 'dropout_2'\\]"):
        space.cast({**params, "layers": 2})
    assert space.full({"layers": 1, "units_1": 8, "dropout_1": "none"})["units_3"] is None


def test_sampling_decoding_and_optuna_give_active_parameters_only() -> None:
    space = nested()
    for seed in range(20):
        point = space.sample(seed)
        assert list(point) == space.active_names(point)
    genome = space.encode({"layers": 1, "units_1": 8, "dropout_1": "none"})
    assert len(genome) == len(space)  # inactive genes are kept
    assert space.decode(genome) == {"layers": 1, "units_1": 8, "dropout_1": "none"}
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(10):
        trial = study.ask()
        params = space.suggest(trial)
        assert set(trial.params) == set(params) == set(space.active_names(params))
        study.tell(trial, 0.0)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Space(a=Int(1, 2).when("b", "==", 1), b=Int(1, 2)), "declared after it"),
        (lambda: Space(a=Int(1, 2).when("zz", "==", 1)), "refers to 'zz', which is not"),
        (lambda: Space(a=Int(1, 2).when("a", ">=", 1)), "declared after it .*cycle"),
        (lambda: Space(k=Categorical(["x"]), a=Int(1, 2).when("k", "==", "y")), "never takes"),
        (lambda: when(Int(1, 2), "k", "~", 1), "op must be one of"),
        (lambda: Condition("k", ">=", "big"), "compares numbers"),
        (lambda: per_layer("n", 0, units=Int(1, 2)), "max_layers must be an int >= 1"),
    ],
)
def test_bad_conditions_are_named(build, message) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        build()


def test_conditions_are_part_of_equality_and_repr() -> None:
    flat = Space(n=Int(1, 2), w=Int(1, 9))
    conditional = Space(n=Int(1, 2), w=Int(1, 9).when("n", ">=", 2))
    assert flat != conditional and "when('n', '>=', 2)" in repr(conditional)


def test_grid_size_counts_what_grid_points_lists_without_listing() -> None:
    import time

    from spaces import fashion_per_layer

    space = nested()
    for points in (2, 3):
        listed = space.grid_points(points)
        assert space.grid_size(points) == len(listed)
        assert len({repr(sorted(p.items())) for p in listed}) == len(listed)
    start = time.perf_counter()
    # 1 or 4 layers at 2 points; 60 candidates per layer (2 x 2 x 3 x (1 + 2 + 2)); x 4.
    assert fashion_per_layer().grid_size(2) == 4 * (60 + 60**4)
    assert time.perf_counter() - start < 1.0
