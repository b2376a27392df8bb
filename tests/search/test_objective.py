"""objective=: a metric the compiled model logs on validation, direction inferred."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from models import make_estimator
from search import AllTrialsFailedError, KerasObjective, search
from search.objective import infer_direction
from search.testing import TINY_SPACE, tiny_binary_classifier

SPACE = TINY_SPACE


@pytest.fixture
def binary_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(120, 4)).astype(np.float32)
    y = (X[:, 0] - X[:, 1] + 0.5 * rng.normal(size=120) > 0).astype(np.int64)
    return X, y


@pytest.mark.parametrize(
    ("name", "direction"),
    [
        ("val_loss", "min"),
        ("val_mae", "min"),
        ("val_mean_squared_error", "min"),
        ("val_binary_crossentropy", "min"),
        ("val_auc", "max"),
        ("val_accuracy", "max"),
        ("val_precision", "max"),
    ],
)
def test_direction_is_inferred_from_the_name(name, direction):
    assert infer_direction(name) == direction
    assert KerasObjective(name).direction == direction


def test_bad_objectives_and_directions_are_refused_with_the_rule():
    with pytest.raises(ValueError, match="such as 'val_loss' or 'val_auc'"):
        KerasObjective("")
    with pytest.raises(ValueError, match="direction must be 'min' or 'max'"):
        KerasObjective("val_auc", direction="up")


def test_the_objective_is_the_metric_keras_evaluate_logs_on_the_held_out_rows(binary_data):
    X, y = binary_data
    est = make_estimator(
        tiny_binary_classifier, "classification", epochs=3, early_stopping=False, units=4,
        learning_rate=0.05,
    ).fit(X[:80], y[:80])  # fmt: skip
    logged = est.model_.evaluate(X[80:], y[80:].reshape(-1, 1), verbose=0, return_dict=True)
    assert KerasObjective("val_auc")(est, X[80:], y[80:]) == pytest.approx(logged["auc"], abs=1e-6)
    assert KerasObjective("val_loss")(est, X[80:], y[80:]) == pytest.approx(-logged["loss"])
    proba = est.predict_proba(X[80:])[:, 1]
    # Keras's AUC (200 thresholds) is close to the exact one.
    assert logged["auc"] == pytest.approx(roc_auc_score(y[80:], proba), abs=0.02)


def test_val_auc_is_maximised_in_a_search_and_drives_every_epoch(binary_data):
    X, y = binary_data
    result = search(
        "random", SPACE, tiny_binary_classifier, X, y, n_trials=3, cv=2, epochs=3, progress=False,
        objective="val_auc", refit=False,
    )  # fmt: skip
    complete = result.trials_[result.trials_["status"] == "complete"]
    assert result.best_score_ == complete["score"].max()
    assert 0.0 <= result.best_score_ <= 1.0
    assert result.settings["objective"] == "KerasObjective('val_auc', direction='max')"
    trial = result.search_.records_[0]
    assert all(0.0 <= v <= 1.0 for v in trial.curve[0])  # the per-epoch curve is AUC too


def test_val_loss_is_minimised_and_best_score_keeps_greater_is_better(reg_data):
    X, y = reg_data
    result = search(
        "tpe", SPACE, regression_model, X, y, n_trials=3, cv=2, epochs=2, progress=False,
        objective="val_loss", refit=False,
    )  # fmt: skip
    scores = result.trials_["score"]
    assert (scores < 0).all() and result.best_score_ == scores.max()  # -MSE: least loss wins


def test_direction_overrides_the_inferred_one(reg_data):
    X, y = reg_data
    result = search(
        "random", SPACE, regression_model, X, y, n_trials=2, cv=2, epochs=1, progress=False,
        objective="val_loss", direction="max", refit=False,
    )  # fmt: skip
    assert (result.trials_["score"] > 0).all()


def test_an_objective_the_model_does_not_log_names_what_it_logs(reg_data):
    X, y = reg_data
    with pytest.raises(AllTrialsFailedError, match=r"is not logged by this model; it logs \["):
        search(
            "random", SPACE, regression_model, X, y, n_trials=1, cv=2, epochs=1,
            progress=False, objective="val_auc",
        )  # fmt: skip


def test_objective_with_scoring_or_direction_alone_is_refused(reg_data):
    X, y = reg_data
    with pytest.raises(ValueError, match="not both"):
        search("random", SPACE, regression_model, X, y, objective="val_loss", scoring="r2")
    with pytest.raises(ValueError, match="give objective= too"):
        search("random", SPACE, regression_model, X, y, direction="min")


def regression_model(units: int = 4, learning_rate: float = 0.01) -> keras.Model:
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(units, activation="relu"), keras.layers.Dense(1)]
    )
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse")
    return model
