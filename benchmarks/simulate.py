"""``python -m benchmarks.simulate``: every strategy replayed against recorded learning curves.

Our real strategy objects (their ``ask`` / ``tell`` / ``should_stop``) and our real trial
runner (``search._runner.Runner``: its filling of free workers, promotions, duplicate
handling and timeout) run against a table of ``benchmarks.curves`` instead of Keras: a
``SimulatedPool`` with K simulated workers and a simulated clock answers each trial from
the table, so 50 seeds of every strategy take minutes instead of weeks (the simulated
back-end of Syne Tune's blackbox repository, the idea of LCBench and HPOBench).

How a trial is answered:

- its configuration is the tabulated one **nearest** to the proposed parameters in the
  space's [0, 1]^d encoding (``CurveTable.nearest``; no surrogate: ``nearest_error``
  measures what that costs on held-out configurations);
- its fit replays the protocol's early stopping on the table's Keras ``val_loss`` (the
  table's patience, relative ``min_delta``, best weights restored), so its score is the
  validation score of the best epoch and its test score that epoch's test score; a NaN in
  the curve (a diverged fit) fails it;
- it takes the table's seconds: the configuration's fixed cost, then each epoch's seconds
  plus one validation scoring, plus the final scoring; a promotion that continues a
  parent's model reads the **same configuration's later epochs** and pays the fixed cost
  and the first-epoch trace again (a new model is built and loaded), not the epochs
  already trained;
- a strategy that prunes (``should_stop``) hears every epoch's score at its simulated time
  and a stopped trial ends then.

The simulated clock counts only the table's times: the engine's own overhead (worker
start-up, messages, pickling) is not in it; ``validate`` compares with real runs.

Examples:
    >>> from benchmarks.curves import CurveTable
    >>> run = replay(CurveTable.synthetic(n=16, epochs=9), "random", seed=0, budget=30.0)
    >>> run.strategy, run.trace[-1][0] <= run.end
    ('random', True)
"""

from __future__ import annotations

import argparse
import heapq
import math
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.curves import CurveTable, load_table
from benchmarks.studies._record import add_output_arguments, output_folder, recorded
from search._fit import TrialOutcome, TrialSpec
from search._pool import Done, Epoch, Event, Pool
from search._runner import Runner
from search._worker import watch_parent
from search.strategies import (
    STRATEGIES,
    HyperbandStrategy,
    NASStrategy,
    Strategy,
    TPEStrategy,
)
from search.trial import Trial

__all__ = [
    "DEFAULT_STRATEGIES",
    "SIMULATED",
    "Replay",
    "SimulatedPool",
    "anytime",
    "main",
    "make_simulated_strategy",
    "nearest_error",
    "ranking",
    "replay",
    "simulate",
]

# What ``--strategies`` offers beyond STRATEGIES (grid needs buckets for every float: left
# out): ``bohb`` is Hyperband with TPE proposals (the harness's ``hyperband-tpe``; a BOHB
# strategy of its own is issue 33's), ``tpe-median`` our TPE with Optuna's MedianPruner,
# and the ``optuna-*`` rows plain Optuna as its users run it: the sampler's defaults
# (seeded) and MedianPruner's defaults, through the same ask/tell.
DEFAULT_STRATEGIES = ["random", "tpe", "genetic", "hyperband", "asha", "bohb", "nas"]
SIMULATED = [
    *DEFAULT_STRATEGIES,
    "tpe-median",
    "optuna-tpe",
    "optuna-random",
    "optuna-cmaes",
]
# The cap on trials (rung runs count as trials): the budget ends every replay first; a
# replay that reaches it says so (``Replay.capped``).
N_TRIALS = 1000
# Budget checkpoints, as fractions of the budget: the ranking tables' columns.
CHECKPOINTS = (0.125, 0.25, 0.5, 1.0)


