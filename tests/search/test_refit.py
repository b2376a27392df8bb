"""``refit=``: the best candidate retrained on all the data, or the best trial's own models."""

from __future__ import annotations

import inspect
import os

import numpy as np
import pytest
from sklearn.ensemble import VotingClassifier, VotingRegressor

from search import search
from search.testing import TINY_SPACE, tiny_classifier, tiny_regressor

FAST = {"epochs": 3, "progress": False, "early_stopping": False}


def _members(ensemble):
    return [frozen.estimator for frozen in ensemble.estimators_]


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_trial_refit_is_the_best_trials_fold_models(reg_data, n_jobs) -> None:
    X, y = reg_data
    result = search(
        "random", TINY_SPACE, tiny_regressor, X, y, n_trials=3, cv=3, refit="trial",
        n_jobs=n_jobs, **FAST,
    )  # fmt: skip
    searcher = result.search_
    best = searcher.records_[searcher.best_index_]
    ensemble = result.best_estimator_
    assert isinstance(ensemble, VotingRegressor)
    members = _members(ensemble)
    assert len(members) == 3
    # Each member is the model that fold trained: it scores that fold's held-out rows as
    # the trial did (a retrained model would not, to this precision).
    for member, (_, test), fold_score in zip(
        members, searcher.splits_, best.fold_scores, strict=True
    ):
        assert searcher.scorer_(member, X[test], y[test]) == pytest.approx(fold_score, abs=1e-5)
    mean = np.mean([m.predict(X) for m in members], axis=0)
    np.testing.assert_allclose(ensemble.predict(X), mean, rtol=1e-6)
    assert result.settings["refit"] == "trial"


def test_trial_refit_under_a_holdout_is_the_trials_one_model(reg_data) -> None:
    X, y = reg_data
    result = search(
        "random", TINY_SPACE, tiny_regressor, X, y, n_trials=3, cv=0.3, refit="trial", **FAST
    )
    searcher = result.search_
    (_, test), = searcher.splits_  # fmt: skip
    model = result.best_estimator_
    assert not isinstance(model, VotingRegressor)
    assert searcher.scorer_(model, X[test], y[test]) == pytest.approx(result.best_score_, abs=1e-5)
    assert "Dense" in result.model_summary()


def test_trial_refit_of_a_classifier_averages_the_fold_probabilities(clf_data) -> None:
    X, y = clf_data
    result = search(
        "random", TINY_SPACE, tiny_classifier, X, y, n_trials=2, cv=3, refit="trial", **FAST
    )
    ensemble = result.best_estimator_
    assert isinstance(ensemble, VotingClassifier)
    proba = ensemble.predict_proba(X)
    mean = np.mean([m.predict_proba(X) for m in _members(ensemble)], axis=0)
    np.testing.assert_allclose(proba, mean, rtol=1e-6)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert set(ensemble.predict(X)) <= set(np.unique(y))
    assert list(result.search_.classes_) == list(np.unique(y))


def test_trial_refit_of_a_resumed_best_trial_trains_its_folds_again(reg_data, tmp_path) -> None:
    X, y = reg_data
    kw = {"n_trials": 2, "cv": 3, "storage": f"sqlite:///{tmp_path / 'r.db'}",
          "study_name": "r", **FAST}  # fmt: skip
    first = search("random", TINY_SPACE, tiny_regressor, X, y, refit=False, **kw)
    # Every trial is in the ledger: this run trains none, so no models came back.
    again = search("random", TINY_SPACE, tiny_regressor, X, y, refit="trial", **kw)
    searcher = again.search_
    assert searcher.best_params_ == first.best_params_
    best = searcher.records_[searcher.best_index_]
    members = _members(again.best_estimator_)
    for member, (_, test), fold_score in zip(
        members, searcher.splits_, best.fold_scores, strict=True
    ):
        # Seeded per fold as the trial was: the same models again.
        assert searcher.scorer_(member, X[test], y[test]) == pytest.approx(fold_score, abs=1e-4)


