import numpy as np
import pytest
from sklearn.model_selection import ParameterGrid, ParameterSampler, RandomizedSearchCV

from spaces import Categorical, Float, Int, Space


@pytest.fixture
def space() -> Space:
    return Space(
        hidden_layers=Int(1, 4),
        layer_size=Int(1, 99),
        learning_rate=Float(1e-4, 1e-2, log=True),
        activation=Categorical(["relu", "selu"]),
    )


def test_construction_errors_name_parameter_and_fix() -> None:
    with pytest.raises(ValueError, match="duplicate parameter name 'a'"):
        Space({"a": Int(1, 2)}, a=Int(1, 3))
    with pytest.raises(TypeError, match="parameter 'a' must be Int, Float or Categorical"):
        Space(a=[1, 2, 3])
    with pytest.raises(ValueError, match="contains '__'"):
        Space({"model__units": Int(1, 2)})
    with pytest.raises(ValueError, match="Python identifiers"):
        Space({"1st": Int(1, 2)})


def test_mapping_behaviour(space: Space) -> None:
    assert list(space) == ["hidden_layers", "layer_size", "learning_rate", "activation"]
    assert len(space) == 4 and space["hidden_layers"] == Int(1, 4)
    assert space == Space(dict(space))


def test_to_sklearn_is_usable_by_parameter_sampler(space: Space) -> None:
    samples = list(ParameterSampler(space.to_sklearn(), n_iter=50, random_state=0))
    for s in samples:
        cast = space.cast(s)
        assert 1 <= cast["hidden_layers"] <= 4 and 1e-4 <= cast["learning_rate"] <= 1e-2
        assert type(cast["layer_size"]) is int


def test_to_sklearn_is_accepted_by_randomized_search_cv(space: Space) -> None:
    from sklearn.linear_model import Ridge

    search = RandomizedSearchCV(Ridge(), {"alpha": Float(0.1, 10, log=True).to_sklearn()}, n_iter=3)
    search.fit(np.random.default_rng(0).normal(size=(30, 2)), np.arange(30.0))
    assert 0.1 <= search.best_params_["alpha"] <= 10


def test_to_grid_is_parameter_grid_ready(space: Space) -> None:
    grid = space.to_grid(points=3)
    assert grid == {
        "hidden_layers": [1, 2, 4],
        "layer_size": [1, 50, 99],
        "learning_rate": [1e-4, 1e-3, 1e-2],
        "activation": ["relu", "selu"],
    }
    assert len(ParameterGrid(grid)) == space.grid_size(3)


def test_to_grid_points_per_parameter(space: Space) -> None:
    grid = space.to_grid({"learning_rate": 2, "layer_size": 1, "hidden_layers": 4})
    assert grid["learning_rate"] == [1e-4, 1e-2]
    assert grid["hidden_layers"] == [1, 2, 3, 4]
    assert len(grid["layer_size"]) == 1
    with pytest.raises(ValueError, match="not in the space"):
        space.to_grid({"nope": 2})
    with pytest.raises(ValueError, match="integer >= 1"):
        space.to_grid(0)


def test_to_optuna_covers_every_parameter(space: Space) -> None:
    dists = space.to_optuna()
    assert set(dists) == set(space)
    assert dists["learning_rate"].log is True


def test_genome_round_trip(space: Space) -> None:
    rng = np.random.default_rng(3)
    for _ in range(200):
        point = space.sample(rng)
        genome = space.encode(point)
        assert len(genome) == 4 and all(0 <= g <= 1 for g in genome)
        back = space.decode(genome)
        assert back["hidden_layers"] == point["hidden_layers"]
        assert back["layer_size"] == point["layer_size"]
        assert back["activation"] == point["activation"]
        assert back["learning_rate"] == pytest.approx(point["learning_rate"], rel=1e-9)


def test_decode_checks_length_and_values(space: Space) -> None:
    with pytest.raises(ValueError, match="one gene per parameter"):
        space.decode([0.5])
    with pytest.raises(ValueError, match="finite numbers"):
        space.decode([0.5, float("nan"), 0.1, 0.2])


def test_sample_is_seeded_and_plain_python(space: Space) -> None:
    a, b = space.sample(7), space.sample(np.random.default_rng(7))
    assert a == b
    assert {type(v) for v in a.values()} <= {int, float, str}


def test_cast_rejects_unknown_missing_and_out_of_range(space: Space) -> None:
    good = {"hidden_layers": 2, "layer_size": 3, "learning_rate": 1e-3, "activation": "relu"}
    assert space.cast({**good, "hidden_layers": np.int64(3)})["hidden_layers"] == 3
    with pytest.raises(ValueError, match="params name parameters \\['x'\\] that are not"):
        space.cast({**good, "x": 1})
    with pytest.raises(ValueError, match="missing: \\['activation'\\]"):
        space.cast({k: v for k, v in good.items() if k != "activation"})
    with pytest.raises(ValueError, match="lies outside"):
        space.cast({**good, "hidden_layers": 9})


def test_defaults_lie_inside(space: Space) -> None:
    assert space.cast(space.defaults()) == space.defaults()
