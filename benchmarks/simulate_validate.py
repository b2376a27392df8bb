"""``python -m benchmarks.simulate_validate``: real searches beside their replay.

For one budget, each strategy runs for real (``search()``, the table's data, space, model,
batch size, epochs and early stopping, ``cv=(X_valid, y_valid)``, ``n_jobs`` = the table's
workers, ``timeout`` = the budget, ``refit="trial"`` so the returned model is the best
trial's own, as a replay's incumbent is) for a few seeds, and the same strategies are
replayed against the table (``benchmarks.simulate``) for many seeds at the same budget.
The report sets, per strategy, the real median against the simulated median of the final
incumbent's validation and test scores, the trials run, and the mean ranks of both: what
the simulation gets right and what it does not (the engine's own overhead, which the
simulated clock leaves out, shows as fewer real trials).

Examples:
    >>> compare({"random": [0.5, 0.6]}, {"random": [0.55, 0.57, 0.6]})["random"]["real"]
    0.55
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from collections.abc import Sequence
from typing import Any

from benchmarks.curves import CurveTable, load_table
from benchmarks.simulate import DEFAULT_STRATEGIES, Replay, parse_budget, simulate
from benchmarks.studies._record import add_output_arguments, recorded

__all__ = ["compare", "main", "markdown", "real_run", "subsample_agreement"]


def real_run(table: CurveTable, strategy: str, seed: int, budget: float) -> dict[str, Any]:
    """``strategy`` searched for real for ``budget`` seconds under ``table``'s settings."""
    from sklearn.metrics import get_scorer

    from benchmarks.datasets import load_dataset
    from benchmarks.profiles import get_profile
    from benchmarks.simulate import _incumbents, make_simulated_strategy
    from search import DEFAULT_SCORING, search
    from spaces import get_preset

    settings = table.settings
    plan = get_profile(settings["profile"]).plans[settings["dataset"]]
    data = load_dataset(settings["dataset"], **settings["loader_kwargs"])
    began = time.perf_counter()
    result = search(
        make_simulated_strategy(strategy, table),
        get_preset(settings["space"]),
        plan.build_model,
        data.X_train,
        data.y_train,
        task=data.task,
        n_trials=1000,
        timeout=budget,
        cv=(data.X_valid, data.y_valid),
        epochs=settings["max_epochs"],
        patience=settings["patience"],
        min_delta=settings["min_delta"],
        min_delta_mode=settings["min_delta_mode"],
        validation_split=settings["validation_split"],
        batch_size=settings["batch_size"],
        n_jobs=settings["workers"],
        seed=seed,
        refit="trial",
        progress=False,
    )
    wall = time.perf_counter() - began
    records = result.search_.records_
    test = float(
        get_scorer(DEFAULT_SCORING[data.task])(result.best_estimator_, data.X_test, data.y_test)
    )
    ended = sorted(records, key=lambda t: (t.elapsed, t.number))
    trace = _incumbents(ended, {t.number: math.nan for t in records})
    return {
        "strategy": strategy,
        "seed": seed,
        "budget": budget,
        "wall": wall,
        "final_val": float(result.best_score_),
        "final_test": test,
        "trials": len(records),
        "epochs": int(sum(t.epochs_trained for t in records)),
        "val_trace": [(t, v) for t, v, _ in trace],
    }


def compare(real: dict[str, list[float]], simulated: dict[str, list[float]]) -> dict[str, Any]:
    """Per strategy, the medians of ``real`` and ``simulated`` values and their difference."""
    out: dict[str, Any] = {}
    for name in real:
        r, s = statistics.median(real[name]), statistics.median(simulated[name])
        out[name] = {"real": r, "simulated": s, "difference": r - s}
    return out


def _ranks(matrix: Any) -> Any:
    """Each row's ranks (1 = best; ties share), a row per seed, a column per strategy; a NaN
    (no model yet) ranks last."""
    import numpy as np
    from scipy.stats import rankdata

    filled = np.where(np.isnan(matrix), -np.inf, matrix)
    return np.array([rankdata(-row) for row in filled])