def test_refit_models_averages_retrainings_seeded_apart(reg_data) -> None:
    X, y = reg_data
    result = search(
        "random", TINY_SPACE, tiny_regressor, X, y, n_trials=1, cv=2, refit_models=3,
        seed=4, **FAST,
    )  # fmt: skip
    ensemble = result.best_estimator_
    assert isinstance(ensemble, VotingRegressor)
    members = _members(ensemble)
    assert [m.get_params()["seed"] for m in members] == [4, 104, 204]
    # Each member was trained here on all of X (its own history), and differently seeded.
    assert all(len(m.history_["loss"]) == FAST["epochs"] for m in members)
    predictions = [m.predict(X) for m in members]
    assert not np.allclose(predictions[0], predictions[1])
    np.testing.assert_allclose(ensemble.predict(X), np.mean(predictions, axis=0), rtol=1e-6)
    # One model is the plain refit with the search's seed.
    one = search(
        "random", TINY_SPACE, tiny_regressor, X, y, n_trials=1, cv=2, seed=4, refit_models=1,
        **FAST,
    )  # fmt: skip
    np.testing.assert_allclose(one.best_estimator_.predict(X), predictions[0], rtol=1e-5)
    assert result.settings["refit_models"] == 3


def test_refit_members_train_side_by_side_on_the_workers(reg_data, tmp_path, by_value) -> None:
    X, y = reg_data
    log = tmp_path / "builds"

    def logged(units=4, learning_rate=0.01, meta=None):
        # Test-only: a refit member is built inside _fit_refit_member.
        member = any(f.function == "_fit_refit_member" for f in inspect.stack())
        with open(log, "a") as out:
            out.write(f"{os.getpid()} {int(member)}\n")
        return tiny_regressor(units, learning_rate, meta=meta)

    kwargs = {"n_trials": 2, "cv": 2, "seed": 4, "refit_models": 2, **FAST}
    workers = search("random", TINY_SPACE, logged, X, y, n_jobs=2, **kwargs)
    builds = [line.split() for line in log.read_text().splitlines()]
    member_pids = {pid for pid, member in builds if member == "1"}
    assert len(member_pids) == 2 and str(os.getpid()) not in member_pids
    # The same members as trained here, one after the other (n_jobs=1): same candidate,
    # seeds, history and predictions (to rounding: other thread counts).
    here = search("random", TINY_SPACE, logged, X, y, n_jobs=1, **kwargs)
    assert workers.best_params_ == here.best_params_
    for a, b in zip(_members(workers.best_estimator_), _members(here.best_estimator_), strict=True):
        assert a.get_params()["seed"] == b.get_params()["seed"]
        assert a.history_["loss"] == pytest.approx(b.history_["loss"], rel=1e-4)
        np.testing.assert_allclose(a.predict(X), b.predict(X), rtol=1e-4, atol=1e-5)
    assert workers.search_.refit_time_ > 0


def test_a_refit_member_that_fails_on_its_worker_trains_here(reg_data, tmp_path) -> None:
    X, y = reg_data
    log, here = tmp_path / "builds", os.getpid()

    def fails_on_workers(units=4, learning_rate=0.01, meta=None):
        # Test-only: which code path builds the model, and in which process.
        functions = {f.function for f in inspect.stack()}
        if "_fit_refit_member" in functions:
            where = "worker-member"
        elif "retrain_members" in functions:
            where = "rebuilt" if "_trained" in functions else "trained-here"
        else:
            where = "trial"
        with open(log, "a") as out:
            out.write(f"{int(os.getpid() == here)} {where}\n")
        if where == "worker-member":
            raise RuntimeError("out of memory on this worker")
        return tiny_regressor(units, learning_rate, meta=meta)

    result = search(
        "random", TINY_SPACE, fails_on_workers, X, y, n_trials=2, cv=2, seed=4,
        refit_models=2, n_jobs=2, **FAST,
    )  # fmt: skip
    builds = [tuple(line.split()) for line in log.read_text().splitlines()]
    assert builds.count(("0", "worker-member")) == 2  # both members failed on the workers
    assert builds.count(("1", "trained-here")) == 2  # and were trained here instead
    assert ("1", "rebuilt") not in builds
    members = _members(result.best_estimator_)
    assert [m.get_params()["seed"] for m in members] == [4, 104]
    assert all(len(m.history_["loss"]) == FAST["epochs"] for m in members)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"refit_models": 0}, r"refit_models must be an int >= 1.*got 0"),
        ({"refit_models": 2.0}, r"refit_models must be an int >= 1.*got 2.0"),
        ({"refit_models": 2, "refit": "trial"}, r"only refit='all'.*refit='trial'"),
    ],
)
def test_refit_models_refuses_bad_values_before_training(reg_data, kwargs, match) -> None:
    X, y = reg_data
    with pytest.raises(ValueError, match=match):
        search("random", TINY_SPACE, tiny_regressor, X, y, n_trials=1, **kwargs, **FAST)


