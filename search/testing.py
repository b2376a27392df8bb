"""The contract every strategy keeps, shipped so a new strategy gets it by subclassing.

Two tiers, as Optuna ships ``optuna.testing.pytest_samplers``:

- ``StrategyContract``: pure ``ask``/``tell`` on synthetic objectives, nothing trained
  (seconds).
- ``SearchContract``: the whole search on a tiny Keras model and small data (failures,
  seeding, the ledger and resume).

Examples:
    >>> from search.strategies import RandomStrategy
    >>> class TestMyRandom(StrategyContract):   # in a test module; pytest collects it
    ...     def make_strategy(self):
    ...         return RandomStrategy()

    Tiny models and data for tests and examples are here too (``tiny_regressor``,
    ``TINY_SPACE``).
"""

from __future__ import annotations

import inspect
import math
import random
from typing import Any

import keras
import numpy as np
import pandas as pd

from search.strategies import Proposal, Strategy
from search.trial import Trial, params_key
from spaces import Categorical, Float, Int, Space

__all__ = [
    "FAILING_SPACE",
    "MIXED_SPACE",
    "TINY_SPACE",
    "SearchContract",
    "StrategyContract",
    "drive",
    "tiny_binary_classifier",
    "tiny_classifier",
    "tiny_regressor",
]

TINY_SPACE = Space(units=Int(2, 6), learning_rate=Float(1e-3, 1e-1, log=True))
FAILING_SPACE = Space(
    units=Int(2, 6),
    learning_rate=Float(1e-3, 1e-1, log=True),
    mode=Categorical(["ok", "raise", "diverge"]),
)
MIXED_SPACE = Space(x=Float(-2.0, 2.0), n=Int(1, 20), kind=Categorical(["a", "b", "c"]))


def tiny_regressor(
    units: int = 4, learning_rate: float = 0.01, mode: str = "ok", meta: dict | None = None
) -> keras.Model:
    """A one-layer regressor; ``mode`` makes a trial fail on purpose ("raise", "diverge")."""
    if mode == "raise":
        raise ValueError("boom: this candidate cannot be built")
    n_features = 1 if meta is None else meta["n_features_in_"]
    model = keras.Sequential(
        [
            keras.Input((n_features,)),
            keras.layers.Dense(units, "relu"),
            keras.layers.Dense(1),
        ]
    )
    lr = 1e12 if mode == "diverge" else learning_rate
    model.compile(loss="mse", optimizer=keras.optimizers.SGD(learning_rate=lr))
    return model


def tiny_classifier(
    units: int = 4, learning_rate: float = 0.01, meta: dict | None = None
) -> keras.Model:
    """A one-layer softmax classifier."""
    assert meta is not None  # scikeras always passes it to a function that takes it
    model = keras.Sequential(
        [
            keras.Input((meta["n_features_in_"],)),
            keras.layers.Dense(units, "relu"),
            keras.layers.Dense(meta["n_classes_"], "softmax"),
        ]
    )
    model.compile(
        loss="sparse_categorical_crossentropy", optimizer=keras.optimizers.Adam(learning_rate)
    )
    return model


def tiny_binary_classifier(units: int = 4, learning_rate: float = 0.01) -> keras.Model:
    """A one-layer sigmoid classifier on 4 features, logging accuracy and AUC (no ``meta``:
    it also builds for streamed data)."""
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(units, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="binary_crossentropy",
        metrics=["accuracy", keras.metrics.AUC(name="auc")],
    )
    return model


def _objective(p: dict[str, Any]) -> float:
    # Best at x = 1, n = 15, kind = "b".
    return -((p["x"] - 1) ** 2) - ((p["n"] - 15) / 10) ** 2 - (0 if p["kind"] == "b" else 0.5)


