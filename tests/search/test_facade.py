"""search(): bad input fails before training; settings reach every trial; results and reports."""

from __future__ import annotations

import json

import numpy as np
import pytest

from search import search
from spaces import Categorical, Float, Int, Space
from tests.conftest import tiny_classifier, tiny_regressor

SPACE = Space(units=Int(2, 4), learning_rate=Float(1e-3, 1e-1, log=True))
FAST = {"epochs": 1, "cv": 2, "progress": False, "n_trials": 2, "refit_models": 1}


def never_called(units: int = 2, learning_rate: float = 0.01, meta=None):
    raise AssertionError("build_model must not run when the input is bad")


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"strategy": "annealing"}, ValueError, "strategy must be one of"),
        ({"space": Space()}, ValueError, "space must name at least one parameter"),
        (
            {"space": Space(depth=Int(1, 2))},
            ValueError,
            r"does not accept the space parameters \['depth'\]",
        ),
        ({"space": {"units": [1, 2]}}, TypeError, "space must be a spaces.Space"),
        ({"y": np.zeros(5)}, ValueError, "same number of samples, got 90 and 5"),
        (
            {"X": np.full((90, 4), np.nan)},
            ValueError,
            "X contains NaN or infinite values in 90 samples",
        ),
        ({"y": np.r_[np.inf, np.zeros(89)]}, ValueError, "y contains NaN or infinite"),
        ({"n_trials": 0}, ValueError, "n_trials must be an int >= 1, got 0"),
        ({"cv": 500}, ValueError, "cv=500 folds is more than the data has samples"),
        ({"cv": 1}, ValueError, "cv must be >= 2 folds"),
        ({"cv": 1.5}, ValueError, "holdout fraction and must be in"),
        ({"cv": "five"}, TypeError, "cv must be an int"),
        ({"task": "ranking"}, ValueError, "task must be"),
        ({"timeout": -1}, ValueError, "timeout must be"),
        ({"n_jobs": 0}, ValueError, "n_jobs must be a non-zero int"),
        ({"X": np.arange(90.0)}, ValueError, "X must be 2-D"),
        ({"X": np.zeros((0, 4)), "y": np.zeros(0)}, ValueError, "at least one sample"),
        ({"X": np.zeros((90, 0))}, ValueError, "at least one sample and one feature"),
        (
            {"y": np.array(["a", "b"] * 45), "task": "regression"},
            ValueError,
            "task='regression' needs a numeric y",
        ),
        ({"X": np.full((90, 4), 1e39)}, ValueError, "beyond float32's range"),
        ({"n_jobs": 1.5}, ValueError, "n_jobs must be a non-zero int"),
        ({"backend": "loky", "scheduler": "tcp://x:1"}, ValueError, "only used with backend"),
        ({"storage": 5, "study_name": "s"}, TypeError, "storage must be a database URL"),
        ({"fit_kwargs": {"epochs": 3}}, ValueError, r"give it as search\(epochs=...\)"),
        ({"fit_kwargs": {"verbose": 1}}, ValueError, "fit_kwargs\\['verbose'\\] is set by"),
        ({"fit_kwargs": [("shuffle", False)]}, TypeError, "fit_kwargs must be a dict"),
        ({"fit_kwargs": {"class_weight": {0: 2}}}, ValueError, "this task is regression"),
        ({"sample_weight": np.ones(5)}, ValueError, r"one weight per row of X \(90\)"),
        ({"sample_weight": -np.ones(90)}, ValueError, "finite and >= 0"),
        ({"sample_weight": ["heavy"] * 90}, TypeError, "sample_weight must be numbers"),
        ({"validation_data": [1, 2], "cv": None}, TypeError, "not supported yet: pass arrays"),
        ({"validation_data": (1, 2), "cv": 3}, ValueError, "give validation_data= or cv="),
        ({"keep_models": -1}, ValueError, "keep_models must be an int >= 0"),
        ({"n_jobs": "gpu"}, ValueError, "or 'gpus' \\(one worker per GPU\\)"),
    ],
)
def test_bad_input_fails_before_training(reg_data, kwargs, error, message) -> None:
    X, y = reg_data
    args = {
        "strategy": "random",
        "space": SPACE,
        "build_model": never_called,
        "X": X,
        "y": y,
        **FAST,
    }
    args.update(kwargs)
    with pytest.raises(error, match=message):
        search(**args)