def test_the_default_refit_averages_two_retrainings(reg_data) -> None:
    X, y = reg_data
    result = search("random", TINY_SPACE, tiny_regressor, X, y, n_trials=2, cv=2, **FAST)
    assert [m.get_params()["seed"] for m in _members(result.best_estimator_)] == [0, 100]
    assert result.settings["refit"] == "all" and result.settings["refit_models"] == 2
    # The other policies need no number of retrainings.
    kept = search("random", TINY_SPACE, tiny_regressor, X, y, n_trials=1, cv=2, refit=False, **FAST)
    assert kept.settings["refit_models"] == 1


def test_refit_models_needs_an_estimator_it_can_seed(reg_data) -> None:
    from sklearn.linear_model import Ridge

    from models import make_estimator
    from search import SpaceSearchCV

    X, y = reg_data
    with pytest.raises(ValueError, match=r"refit_models=2 seeds.*Ridge has no 'seed' parameter"):
        SpaceSearchCV(Ridge(), TINY_SPACE, refit_models=2).fit(X, y)
    unseeded = make_estimator(tiny_regressor, "regression", seed=None, units=2, learning_rate=0.1)
    with pytest.raises(ValueError, match=r"has seed=None; use a models.make_estimator"):
        SpaceSearchCV(unseeded, TINY_SPACE, refit_models=2).fit(X, y)


# Early stopping on, patience beyond the epochs: it can stop no fold.
IDLE = {"epochs": 3, "patience": 10, "progress": False, "cv": 2, "seed": 4}


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_the_refit_trains_every_row_when_early_stopping_stopped_no_fold(reg_data, n_jobs) -> None:
    X, y = reg_data
    auto = search("random", TINY_SPACE, tiny_regressor, X, y, n_trials=2, n_jobs=n_jobs, **IDLE)
    best = auto.search_.records_[auto.search_.best_index_]
    assert best.fold_epochs == [3, 3]
    assert auto.settings["refit_early_stopping"] == "auto" and auto.settings["refit_every_row"]
    members = _members(auto.best_estimator_)
    assert [m.get_params()["seed"] for m in members] == [4, 104]
    for member in members:  # trained here or on a worker, the same way
        assert member.validation_split == 0.0
        assert "val_loss" not in member.history_ and len(member.history_["loss"]) == 3
    # True: the estimator as the trials used it, holding out its 10 % for the stopper.
    kept = search(
        "random", TINY_SPACE, tiny_regressor, X, y, n_trials=2, n_jobs=n_jobs,
        refit_early_stopping=True, **IDLE,
    )  # fmt: skip
    assert kept.best_params_ == auto.best_params_ and not kept.settings["refit_every_row"]
    for member in _members(kept.best_estimator_):
        assert member.validation_split == 0.1 and "val_loss" in member.history_


def test_the_refit_keeps_early_stopping_where_it_stopped_a_fold(reg_data) -> None:
    X, y = reg_data
    # Every epoch must halve the best validation loss: the stopper ends each fold at once
    # (and the refit too, with no floor: tested below).
    kwargs = {**IDLE, "epochs": 5, "patience": 0, "min_delta": 0.5, "refit_floor": False}
    result = search("random", TINY_SPACE, tiny_regressor, X, y, n_trials=1, **kwargs)
    best = result.search_.records_[result.search_.best_index_]
    assert max(best.fold_epochs) < 5
    assert not result.settings["refit_every_row"]
    for member in _members(result.best_estimator_):
        assert member.validation_split == 0.1 and len(member.history_["loss"]) < 5
    # False: every row for all the epochs, whatever the folds did.
    forced = search(
        "random", TINY_SPACE, tiny_regressor, X, y, n_trials=1, refit_early_stopping=False,
        **kwargs,
    )  # fmt: skip
    assert forced.settings["refit_every_row"]
    assert all(len(m.history_["loss"]) == 5 for m in _members(forced.best_estimator_))