# ------------------------------------------------------------------------------------------
# Strategies by name
# ------------------------------------------------------------------------------------------
class _OptunaPeer(TPEStrategy):
    """Plain Optuna: ``sampler``'s defaults (seeded) with ``MedianPruner()``'s, through the
    same ``study.ask`` / ``study.tell`` as our TPE (so only the sampler and pruner differ)."""

    def __init__(self, sampler: str) -> None:
        super().__init__(pruner="median")
        self.sampler_name = sampler
        self.name = f"optuna-{sampler}"

    def get_config(self) -> dict[str, Any]:
        return {"sampler": self.sampler_name, "pruner": "median"}

    def _start(self, n_trials: int, seed: int) -> None:
        import optuna

        super()._start(n_trials, seed)
        samplers: dict[str, Callable[[], optuna.samplers.BaseSampler]] = {
            "tpe": lambda: optuna.samplers.TPESampler(seed=seed),
            "random": lambda: optuna.samplers.RandomSampler(seed=seed),
            # CMA-ES models the floats and ints; Optuna samples categoricals independently
            # (at random), as it does for any user of CmaEsSampler.
            "cmaes": lambda: optuna.samplers.CmaEsSampler(
                seed=seed, warn_independent_sampling=False
            ),
        }
        self.study.sampler = samplers[self.sampler_name]()


def make_simulated_strategy(name: str, table: CurveTable) -> Strategy:
    """The strategy object ``name`` (one of ``SIMULATED``) for ``table``'s space, made as the
    harness makes its rows (``nas``: ``NASStrategy.for_space``)."""
    if name == "nas":
        return NASStrategy.for_space(table.space)
    if name == "bohb":
        strategy: Strategy = HyperbandStrategy(sampler="tpe")
        strategy.name = "bohb"
        return strategy
    if name == "tpe-median":
        strategy = TPEStrategy(pruner="median")
        strategy.name = "tpe-median"
        return strategy
    if name.startswith("optuna-") and name[len("optuna-") :] in ("tpe", "random", "cmaes"):
        return _OptunaPeer(name[len("optuna-") :])
    if name in STRATEGIES and name != "grid":
        return STRATEGIES[name]()
    raise ValueError(f"strategy must be one of {SIMULATED}, got {name!r}.")


# ------------------------------------------------------------------------------------------
# The simulated pool
# ------------------------------------------------------------------------------------------
@dataclass
class _Fit:
    """One trial's replayed fit: which epochs it trains, when each ends, how it ends."""

    number: int
    config: int
    start_epoch: int
    epoch_ends: list[float]  # simulated end time of each epoch it trains
    state: str  # "complete" or "failed" if nothing stops it
    best: int  # the restored epoch (0-based, absolute)
    end: float  # when its outcome comes back
    live: bool
    keep_model: bool
    error: str | None = None
    next_epoch: int = 0  # index into epoch_ends of the next epoch to report (live)
    generation: int = 0  # bumps when a stop makes its scheduled events stale