def test_classification_is_inferred_stratified_and_scored_by_accuracy(clf_data) -> None:
    X, y = clf_data
    result = search("random", SPACE, tiny_classifier, X, y, **FAST)
    assert result.task == "classification"
    assert result.settings["scoring"] == "accuracy"
    assert "StratifiedKFold" in result.settings["cv"]
    assert 0.0 <= result.best_score_ <= 1.0


def test_holdout_and_explicit_validation_data(reg_data) -> None:
    X, y = reg_data
    holdout = search("random", SPACE, tiny_regressor, X, y, **{**FAST, "cv": 0.25})
    assert len(holdout.trials_["fold_scores"][0]) == 1
    explicit = search(
        "random", SPACE, tiny_regressor, X[:60], y[:60], **{**FAST, "cv": (X[60:], y[60:])}
    )
    assert len(explicit.search_.splits_) == 1
    train, test = explicit.search_.splits_[0]
    assert len(train) == 60 and sorted(test) == list(range(60, 90))


def test_seed_course_build_model_works_unchanged(reg_data) -> None:
    import keras

    def build_model(hidden_layers=1, layer_size=30, learning_rate=3e-3):
        # The seed course's function, with the input shape it reads from a global.
        model = keras.models.Sequential()
        model.add(keras.layers.Input(shape=(4,)))
        model.add(keras.layers.Dense(layer_size, activation="relu"))
        for _ in range(hidden_layers - 1):
            model.add(keras.layers.Dense(layer_size, activation="relu"))
        model.add(keras.layers.Dense(1))
        model.compile(loss="mse", optimizer=keras.optimizers.SGD(learning_rate))
        return model

    X, y = reg_data
    result = search("tpe", "california_mlp", build_model, X, y, **{**FAST, "n_trials": 3})
    assert set(result.best_params_) == {"hidden_layers", "layer_size", "learning_rate"}
    assert result.settings["scoring"] == "neg_mean_squared_error"


def test_data_argument_takes_a_dataset(reg_data) -> None:
    from benchmarks.datasets import Dataset

    X, y = reg_data
    data = Dataset("toy", "regression", X, y, X[:5], y[:5], X[:5], y[:5], ("a", "b", "c", "d"))
    result = search("random", SPACE, tiny_regressor, data=data, **FAST)
    assert len(result.trials_) == 2
    with pytest.raises(ValueError, match="either data=... or X and y"):
        search("random", SPACE, tiny_regressor, X, y, data=data, **FAST)


def test_timeout_ends_the_search(reg_data) -> None:
    X, y = reg_data
    result = search(
        "random", SPACE, tiny_regressor, X, y, **{**FAST, "n_trials": 50, "timeout": 2.0}
    )
    assert 1 <= len(result.trials_) < 50


def test_report_writes_markdown_and_json(reg_data, tmp_path) -> None:
    X, y = reg_data
    result = search("genetic", SPACE, tiny_regressor, X, y, **{**FAST, "n_trials": 3})
    md = result.report(tmp_path / "rep")
    text = md.read_text()
    assert "# hpsearch report: genetic search" in text and "## Trials" in text
    assert "| number | strategy | status |" in text and "Dense" in text  # model summary
    data = json.loads((tmp_path / "rep" / "report.json").read_text())
    assert data["strategy"] == "genetic" and len(data["trials"]) == 3
    assert data["best_params"] == result.best_params_
    assert all("generation" in t["extras"] for t in data["trials"])


def test_progress_bar_shows_best_so_far(reg_data, capsys) -> None:
    X, y = reg_data
    search("random", SPACE, tiny_regressor, X, y, **{**FAST, "progress": True})
    err = capsys.readouterr().err
    assert "random search" in err and "best=" in err and "2/2" in err


def test_parallel_trials_give_the_same_results(reg_data) -> None:
    import cloudpickle

    import tests.conftest

    # The worker processes cannot import the tests package: ship the model by value.
    cloudpickle.register_pickle_by_value(tests.conftest)
    X, y = reg_data
    try:
        one = search(
            "random", SPACE, tiny_regressor, X, y, **{**FAST, "n_trials": 4, "refit": False}
        )
        two = search(
            "random",
            SPACE,
            tiny_regressor,
            X,
            y,
            **{**FAST, "n_trials": 4, "refit": False, "n_jobs": 2},
        )
    finally:
        cloudpickle.unregister_pickle_by_value(tests.conftest)
    assert list(one.trials_["params"]) == list(two.trials_["params"])
    np.testing.assert_allclose(one.trials_["score"], two.trials_["score"], rtol=1e-4)


