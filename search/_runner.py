"""The trial runner: keeps every worker busy, tells each trial as it ends, writes it at once.

Whenever a worker is free it asks the strategy for the next candidate, claims it in the
ledger and starts it; as each trial ends it tells the strategy that trial (any order) and
writes it to the ledger. Per-epoch scores of a live trial reach the strategy's
``should_stop`` while it trains. The loop follows Optuna's ``_optimize`` (submit while
there is room, wait for the first to complete) and KerasTuner's oracle (a strategy may
answer "nothing yet").
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from search._fit import TrialOutcome, TrialSpec
from search._pool import Died, Done, Epoch, InProcessPool, Pool
from search._results import top_indices
from search.errors import AllTrialsFailedError
from search.ledger import Ledger
from search.strategies import Params, Proposal, Strategy
from search.trial import Trial, candidate_key

__all__ = ["Runner"]

# A strategy that keeps proposing only known candidates (a converged GA) ends the search
# after this many in a row.
_MAX_DUPLICATES = 200
_FOREIGN_POLL_SECONDS = 1.0
_OFFLINE_NUMBERS = 1_000_000_000


class Runner:
    """One search's loop over ``pool``; ``run()`` returns every trial, resumed ones first."""

    def __init__(
        self,
        strategy: Strategy,
        pool: Pool,
        make_spec: Callable[[int, Params, bool], TrialSpec],
        *,
        n_trials: int,
        timeout: float | None,
        ledger: Ledger | None = None,
        on_trial: Callable[[Trial], None] | None = None,
        epochs: int | None = None,
        max_epochs_total: int | None = None,
        keep_top: int = 0,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.strategy, self.pool = strategy, pool
        # Seconds, for the timeout and each trial's ``elapsed``; a simulated pool
        # (``benchmarks.simulate``) gives its simulated clock.
        self.clock = clock
        self.keep_top = keep_top
        self.make_spec, self.ledger, self.on_trial = make_spec, ledger, on_trial
        self.n_trials, self.timeout, self.epochs = n_trials, timeout, epochs
        self.max_epochs_total = max_epochs_total
        self.live = strategy.wants_epoch_reports
        self.trials: dict[int, Trial] = {}
        self.by_key: dict[str, Trial] = {}  # candidates with an outcome
        self.running: dict[int, Trial] = {}  # mine, training now
        self.running_keys: dict[str, int] = {}
        self.foreign: dict[int, str] = {}  # claimed by another process, still running
        self.foreign_proposals: dict[str, Proposal | None] = {}
        self.waiting: dict[str, list[Params]] = {}  # proposals awaiting a running outcome
        self._offline = 0
        self._done = False
        self._duplicates = 0
        self._next_number = 0
        self._started_any = False
        # Trained models a multi-fidelity strategy may still promote, and with ``keep_top``
        # the best trials' (``refit="trial"``, ``keep_models``): trial -> per fold.
        self.models: dict[int, list[bytes]] = {}
        self.top_numbers: list[int] = []
        if isinstance(pool, InProcessPool):
            pool.decide = self._decide
        if ledger is not None:
            for trial in ledger.trials():
                self._record(trial)

    # ----------------------------------------------------------------------------------
    def run(self) -> list[Trial]:
        self.start = self.clock()
        last_poll = self.start
        try:
            self._fill()
            while self.running or self.foreign:
                timeout = None if self.ledger is None else _FOREIGN_POLL_SECONDS
                self._handle(self.pool.wait(timeout))
                now = self.clock()
                if self.foreign and now - last_poll >= _FOREIGN_POLL_SECONDS:
                    self._poll_foreign()
                    last_poll = now
                self._fill()
        except BaseException:
            self._abort("interrupted")
            raise
        finally:
            if self.ledger is not None:
                self.ledger.close()
        trials = sorted(self.trials.values(), key=lambda t: t.number)
        if trials and not any(t.complete for t in trials):
            failed = [t for t in trials if t.state == "failed"]
            if len(failed) == len(trials):
                first = failed[0]
                raise AllTrialsFailedError(
                    f"all {len(trials)} trials failed; the first ({first.params}) with: "
                    f"{first.error}"
                )
            raise AllTrialsFailedError(
                f"no trial completed ({len(trials) - len(failed)} pruned, {len(failed)} "
                "failed), so there is no best model; give the search more trials, or prune "
                "less (a pruner's n_startup_trials / n_warmup_steps)."
            )
        return trials

    # ----------------------------------------------------------------------------------
    # Starting trials
    # ----------------------------------------------------------------------------------
    def _budget_left(self) -> bool:
        timed_out = self.timeout is not None and self.clock() - self.start >= self.timeout
        if timed_out and self._started_any:
            return False
        used = len(self.by_key) + len(self.running) + len(self.foreign)
        if used >= self.n_trials:
            return False
        if self.max_epochs_total is not None and self._started_any:
            # Epochs of every trial with an outcome (resumed ones too); running trials finish.
            spent = sum(t.epochs_trained for t in self.trials.values())
            if spent >= self.max_epochs_total:
                return False
        return self.ledger is None or self.ledger.count() < self.n_trials

    def _fill(self) -> None:
        while not self._done and self.pool.running() < self.pool.slots and self._budget_left():
            asked = self.strategy.ask()
            if asked is None:
                if not (self.running or self.foreign):
                    self._done = True
                return
            proposal = asked if isinstance(asked, Proposal) else None
            params = asked.params if isinstance(asked, Proposal) else asked
            key = candidate_key(params, None if proposal is None else proposal.epochs)
            known = self.by_key.get(key)
            if known is not None:
                self._duplicates += 1
                if self._duplicates >= _MAX_DUPLICATES:
                    self._done = True
                self.strategy.tell(replace(known, params=params))
                continue
            if key in self.running_keys or key in self.foreign.values():
                self.waiting.setdefault(key, []).append(params)
                continue
            self._duplicates = 0
            self._start(key, params, proposal)
            if isinstance(self.pool, InProcessPool):
                self._handle(self.pool.wait(0))

    def _start(self, key: str, params: Params, proposal: Proposal | None = None) -> None:
        proposed = self.clock()
        claim = None if self.ledger is None else self.ledger.claim(params, self.strategy.name, key)
        if claim is not None and not claim.offline:
            if claim.taken:
                if claim.finished is not None:
                    self._record(claim.finished)
                    self.strategy.tell(replace(claim.finished, params=params))
                else:
                    self.foreign[claim.number] = key
                    self.foreign_proposals[key] = proposal
                    self.waiting.setdefault(key, []).append(params)
                return
            number = claim.number
        elif claim is not None:
            # The ledger could not be written: a number no ledger trial of this study will
            # take, so the in-memory trial never collides with a later claim.
            number = _OFFLINE_NUMBERS + self._offline
            self._offline += 1
        else:
            number = self._next_number
            self._next_number += 1
        trial = Trial(
            number, self.strategy.name, params, epochs=self.epochs, extras=dict(self.strategy.info)
        )
        spec = self.make_spec(number, params, self.live)
        if self.keep_top:
            spec = replace(spec, keep_model=True)
        if proposal is not None:
            # A promotion continues its parent's models; without them (a resumed search
            # keeps no models) it trains from scratch to the same epochs.
            models = None if proposal.parent is None else self.models.get(proposal.parent)
            start = 0 if models is None else self._epochs_of(proposal.parent)
            trial.epochs = trial.fidelity = proposal.epochs
            trial.parent, trial.start_epoch = proposal.parent, start
            spec = replace(
                spec,
                epochs=proposal.epochs,
                start_epoch=start,
                models=models,
                keep_model=proposal.keep_model or bool(self.keep_top),
            )
        self.running[number] = trial
        self.running_keys[key] = number
        self.waiting.setdefault(key, []).insert(0, params)
        self._started_any = True
        trial.queue_time = self.clock() - proposed
        self.pool.submit(number, spec)

    # ----------------------------------------------------------------------------------
    # Events
    # ----------------------------------------------------------------------------------
    def _handle(self, events: list[Any]) -> None:
        for event in events:
            if isinstance(event, Epoch):
                event.answer(self._decide(event.number, event.fold, event.epoch, event.score))
            elif isinstance(event, Done):
                self._end(event.number, event.outcome)
            elif isinstance(event, Died):
                outcome = TrialOutcome("failed", [], [], [], [], [], error=event.reason)
                self._end(event.number, outcome)

    def _decide(self, number: int, fold: int, epoch: int, score: float) -> bool:
        """A live trial's epoch: extend its curve and ask the strategy whether to stop."""
        trial = self.running.get(number)
        if trial is None:
            return False
        while len(trial.curve) <= fold:
            trial.curve.append([])
        trial.curve[fold].append(score)
        return bool(self.strategy.should_stop(trial, fold, epoch, score))

    def _epochs_of(self, number: int | None) -> int:
        parent = self.trials.get(number) if number is not None else None
        return 0 if parent is None or parent.epochs is None else parent.epochs

    def _end(self, number: int, outcome: TrialOutcome) -> None:
        # The trial leaves ``running`` only once the ledger has its outcome: a Ctrl-C
        # before that lets ``_abort`` write it, so no finished trial is lost.
        trial = self.running[number]
        trial.state = outcome.state
        trial.fold_scores = outcome.fold_scores
        trial.fold_epochs = outcome.fold_epochs
        trial.curve = outcome.curve or trial.curve
        trial.fold_fit_times = outcome.fold_fit_times
        trial.fold_score_times = outcome.fold_score_times
        trial.error = outcome.error
        trial.elapsed = self.clock() - self.start
        if self.ledger is not None:
            self.ledger.finish(trial)
        del self.running[number]
        self._record(trial)
        if outcome.models and trial.complete:
            self.models[number] = outcome.models
        del self.running_keys[trial.key]
        self._tell_waiting(trial.key, trial)
        if self.keep_top:
            # The same trials the search will rank best (``run()`` sorts by number).
            ordered = sorted(self.trials.values(), key=lambda t: t.number)
            self.top_numbers = [ordered[i].number for i in top_indices(ordered, self.keep_top)]
        if self.models:
            needed = set(self.strategy.needs_models()) | set(self.top_numbers)
            for kept in [n for n in self.models if n not in needed]:
                del self.models[kept]
        if self.on_trial is not None:
            self.on_trial(trial)

    def _record(self, trial: Trial) -> None:
        self.trials[trial.number] = trial
        self.by_key[trial.key] = trial
        self._next_number = max(self._next_number, trial.number + 1)

    def _tell_waiting(self, key: str, trial: Trial) -> None:
        for params in self.waiting.pop(key, []):
            self.strategy.tell(trial if params is trial.params else replace(trial, params=params))

    def _poll_foreign(self) -> None:
        assert self.ledger is not None
        for number, key in list(self.foreign.items()):
            found = self.ledger.lookup(number)
            if found is not None:
                del self.foreign[number]
                self._record(found)
                self._tell_waiting(key, found)
            elif self.ledger.is_abandoned(number):
                # Its process died or was interrupted: the candidate is free, train it here.
                del self.foreign[number]
                waiting = self.waiting.pop(key, [])
                if waiting:
                    self._start(key, waiting[0], self.foreign_proposals.get(key))
                    self.waiting.setdefault(key, []).extend(waiting[1:])

    def _abort(self, reason: str) -> None:
        """Ctrl-C or an error: running trials end as failed and every open claim of this
        process is released (a claim just made, a trial whose outcome was being written);
        an outcome that had come back is written first."""
        for trial in list(self.running.values()):
            if trial.state != "running":  # its outcome arrived; the interrupt hit the write
                if self.ledger is not None:
                    self.ledger.finish(trial)
                continue
            trial.state, trial.error = "failed", reason
            trial.elapsed = self.clock() - self.start
        if self.ledger is not None:
            self.ledger.abandon_open(reason)
        self.pool.close(kill=True)