class SimulatedPool(Pool):
    """K simulated workers answering trials from ``table`` on a simulated clock.

    ``submit`` schedules a trial's events (each epoch's end for a live trial, its outcome);
    ``wait`` advances the clock to the next one. ``tests[number]`` is each complete
    trial's test score (at its restored epoch), ``configs[number]`` the tabulated
    configuration that answered it, ``started[number]`` when it was submitted.
    """

    live_epochs = True

    def __init__(self, table: CurveTable, slots: int) -> None:
        if isinstance(slots, bool) or not isinstance(slots, int) or slots < 1:
            raise ValueError(f"workers must be an int >= 1, got {slots!r}.")
        self.table, self.slots = table, slots
        self.now = 0.0
        self._heap: list[tuple[float, int, int, int, str]] = []
        self._seq = 0
        self._fits: dict[int, _Fit] = {}
        self.tests: dict[int, float] = {}
        self.configs: dict[int, int] = {}
        self.started: dict[int, float] = {}
        patience = table.settings.get("patience")
        self._patience = None if patience is None else int(patience)
        self._min_delta = float(table.settings.get("min_delta", 0.0))
        self._relative = table.settings.get("min_delta_mode", "absolute") == "relative"

    def clock(self) -> float:
        return self.now

    def running(self) -> int:
        return len(self._fits)

    def submit(self, number: int, spec: TrialSpec) -> None:
        table = self.table
        config = table.nearest(spec.params)
        top = table.max_epochs if spec.epochs is None else int(spec.epochs)
        start = int(spec.start_epoch) if spec.models is not None else 0
        if not 0 <= start < top <= table.max_epochs:
            raise ValueError(
                f"trial {number}: epochs {start}..{top} are outside the table's 1.."
                f"{table.max_epochs}."
            )
        stop, best, failed = self._replay_fit(config, start, top)
        per_score = float(table.score_seconds[config])
        began = self.now + float(table.fixed[config])
        if start > 0:
            began += table.trace_seconds(config)
        ends: list[float] = []
        t = began
        for epoch in range(start, stop):
            t += float(table.seconds[config, epoch]) + per_score
            ends.append(t)
        end = t if failed else t + per_score  # the final scoring of the restored model
        fit = _Fit(
            number,
            config,
            start,
            ends,
            "failed" if failed else "complete",
            best,
            end,
            spec.live,
            spec.keep_model,
            error=f"diverged (NaN in the table at epoch {stop})" if failed else None,
        )
        self._fits[number] = fit
        self.configs[number] = config
        self.started[number] = self.now
        if spec.live and ends:
            self._push(ends[0], number, fit.generation, "epoch")
        else:
            self._push(end, number, fit.generation, "done")

    def _replay_fit(self, config: int, start: int, top: int) -> tuple[int, int, bool]:
        """Keras's early stopping over epochs ``start..top`` of ``config``: (the epoch after
        the last one trained, the restored epoch, whether the fit diverged)."""
        val, loss = self.table.val[config], self.table.val_loss[config]
        best_loss: float | None = None
        best = start
        wait = 0
        for epoch in range(start, top):
            if not (math.isfinite(val[epoch]) and math.isfinite(loss[epoch])):
                return epoch + 1, best, True
            if self._patience is None:
                best = epoch
                continue
            wait += 1
            current = float(loss[epoch])
            # Keras's rule (models.RelativeEarlyStopping when relative): an improvement
            # beats the best loss by min_delta, times |best| when relative.
            if best_loss is None or current < best_loss - self._min_delta * (
                abs(best_loss) if self._relative else 1.0
            ):
                best_loss, best, wait = current, epoch, 0
            elif wait >= self._patience and epoch > 0:
                return epoch + 1, best, False
        return top, best, False

    def _push(self, when: float, number: int, generation: int, kind: str) -> None:
        heapq.heappush(self._heap, (when, self._seq, number, generation, kind))
        self._seq += 1

    def wait(self, timeout: float | None) -> list[Event]:
        while self._heap:
            when, _, number, generation, kind = heapq.heappop(self._heap)
            fit = self._fits.get(number)
            if fit is None or generation != fit.generation:
                continue  # stale: the trial was stopped
            self.now = max(self.now, when)
            if kind == "done":
                return [self._done(fit)]
            return [self._epoch(fit)]
        return []

    def _epoch(self, fit: _Fit) -> Epoch:
        index = fit.next_epoch
        epoch = fit.start_epoch + index
        score = float(self.table.val[fit.config, epoch])
        fit.next_epoch += 1
        if fit.next_epoch < len(fit.epoch_ends):
            self._push(fit.epoch_ends[fit.next_epoch], fit.number, fit.generation, "epoch")
        else:
            self._push(fit.end, fit.number, fit.generation, "done")

        def answer(stop: bool) -> None:
            if stop:
                # Keras stops after this epoch: the outcome comes back now, pruned.
                fit.generation += 1
                fit.state, fit.end = "pruned", self.now
                fit.epoch_ends = fit.epoch_ends[: index + 1]
                self._push(self.now, fit.number, fit.generation, "done")

        return Epoch(fit.number, 0, epoch + 1, score, answer)

    def _done(self, fit: _Fit) -> Done:
        del self._fits[fit.number]
        table, c = self.table, fit.config
        trained = len(fit.epoch_ends)
        curve = [float(v) for v in table.val[c, fit.start_epoch : fit.start_epoch + trained]]
        fit_seconds = float(table.fixed[c]) + float(
            np.nansum(table.seconds[c, fit.start_epoch : fit.start_epoch + trained])
        )
        score_seconds = float(table.score_seconds[c]) * (trained + 1)
        if fit.state == "complete":
            score = float(table.val[c, fit.best])
            self.tests[fit.number] = float(table.test[c, fit.best])
            outcome = TrialOutcome(
                "complete",
                [score],
                [trained],
                [curve],
                [fit_seconds],
                [score_seconds],
                models=[b"simulated"] if fit.keep_model else None,
            )
        else:
            outcome = TrialOutcome(
                fit.state, [], [trained], [curve], [fit_seconds], [score_seconds], fit.error
            )
        return Done(fit.number, outcome)

    def close(self, kill: bool = False) -> None:
        self._fits.clear()
        self._heap.clear()