def test_whether_to_refit_on_every_row_follows_the_best_trials_folds() -> None:
    from models import make_estimator
    from search._refit import refit_every_row
    from search.trial import Trial

    stopping = make_estimator(tiny_regressor, "regression", epochs=9, units=2, learning_rate=0.1)
    plain = make_estimator(
        tiny_regressor, "regression", epochs=9, early_stopping=False, units=2, learning_rate=0.1
    )

    def trial(fold_epochs, epochs=9, start_epoch=0):
        return Trial(0, "asha", {}, "complete", epochs=epochs, fold_epochs=fold_epochs,
                     start_epoch=start_epoch)  # fmt: skip

    assert refit_every_row(stopping, trial([9, 9, 9]), "auto")
    assert not refit_every_row(stopping, trial([9, 8, 9]), "auto")
    # A promoted trial trained 6 epochs after its parent's 3: it ran out too.
    assert refit_every_row(stopping, trial([6, 6], start_epoch=3), "auto")
    assert not refit_every_row(stopping, trial([5, 6], start_epoch=3), "auto")
    assert not refit_every_row(stopping, trial([9, 9, 9]), True)
    assert refit_every_row(stopping, trial([2, 2, 2]), False)
    # Nothing to switch off without early stopping.
    assert not refit_every_row(plain, trial([9, 9, 9]), "auto")
    assert not refit_every_row(plain, trial([9, 9, 9]), False)


_REFUSED = {
    "refit": (("best", "All", 1, None), r"refit must be True/'all'.*'trial'.*False"),
    "refit_early_stopping": (("yes", None, 1), r"refit_early_stopping must be True.*False.*'auto'"),
    "refit_guard": (("yes", None, 1), r"refit_guard must be True .* or False, got"),
    "refit_floor": (("yes", None, 0), r"refit_floor must be True .* or False, got"),
}


@pytest.mark.parametrize(
    ("name", "bad"), [(name, bad) for name, (bads, _) in _REFUSED.items() for bad in bads]
)
def test_refit_settings_refuse_anything_else_naming_the_choices(reg_data, name, bad) -> None:
    X, y = reg_data
    with pytest.raises(ValueError, match=_REFUSED[name][1]):
        search("random", TINY_SPACE, tiny_regressor, X, y, n_trials=1, **{**FAST, name: bad})


# ---------------------------------------------------------------------------------------
# refit_guard
# ---------------------------------------------------------------------------------------
# The "stopped a fold" settings: the refit keeps early stopping, so the guard checks it.
STOPPING = {**IDLE, "epochs": 5, "patience": 0, "min_delta": 0.5}


def _scripted(monkeypatch, scores):
    """Make the guard see ``scores`` (relative to the best trial's worst fold) in turn."""
    import search.estimators

    seen = iter(scores)
    real = search.estimators.held_back_score

    def fake(estimator, scorer, X, y):
        real(estimator, scorer, X, y)  # still computable on every member
        return next(seen)

    monkeypatch.setattr(search.estimators, "held_back_score", fake)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_the_guard_replaces_a_retraining_that_misses_the_worst_fold(
    reg_data, monkeypatch, n_jobs
) -> None:
    X, y = reg_data
    _scripted(monkeypatch, [-1e9, 0.0, -1e9, 0.0])  # seeds 4, 104 | 204, 304
    result = search("random", TINY_SPACE, tiny_regressor, X, y, n_trials=1, n_jobs=n_jobs,
                    **STOPPING)  # fmt: skip
    assert not result.settings["refit_every_row"]
    assert result.settings["refit_held_back"] == [-1e9, 0.0, -1e9, 0.0]
    # The first two that pass, in seed order: 104 and 304.
    assert result.settings["refit_kept"] == [1, 3]
    assert [m.get_params()["seed"] for m in _members(result.best_estimator_)] == [104, 304]