def _mean_ranks(values: dict[str, list[float]]) -> dict[str, float]:
    """Mean rank over seeds (1 = best) of each strategy's values, seed by seed."""
    import numpy as np

    names = list(values)
    ranks = _ranks(np.array([values[n] for n in names], dtype=float).T)
    return {n: float(ranks[:, j].mean()) for j, n in enumerate(names)}


def _spearman(a: Sequence[float], b: Sequence[float]) -> float:
    from scipy.stats import spearmanr

    if len(set(a)) < 2 or len(set(b)) < 2:
        return math.nan
    return float(spearmanr(a, b).statistic)


def subsample_agreement(
    values: dict[str, list[float]], k: int, *, draws: int = 2000, seed: int = 0
) -> dict[str, float]:
    """How firmly ``k`` seeds rank the strategies: the Spearman correlation between the mean
    ranks over ``k`` seeds drawn (paired, without replacement) from ``values``' seeds and the
    mean ranks over all of them, over ``draws`` draws: its median, 10th and 90th
    percentiles, and the share of draws that reverse the order (correlation < 0).

    Examples:
        >>> values = {"a": [1.0, 2.0, 3.0, 4.0], "b": [0.0, 1.0, 2.0, 3.0], "c": [2.0] * 4}
        >>> subsample_agreement(values, 2, draws=50)["median"] > 0
        True
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    names = list(values)
    ranks = _ranks(np.array([values[n] for n in names], dtype=float).T)
    full = ranks.mean(axis=0)
    rhos = []
    for _ in range(draws):
        rows = rng.choice(len(ranks), size=k, replace=False)
        rho = _spearman(list(ranks[rows].mean(axis=0)), list(full))
        if not math.isnan(rho):
            rhos.append(rho)
    if not rhos:
        return {"k": k, "median": math.nan, "q10": math.nan, "q90": math.nan, "negative": 0.0}
    q10, median, q90 = np.percentile(rhos, [10, 50, 90])
    return {
        "k": k,
        "median": float(median),
        "q10": float(q10),
        "q90": float(q90),
        "negative": float(np.mean(np.array(rhos) < 0)),
    }


def markdown(numbers: dict[str, Any], regression: bool) -> str:
    """The comparison of a validation run's numbers as a Markdown table."""
    unit = "RMSE" if regression else "accuracy"
    ranks, lines = (
        numbers["val_rank"],
        [
            f"| strategy | real test {unit} | simulated test {unit} | real val rank | "
            "simulated val rank | real trials | simulated trials |",
            "|---|---|---|---|---|---|---|",
        ],
    )
    for s, t in numbers["test"].items():
        tr = numbers["trials"][s]
        lines.append(
            f"| {s} | {_shown(t['real'], regression)} | {_shown(t['simulated'], regression)} "
            f"| {ranks['real'][s]:.2f} | {ranks['simulated'][s]:.2f} "
            f"| {tr['real']:.0f} | {tr['simulated']:.0f} |"
        )
    agreement = numbers.get("agreement")
    if agreement:
        sub = agreement["subsample"]
        lines += [
            "",
            f"Budget {numbers['budget']:.0f} s, {numbers['workers']} workers; real: "
            f"{numbers['seeds']} seeds, simulated: {numbers['sim_seeds']}. Spearman correlation "
            f"of the real and simulated mean validation ranks: {agreement['real_vs_simulated']:.2f}"
            f" (of the median test scores: {agreement['test_real_vs_simulated']:.2f}). How "
            f"firmly {sub['k']} seeds rank: {sub['k']} of the {numbers['sim_seeds']} simulated "
            f"seeds drawn 2,000 times, the {sub['k']}-seed ranking correlates with the "
            f"{numbers['sim_seeds']}-seed one at a median {sub['median']:.2f} (10th-90th "
            f"percentile {sub['q10']:.2f} to {sub['q90']:.2f}; reversed, below 0, in "
            f"{100 * sub['negative']:.0f}% of draws).",
        ]
    return "\n".join(lines)


def _shown(value: float, regression: bool) -> str:
    return f"{math.sqrt(-value):.4f}" if regression and value < 0 else f"{value:.4f}"