# ------------------------------------------------------------------------------------------
# One replay
# ------------------------------------------------------------------------------------------
@dataclass
class Replay:
    """One strategy's replay for one seed.

    ``trace``: ``(time, incumbent validation score, incumbent test score)`` at each change
    of the incumbent (the trial the search would return at that time: ``best_index`` over
    the trials ended by then); ``end``: when the last trial ended (running trials finish
    after the budget, as in a real search); ``final``: the incumbent then.
    """

    strategy: str
    seed: int
    budget: float
    trace: list[tuple[float, float, float]]
    end: float
    final: tuple[float, float]
    trials: int
    states: dict[str, int]
    epochs: int
    configs: int
    capped: bool
    seconds: float = 0.0  # wall time of the replay itself
    log: list[dict[str, Any]] = field(default_factory=list)

    def at(self, t: float) -> tuple[float, float]:
        """The incumbent's (validation, test) scores at simulated time ``t`` (NaN before
        the first complete trial)."""
        times = [p[0] for p in self.trace]
        i = int(np.searchsorted(times, t, side="right")) - 1
        return (math.nan, math.nan) if i < 0 else (self.trace[i][1], self.trace[i][2])


def replay(
    table: CurveTable,
    strategy: str,
    seed: int,
    *,
    budget: float,
    workers: int = 2,
    n_trials: int = N_TRIALS,
    keep_log: bool = False,
) -> Replay:
    """Replay ``strategy`` (a name in ``SIMULATED``) with ``seed`` for ``budget`` simulated
    seconds on ``workers`` simulated workers; ``keep_log`` keeps every trial's row."""
    if not (isinstance(budget, (int, float)) and budget > 0 and math.isfinite(budget)):
        raise ValueError(f"budget must be a number of seconds > 0, got {budget!r}.")
    began = time.perf_counter()
    made = make_simulated_strategy(strategy, table)
    made.bind(table.space, n_trials, seed, epochs=table.max_epochs)
    pool = SimulatedPool(table, workers)

    def make_spec(number: int, params: dict[str, Any], live: bool) -> TrialSpec:
        return TrialSpec(number, table.space.full(params), None, None, live=live)

    runner = Runner(
        made,
        pool,
        make_spec,
        n_trials=n_trials,
        timeout=budget,
        epochs=table.max_epochs,
        clock=pool.clock,
    )
    trials = _run_quietly(runner)
    ended = sorted(trials, key=lambda t: (t.elapsed, t.number))
    trace = _incumbents(ended, pool.tests)
    states: dict[str, int] = {}
    for t in trials:
        states[t.state] = states.get(t.state, 0) + 1
    log = []
    if keep_log:
        log = [
            {
                "number": t.number,
                "config": pool.configs.get(t.number),
                "state": t.state,
                "score": t.score if t.complete else None,
                "test": pool.tests.get(t.number),
                "started": pool.started.get(t.number),
                "elapsed": t.elapsed,
                "fidelity": t.fidelity,
                "parent": t.parent,
                "start_epoch": t.start_epoch,
                "epochs_trained": t.epochs_trained,
            }
            for t in ended
        ]
    final = (trace[-1][1], trace[-1][2]) if trace else (math.nan, math.nan)
    return Replay(
        strategy=strategy,
        seed=seed,
        budget=float(budget),
        trace=trace,
        end=max((t.elapsed for t in trials), default=0.0),
        final=final,
        trials=len(trials),
        states=states,
        epochs=int(sum(t.epochs_trained for t in trials)),
        configs=len(set(pool.configs.values())),
        capped=len(trials) >= n_trials,
        seconds=time.perf_counter() - began,
        log=log,
    )


def _run_quietly(runner: Runner) -> list[Trial]:
    import warnings

    import optuna

    from search._optuna_util import quiet_optuna

    with quiet_optuna(), warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return runner.run()