def test_the_guard_trains_no_more_when_every_retraining_passes(reg_data, monkeypatch) -> None:
    X, y = reg_data
    _scripted(monkeypatch, [0.0, 0.0])
    result = search("random", TINY_SPACE, tiny_regressor, X, y, n_trials=1, **STOPPING)
    assert result.settings["refit_held_back"] == [0.0, 0.0]
    assert result.settings["refit_kept"] == [0, 1]
    assert [m.get_params()["seed"] for m in _members(result.best_estimator_)] == [4, 104]


def test_when_too_few_pass_the_guard_keeps_the_best_rejected(reg_data, monkeypatch) -> None:
    X, y = reg_data
    _scripted(monkeypatch, [-5e9, -1e9, -4e9, -2e9])
    result = search("random", TINY_SPACE, tiny_regressor, X, y, n_trials=1, **STOPPING)
    assert result.settings["refit_kept"] == [1, 3]
    assert [m.get_params()["seed"] for m in _members(result.best_estimator_)] == [104, 304]


def test_without_the_guard_every_retraining_is_kept(reg_data, monkeypatch) -> None:
    X, y = reg_data
    _scripted(monkeypatch, [])  # it would raise StopIteration if the guard looked
    result = search("random", TINY_SPACE, tiny_regressor, X, y, n_trials=1, refit_guard=False,
                    **STOPPING)  # fmt: skip
    assert result.settings["refit_guard"] is False and result.settings["refit_kept"] == []
    assert [m.get_params()["seed"] for m in _members(result.best_estimator_)] == [4, 104]


def test_the_guard_has_nothing_to_check_on_an_every_row_refit(reg_data, monkeypatch) -> None:
    X, y = reg_data
    _scripted(monkeypatch, [])
    result = search("random", TINY_SPACE, tiny_regressor, X, y, n_trials=1, **IDLE)
    assert result.settings["refit_every_row"] and result.settings["refit_held_back"] == []


def test_the_held_back_score_is_the_score_on_the_rows_early_stopping_watched(reg_data) -> None:
    from sklearn.metrics import get_scorer

    from models import make_estimator, without_early_stopping
    from search._refit import held_back_score

    X, y = reg_data
    est = make_estimator(tiny_regressor, "regression", epochs=3, seed=0, units=2,
                         learning_rate=0.1).fit(X, y)  # fmt: skip
    scorer = get_scorer("neg_mean_squared_error")
    # Keras's validation_split=0.1 of 90 rows: the last 9, as its stopper watched them.
    assert held_back_score(est, scorer, X, y) == pytest.approx(scorer(est, X[81:], y[81:]))
    # Its val_loss (MSE) for the weights it kept is the same number.
    assert -held_back_score(est, scorer, X, y) == pytest.approx(
        min(est.history_["val_loss"]), rel=1e-5
    )
    assert held_back_score(without_early_stopping(est).fit(X, y), scorer, X, y) is None


def test_the_guard_keeps_the_first_retrainings_that_meet_the_folds_worst_score() -> None:
    from search._refit import guarded

    # MSE as scikit-learn scores it (greater is better): the worst fold scored -0.31.
    assert guarded([-0.30, -0.29, -0.28, -0.27], floor=-0.31, k=2) == [0, 1]
    assert guarded([-0.53, -0.30, -0.39, -0.29], floor=-0.31, k=2) == [1, 3]
    # Nothing held back (trained on every row): nothing to check, always kept.
    assert guarded([None, -0.40, None], floor=-0.31, k=2) == [0, 2]
    # Too few pass: the rejected ones with the best held-back scores fill in.
    assert guarded([-0.50, -0.30, -0.45, -0.60], floor=-0.31, k=2) == [1, 2]
    assert guarded([-0.50, -0.40, -0.45, -0.60], floor=-0.31, k=2) == [1, 2]
    assert guarded([-0.50, -0.40], floor=-0.31, k=1) == [1]


