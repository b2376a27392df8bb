"""``python -m benchmarks.controller``: does the ``nas`` controller learn? No training.

The reward is 1 for one target architecture of a per-layer space (1-3 layers, a width of
8/16/32 and relu/selu per layer: 6 + 36 + 216 = 258 architectures) and 0 otherwise.
Per seed it prints the controller's probability of the target, its policy entropy and
its baseline after 0, 100, 200 and 300 updates, and writes them as JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from search.strategies import NASStrategy
from search.trial import Trial
from spaces import Categorical, Int, Space, per_layer

__all__ = ["SPACE", "TARGET", "learning_curve", "main"]

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
    parser = argparse.ArgumentParser(prog="python -m benchmarks.controller")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--updates", type=int, default=300)
    parser.add_argument("--out", default=None, help="write the results here as JSON")
    args = parser.parse_args(argv)
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
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