def _incumbents(ended: list[Trial], tests: dict[int, float]) -> list[tuple[float, float, float]]:
    """The incumbent after each trial's end, as ``search._results.best_index`` picks it (the
    largest fidelity reached first, then the score, then the earlier trial)."""
    trace: list[tuple[float, float, float]] = []
    best: Trial | None = None
    for t in ended:
        if not t.complete:
            continue
        if best is None:
            better = True
        elif t.fidelity != best.fidelity:
            better = t.fidelity is not None and (
                best.fidelity is None or t.fidelity > best.fidelity
            )
        else:
            better = t.score > best.score or (t.score == best.score and t.number < best.number)
        if better:
            best = t
            trace.append((float(t.elapsed), float(t.score), float(tests[t.number])))
    return trace


# ------------------------------------------------------------------------------------------
# Many replays
# ------------------------------------------------------------------------------------------
def trial_cost(table: CurveTable, workers: int = 2) -> float:
    """The median simulated seconds of one trial from scratch under the protocol (early
    stopping replayed): the unit of ``--budget Nx``."""
    pool = SimulatedPool(table, workers)
    costs = []
    for c in range(len(table.params)):
        spec = TrialSpec(c, table.params[c], None, None)
        pool.now = 0.0
        pool.submit(c, spec)
        costs.append(pool._fits.pop(c).end)
        pool._heap.clear()
    return float(statistics.median(costs))


def parse_budget(text: str, table: CurveTable, workers: int) -> float:
    """``"600"`` (simulated seconds) or ``"32x"`` (32 median trials' seconds, see
    ``trial_cost``)."""
    try:
        value = float(text[:-1]) * trial_cost(table, workers) if text.endswith("x") else float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise ValueError(
            f"--budget must be seconds (e.g. 600) or trial equivalents (e.g. 32x), got {text!r}."
        )
    return value


def _replay_job(args: tuple[str, str, int, float, int]) -> Replay:
    table_name, strategy, seed, budget, workers = args
    return replay(_table(table_name), strategy, seed, budget=budget, workers=workers)


_TABLES: dict[str, CurveTable] = {}


def _table(name: str) -> CurveTable:
    if name not in _TABLES:
        _TABLES[name] = load_table(name)
    return _TABLES[name]