def drive(
    strategy: Strategy,
    space: Space,
    n_trials: int,
    objective: Any = _objective,
    *,
    seed: int = 0,
    workers: int = 1,
    shuffle: random.Random | None = None,
    epochs: int = 9,
) -> list[Trial]:
    """Run ``strategy`` on ``objective`` as the runner would, training nothing.

    ``workers`` proposals are kept in flight; ``shuffle`` tells them in a random order.
    A failing objective (raising) gives a failed trial. ``epochs`` is the search's epochs
    (a multi-fidelity strategy's largest resource); ``objective`` may take ``epochs=`` to
    score a ``Proposal`` at its fidelity.
    """
    strategy.bind(space, n_trials, seed, epochs=epochs)
    takes_epochs = "epochs" in inspect.signature(objective).parameters
    trials: list[Trial] = []
    in_flight: list[Any] = []
    asked = 0
    while True:
        while asked < n_trials and len(in_flight) < workers:
            proposal = strategy.ask()
            if proposal is None:
                break
            in_flight.append(proposal)
            asked += 1
        if not in_flight:
            return trials
        if shuffle is not None:
            shuffle.shuffle(in_flight)
        proposal = in_flight.pop(0)
        fidelity = proposal.epochs if isinstance(proposal, Proposal) else None
        params = proposal.params if isinstance(proposal, Proposal) else proposal
        trial = Trial(len(trials), strategy.name, params, state="failed", fidelity=fidelity)
        trial.parent = proposal.parent if isinstance(proposal, Proposal) else None
        try:
            value = (
                objective(params, epochs=fidelity or epochs) if takes_epochs else objective(params)
            )
            trial.state, trial.fold_scores = "complete", [float(value)]
        except Exception as exc:
            trial.error = str(exc)
        strategy.tell(trial)
        trials.append(trial)


class StrategyContract:
    """Pure ask/tell tier: subclass and implement ``make_strategy``."""

    space: Space = MIXED_SPACE

    def make_strategy(self) -> Strategy:
        raise NotImplementedError

    def test_proposals_are_valid_plain_python_in_the_space(self) -> None:
        for trial in drive(self.make_strategy(), self.space, 20):
            assert self.space.cast(trial.params) == trial.params
            for name, value in trial.params.items():
                assert type(value) in (int, float, str, bool), (name, type(value))

    def test_the_budget_bounds_the_proposals(self) -> None:
        assert 1 <= len(drive(self.make_strategy(), self.space, 13)) <= 13

    def test_same_seed_same_proposals_other_seed_other(self) -> None:
        a = [t.params for t in drive(self.make_strategy(), self.space, 12, seed=4)]
        b = [t.params for t in drive(self.make_strategy(), self.space, 12, seed=4)]
        c = [t.params for t in drive(self.make_strategy(), self.space, 12, seed=5)]
        assert a == b and a != c

    def test_trials_told_out_of_order_and_in_parallel(self) -> None:
        trials = drive(self.make_strategy(), self.space, 16, workers=4, shuffle=random.Random(0))
        assert len(trials) >= 4

    def test_failed_trials_are_accepted(self) -> None:
        def sometimes(p: dict[str, Any]) -> float:
            if p["kind"] == "a":
                raise ValueError("boom")
            return _objective(p)

        trials = drive(self.make_strategy(), self.space, 12, sometimes)
        assert trials and all(t.state in ("complete", "failed") for t in trials)

    def test_global_random_state_is_untouched(self) -> None:
        random.seed(123)
        np.random.seed(123)
        python_state, numpy_state = random.getstate(), np.random.get_state(legacy=False)
        drive(self.make_strategy(), self.space, 12)
        assert random.getstate() == python_state
        after = np.random.get_state(legacy=False)
        assert (after["state"]["key"] == numpy_state["state"]["key"]).all()
        assert after["state"]["pos"] == numpy_state["state"]["pos"]

    def test_telling_an_unknown_trial_is_an_error(self) -> None:
        strategy = self.make_strategy()
        strategy.bind(self.space, 12, 0, epochs=9)
        stranger = Trial(99, strategy.name, {"x": 9.0, "n": 0, "kind": "z"}, state="complete")
        stranger.fold_scores = [1.0]
        try:
            strategy.tell(stranger)
        except ValueError:
            return
        # A strategy that learns nothing from scores may ignore tells (grid, random).
        assert not getattr(strategy, "_pending", None)


