"""``python -m benchmarks.studies.architecture``: does architecture search (``nas``) pay?

Two parts. ``profile``: the ``architecture`` profile (the standard budgets on the per-layer
spaces ``california_per_layer`` / ``fashion_per_layer``), rows ``random`` and ``nas``, seeds
0-2, through the harness into ``benchmarks/results/architecture/<date>/`` (report, cells,
figures; the controller's entropy per seed is in the report). ``controller``: does the
controller learn at all? No training: the reward is 1 for one target architecture of a
per-layer space (1-3 layers, a width of 8/16/32 and relu/selu per layer: 6 + 36 + 216 = 258
architectures) and 0 otherwise.
Per seed it prints the controller's probability of the target, its policy entropy and
its baseline after 0, 100, 200 and 300 updates, and writes them as JSON. Docs: "Studies /
Architecture search".
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks.studies._harness import harness_arguments, run_harness_study
from benchmarks.studies._record import add_output_arguments, recorded, results_path
from benchmarks.tables import cells_table, markdown
from search.strategies import NASStrategy
from search.trial import Trial
from spaces import Categorical, Int, Space, per_layer

__all__ = ["SPACE", "TABLES", "TARGET", "learning_curve", "main"]

SPACE = Space(
    layers=Int(1, 3),
    **per_layer("layers", 3, units=Categorical([8, 16, 32]), act=Categorical(["relu", "selu"])),
)
TARGET = {"layers": 2, "units_1": 32, "act_1": "selu", "units_2": 8, "act_2": "relu"}


def learning_curve(seed: int, updates: int = 300, learning_rate: float = 0.02) -> dict[str, Any]:
    """The target's probability, entropy and baseline every 100 updates for one seed."""
    strategy = NASStrategy(learning_rate=learning_rate)
    strategy.bind(SPACE, updates, seed)
    rows: list[dict[str, Any]] = [{"updates": 0, "p_target": strategy.probability(TARGET)}]
    for done in range(1, updates + 1):
        params = strategy.ask()  # one trial at a time, as with n_jobs=1
        reward = float(params == TARGET)
        strategy.tell(Trial(done - 1, "nas", params, state="complete", fold_scores=[reward]))
        if done % 100:
            continue
        last = strategy.history_[-1]
        rows.append(
            {
                "updates": done,
                "p_target": strategy.probability(TARGET),
                "entropy": last["entropy"],
                "baseline": last["baseline"],
                "likely_is_target": last["likely"] == TARGET,
            }
        )
    return {"seed": seed, "learning_rate": learning_rate, "rows": rows}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.studies.architecture", description=__doc__.splitlines()[0]
    )
    parts = parser.add_subparsers(dest="part", required=True)
    profile = parts.add_parser("profile", help="random vs nas on the per-layer spaces (trains)")
    harness_arguments(profile, "architecture", ("random", "nas"), (0, 1, 2))
    controller = parts.add_parser("controller", help="the controller on a synthetic reward")
    controller.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    controller.add_argument("--updates", type=int, default=300)
    add_output_arguments(controller, "controller")
    args = parser.parse_args(argv)
    if args.part == "profile":
        return run_harness_study("architecture", args, argv, cells_table_of)
    with recorded("architecture", args.name or "controller", args.out, argv) as record:
        start = time.perf_counter()
        results = [learning_curve(seed, args.updates) for seed in args.seeds]
        for result in results:
            for row in result["rows"]:
                extra = (
                    ""
                    if row["updates"] == 0
                    else (
                        f"  entropy {row['entropy']:.3f}  baseline {row['baseline']:+.3f}"
                        f"  argmax is target: {row['likely_is_target']}"
                    )
                )
                print(
                    f"seed {result['seed']}  after {row['updates']:3d} updates: "
                    f"P(target) = {row['p_target']:.3f}{extra}"
                )
        print(f"({time.perf_counter() - start:.0f} s)")
        record.json(results)
    return 0


def cells_table_of(folder: Path) -> str:
    """The per-seed table of a harness run in ``folder`` (absolute, or under results/)."""
    return cells_table(str(folder))


def controller_table(name: str) -> str:
    """The ``controller`` part's JSON as a table: P(target) and entropy per seed and update."""
    results = json.loads(results_path("architecture", name).read_text())
    rows = [
        [str(r["seed"]), str(row["updates"]), f"{row['p_target']:.3f}",
         "-" if "entropy" not in row else f"{row['entropy']:.3f}",
         "-" if "likely_is_target" not in row else str(row["likely_is_target"])]
        for r in results
        for row in r["rows"]
    ]  # fmt: skip
    header = ["seed", "updates", "P(target)", "policy entropy", "argmax is the target"]
    return markdown(header, rows)


# The docs' tables of this study's committed results (``python -m benchmarks.tables``).
TABLES: dict[str, Callable[[], str]] = {
    "architecture": lambda: cells_table("architecture/2026-11-30"),
    "architecture-controller": lambda: controller_table("2026-11-30/controller.json"),
}

if __name__ == "__main__":
    sys.exit(main())
