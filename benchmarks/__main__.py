"""``python -m benchmarks``: strategies side by side on Fashion-MNIST and California housing.

python -m benchmarks --profile quick --out reports/quick
python -m benchmarks --datasets california --strategies tpe random --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

__all__ = ["add_arguments", "main", "run_from_args"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The benchmark options (shared by ``python -m benchmarks`` and ``hpsearch bench``)."""
    from benchmarks.harness import ROWS
    from benchmarks.profiles import PROFILES

    parser.add_argument("--profile", choices=sorted(PROFILES), default="standard")
    parser.add_argument(
        "--datasets", nargs="+", choices=["california", "fashion_mnist"], default=None
    )
    parser.add_argument("--strategies", nargs="+", choices=sorted(ROWS), default=None)
    parser.add_argument("--seeds", nargs="+", type=int, default=None)
    parser.add_argument("--trials", type=int, default=None, help="trial budget per cell")
    parser.add_argument(
        "--time-budget", type=float, default=None, help="seconds per cell (default: the profile's)"
    )
    parser.add_argument("--epochs", type=int, default=None, help="max epochs per fit")
    parser.add_argument(
        "--n-jobs", type=int, default=None, help="workers per cell (default: the profile's)"
    )
    parser.add_argument("--no-baseline", action="store_true", help="skip the seed recipe row")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--out", default="reports/benchmark")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="train nothing: report the cells finished in --out (by one run or several)",
    )


def run_from_args(args: argparse.Namespace) -> int:
    from benchmarks.harness import run_benchmark
    from benchmarks.report import write_report

    start = time.perf_counter()
    run = run_benchmark(
        args.out,
        profile=args.profile,
        datasets=args.datasets,
        strategies=args.strategies,
        seeds=args.seeds,
        trials=args.trials,
        time_budget=args.time_budget,
        epochs=args.epochs,
        n_jobs=args.n_jobs,
        baseline=not args.no_baseline,
        data_dir=args.data_dir,
        progress=not args.no_progress,
        report_only=args.report_only,
    )
    # What ran (resolved from the profile), not the raw command-line values.
    settings: dict[str, object] = dict(run.settings)
    settings["arguments given"] = {k: v for k, v in vars(args).items() if v not in (None, False)}
    if not args.report_only:
        settings["wall_seconds_this_run"] = round(time.perf_counter() - start, 1)
    report = write_report(run.cells, args.out, settings=settings, notes=run.notes)
    print(f"[bench] report: {report} and {report.with_suffix('.html')}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.splitlines()[0]
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run_from_args(args)
    except (ValueError, TypeError, RuntimeError) as exc:
        print(f"benchmarks: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
