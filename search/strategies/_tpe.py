"""Optuna's TPE sampler through ``study.ask`` / ``study.tell``, one trial at a time."""

from __future__ import annotations

from typing import Any

import optuna

from search._optuna_util import quiet_optuna
from search.strategies._base import Params, Strategy, find_pending
from search.trial import Trial

__all__ = ["TPEStrategy"]


class TPEStrategy(Strategy):
    """Optuna's ``TPESampler`` (seeded) through ``study.ask(distributions)`` / ``study.tell``.

    Trials asked while others are still running get the constant liar, so parallel
    candidates spread out. ``n_startup_trials`` random trials come first; by default a
    quarter of the budget, between 3 and 10 (Optuna's own default, 10, would leave a
    10-trial search entirely random). Pruned trials are told as ``PRUNED``, failed ones as
    ``FAIL``, as Optuna does.

    >>> from spaces import Space, Float
    >>> s = TPEStrategy()
    >>> s.bind(Space(x=Float(0.0, 1.0)), n_trials=5, seed=0)
    >>> p = s.ask()
    >>> s.tell(Trial(0, "tpe", p, state="complete", fold_scores=[p["x"]]))
    """

    name = "tpe"

    def __init__(self, n_startup_trials: int | None = None, multivariate: bool = False) -> None:
        super().__init__()
        if n_startup_trials is not None and (
            isinstance(n_startup_trials, bool)
            or not isinstance(n_startup_trials, int)
            or n_startup_trials < 0
        ):
            raise ValueError(
                f"TPEStrategy: n_startup_trials must be an int >= 0, got {n_startup_trials!r}."
            )
        self.n_startup_trials = n_startup_trials
        self.multivariate = multivariate

    def get_config(self) -> dict[str, Any]:
        return {"n_startup_trials": self.n_startup_trials, "multivariate": self.multivariate}

    def _start(self, n_trials: int, seed: int) -> None:
        startup = self.n_startup_trials
        if startup is None:
            startup = min(10, max(3, n_trials // 4))
        self.n_startup_trials_ = startup
        sampler = optuna.samplers.TPESampler(
            seed=seed,
            n_startup_trials=startup,
            constant_liar=True,
            multivariate=self.multivariate,
        )
        with quiet_optuna():
            self.study = optuna.create_study(direction="maximize", sampler=sampler)
        self._distributions = self.space.to_optuna()
        self._pending: list[tuple[Params, optuna.trial.Trial]] = []

    def ask(self) -> Params | None:
        trial = self.study.ask(self._distributions)
        params = self.space.cast(trial.params)
        self._pending.append((params, trial))
        return params

    def tell(self, trial: Trial) -> None:
        index = find_pending(self._pending, trial, "TPEStrategy")
        _, asked = self._pending.pop(index)
        with quiet_optuna():
            if trial.complete:
                self.study.tell(asked, trial.score)
            elif trial.state == "pruned":
                curve = trial.mean_curve()
                if curve:
                    asked.report(curve[-1], step=len(curve))
                self.study.tell(asked, state=optuna.trial.TrialState.PRUNED)
            else:
                self.study.tell(asked, state=optuna.trial.TrialState.FAIL)