def test_the_guard_needs_a_seed_to_draw_more_retrainings(reg_data) -> None:
    from models import make_estimator
    from search import SpaceSearchCV

    X, y = reg_data
    unseeded = make_estimator(tiny_regressor, "regression", seed=None, units=2, learning_rate=0.1)
    with pytest.raises(ValueError, match=r"refit_guard=True seeds .* has seed=None"):
        SpaceSearchCV(unseeded, TINY_SPACE, refit_guard=True).fit(X, y)


# ---------------------------------------------------------------------------------------
# refit_floor
# ---------------------------------------------------------------------------------------
def _stoppers(member):
    return [c for c in member.callbacks if hasattr(c, "start_from_epoch")]


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_the_floor_keeps_the_refits_stopper_quiet_until_the_folds_peaked(
    reg_data, monkeypatch, n_jobs
) -> None:
    X, y = reg_data
    # Say the folds peaked at epoch 4 (a real curve here peaks where it likes).
    monkeypatch.setattr("search.estimators.refit_floor_epoch", lambda trial: 4)
    result = search("random", TINY_SPACE, tiny_regressor, X, y, n_trials=1, n_jobs=n_jobs,
                    refit_guard=False, **STOPPING)  # fmt: skip
    assert result.settings["refit_floor"] and result.settings["refit_floor_epoch"] == 4
    for member in _members(result.best_estimator_):  # trained here or on a worker
        assert [c.start_from_epoch for c in _stoppers(member)] == [3]
        # The stopper (patience 0, every epoch must halve the loss) can first stop after
        # epoch 5: the first epoch it watches is 4.
        assert len(member.history_["loss"]) == 5
    plain = search("random", TINY_SPACE, tiny_regressor, X, y, n_trials=1, refit_floor=False,
                   refit_guard=False, **STOPPING)  # fmt: skip
    assert plain.settings["refit_floor_epoch"] is None
    for member in _members(plain.best_estimator_):
        assert [c.start_from_epoch for c in _stoppers(member)] == [0]


def test_the_floor_is_the_real_folds_earliest_peak(reg_data) -> None:
    from search._refit import refit_floor_epoch

    X, y = reg_data
    result = search("random", TINY_SPACE, tiny_regressor, X, y, n_trials=1, refit_guard=False,
                    **STOPPING)  # fmt: skip
    best = result.search_.records_[result.search_.best_index_]
    assert result.settings["refit_floor_epoch"] == refit_floor_epoch(best)
    expected = refit_floor_epoch(best) or 1  # None: the first epoch, no floor
    for member in _members(result.best_estimator_):
        assert [c.start_from_epoch for c in _stoppers(member)] == [expected - 1]


def test_the_floor_epoch_counts_from_a_fresh_model() -> None:
    from search._refit import refit_floor_epoch
    from search.trial import Trial

    def trial(curve, start_epoch=0):
        return Trial(0, "asha", {}, "complete", curve=curve, start_epoch=start_epoch)

    assert refit_floor_epoch(trial([[-3.0, -1.0, -2.0], [-3.0, -2.0, -1.0]])) == 2
    # A promoted trial continued its parent's 3 epochs: its epoch 2 is the model's 5th.
    assert refit_floor_epoch(trial([[-3.0, -1.0, -2.0]], start_epoch=3)) == 5
    # NaN epochs (a failed score) are not peaks; a fold without a curve gives no floor.
    assert refit_floor_epoch(trial([[float("nan"), -2.0, -1.0]])) == 3
    assert refit_floor_epoch(trial([[-2.0, -1.0], []])) is None
    assert refit_floor_epoch(trial([])) is None
    assert refit_floor_epoch(trial([[-1.0, -2.0]])) is None  # peaked at once: no floor


def test_no_floor_on_an_every_row_refit(reg_data, monkeypatch) -> None:
    X, y = reg_data
    monkeypatch.setattr("search.estimators.refit_floor_epoch", lambda trial: 3)
    result = search("random", TINY_SPACE, tiny_regressor, X, y, n_trials=1, **IDLE)
    assert result.settings["refit_every_row"] and result.settings["refit_floor_epoch"] is None
    assert all(not _stoppers(m) for m in _members(result.best_estimator_))
