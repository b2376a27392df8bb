"""The strategy contract: ``bind`` once, then ``ask`` for one candidate, ``tell`` one trial.

A strategy trains nothing. The runner asks whenever a worker is free and tells each trial
as it ends, in any order. ``ask`` returns ``None`` for "nothing yet" (a genetic algorithm
waiting for the rest of its generation; KerasTuner's oracle calls this IDLE): the runner
asks again after the next trial ends, and the search ends when a strategy has nothing to
propose while no trial of it is running.

``tell`` receives the ``Trial`` whose ``params`` is the very dict ``ask`` returned, so a
strategy can match trials by identity (``trial.params is proposal``); the runner keeps it.

A multi-fidelity strategy answers a ``Proposal`` instead of a bare dict: the candidate, the
epochs to train it to, and the trial whose trained model it continues (a promotion). The
runner keeps the models of the trials the strategy still ``needs_models`` for, and no
others.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from search.trial import Trial
from spaces import Space

__all__ = ["Params", "Proposal", "Strategy", "find_pending"]

Params = dict[str, Any]

# Trials a strategy asks for when it has no budget of its own (grid, random, genetic, tpe).
DEFAULT_N_TRIALS = 30


@dataclass(frozen=True)
class Proposal:
    """A candidate at a fidelity: train ``params`` to ``epochs`` (per fold), continuing the
    trained model of trial ``parent`` (its weights and optimizer state) when given.

    ``keep_model`` asks the runner to bring the trained model back, for a later promotion.
    """

    params: Params
    epochs: int
    parent: int | None = None
    keep_model: bool = False


class Strategy(ABC):
    """Base class of every strategy.

    Subclasses set ``name`` and implement ``_start``, ``ask`` and ``tell``; ``info`` holds
    extras recorded with the trial of the last ``ask`` (e.g. the GA generation). A strategy
    that decides per epoch overrides ``should_stop``: the runner then streams every epoch's
    validation score to it while the trial trains.

    Examples:
        >>> from spaces import Space, Int
        >>> from search.strategies import RandomStrategy
        >>> s = RandomStrategy()
        >>> s.bind(Space(n=Int(1, 9)), n_trials=2, seed=0)
        >>> proposal = s.ask()
        >>> s.tell(Trial(0, s.name, proposal, state="complete", fold_scores=[1.0]))
    """

    name: str = ""

    def __init__(self) -> None:
        self.info: dict[str, Any] = {}
        self._space: Space | None = None

    @property
    def space(self) -> Space:
        if self._space is None:
            raise RuntimeError(f"{type(self).__name__}: call bind(space, n_trials, seed) first.")
        return self._space

    def bind(self, space: Space, n_trials: int, seed: int, epochs: int | None = None) -> None:
        """Attach the space, the trial budget, the seed and the search's epochs per trial
        (the largest resource of a multi-fidelity strategy); resets any earlier state."""
        if not isinstance(space, Space) or len(space) == 0:
            raise ValueError(f"space must be a non-empty spaces.Space, got {space!r}.")
        if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 1:
            raise ValueError(f"n_trials must be an int >= 1, got {n_trials!r}.")
        self._space = space
        self.info = {}
        self.max_epochs = epochs
        self._start(n_trials, int(seed))

    def default_n_trials(self, epochs: int | None) -> int:
        """The trial budget when the user gives none (``epochs``: the search's epochs)."""
        return DEFAULT_N_TRIALS

    @abstractmethod
    def _start(self, n_trials: int, seed: int) -> None: ...

    @abstractmethod
    def ask(self) -> Params | Proposal | None:
        """The next candidate (plain Python values, or a ``Proposal`` at a fidelity), or
        ``None``: nothing to propose now."""

    @abstractmethod
    def tell(self, trial: Trial) -> None:
        """One ended trial (complete, pruned or failed), in any order."""

    def should_stop(self, trial: Trial, fold: int, epoch: int, score: float) -> bool:
        """Called after each epoch when overridden: ``True`` stops the trial (pruned)."""
        return False

    def needs_models(self) -> set[int]:
        """Trial numbers whose trained models a later ``Proposal`` may continue; the runner
        drops every other kept model (memory and disk stay bounded)."""
        return set()

    @property
    def wants_epoch_reports(self) -> bool:
        """Whether the runner must stream epochs to ``should_stop`` while trials train."""
        return type(self).should_stop is not Strategy.should_stop

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"

    def get_config(self) -> dict[str, Any]:
        """The options this strategy was made with (for reports)."""
        return {}


def find_pending(pending: list[tuple[Params, Any]], trial: Trial, who: str) -> int:
    """The index of ``trial`` among asked-but-untold proposals: by identity, else by value."""
    for i, (params, _) in enumerate(pending):
        if params is trial.params:
            return i
    for i, (params, _) in enumerate(pending):
        if params == trial.params:
            return i
    raise ValueError(
        f"{who}.tell: trial {trial.number} with params {trial.params} was not proposed by "
        "this strategy's ask() (or was told already)."
    )
