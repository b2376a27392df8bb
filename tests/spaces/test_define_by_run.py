"""Define-by-run spaces: KerasTuner's build(hp) and Optuna's build(trial), discovered."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from search import search
from spaces import Categorical, Float, HyperParameters, Int, discover
from spaces._conditions import Condition
from spaces.define_by_run import play


# Shaped as KerasTuner's getting-started page writes it (Flatten first, a loop of layers,
# a Boolean dropout, a log-sampled learning rate), on 4 features and 3 classes.
def kerastuner_build(hp):
    model = keras.Sequential()
    model.add(keras.layers.Flatten())
    for i in range(hp.Int("num_layers", 1, 3)):
        model.add(
            keras.layers.Dense(
                units=hp.Int(f"units_{i}", min_value=4, max_value=16, step=4),
                activation=hp.Choice("activation", ["relu", "tanh"]),
            )
        )
    if hp.Boolean("dropout"):
        model.add(keras.layers.Dropout(rate=0.25))
    model.add(keras.layers.Dense(3, activation="softmax"))
    learning_rate = hp.Float("lr", min_value=1e-4, max_value=1e-2, sampling="log")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


# Shaped as Optuna's Keras example writes it (optuna-examples keras/keras_simple.py).
def optuna_build(trial):
    n_layers = trial.suggest_int("n_layers", 1, 3)
    model = keras.Sequential()
    for i in range(n_layers):
        num_hidden = trial.suggest_int(f"n_units_l{i}", 4, 32, log=True)
        model.add(keras.layers.Dense(num_hidden, activation="relu"))
        dropout = trial.suggest_float(f"dropout_l{i}", 0.2, 0.5)
        model.add(keras.layers.Dropout(rate=dropout))
    model.add(keras.layers.Dense(3, activation="softmax"))
    learning_rate = trial.suggest_float("learning_rate", 1e-5, 1e-1, log=True)
    model.compile(
        loss="categorical_crossentropy",
        optimizer=keras.optimizers.RMSprop(learning_rate=learning_rate),
        metrics=["accuracy"],
    )
    return model


def scoped_build(hp):
    kind = hp.Choice("kind", ["small", "large"])
    with hp.conditional_scope("kind", "small"):
        if kind == "small":
            units = hp.Int("small_units", 2, 4)
    with hp.conditional_scope("kind", ["large"]):
        if kind == "large":
            units = hp.Int("large_units", 8, 16)
    hp.Fixed("seedless", 7)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(units), keras.layers.Dense(1)])
    model.compile(loss="mse", optimizer="adam")
    return model


def test_the_kerastuner_example_gives_its_space_with_per_layer_conditions():
    space, _ = discover(kerastuner_build)
    assert list(space) == [
        "num_layers",
        "units_0",
        "activation",
        "units_1",
        "units_2",
        "dropout",
        "lr",
    ]
    assert space["units_0"] == Categorical([4, 8, 12, 16])  # step=4: its grid points
    assert space["dropout"] == Categorical([False, True])
    assert space["lr"] == Float(1e-4, 1e-2, log=True)
    assert space.conditions == {
        "units_1": Condition("num_layers", ">=", 2),
        "units_2": Condition("num_layers", ">=", 3),
    }


def test_the_optuna_example_gives_its_space_and_layer_conditions():
    space, _ = discover(optuna_build)
    assert space["n_units_l0"] == Int(4, 32, log=True)
    assert space.conditions["n_units_l2"] == Condition("n_layers", ">=", 3)
    assert space.conditions["dropout_l1"] == Condition("n_layers", ">=", 2)
    assert "n_units_l0" not in space.conditions and "learning_rate" not in space.conditions


def test_conditional_scopes_become_conditions_and_fixed_values_are_not_searched():
    space, build_model = discover(scoped_build)
    assert space.conditions == {
        "small_units": Condition("kind", "in", ("small",)),
        "large_units": Condition("kind", "in", ("large",)),
    }
    assert "seedless" not in space
    model = build_model(**space.full({"kind": "large", "large_units": 12}), meta={})
    assert model.layers[0].units == 12


def test_an_if_on_a_choice_is_inferred_as_a_condition_on_it():
    def build(trial):
        if trial.suggest_categorical("family", ["wide", "deep"]) == "deep":
            trial.suggest_int("depth", 2, 4)
        else:
            trial.suggest_int("width", 16, 64)
        trial.suggest_float("lr", 1e-3, 1e-1, log=True)

    space, _ = discover(build)
    assert space.conditions == {
        "depth": Condition("family", "in", ("deep",)),
        "width": Condition("family", "in", ("wide",)),
    }


def test_play_answers_with_the_candidate_and_defaults_for_names_it_lacks():
    seen = {}

    def build(hp):
        seen.update(units=hp.Int("units", 1, 9), act=hp.Choice("act", ["relu", "tanh"]))
        return "model"

    assert play(build, units=4, act=None, meta={}, compile_kwargs={}) == "model"
    assert seen == {"units": 4, "act": "relu"}  # None (inactive) -> the default


def test_hyperparameters_keep_one_value_per_name_and_refuse_a_changed_range():
    hp = HyperParameters({"units": 3})
    assert hp.Int("units", 1, 5) == 3 and hp.Int("units", 1, 5) == 3
    assert hp["units"] == 3 and "units" in hp and hp.params == {"units": 3}
    with pytest.raises(ValueError, match="defined twice with different ranges"):
        hp.Int("units", 1, 9)
    with pytest.raises(ValueError, match="sampling must be 'linear', 'log'"):
        hp.Float("lr", 1e-3, 1e-1, sampling="exp")
    with pytest.raises(KeyError, match="not been defined"):
        hp.get("other")


def test_discover_refuses_what_is_not_a_build_function_and_a_build_without_parameters():
    with pytest.raises(TypeError, match="hypermodel must be a function build"):
        discover(keras.Sequential())
    with pytest.raises(ValueError, match="asked for no hyperparameter"):
        discover(lambda hp: None)


def test_a_failing_build_names_the_values_it_was_given():
    def build(hp):
        raise RuntimeError(f"bad units {hp.Int('units', 1, 3)}")

    with pytest.raises(RuntimeError, match=r"discovered \(values \{'units': 2\}\): bad units 2"):
        discover(build)


@pytest.mark.parametrize("strategy", ["random", "tpe", "hyperband", "genetic"])
@pytest.mark.parametrize("build", [kerastuner_build, optuna_build], ids=["kerastuner", "optuna"])
def test_every_strategy_searches_a_define_by_run_build_unchanged(strategy, build, clf_data):
    X, y = clf_data
    result = search(
        strategy,
        hypermodel=build,
        X=X,
        y=y,
        n_trials=3,
        max_epochs_total=12,
        cv=0.3,
        epochs=3,
        refit=False,
        progress=False,
    )
    space, _ = discover(build)
    complete = result.trials_[result.trials_["status"] == "complete"]
    assert len(complete) >= 2
    for params in complete["params"]:
        assert set(params) == set(space.active_names(params))
    assert 0.0 <= result.best_score_ <= 1.0


def test_a_keras_tuner_hypermodel_subclass_is_searched(reg_data):
    kt = pytest.importorskip("keras_tuner")

    class MyHyperModel(kt.HyperModel):
        def build(self, hp):
            model = keras.Sequential(
                [
                    keras.Input((4,)),
                    keras.layers.Dense(hp.Int("units", 2, 6)),
                    keras.layers.Dense(1),
                ]
            )
            model.compile(loss="mse", optimizer=keras.optimizers.Adam(hp.Float("lr", 1e-3, 1e-1)))
            return model

    X, y = reg_data
    result = search(
        "random", hypermodel=MyHyperModel(), X=X, y=y, n_trials=2, cv=2, epochs=1, progress=False
    )
    assert sorted(result.best_params_) == ["lr", "units"]
    assert np.isfinite(result.best_estimator_.predict(X[:3])).all()


def test_hypermodel_with_a_space_or_build_model_is_refused(reg_data):
    X, y = reg_data
    with pytest.raises(ValueError, match="give it alone, without space= and build_model="):
        search("random", "california_mlp", hypermodel=scoped_build, X=X, y=y)
