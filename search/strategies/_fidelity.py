"""What Hyperband and ASHA share: rung epochs, checks, and where new candidates come from.

New candidates come from random sampling (Li et al.) or, for Hyperband, from Optuna's TPE
told every rung result (the BOHB idea, Falkner et al., ICML 2018): each candidate is one
Optuna trial that reports its score at each rung's epochs as an intermediate value and
ends ``PRUNED`` at the rung where it stopped, or ``COMPLETE`` at the top. Optuna's TPE
ranks pruned trials by the step they reached and then their value, so a candidate that
reached a later rung counts as better than one stopped earlier, as in BOHB.
"""

from __future__ import annotations

import numbers
from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Any

import optuna
from sklearn.model_selection import ParameterSampler

from search._optuna_util import quiet_optuna
from search.strategies._base import Params
from spaces import Space

__all__ = [
    "SAMPLERS",
    "CandidateSource",
    "check_eta",
    "check_resource",
    "check_sampler",
    "make_source",
    "rung_epochs",
]

SAMPLERS = ("random", "tpe")


def check_eta(owner: str, eta: Any) -> int:
    if isinstance(eta, bool) or not isinstance(eta, numbers.Integral) or eta < 2:
        raise ValueError(
            f"{owner}: eta must be an int >= 2 (keep the best 1/eta of each rung), got {eta!r}."
        )
    return int(eta)


def check_resource(owner: str, space: Space, max_epochs: int | None) -> int:
    """The largest resource R: the search's epochs, which the space must not vary."""
    if "epochs" in space:
        raise ValueError(
            f"{owner}: the space varies 'epochs', which is this strategy's resource (it gives "
            "each trial its epochs); remove 'epochs' from the space and set the search's "
            "epochs= to the largest number of epochs a candidate may train."
        )
    if max_epochs is None:
        raise ValueError(
            f"{owner} needs the search's epochs as its largest resource: bind(space, "
            "n_trials, seed, epochs=R) (search() and the search estimators pass it)."
        )
    return int(max_epochs)


def rung_epochs(max_epochs: int, eta: int, min_epochs: int = 1) -> list[int]:
    """Epochs of each rung from ``min_epochs`` up to ``max_epochs``, a factor ``eta`` apart,
    counted down from the top as Hyperband's largest bracket does (``R * eta**-k``).

    Examples:
        >>> rung_epochs(81, 3), rung_epochs(100, 3), rung_epochs(100, 3, min_epochs=10)
        ([1, 3, 9, 27, 81], [1, 4, 11, 33, 100], [11, 33, 100])
    """
    if min_epochs > max_epochs:
        raise ValueError(
            f"min_epochs={min_epochs} is larger than the search's epochs={max_epochs}; lower "
            "min_epochs or raise epochs."
        )
    if max_epochs < eta * min_epochs:
        raise ValueError(
            f"epochs={max_epochs} must be at least eta * min_epochs = {eta * min_epochs}: "
            "with fewer there is no rung to promote to; raise epochs or lower eta."
        )
    top = 0
    while min_epochs * eta ** (top + 1) <= max_epochs:
        top += 1
    return [max(1, round(max_epochs * eta ** (k - top))) for k in range(top + 1)]


class CandidateSource(ABC):
    """New candidates for the bottom rung, and what became of them."""

    @abstractmethod
    def ask(self) -> tuple[Params, Any] | None:
        """A new candidate and a handle for ``tell``, or None when none is left."""

    def tell(self, handle: Any, epochs: int, score: float | None, end: str | None) -> None:
        """A rung result (``score`` None: the trial failed); ``end`` is None while the
        candidate may still be promoted, else ``"complete"``, ``"pruned"`` or ``"failed"``."""
        return None


class _RandomSource(CandidateSource):
    """``ParameterSampler`` candidates, as the ``random`` strategy draws them."""

    def __init__(self, space: Space, n: int, seed: int) -> None:
        self.space = space
        self._draws: Iterator[dict[str, Any]] = iter(
            ParameterSampler(space.to_sklearn(), n_iter=n, random_state=seed)
        )

    def ask(self) -> tuple[Params, Any] | None:
        drawn = next(self._draws, None)
        return None if drawn is None else (self.space.cast(drawn), None)


class _TPESource(CandidateSource):
    """Optuna's TPE, told each rung result (see the module docstring)."""

    def __init__(self, space: Space, seed: int, n_startup_trials: int) -> None:
        self.space = space
        sampler = optuna.samplers.TPESampler(
            seed=seed, n_startup_trials=n_startup_trials, constant_liar=True
        )
        with quiet_optuna():
            self.study = optuna.create_study(direction="maximize", sampler=sampler)
        self._distributions = space.to_optuna()

    def ask(self) -> tuple[Params, Any] | None:
        with quiet_optuna():
            if self.space.conditions:
                trial = self.study.ask()
                return self.space.suggest(trial), trial
            trial = self.study.ask(self._distributions)
        return self.space.cast(trial.params), trial

    def tell(self, handle: Any, epochs: int, score: float | None, end: str | None) -> None:
        with quiet_optuna():
            if score is not None:
                handle.report(score, step=epochs)
            if end == "complete" and score is not None:
                self.study.tell(handle, score)
            elif end == "pruned" or (end == "complete" and score is None):
                self.study.tell(handle, state=optuna.trial.TrialState.PRUNED)
            elif end == "failed":
                self.study.tell(handle, state=optuna.trial.TrialState.FAIL)


def make_source(
    owner: str, sampler: str, space: Space, n: int, seed: int, n_startup_trials: int | None
) -> CandidateSource:
    if sampler == "tpe":
        startup = n_startup_trials if n_startup_trials is not None else min(10, max(3, n // 4))
        return _TPESource(space, seed, startup)
    return _RandomSource(space, n, seed)


def check_sampler(owner: str, sampler: Any, allowed: tuple[str, ...] = SAMPLERS) -> str:
    if sampler not in allowed:
        raise ValueError(
            f"{owner}: sampler must be one of {list(allowed)} (where new candidates come "
            f"from), got {sampler!r}."
        )
    return str(sampler)
