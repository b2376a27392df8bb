import numpy as np
import optuna.distributions as od
import pytest
from scipy import stats

from spaces import Categorical, Float, Int


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: Int(5, 1), "low must be <= high"),
        (lambda: Float(1.0, 0.5), "low must be <= high"),
        (lambda: Float(0.0, 1.0, log=True), "log=True needs low > 0"),
        (lambda: Int(0, 10, log=True), "log=True needs low > 0"),
        (lambda: Float(0.0, float("inf")), "must be finite"),
        (lambda: Categorical([]), "must not be empty"),
        (lambda: Categorical(["a", "a"]), "must be distinct"),
    ],
)
def test_bad_bounds_raise_value_error_naming_the_rule(factory, message) -> None:
    with pytest.raises(ValueError, match=message):
        factory()


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: Int(1.5, 3), "low must be an integer"),
        (lambda: Int(True, 3), "low must be an integer"),
        (lambda: Float("a", 1.0), "low must be a real number"),
        (lambda: Categorical("relu"), "choices must be a list"),
        (lambda: Categorical([object()]), "every choice must be"),
        (lambda: Float(0.1, 1.0, log="yes"), "log must be True or False"),
    ],
)
def test_bad_types_raise_type_error(factory, message) -> None:
    with pytest.raises(TypeError, match=message):
        factory()


def test_numpy_inputs_become_python_values() -> None:
    p = Int(np.int64(1), np.int64(5))
    assert type(p.low) is int and type(p.high) is int
    assert type(p.decode(0.7)) is int
    assert type(Float(0.1, 1.0).decode(0.3)) is float
    assert type(Categorical([np.int64(3), 4]).choices[0]) is int


def test_int_to_sklearn_is_randint_over_the_closed_range() -> None:
    dist = Int(1, 4).to_sklearn()
    draws = dist.rvs(size=500, random_state=0)
    assert set(draws) == {1, 2, 3, 4}


def test_log_float_to_sklearn_is_reciprocal() -> None:
    dist = Float(1e-4, 1e-2, log=True).to_sklearn()
    assert dist.dist is stats.reciprocal or dist.dist.name in ("reciprocal", "loguniform")
    draws = dist.rvs(size=2000, random_state=0)
    assert draws.min() >= 1e-4 and draws.max() <= 1e-2
    # Log-uniform: about half of the draws below the geometric mean 1e-3.
    assert 0.45 < np.mean(draws < 1e-3) < 0.55


def test_log_int_to_sklearn_samples_plain_ints_within_bounds() -> None:
    dist = Int(1, 100, log=True).to_sklearn()
    values = [dist.rvs(random_state=np.random.RandomState(i)) for i in range(300)]
    assert all(type(v) is int and 1 <= v <= 100 for v in values)
    assert np.mean(np.array(values) < 10) > 0.4  # log scale favours small values


def test_grids() -> None:
    assert Int(1, 4).grid(10) == [1, 2, 3, 4]
    assert Int(1, 99).grid(3) == [1, 50, 99]
    assert Float(0.0, 1.0).grid(3) == [0.0, 0.5, 1.0]
    assert Float(1e-4, 1e-2, log=True).grid(3) == [1e-4, 1e-3, 1e-2]
    assert Int(1, 1000, log=True).grid(4) == [1, 10, 100, 1000]
    assert Categorical(["a", "b"]).grid(1) == ["a", "b"]


def test_to_optuna_distributions() -> None:
    assert Int(1, 4).to_optuna() == od.IntDistribution(1, 4)
    assert Float(1e-4, 1e-2, log=True).to_optuna() == od.FloatDistribution(1e-4, 1e-2, log=True)
    assert Categorical(["a", None]).to_optuna() == od.CategoricalDistribution(["a", None])


@pytest.mark.parametrize(
    "param",
    [Int(1, 99), Int(2, 500, log=True), Int(3, 3), Categorical(["relu", "selu", True, 1, None])],
)
def test_discrete_encode_decode_round_trip_every_value(param) -> None:
    values = param.grid(10_000)
    for value in values:
        gene = param.encode(value)
        assert 0.0 <= gene <= 1.0
        assert param.decode(gene) == value and type(param.decode(gene)) is type(value)


@pytest.mark.parametrize("param", [Float(-3.0, 5.0), Float(1e-5, 1.0, log=True)])
def test_float_encode_decode_round_trip(param) -> None:
    for value in np.linspace(0, 1, 11):
        x = param.decode(float(value))
        assert param.decode(param.encode(x)) == pytest.approx(x, rel=1e-12)


def test_decode_clips_genes_outside_the_unit_interval() -> None:
    assert Int(1, 4).decode(-0.5) == 1
    assert Int(1, 4).decode(7.0) == 4
    assert Float(0.0, 2.0).decode(1.5) == 2.0
