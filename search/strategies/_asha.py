"""ASHA: asynchronous successive halving (Li et al., MLSys 2020, Algorithm 2, promotions)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from search.strategies._base import Params, Proposal, Strategy, find_pending
from search.strategies._fidelity import (
    check_eta,
    check_resource,
    check_sampler,
    make_source,
    rung_epochs,
)
from search.trial import Trial

__all__ = ["ASHAStrategy"]


@dataclass
class _Entry:
    """A trial that ended at a rung: its score (None: failed) and whether it went on."""

    number: int
    params: Params
    score: float | None
    promoted: bool = False


class ASHAStrategy(Strategy):
    """Asynchronous successive halving over epochs, with promotions that continue training.

    Rungs train to ``rung_epochs(R, eta, min_epochs)`` epochs, R being the search's
    ``epochs`` (with ``min_epochs=1`` the rungs of Hyperband's largest bracket). Whenever a
    worker frees, the strategy promotes the best not-yet-promoted trial among the top
    ``floor(n_k / eta)`` of the highest rung k that has one (``n_k``: trials that ended at
    rung k so far); otherwise it starts a new random candidate at the bottom rung. No rung
    waits for another: workers never idle. A promotion continues its trial's trained models
    (weights and optimizer state, every fold) and trains only the extra epochs.

    A trial's model is kept while it can still be promoted: ranks in a rung only get worse
    as trials arrive, so a trial ranked below ``n_trials / eta**(k + 1)`` in rung k is let go.

    Examples:
        >>> from spaces import Space, Float
        >>> s = ASHAStrategy()
        >>> s.bind(Space(x=Float(0.0, 1.0)), n_trials=20, seed=0, epochs=9)
        >>> p = s.ask(); p.epochs, p.parent, s.rungs_
        (1, None, [1, 3, 9])
    """

    name = "asha"

    def __init__(self, eta: int = 3, min_epochs: int = 1, sampler: str = "random") -> None:
        super().__init__()
        self.eta = check_eta("ASHAStrategy", eta)
        if isinstance(min_epochs, bool) or not isinstance(min_epochs, int) or min_epochs < 1:
            raise ValueError(f"ASHAStrategy: min_epochs must be an int >= 1, got {min_epochs!r}.")
        self.min_epochs = min_epochs
        # TPE would need to learn from trials that may still be promoted (Optuna cannot
        # report to a trial it was told about); Hyperband's rung barrier gives it that.
        self.sampler = check_sampler("ASHAStrategy", sampler, ("random",))

    def get_config(self) -> dict[str, Any]:
        return {"eta": self.eta, "min_epochs": self.min_epochs, "sampler": self.sampler}

    def default_n_trials(self, epochs: int | None) -> int:
        """As many trials as one round of Hyperband's brackets for the same epochs."""
        from search.strategies._hyperband import HyperbandStrategy

        return HyperbandStrategy(eta=self.eta).default_n_trials(epochs)

    def _start(self, n_trials: int, seed: int) -> None:
        top = check_resource("asha", self.space, self.max_epochs)
        self.rungs_ = rung_epochs(top, self.eta, self.min_epochs)
        self._n_trials = n_trials
        self._source = make_source("asha", self.sampler, self.space, n_trials, seed, None)
        self._rungs: list[list[_Entry]] = [[] for _ in self.rungs_]
        self._pending: list[tuple[Params, int]] = []  # (params, rung)

    def _ranked(self, k: int) -> list[_Entry]:
        """Rung k's scored trials, best first (ties: the earlier trial)."""
        scored = [e for e in self._rungs[k] if e.score is not None]
        return sorted(scored, key=lambda e: (-(e.score or 0.0), e.number))

    def _candidates(self, k: int) -> list[_Entry]:
        """The top ``floor(n_k / eta)`` of rung k (``n_k`` counts failed trials too)."""
        return self._ranked(k)[: len(self._rungs[k]) // self.eta]

    def ask(self) -> Proposal | None:
        for k in range(len(self.rungs_) - 2, -1, -1):
            for entry in self._candidates(k):
                if not entry.promoted:
                    entry.promoted = True
                    return self._propose(dict(entry.params), k + 1, entry.number)
        drawn = self._source.ask()
        return None if drawn is None else self._propose(drawn[0], 0, None)

    def _propose(self, params: Params, k: int, parent: int | None) -> Proposal:
        self._pending.append((params, k))
        self.info = {"rung": k}
        top = k == len(self.rungs_) - 1
        return Proposal(params, self.rungs_[k], parent=parent, keep_model=not top)

    def tell(self, trial: Trial) -> None:
        _, k = self._pending.pop(find_pending(self._pending, trial, "ASHAStrategy"))
        score = trial.score if trial.complete else None
        self._rungs[k].append(_Entry(trial.number, trial.params, score))

    def needs_models(self) -> set[int]:
        needed: set[int] = set()
        for k in range(len(self._rungs) - 1):
            room = self._n_trials // self.eta ** (k + 1)
            needed.update(e.number for e in self._ranked(k)[:room] if not e.promoted)
        # A promotion starts as soon as it is asked (the runner takes its parent's model
        # then), so promoted entries need nothing more.
        return needed
