"""Models out: best_model_, top_models(k), save() and load_result() without retraining."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from search import load_result, search
from spaces import Float, Int, Space
from tests.conftest import tiny_classifier, tiny_regressor

SPACE = Space(units=Int(2, 6), learning_rate=Float(1e-3, 1e-1, log=True))
FAST = {"epochs": 2, "cv": 2, "progress": False}


def test_best_model_is_a_keras_model_averaging_the_refit_members(reg_data) -> None:
    X, y = reg_data
    result = search("random", SPACE, tiny_regressor, X, y, n_trials=2, refit_models=2, **FAST)
    model = result.best_model_
    assert isinstance(model, keras.Model) and model.name == "ensemble"
    np.testing.assert_allclose(
        model.predict(X, verbose=0)[:, 0], result.best_estimator_.predict(X), rtol=1e-5, atol=1e-6
    )
    assert set(model.evaluate(X, y, verbose=0, return_dict=True)) == {"loss"}  # compiled


def test_top_models_are_the_k_best_trials_as_trained(reg_data) -> None:
    X, y = reg_data
    result = search(
        "random", SPACE, tiny_regressor, X, y, n_trials=4, keep_models=3, refit=False, **FAST
    )
    ranked = result.trials_.sort_values("score", ascending=False)
    tops = result.top_models(3)
    assert [params for params, _ in tops] == list(ranked["params"][:3])
    splits = result.search_.splits_
    for (_, model), (_, kept), (_, row) in zip(
        tops, result.search_.top_models_, ranked.iloc[:3].iterrows(), strict=True
    ):
        assert isinstance(model, keras.Model)
        # The trial's own fold models, not retrained: each scores its fold as it did then.
        folds = [frozen.estimator for frozen in kept.estimators_]
        for (_, test), member, score in zip(splits, folds, row["fold_scores"], strict=True):
            pred = member.predict(X[test])
            assert -np.mean((pred - y[test]) ** 2) == pytest.approx(score, rel=1e-4)
    with pytest.raises(ValueError, match="Search with keep_models=4"):
        result.top_models(4)


def test_save_and_load_result_round_trip_predicts_the_same(clf_data, tmp_path) -> None:
    X, y = clf_data
    labels = np.array(["a", "b", "c"])[y]
    result = search(
        "tpe", SPACE, tiny_classifier, X, labels, n_trials=3, keep_models=2, refit_models=2, **FAST
    )
    folder = result.save(tmp_path / "run")
    assert sorted(p.name for p in folder.iterdir()) == [
        "model.keras",
        "result.json",
        "top_1.keras",
        "top_2.keras",
        "trials.csv",
    ]
    loaded = load_result(folder)
    assert loaded.best_params_ == result.best_params_
    assert loaded.best_score_ == pytest.approx(result.best_score_)
    assert len(loaded.trials_) == 3 and list(loaded.trials_["score"]) == pytest.approx(
        list(result.trials_["score"])
    )
    np.testing.assert_allclose(
        loaded.best_model_.predict(X, verbose=0), result.best_model_.predict(X, verbose=0)
    )
    np.testing.assert_array_equal(loaded.predict(X), result.best_estimator_.predict(X))
    assert [p for p, _ in loaded.top_models(2)] == [p for p, _ in result.top_models(2)]
    assert json.loads((folder / "result.json").read_text())["classes"] == ["a", "b", "c"]


def test_load_result_names_what_is_missing(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="result.json is missing"):
        load_result(tmp_path)


def test_best_model_needs_a_refit(reg_data) -> None:
    X, y = reg_data
    result = search("random", SPACE, tiny_regressor, X, y, n_trials=1, refit=False, **FAST)
    with pytest.raises(AttributeError, match="refit=False"):
        _ = result.best_model_
