"""Hyperband (Li et al., JMLR 2018, Algorithm 1) with promotions that continue training."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from search.multifidelity import hyperband_brackets
from search.strategies._base import Params, Proposal, Strategy, find_pending
from search.strategies._fidelity import (
    CandidateSource,
    check_eta,
    check_resource,
    check_sampler,
    make_source,
)
from search.trial import Trial

__all__ = ["HyperbandStrategy"]


@dataclass
class _Member:
    """One candidate's run at one rung of one bracket."""

    bracket: _Bracket
    params: Params
    handle: Any  # the candidate source's
    parent: int | None = None


@dataclass
class _Bracket:
    """Successive halving over fixed rungs: ``rungs[i] = (candidates, epochs)``."""

    s: int
    rungs: list[tuple[int, int]]
    level: int = 0
    new_left: int = 0  # candidates still to draw for rung 0
    queue: list[_Member] = field(default_factory=list)  # promotions not yet asked
    running: int = 0  # asked, not yet told
    results: list[tuple[float | None, int, _Member]] = field(default_factory=list)
    done: bool = False

    @property
    def epochs(self) -> int:
        return self.rungs[self.level][1]

    @property
    def top(self) -> bool:
        return self.level == len(self.rungs) - 1

    @property
    def rung_open(self) -> bool:
        return self.new_left > 0 or bool(self.queue) or self.running > 0


