"""Optuna's TPE sampler through ``study.ask`` / ``study.tell``, one trial at a time."""

from __future__ import annotations

import copy
import math
from typing import Any

import optuna

from search._optuna_util import quiet_optuna
from search.strategies._base import Params, Strategy, find_pending
from search.trial import Trial

__all__ = ["PRUNERS", "TPEStrategy"]

# Pruners by name, with Optuna's own defaults (as a user of plain Optuna would have them).
PRUNERS: dict[str, type[optuna.pruners.BasePruner]] = {
    "median": optuna.pruners.MedianPruner,
    "hyperband": optuna.pruners.HyperbandPruner,
}


class TPEStrategy(Strategy):
    """Optuna's ``TPESampler`` (seeded) through ``study.ask(distributions)`` / ``study.tell``.

    Trials asked while others are still running get the constant liar, so parallel
    candidates spread out. ``n_startup_trials`` random trials come first; by default a
    quarter of the budget, between 3 and 10 (Optuna's own default, 10, would leave a
    10-trial search entirely random). Pruned trials are told as ``PRUNED``, failed ones as
    ``FAIL``, as Optuna does.

    ``pruner`` (``"median"``, ``"hyperband"`` or any ``optuna.pruners.BasePruner``) stops
    unpromising trials while they train: each epoch's validation score of a trial's first
    fold is reported to its Optuna trial, and ``should_prune()`` decides; a trial that
    passes its first fold trains its other folds in full (they are not judged). A trial
    compared at epoch e is compared with the values other trials reported at epoch e only,
    so a trial that early-stopped before e never counts there.

    Examples:
        >>> from spaces import Space, Float
        >>> s = TPEStrategy()
        >>> s.bind(Space(x=Float(0.0, 1.0)), n_trials=5, seed=0)
        >>> p = s.ask()
        >>> s.tell(Trial(0, "tpe", p, state="complete", fold_scores=[p["x"]]))
    """

    name = "tpe"

    def __init__(
        self,
        n_startup_trials: int | None = None,
        multivariate: bool = False,
        pruner: str | optuna.pruners.BasePruner | None = None,
    ) -> None:
        super().__init__()
        if pruner is not None and not (
            isinstance(pruner, optuna.pruners.BasePruner)
            or (isinstance(pruner, str) and pruner in PRUNERS)
        ):
            raise ValueError(
                f"TPEStrategy: pruner must be one of {sorted(PRUNERS)}, an "
                f"optuna.pruners.BasePruner or None, got {pruner!r}."
            )
        self.pruner = pruner
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
        pruner = (
            self.pruner
            if self.pruner is None or isinstance(self.pruner, str)
            else (type(self.pruner).__name__)
        )
        return {
            "n_startup_trials": self.n_startup_trials,
            "multivariate": self.multivariate,
            "pruner": pruner,
        }

    @property
    def wants_epoch_reports(self) -> bool:
        return self.pruner is not None

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
        if isinstance(self.pruner, str):
            pruner = PRUNERS[self.pruner]()
        else:
            pruner = copy.deepcopy(self.pruner) or optuna.pruners.NopPruner()
        with quiet_optuna():
            self.study = optuna.create_study(direction="maximize", sampler=sampler, pruner=pruner)
        self._distributions = self.space.to_optuna()
        self._pending: list[tuple[Params, optuna.trial.Trial]] = []
        self._reported: set[int] = set()  # Optuna trial numbers with a reported curve

    def ask(self) -> Params | None:
        if self.space.conditions:
            # Define-by-run: only the active parameters are suggested (and modelled).
            trial = self.study.ask()
            params = self.space.suggest(trial)
        else:
            trial = self.study.ask(self._distributions)
            params = self.space.cast(trial.params)
        self._pending.append((params, trial))
        return params

    def should_stop(self, trial: Trial, fold: int, epoch: int, score: float) -> bool:
        if self.pruner is None or fold != 0 or not math.isfinite(score):
            return False
        _, asked = self._pending[find_pending(self._pending, trial, "TPEStrategy")]
        with quiet_optuna():
            asked.report(score, step=epoch)
            self._reported.add(asked.number)
            return bool(asked.should_prune())

    def tell(self, trial: Trial) -> None:
        index = find_pending(self._pending, trial, "TPEStrategy")
        _, asked = self._pending.pop(index)
        with quiet_optuna():
            if self.pruner is not None and asked.number not in self._reported and trial.curve:
                # A trial answered from the ledger: its first fold's curve, as if live.
                for step, value in enumerate(trial.curve[0], start=1):
                    if math.isfinite(value):
                        asked.report(value, step=step)
            if trial.complete:
                self.study.tell(asked, trial.score)
            elif trial.state == "pruned":
                curve = trial.mean_curve()
                if curve and self.pruner is None:
                    asked.report(curve[-1], step=len(curve))
                self.study.tell(asked, state=optuna.trial.TrialState.PRUNED)
            else:
                self.study.tell(asked, state=optuna.trial.TrialState.FAIL)
