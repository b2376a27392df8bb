import numpy as np
import pytest

from spaces import PRESETS, Categorical, Float, Int, california_mlp, fashion_mlp, get_preset


def test_california_is_the_course_space() -> None:
    space = california_mlp()
    assert space["hidden_layers"] == Int(1, 4)
    assert space["layer_size"] == Int(1, 99)
    assert space["learning_rate"] == Float(1e-4, 1e-2, log=True)


def test_fashion_space_has_the_course_choices() -> None:
    space = fashion_mlp()
    assert space["activation"] == Categorical(["relu", "selu"])
    assert space["batch_norm"] == Categorical(["none", "before", "after"])
    assert set(space["dropout"].choices) == {"none", "dropout", "alpha"}
    assert {"dropout_rate", "optimizer", "learning_rate", "hidden_layers", "layer_size"} <= set(
        space
    )


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_converts_everywhere(name: str) -> None:
    space = get_preset(name)
    assert set(space.to_sklearn()) == set(space.to_optuna()) == set(space)
    assert space.grid_size(2) >= 1
    point = space.sample(np.random.default_rng(0))
    assert space.decode(space.encode(point)).keys() == point.keys()


def test_unknown_preset_lists_the_choices() -> None:
    with pytest.raises(ValueError, match="unknown preset 'nope'; choose one of"):
        get_preset("nope")


def test_california_wide_reaches_past_the_course_widths() -> None:
    space = get_preset("california_wide")
    assert space["layer_size"] == Int(16, 512, log=True)
    assert space["hidden_layers"] == Int(1, 5)
    assert set(space["optimizer"].choices) == {"sgd", "adam"}