class HyperbandStrategy(Strategy):
    """Hyperband over epochs: brackets of successive halving, the largest resource R being
    the search's ``epochs`` (``search.multifidelity.hyperband_brackets(R, eta)`` shows them).

    Bracket s starts ``n`` candidates at ``r`` epochs; when every trial of a rung has ended,
    the best ``floor(n_i / eta)`` by validation score go on to the next rung's epochs,
    continuing their own trained models (weights and optimizer state) from where they
    stopped, so a promotion trains only the extra epochs. With k-fold ``cv`` a candidate's
    folds advance together: its rung score is the mean over folds, and each fold continues
    its own model. Brackets run in order; while a bracket waits for the last trials of a
    rung, free workers start the next bracket, so no worker waits. After the last bracket
    a new round of brackets begins while the budget lasts; ``iterations`` caps the rounds
    (KerasTuner's ``hyperband_iterations``). With ``n_trials`` unset, the budget is one
    round.

    New candidates come from ``sampler``: ``"random"`` (Li et al.) or ``"tpe"`` (BOHB's
    idea: TPE learns from every rung result). Each rung run is one trial (``fidelity`` =
    its epochs, ``parent`` = the trial it continues); the best model is chosen among the
    trials of the top rung.

    Examples:
        >>> from spaces import Space, Float
        >>> s = HyperbandStrategy()
        >>> s.bind(Space(x=Float(0.0, 1.0)), n_trials=20, seed=0, epochs=9)
        >>> first = s.ask(); first.epochs, first.parent, s.info
        (1, None, {'round': 1, 'bracket': 2, 'rung': 0})
    """

    name = "hyperband"

    def __init__(
        self,
        eta: int = 3,
        sampler: str = "random",
        iterations: int | None = None,
        n_startup_trials: int | None = None,
    ) -> None:
        super().__init__()
        self.eta = check_eta("HyperbandStrategy", eta)
        self.sampler = check_sampler("HyperbandStrategy", sampler)
        if iterations is not None and (
            isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 1
        ):
            raise ValueError(
                f"HyperbandStrategy: iterations must be an int >= 1 or None (rounds while the "
                f"budget lasts), got {iterations!r}."
            )
        self.iterations = iterations
        self.n_startup_trials = n_startup_trials

    def get_config(self) -> dict[str, Any]:
        return {"eta": self.eta, "sampler": self.sampler, "iterations": self.iterations}

    def default_n_trials(self, epochs: int | None) -> int:
        """Every rung run of one round of the brackets (``iterations`` rounds if set)."""
        if epochs is None or epochs < self.eta:
            return super().default_n_trials(epochs)
        runs = sum(n for rungs in hyperband_brackets(epochs, self.eta) for n, _ in rungs)
        return runs * (self.iterations or 1)

    def _start(self, n_trials: int, seed: int) -> None:
        top = check_resource("hyperband", self.space, self.max_epochs)
        self.brackets_ = hyperband_brackets(top, self.eta)
        self._brackets: list[_Bracket] = []
        self.rounds_ = 0
        self._exhausted = False  # the candidate source has no more
        self._new_round()
        self._source: CandidateSource = make_source(
            "hyperband", self.sampler, self.space, n_trials, seed, self.n_startup_trials
        )
        self._pending: list[tuple[Params, _Member]] = []

    def _new_round(self) -> None:
        self.rounds_ += 1
        self._brackets += [
            _Bracket(len(rungs) - 1, rungs, new_left=rungs[0][0]) for rungs in self.brackets_
        ]

    def ask(self) -> Proposal | None:
        while True:
            for bracket in self._brackets:
                if bracket.done:
                    continue
                member = self._next(bracket)
                if member is not None:
                    bracket.running += 1
                    self._pending.append((member.params, member))
                    self.info = {"round": self.rounds_, "bracket": bracket.s, "rung": bracket.level}
                    return Proposal(
                        member.params,
                        bracket.epochs,
                        parent=member.parent,
                        keep_model=not bracket.top,
                    )
            # Nothing to start now. Once every bracket of this round has drawn all its new
            # candidates, free workers begin the next round (the runner's budget ends it).
            last = self._brackets[-len(self.brackets_) :]
            if (
                self._exhausted
                or any(b.new_left > 0 for b in last)
                or (self.iterations is not None and self.rounds_ >= self.iterations)
            ):
                return None
            self._new_round()

    def _next(self, bracket: _Bracket) -> _Member | None:
        if bracket.queue:
            return bracket.queue.pop(0)
        if bracket.level == 0 and bracket.new_left > 0:
            drawn = self._source.ask()
            if drawn is None:  # the source ran out (a small discrete space)
                self._exhausted = True
                bracket.new_left = 0
                if not bracket.rung_open:
                    self._close(bracket)
                return None
            bracket.new_left -= 1
            return _Member(bracket, drawn[0], drawn[1])
        return None

    def tell(self, trial: Trial) -> None:
        index = find_pending(self._pending, trial, "HyperbandStrategy")
        _, member = self._pending.pop(index)
        bracket = member.bracket
        bracket.running -= 1
        score = trial.score if trial.complete else None
        bracket.results.append((score, trial.number, member))
        failed = not trial.complete
        ends = "failed" if failed else ("complete" if bracket.top else None)
        self._source.tell(member.handle, bracket.epochs, score, ends)
        if not bracket.rung_open:
            self._close(bracket)

    def _close(self, bracket: _Bracket) -> None:
        """Every trial of the rung ended: promote the best, end the rest."""
        scored = [(s, n, m) for s, n, m in bracket.results if s is not None]
        scored.sort(key=lambda item: (-item[0], item[1]))  # best first; ties: earlier trial
        keep = 0 if bracket.top else bracket.rungs[bracket.level + 1][0]
        if not bracket.top:  # the top rung's trials were told complete as they ended
            for _, _, member in scored[keep:]:
                self._source.tell(member.handle, bracket.epochs, None, "pruned")
        bracket.results = []
        promoted = scored[:keep]
        if not promoted:
            bracket.done = True
            return
        bracket.level += 1
        bracket.queue = [
            _Member(bracket, dict(member.params), member.handle, parent=number)
            for _, number, member in promoted
        ]

    def needs_models(self) -> set[int]:
        needed: set[int] = set()
        for bracket in self._brackets:
            if bracket.done:
                continue
            needed.update(m.parent for m in bracket.queue if m.parent is not None)
            if not bracket.top:
                needed.update(number for _, number, _ in bracket.results)
        return needed
