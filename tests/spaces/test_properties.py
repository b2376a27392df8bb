"""Property-based tests of spaces (Hypothesis): generated spaces keep their round trips and
bounds whatever the ranges."""

from __future__ import annotations

import math

import numpy as np
import optuna
from hypothesis import given, settings
from hypothesis import strategies as st

from spaces import Categorical, Float, Int, Space

_NAMES = st.text(alphabet="abcdefghij", min_size=1, max_size=6)


@st.composite
def ints(draw) -> Int:
    log = draw(st.booleans())
    low = draw(st.integers(1 if log else -1000, 1000))
    return Int(low, draw(st.integers(low, low + 5000)), log=log)


@st.composite
def floats(draw) -> Float:
    log = draw(st.booleans())
    if log:
        exp_low = draw(st.floats(-8, 3))
        low = 10.0**exp_low
        high = low * 10.0 ** draw(st.floats(0, 6))
    else:
        low = draw(st.floats(-1e6, 1e6, allow_nan=False))
        high = low + draw(st.floats(0, 1e6, allow_nan=False))
    return Float(low, high, log=log)


categoricals = st.lists(
    st.one_of(st.integers(-5, 5), st.text(max_size=4), st.booleans()),
    min_size=1,
    max_size=6,
    unique_by=lambda v: (type(v).__name__, v),
).map(Categorical)

spaces_ = st.dictionaries(
    _NAMES, st.one_of(ints(), floats(), categoricals), min_size=1, max_size=5
).map(Space)


def _inside(space: Space, params: dict) -> None:
    assert set(params) == set(space)
    for name, value in params.items():
        assert space[name].contains(value), (name, value, space[name])


@settings(max_examples=150, deadline=None)
@given(spaces_, st.integers(0, 2**31 - 1))
def test_samples_stay_inside_and_cast_is_idempotent(space: Space, seed: int) -> None:
    params = space.sample(seed)
    _inside(space, params)
    assert space.cast(params) == params
    assert space.cast(space.cast(params)) == space.cast(params)


@settings(max_examples=150, deadline=None)
@given(spaces_, st.integers(0, 2**31 - 1))
def test_decode_of_encode_is_the_identity_on_ints_and_categoricals(space: Space, seed: int) -> None:
    params = space.sample(seed)
    genome = space.encode(params)
    assert all(0.0 <= g <= 1.0 for g in genome)
    back = space.decode(genome)
    _inside(space, back)
    for name, param in space.items():
        if isinstance(param, Float):
            assert math.isclose(
                back[name],
                params[name],
                rel_tol=1e-9,
                abs_tol=1e-9 * (abs(param.high) + abs(param.low) + 1),
            )
        else:
            assert back[name] == params[name]


@settings(max_examples=150, deadline=None)
@given(spaces_, st.lists(st.floats(-0.5, 1.5, allow_nan=False), min_size=5, max_size=5))
def test_any_genome_decodes_inside_the_space(space: Space, genes: list[float]) -> None:
    _inside(space, space.decode(genes[: len(space)] + [0.5] * max(0, len(space) - 5)))


@settings(max_examples=100, deadline=None)
@given(spaces_, st.integers(2, 6))
def test_grid_points_are_inside_and_counted(space: Space, points: int) -> None:
    grid = space.to_grid(points)
    assert space.grid_size(points) == math.prod(len(v) for v in grid.values())
    for name, values in grid.items():
        assert values and len(values) == len({repr(v) for v in values})
        for value in values:
            assert space[name].contains(space[name].cast(value))


@settings(max_examples=100, deadline=None)
@given(spaces_, st.integers(0, 2**31 - 1))
def test_optuna_distributions_accept_the_space_values(space: Space, seed: int) -> None:
    dists = space.to_optuna()
    params = space.sample(seed)
    for name, dist in dists.items():
        internal = dist.to_internal_repr(params[name])
        assert dist._contains(internal)
        assert dist.to_external_repr(internal) == params[name]
    # And what Optuna samples from them casts back inside the space.
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed % 1000))
    trial = study.ask(dists)
    _inside(space, space.cast(trial.params))


def test_a_log_space_sample_is_log_uniform() -> None:
    space = Space(x=Float(1e-4, 1e0, log=True))
    rng = np.random.default_rng(0)
    logs = [math.log10(space.sample(rng)["x"]) for _ in range(4000)]
    counts, _ = np.histogram(logs, bins=4, range=(-4, 0))
    assert counts.min() > 0.8 * counts.max()
