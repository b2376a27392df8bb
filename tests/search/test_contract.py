"""The contract every strategy keeps, run on a tiny Keras model and small data.

Each strategy subclasses ``StrategyContract`` (as Optuna's samplers share one test suite).
"""

from __future__ import annotations

import math

import numpy as np
import optuna
import pytest

from search import AllTrialsFailedError, search
from spaces import Categorical, Float, Int, Space
from tests.conftest import tiny_regressor

SPACE = Space(units=Int(2, 6), learning_rate=Float(1e-3, 1e-1, log=True))
FAILING = Space(
    units=Int(2, 6),
    learning_rate=Float(1e-3, 1e-1, log=True),
    mode=Categorical(["ok", "raise", "diverge"]),
)
FAST = {"epochs": 1, "cv": 2, "progress": False, "patience": 1}


def n_failing_trials(strategy: str) -> int:
    # The grid needs all 12 points of FAILING (2 x 2 x 3); the others show it in fewer.
    return 12 if strategy == "grid" else 8


class StrategyContract:
    strategy: str

    def run(self, X, y, space: Space = SPACE, **kwargs):
        settings = {**FAST, **kwargs}
        return search(self.strategy, space, tiny_regressor, X, y, **settings)

    def test_valid_params_budget_and_result(self, reg_data) -> None:
        X, y = reg_data
        result = self.run(X, y, n_trials=4)
        trials = result.trials_
        assert len(trials) == 4 and (trials["status"] == "complete").all()
        assert set(trials["strategy"]) == {self.strategy}
        for params in trials["params"]:
            assert SPACE.cast(params) == params
        assert len({tuple(sorted(p.items())) for p in trials["params"]}) == 4  # no duplicates
        assert result.best_params_ in list(trials["params"])
        assert result.best_score_ == pytest.approx(trials["score"].max())
        assert result.best_estimator_.predict(X[:3]).shape == (3,)
        assert len(result.cv_results_["params"]) == 4
        assert all(len(f) == 2 and all(math.isfinite(s) for s in f) for f in trials["fold_scores"])

    def test_failures_are_recorded_ranked_worst_and_the_search_goes_on(self, reg_data) -> None:
        X, y = reg_data
        result = self.run(X, y, space=FAILING, n_trials=n_failing_trials(self.strategy), seed=1)
        trials = result.trials_
        failed = trials[trials["status"] == "failed"]
        assert (
            len(trials) == n_failing_trials(self.strategy)
            and len(failed) >= 1
            and (trials["status"] == "complete").any()
        )
        for _, row in failed.iterrows():
            assert row["params"]["mode"] in ("raise", "diverge")
            assert ("boom" in row["error"]) or ("diverged" in row["error"])
            assert math.isnan(row["score"])
        assert result.best_params_["mode"] == "ok"
        ranks = result.cv_results_["rank_test_score"]
        scores = result.cv_results_["mean_test_score"]
        assert ranks[np.isnan(scores)].min() > ranks[~np.isnan(scores)].max()

    def test_every_trial_failing_raises_quoting_the_first(self, reg_data) -> None:
        X, y = reg_data
        space = Space(units=Int(2, 3), mode=Categorical(["raise"]))
        with pytest.raises(AllTrialsFailedError, match="all 2 trials failed.*boom"):
            self.run(X, y, space=space, n_trials=2)

    def test_same_seed_same_proposals_and_best(self, reg_data) -> None:
        X, y = reg_data
        a = self.run(X, y, n_trials=4, seed=3, refit=False)
        b = self.run(X, y, n_trials=4, seed=3, refit=False)
        assert list(a.trials_["params"]) == list(b.trials_["params"])
        assert a.best_params_ == b.best_params_ and a.search_.best_index_ == b.search_.best_index_
        np.testing.assert_allclose(a.trials_["score"], b.trials_["score"], rtol=1e-5)

    def test_ledger_records_and_resumes(self, reg_data, tmp_path) -> None:
        X, y = reg_data
        storage = f"sqlite:///{tmp_path / 'ledger.db'}"
        first = self.run(X, y, n_trials=4, storage=storage, study_name="s")
        study = optuna.load_study(study_name="s", storage=storage)
        assert len(study.trials) == 4
        assert {t.user_attrs["strategy"] for t in study.trials} == {self.strategy}
        assert all(len(t.user_attrs["fold_scores"]) == 2 for t in study.trials)

        more = self.run(X, y, n_trials=6, storage=storage, study_name="s")
        trials = more.trials_
        assert len(trials) == 6 and trials["resumed"].sum() == 4
        assert list(trials["params"][:4]) == list(first.trials_["params"])
        assert len(optuna.load_study(study_name="s", storage=storage).trials) == 6

        again = self.run(X, y, n_trials=6, storage=storage, study_name="s")
        assert again.trials_["resumed"].all() and len(again.trials_) == 6
        assert again.best_params_ == more.best_params_
        assert again.best_estimator_.predict(X[:2]).shape == (2,)


class TestGrid(StrategyContract):
    strategy = "grid"


class TestRandom(StrategyContract):
    strategy = "random"


class TestGenetic(StrategyContract):
    strategy = "genetic"


class TestTPE(StrategyContract):
    strategy = "tpe"