def _records_optimizer(units: int = 2, optimizer: str = "sgd", meta=None):
    import keras

    model = tiny_regressor(units, meta=meta)
    opt = {"sgd": keras.optimizers.SGD, "adam": keras.optimizers.Adam}[optimizer](0.01)
    model.compile(loss="mse", optimizer=opt)
    return model


def test_parameters_named_like_scikeras_settings_reach_build_model(reg_data) -> None:
    from search import GridStrategy

    X, y = reg_data
    space = Space(units=Int(2, 3), optimizer=Categorical(["sgd", "adam"]), batch_size=Int(8, 16))
    result = search(
        GridStrategy(points=2),
        space,
        _records_optimizer,
        X,
        y,
        **{**FAST, "n_trials": 8, "refit": True},
    )
    assert {p["optimizer"] for p in result.trials_["params"]} == {"sgd", "adam"}
    best = result.best_estimator_
    built = type(best.model_.optimizer).__name__.lower()
    assert built == result.best_params_["optimizer"]  # scikeras alone would drop it
    assert best.batch_size == result.best_params_["batch_size"]


def recorded_fits(monkeypatch) -> list[dict]:
    """What every keras.Model.fit of this process received (trials run here at n_jobs=1)."""
    import keras

    calls: list[dict] = []
    original = keras.Model.fit

    def fit(self, *args, **kwargs):
        calls.append(kwargs)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "fit", fit)
    return calls


def test_class_weight_reaches_every_fit_by_class_label(clf_data, monkeypatch) -> None:
    X, y = clf_data
    labels = np.array(["low", "mid", "high"])[y]
    calls = recorded_fits(monkeypatch)
    weights = {"low": 1.0, "mid": 3.0, "high": 5.0}
    result = search(
        "random", SPACE, tiny_classifier, X, labels, **{**FAST, "refit_models": 2},
        fit_kwargs={"class_weight": weights, "shuffle": False},
    )  # fmt: skip
    assert len(calls) == 2 * 2 + 2  # two trials of two folds, two refit members
    for call in calls:
        assert call["shuffle"] is False
        assert {1.0, 3.0} <= set(np.unique(call["sample_weight"])) <= {1.0, 3.0, 5.0}
    # The refit trains on every row: its weights are the labels' weights in row order.
    n_fit = len(calls[-1]["sample_weight"])
    expected = np.array([weights[label] for label in labels])[:n_fit]
    np.testing.assert_array_equal(calls[-1]["sample_weight"], expected)
    assert result.settings["fit_kwargs"]["shuffle"] is False


def test_sample_weight_is_cut_with_the_folds(reg_data, monkeypatch) -> None:
    X, y = reg_data
    weights = np.arange(1.0, 91.0)
    calls = recorded_fits(monkeypatch)
    result = search(
        "random", SPACE, tiny_regressor, X, y, **{**FAST, "n_trials": 1}, sample_weight=weights
    )
    folds = [call["sample_weight"] for call in calls[:2]]
    for (train, _), got in zip(result.search_.splits_, folds, strict=True):
        # Keras's validation_split keeps the last 10 % of each training part for stopping.
        np.testing.assert_array_equal(got, weights[train][: len(got)])
        assert len(got) == int(len(train) * 0.9)
    assert weights[0] == 1.0  # the caller's array is never changed


def test_validation_data_is_cv_with_a_fixed_validation_set(reg_data) -> None:
    X, y = reg_data
    result = search(
        "random", SPACE, tiny_regressor, X[:60], y[:60], **{**FAST, "cv": None},
        validation_data=(X[60:], y[60:]),
    )  # fmt: skip
    train, test = result.search_.splits_[0]
    assert len(result.search_.splits_) == 1
    assert len(train) == 60 and sorted(test) == list(range(60, 90))


def test_a_dataframe_is_taken_as_its_values(reg_data) -> None:
    import pandas as pd

    X, y = reg_data
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    result = search("random", SPACE, tiny_regressor, frame, pd.Series(y), **FAST)
    assert result.best_estimator_.predict(X[:2]).shape == (2,)
