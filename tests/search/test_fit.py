"""``fit_trial``: one trial, fold by fold (``search/_fit.py``)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import check_scoring
from sklearn.model_selection import KFold

from models import make_estimator
from models._estimators import _SearchTrialMixin
from search._fit import TrialData, TrialSpec, fit_trial
from search.testing import tiny_classifier, tiny_regressor


@pytest.fixture
def builds(monkeypatch):
    """How many Keras models were built (not shared) during the test."""
    count = [0]
    original = _SearchTrialMixin._new_keras_model

    def counted(self):
        count[0] += 1
        return original(self)

    monkeypatch.setattr(_SearchTrialMixin, "_new_keras_model", counted)
    return count


def _trial(est, X, y, folds=3, **params):
    scorer = check_scoring(est, None)
    data = TrialData(X, y, list(KFold(folds).split(X)))
    return fit_trial(TrialSpec(0, params, est, scorer), data)


def test_later_folds_train_the_first_folds_model_reset_exactly(
    reg_data, builds, monkeypatch
) -> None:
    X, y = reg_data
    est = make_estimator(
        tiny_regressor, "regression", epochs=4, patience=1, units=3, learning_rate=0.01
    )
    shared = _trial(est, X, y, units=5, learning_rate=0.05)
    assert builds[0] == 1  # one model for three folds
    # The same trial with a new model per fold: the same numbers.
    monkeypatch.setattr(_SearchTrialMixin, "share_model_with", lambda self, previous: None)
    fresh = _trial(est, X, y, units=5, learning_rate=0.05)
    assert builds[0] == 1 + 3
    assert shared.state == fresh.state == "complete"
    assert shared.fold_epochs == fresh.fold_epochs
    np.testing.assert_allclose(shared.fold_scores, fresh.fold_scores, rtol=1e-6)
    for a, b in zip(shared.curve, fresh.curve, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_a_fold_with_other_classes_gets_a_model_of_its_own(builds) -> None:
    # Unshuffled folds: class 2 exists only in the last third, so the first fold trains on
    # two classes and the others on three: the output layer differs, nothing is shared
    # between those.
    X = np.random.default_rng(0).normal(size=(90, 4)).astype("float32")
    y = np.array([0, 1] * 30 + [2] * 30)
    est = make_estimator(
        tiny_classifier,
        "classification",
        epochs=2,
        early_stopping=False,
        units=3,
        learning_rate=0.01,
    )
    out = _trial(est, X, y, units=3, learning_rate=0.01)
    assert out.state == "complete" and len(out.fold_scores) == 3
    assert builds[0] == 2  # two-class fold 1 model; then one three-class model, shared


def test_a_model_is_shared_only_with_the_same_hyperparameters(reg_data, builds) -> None:
    X, y = reg_data
    first = make_estimator(
        tiny_regressor, "regression", epochs=1, early_stopping=False, units=3, learning_rate=0.01
    )
    first.share_model_with(None)
    first.fit(X, y)
    other = make_estimator(
        tiny_regressor,
        "regression",
        epochs=1,
        early_stopping=False,
        units=4,
        learning_rate=0.01,
    )
    other.share_model_with(first)
    other.fit(X, y)
    assert other.model_ is not first.model_ and builds[0] == 2
    same = make_estimator(
        tiny_regressor, "regression", epochs=1, early_stopping=False, units=3, learning_rate=0.01
    )
    same.share_model_with(first)
    same.fit(X, y)
    assert same.model_ is first.model_ and builds[0] == 2
