"""Trained estimators as one keras.Model (models.ensemble)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from models import average_model, keras_model, make_estimator
from search._refit import voting_ensemble
from tests.conftest import tiny_classifier


def test_a_voting_classifier_is_the_mean_of_its_members_probabilities(clf_data, tmp_path):
    X, y = clf_data
    members = [
        make_estimator(tiny_classifier, "classification", epochs=2, seed=seed, units=3,
                       learning_rate=0.05).fit(X, y)
        for seed in (0, 1)
    ]  # fmt: skip
    ensemble = voting_ensemble(members, X, y)
    model = keras_model(ensemble)
    np.testing.assert_allclose(
        model.predict(X, verbose=0), ensemble.predict_proba(X), rtol=1e-5, atol=1e-6
    )
    assert keras_model(ensemble) is model  # built once
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0))


def test_one_member_is_itself_and_non_models_are_refused():
    net = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    assert average_model([net]) is net
    with pytest.raises(TypeError, match="one or more keras.Model"):
        average_model([])