def simulate(
    table: str,
    strategies: Sequence[str],
    seeds: int,
    *,
    budget: float,
    workers: int = 2,
    jobs: int = 1,
    progress: bool = True,
) -> list[Replay]:
    """Every strategy times seeds ``0..seeds-1`` replayed on the table named ``table``, on ``jobs``
    processes; replays in (strategy, seed) order."""
    for name in strategies:
        make_simulated_strategy(name, _table(table))  # unknown names fail before any run
    tasks = [(table, s, seed, budget, workers) for s in strategies for seed in range(seeds)]
    out: list[Replay] = []
    if jobs == 1:
        for task in tasks:
            out.append(_replay_job(task))
            _progress(progress, out, len(tasks))
        return out
    with ProcessPoolExecutor(
        jobs, mp_context=get_context("spawn"), initializer=watch_parent, initargs=(os.getpid(),)
    ) as pool:
        for run in pool.map(_replay_job, tasks, chunksize=max(1, seeds // 4)):
            out.append(run)
            _progress(progress, out, len(tasks))
    return out


def _progress(show: bool, done: list[Replay], total: int) -> None:
    last = done[-1]
    if show and (last.seed == 0 or len(done) == total):
        print(
            f"  {last.strategy:14s} seed {last.seed}: {last.trials} trials, "
            f"final val {last.final[0]:.4f}, {last.seconds:.2f} s  ({len(done)}/{total})",
            flush=True,
        )


# ------------------------------------------------------------------------------------------
# Summaries
# ------------------------------------------------------------------------------------------
def anytime(runs: Sequence[Replay], times: Sequence[float]) -> dict[str, dict[str, list[float]]]:
    """Per strategy, at each of ``times``: the median and quartiles over seeds of the
    incumbent's validation and test scores (NaN while fewer than half the seeds have one)."""
    out: dict[str, dict[str, list[float]]] = {}
    for name in dict.fromkeys(r.strategy for r in runs):
        mine = [r for r in runs if r.strategy == name]
        values = np.array([[r.at(t) for t in times] for r in mine])  # seed, time, (val, test)
        summary: dict[str, list[float]] = {}
        for k, what in enumerate(("val", "test")):
            column = values[:, :, k]
            for q, label in ((25, "q1"), (50, "median"), (75, "q3")):
                qs = []
                for j in range(column.shape[1]):
                    finite = column[np.isfinite(column[:, j]), j]
                    qs.append(
                        float(np.percentile(finite, q))
                        if len(finite) * 2 >= len(column)
                        else math.nan
                    )
                summary[f"{what}_{label}"] = qs
        out[name] = summary
    return out


def ranking(runs: Sequence[Replay], at: float, *, what: str = "test") -> list[dict[str, Any]]:
    """At simulated time ``at``: per strategy, the median score over seeds, the mean rank
    (1 = best; ties share the mean rank; no model yet ranks last) and the paired Wilcoxon
    signed-rank test against ``random`` over the seeds (two-sided; ``None`` for random
    itself or where every pair is equal). ``what``: ``"test"`` or ``"val"``."""
    from scipy.stats import rankdata, wilcoxon

    k = 1 if what == "test" else 0
    names = list(dict.fromkeys(r.strategy for r in runs))
    seeds = sorted({r.seed for r in runs})
    by = {(r.strategy, r.seed): r.at(at)[k] for r in runs}
    scores = np.array([[by.get((n, s), math.nan) for n in names] for s in seeds])
    filled = np.where(np.isfinite(scores), scores, -np.inf)
    ranks = np.array([rankdata(-row, method="average") for row in filled])
    rows = []
    base = names.index("random") if "random" in names else None
    for j, name in enumerate(names):
        column = scores[:, j]
        row: dict[str, Any] = {
            "strategy": name,
            "median": float(np.nanmedian(column)) if np.isfinite(column).any() else math.nan,
            "mean_rank": float(ranks[:, j].mean()),
            "seeds_with_model": int(np.isfinite(column).sum()),
            "wins": None,
            "losses": None,
            "p_vs_random": None,
        }
        if base is not None and j != base:
            a, b = filled[:, j], filled[:, base]
            row["wins"], row["losses"] = int((a > b).sum()), int((a < b).sum())
            both = np.isfinite(a) & np.isfinite(b) & (a != b)
            if both.sum() >= 1:
                row["p_vs_random"] = float(wilcoxon(a[both], b[both]).pvalue)
        rows.append(row)
    return rows


def nearest_error(table: CurveTable) -> dict[str, float]:
    """What answering by the nearest configuration costs: each tabulated configuration's
    final score (early stopping replayed) predicted by its nearest *other* configuration
    (leave-one-out), as the mean absolute error, beside the spread of the scores (their
    standard deviation) and the Spearman correlation of predicted and true scores."""
    from scipy.stats import spearmanr

    pool = SimulatedPool(table, 1)
    final = []
    for c in range(len(table.params)):
        _, best, failed = pool._replay_fit(c, 0, table.max_epochs)
        final.append(math.nan if failed else float(table.val[c, best]))
    scores = np.array(final)
    codes = table._codes
    predicted = []
    for c in range(len(codes)):
        d = ((codes - codes[c]) ** 2).sum(axis=1)
        d[c] = np.inf
        predicted.append(scores[int(np.argmin(d))])
    pred = np.array(predicted)
    ok = np.isfinite(scores) & np.isfinite(pred)
    return {
        "configs": int(len(scores)),
        "mae": float(np.mean(np.abs(scores[ok] - pred[ok]))),
        "score_std": float(np.std(scores[ok])),
        "spearman": float(spearmanr(scores[ok], pred[ok]).statistic),
        "diverged": int((~np.isfinite(scores)).sum()),
    }


# ------------------------------------------------------------------------------------------
# Reports
# ------------------------------------------------------------------------------------------
def _shown(value: float, regression: bool) -> str:
    if not math.isfinite(value):
        return "-"
    return f"{math.sqrt(-value):.4f}" if regression else f"{value:.4f}"


def summarise(
    runs: Sequence[Replay], table: CurveTable, budget: float, workers: int
) -> dict[str, Any]:
    """The numbers of a report: settings, the nearest-neighbour error, per checkpoint the
    ranking on test and on validation, the anytime curves, every replay's summary."""
    times = list(np.linspace(0.0, budget, 121)[1:])
    checkpoints = [budget * f for f in CHECKPOINTS]
    return {
        "table": table.name,
        "table_settings": table.settings,
        "budget_seconds": budget,
        "trial_seconds": trial_cost(table, workers),
        "workers": workers,
        "seeds": len({r.seed for r in runs}),
        "strategies": list(dict.fromkeys(r.strategy for r in runs)),
        "nearest_error": nearest_error(table),
        "table_best": _table_best(table),
        "checkpoints": [
            {
                "seconds": t,
                "test": ranking(runs, t, what="test"),
                "val": ranking(runs, t, what="val"),
            }
            for t in checkpoints
        ],
        "anytime": {"times": times, "strategies": anytime(runs, times)},
        "replays": [
            {
                "strategy": r.strategy,
                "seed": r.seed,
                "trace": r.trace,
                "end": r.end,
                "final": r.final,
                "trials": r.trials,
                "states": r.states,
                "epochs": r.epochs,
                "configs": r.configs,
                "capped": r.capped,
                "seconds": r.seconds,
            }
            for r in runs
        ],
    }


def _table_best(table: CurveTable) -> dict[str, float]:
    """The table's best configuration under the protocol (by validation) and its test."""
    pool = SimulatedPool(table, 1)
    best_val, best_test = -math.inf, math.nan
    for c in range(len(table.params)):
        _, best, failed = pool._replay_fit(c, 0, table.max_epochs)
        if not failed and table.val[c, best] > best_val:
            best_val, best_test = float(table.val[c, best]), float(table.test[c, best])
    return {"val": best_val, "test": best_test}


def markdown(summary: dict[str, Any]) -> str:
    """The ranking tables of ``summary`` as Markdown (regression scores as RMSE)."""
    regression = summary["table_settings"].get("dataset") == "california"
    unit = "test RMSE (lower is better)" if regression else "test accuracy"
    err = summary["nearest_error"]
    lines = [
        f"### {summary['table']}: {summary['seeds']} seeds, {summary['workers']} simulated "
        f"workers, budget {summary['budget_seconds']:.0f} s "
        f"(one median trial: {summary['trial_seconds']:.1f} s)",
        "",
        f"Nearest-configuration answers, leave-one-out over the table's {err['configs']} "
        f"configurations: mean absolute error {err['mae']:.4f} of the validation score "
        f"(scores' standard deviation {err['score_std']:.4f}, Spearman {err['spearman']:.2f}).",
        f"The table's best configuration by validation: {unit} "
        f"{_shown(summary['table_best']['test'], regression)}.",
        "",
    ]
    for cp in summary["checkpoints"]:
        lines += [
            f"At {cp['seconds']:.0f} s: median {unit} of the incumbent, mean rank over seeds "
            "(1 = best), wins/losses against random and the Wilcoxon signed-rank p-value "
            "(paired over seeds, two-sided); validation rank beside it.",
            "",
            "| strategy | median test | mean rank (test) | wins/losses vs random | p (test) "
            "| mean rank (val) | p (val) |",
            "|---|---|---|---|---|---|---|",
        ]
        val = {r["strategy"]: r for r in cp["val"]}
        for row in sorted(cp["test"], key=lambda r: r["mean_rank"]):
            v = val[row["strategy"]]
            wl = "-" if row["wins"] is None else f"{row['wins']}/{row['losses']}"
            lines.append(
                f"| {row['strategy']} | {_shown(row['median'], regression)} | "
                f"{row['mean_rank']:.2f} | {wl} | {_p(row['p_vs_random'])} | "
                f"{v['mean_rank']:.2f} | {_p(v['p_vs_random'])} |"
            )
        lines.append("")
    return "\n".join(lines)


def _p(p: float | None) -> str:
    if p is None:
        return "-"
    return f"{p:.2g}" if p >= 1e-3 else "<0.001"


def plot(summary: dict[str, Any], path: Path) -> Path:
    """The anytime curves (median and interquartile band over seeds) of validation and of
    the incumbent's test score against simulated time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    regression = summary["table_settings"].get("dataset") == "california"
    times = np.array(summary["anytime"]["times"])
    budget = float(summary["budget_seconds"])
    # Our strategies solid, the peers' rows dashed: 11 rows outrun one colour cycle.
    colours = plt.get_cmap("tab20")  # called with an int: that colour of its 20
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    for ax, what in zip(axes, ("val", "test"), strict=True):
        shown: list[np.ndarray] = []
        for i, (name, curves) in enumerate(summary["anytime"]["strategies"].items()):
            med, q1, q3 = (np.array(curves[f"{what}_{q}"]) for q in ("median", "q1", "q3"))
            if regression:
                med, q1, q3 = (np.sqrt(-x) for x in (med, q3, q1))
            style = "-" if name in DEFAULT_STRATEGIES else "--"
            colour = colours((2 * i) % 20 if i < 10 else (2 * (i - 10) + 1) % 20)
            ax.plot(times, med, style, color=colour, label=name, linewidth=1.4)
            ax.fill_between(times, q1, q3, color=colour, alpha=0.08)
            shown.append(np.concatenate([q1, q3])[np.tile(times >= budget / 8, 2)])
        # The first trials' scores would squeeze the comparison into a sliver: the y-axis
        # spans the bands from the first checkpoint on.
        band = np.concatenate(shown)
        band = band[np.isfinite(band)]
        if band.size:
            pad = 0.05 * (band.max() - band.min() or abs(band.max()) or 1.0)
            ax.set_ylim(band.min() - pad, band.max() + pad)
        for fraction in CHECKPOINTS:
            ax.axvline(budget * fraction, color="grey", linewidth=0.6, alpha=0.5)
        ax.set_xscale("log")
        ax.set_xlim(budget / 32, budget * 1.05)
        label = "RMSE (lower is better)" if regression else "accuracy"
        ax.set_title(f"{summary['table']}: incumbent's {what} {label}")
        ax.set_xlabel("simulated seconds (log; grey: the ranking checkpoints)")
        ax.grid(alpha=0.3)
    axes[1].legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# ------------------------------------------------------------------------------------------
# Command line
# ------------------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.simulate", description=__doc__)
    parser.add_argument("--table", default="california", help="a committed table or a .csv.gz")
    parser.add_argument("--strategies", default=",".join(DEFAULT_STRATEGIES))
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument(
        "--budget", default="32x", help="simulated seconds, or Nx: N median trials' seconds"
    )
    parser.add_argument("--workers", type=int, default=2, help="simulated workers")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes")
    parser.add_argument(
        "--replot",
        action="store_true",
        help="replay nothing: rewrite the figure and tables from the folder's <name>.json",
    )
    add_output_arguments(parser, "the table's name")
    args = parser.parse_args(argv)
    if args.replot:
        return _replot(args)
    table = load_table(args.table)
    strategies = [s.strip() for s in args.strategies.split(",") if s.strip()]
    if isinstance(args.seeds, bool) or args.seeds < 1:
        raise SystemExit(f"--seeds must be >= 1, got {args.seeds}.")
    budget = parse_budget(args.budget, table, args.workers)
    name = args.name or table.name
    with recorded("simulate", name, args.out, argv, module="benchmarks.simulate") as record:
        folder = record.folder
        print(
            f"{table.name}: {len(strategies)} strategies x {args.seeds} seeds, budget "
            f"{budget:.0f} simulated s, {args.workers} simulated workers, {args.jobs} processes",
            flush=True,
        )
        began = time.perf_counter()
        runs = simulate(
            str(args.table),
            strategies,
            args.seeds,
            budget=budget,
            workers=args.workers,
            jobs=args.jobs,
        )
        wall = time.perf_counter() - began
        summary = summarise(runs, table, budget, args.workers)
        summary["replay_wall_seconds"] = wall
        record.json(summary, indent=None)
        plot(summary, folder / f"{name}.png")
        text = markdown(summary)
        (folder / f"{name}.md").write_text(text + "\n")
        print(text)
        print(f"{len(runs)} replays in {wall:.0f} s")
    return 0


def _replot(args: argparse.Namespace) -> int:
    """``--replot``: the figure and Markdown of a finished replay, from its JSON."""
    import json

    name = args.name or Path(str(args.table)).name.removesuffix(".csv.gz")
    folder = output_folder("simulate", args.out)
    path = folder / f"{name}.json"
    if not path.exists():
        raise SystemExit(
            f"--replot reads {path}, which does not exist: replay first, or give --out."
        )
    summary = json.loads(path.read_text())
    plot(summary, folder / f"{name}.png")
    (folder / f"{name}.md").write_text(markdown(summary) + "\n")
    print(f"wrote {folder / f'{name}.png'} and {folder / f'{name}.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