class SearchContract:
    """Training tier: ``search()`` with this strategy on a tiny Keras model.

    Subclass, set ``strategy`` (a name or a factory), and provide pytest fixtures
    ``reg_data`` (X, y regression arrays) and ``tmp_path``.
    """

    strategy: Any
    # One refit: the contract is about proposals and the protocol (tests/search/test_refit.py
    # covers the default mean of two refits).
    fast: dict[str, Any] = {  # noqa: RUF012
        "epochs": 1, "cv": 2, "progress": False, "patience": 1, "refit_models": 1,
    }  # fmt: skip

    def make(self) -> Any:
        return self.strategy() if callable(self.strategy) else self.strategy

    @property
    def name(self) -> str:
        made = self.make()
        return made if isinstance(made, str) else made.name

    def run(self, X: Any, y: Any, space: Space = TINY_SPACE, **kwargs: Any) -> Any:
        from search import search

        return search(self.make(), space, tiny_regressor, X, y, **{**self.fast, **kwargs})

    def n_failing_trials(self) -> int:
        # The grid needs all 12 points of FAILING_SPACE (2 x 2 x 3).
        return 12 if self.name == "grid" else 8

    def test_valid_params_budget_and_result(self, reg_data: Any) -> None:
        X, y = reg_data
        result = self.run(X, y, n_trials=4)
        trials = result.trials_
        assert len(trials) == 4 and (trials["status"] == "complete").all()
        assert set(trials["strategy"]) == {self.name}
        for params in trials["params"]:
            assert TINY_SPACE.cast(params) == params
        # No candidate twice at the same fidelity (a promotion is the same one at more epochs).
        pairs = zip(trials["params"], trials["fidelity"], strict=True)
        keys = {f"{params_key(p)}@{f}" for p, f in pairs}
        assert len(keys) == 4
        assert result.best_params_ in list(trials["params"])
        best = trials.loc[result.search_.best_index_]
        top = best["fidelity"]
        rivals = trials[trials["fidelity"].isna() if pd.isna(top) else trials["fidelity"] == top]
        assert result.best_score_ == best["score"] == rivals["score"].max()
        assert result.best_estimator_.predict(X[:3]).shape == (3,)
        assert len(result.cv_results_["params"]) == 4
        assert all(len(f) == 2 and all(math.isfinite(s) for s in f) for f in trials["fold_scores"])

    def test_failures_are_recorded_ranked_worst_and_the_search_goes_on(self, reg_data: Any) -> None:
        X, y = reg_data
        result = self.run(X, y, space=FAILING_SPACE, n_trials=self.n_failing_trials(), seed=1)
        trials = result.trials_
        failed = trials[trials["status"] == "failed"]
        assert len(trials) == self.n_failing_trials() and len(failed) >= 1
        assert (trials["status"] == "complete").any()
        for _, row in failed.iterrows():
            assert row["params"]["mode"] in ("raise", "diverge")
            assert ("boom" in row["error"]) or ("diverged" in row["error"])
            assert math.isnan(row["score"])
        assert result.best_params_["mode"] == "ok"
        ranks = result.cv_results_["rank_test_score"]
        scores = result.cv_results_["mean_test_score"]
        assert ranks[np.isnan(scores)].min() > ranks[~np.isnan(scores)].max()

    def test_every_trial_failing_raises_quoting_the_first(self, reg_data: Any) -> None:
        from search import AllTrialsFailedError

        X, y = reg_data
        space = Space(units=Int(2, 3), mode=Categorical(["raise"]))
        try:
            self.run(X, y, space=space, n_trials=2)
        except AllTrialsFailedError as exc:
            assert "all 2 trials failed" in str(exc) and "boom" in str(exc)
        else:
            raise AssertionError("AllTrialsFailedError not raised")

    def test_same_seed_same_proposals_and_best(self, reg_data: Any) -> None:
        X, y = reg_data
        a = self.run(X, y, n_trials=4, seed=3, refit=False)
        b = self.run(X, y, n_trials=4, seed=3, refit=False)
        assert list(a.trials_["params"]) == list(b.trials_["params"])
        assert a.best_params_ == b.best_params_ and a.search_.best_index_ == b.search_.best_index_
        np.testing.assert_allclose(a.trials_["score"], b.trials_["score"], rtol=1e-5)

    def test_ledger_records_and_resumes(self, reg_data: Any, tmp_path: Any) -> None:
        import optuna

        X, y = reg_data
        storage = f"sqlite:///{tmp_path / 'ledger.db'}"
        first = self.run(X, y, n_trials=4, storage=storage, study_name="s")
        study = optuna.load_study(study_name="s", storage=storage)
        assert len(study.trials) == 4
        assert {t.user_attrs["strategy"] for t in study.trials} == {self.name}
        assert all(len(t.user_attrs["hpsearch"]["fold_scores"]) == 2 for t in study.trials)
        # Each epoch's mean validation score is an Optuna intermediate value.
        assert all(t.intermediate_values for t in study.trials)

        more = self.run(X, y, n_trials=6, storage=storage, study_name="s")
        trials = more.trials_
        assert len(trials) == 6 and trials["resumed"].sum() == 4
        assert list(trials["params"][:4]) == list(first.trials_["params"])
        assert len(optuna.load_study(study_name="s", storage=storage).trials) == 6

        again = self.run(X, y, n_trials=6, storage=storage, study_name="s")
        assert again.trials_["resumed"].all() and len(again.trials_) == 6
        assert again.best_params_ == more.best_params_
        assert again.best_estimator_.predict(X[:2]).shape == (2,)