def _real_line(run: dict[str, Any], regression: bool) -> str:
    return (
        f"  real {run['strategy']:10s} seed {run['seed']}: {run['trials']} trials in "
        f"{run['wall']:.0f} s, val {run['final_val']:.4f}, test "
        f"{_shown(run['final_test'], regression)}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.simulate_validate", description=__doc__
    )
    parser.add_argument("--table", default="california")
    parser.add_argument("--strategies", default=",".join(DEFAULT_STRATEGIES))
    parser.add_argument("--seeds", type=int, default=3, help="real seeds")
    parser.add_argument("--sim-seeds", type=int, default=50, help="simulated seeds")
    parser.add_argument("--budget", default="8x", help="seconds, or Nx median trials")
    parser.add_argument("--jobs", type=int, default=2, help="processes for the replays")
    add_output_arguments(parser, "<table>-validate")
    args = parser.parse_args(argv)
    table = load_table(args.table)
    workers = int(table.settings["workers"])
    budget = parse_budget(args.budget, table, workers)
    strategies = [s.strip() for s in args.strategies.split(",") if s.strip()]
    name = args.name or f"{table.name}-validate"
    regression = table.settings["dataset"] == "california"
    with recorded("simulate", name, args.out, argv, module="benchmarks.simulate_validate") as rec:
        print(f"{table.name}: budget {budget:.0f} s, {workers} workers, real seeds {args.seeds}")
        runs: list[dict[str, Any]] = []
        if rec.json_path.exists():  # a stopped run resumes: its finished real runs stay
            before = json.loads(rec.json_path.read_text())
            if before.get("budget") == budget:
                runs = [
                    r
                    for r in before["real"]
                    if r["strategy"] in strategies and r["seed"] < args.seeds
                ]
        for run in runs:  # this run's printout keeps what the earlier one trained
            print(_real_line(run, regression) + "  (kept from the earlier run)", flush=True)
        done = {(r["strategy"], r["seed"]) for r in runs}
        for strategy in strategies:
            for seed in range(args.seeds):
                if (strategy, seed) in done:
                    continue
                run = real_run(table, strategy, seed, budget)
                runs.append(run)
                print(_real_line(run, regression), flush=True)
                rec.json({"budget": budget, "real": runs})
        replays: list[Replay] = simulate(
            args.table, strategies, args.sim_seeds, budget=budget, workers=workers, jobs=args.jobs
        )
        numbers: dict[str, Any] = {
            "table": table.name,
            "budget": budget,
            "workers": workers,
            "seeds": args.seeds,
            "sim_seeds": args.sim_seeds,
            "real": runs,
        }
        by_seed = sorted(runs, key=lambda r: r["seed"])  # paired seed by seed across rows
        for what, real_key, pick in (
            ("val", "final_val", lambda r: r.final[0]),
            ("test", "final_test", lambda r: r.final[1]),
            ("trials", "trials", lambda r: float(r.trials)),
        ):
            real = {
                s: [float(x[real_key]) for x in by_seed if x["strategy"] == s] for s in strategies
            }
            sim = {s: [pick(r) for r in replays if r.strategy == s] for s in strategies}
            numbers[what] = compare(real, sim)
            if what != "trials":
                numbers[f"{what}_rank"] = {
                    "real": _mean_ranks(real),
                    "simulated": _mean_ranks(sim),
                }
        sim_val = {s: [r.final[0] for r in replays if r.strategy == s] for s in strategies}
        numbers["agreement"] = {
            "real_vs_simulated": _spearman(
                [numbers["val_rank"]["real"][s] for s in strategies],
                [numbers["val_rank"]["simulated"][s] for s in strategies],
            ),
            "test_real_vs_simulated": _spearman(
                [numbers["test"][s]["real"] for s in strategies],
                [numbers["test"][s]["simulated"] for s in strategies],
            ),
            "subsample": subsample_agreement(sim_val, args.seeds),
        }
        rec.json(numbers)
        print("\n" + markdown(numbers, regression))
    return 0


if __name__ == "__main__":
    sys.exit(main())
