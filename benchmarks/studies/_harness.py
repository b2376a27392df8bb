"""Studies that are harness runs: one profile, a few rows, several seeds, then a table.

The multi-fidelity and architecture studies compare rows of ``python -m benchmarks`` on a
profile; they run the harness as its users do, into the study's results folder (where a
rerun skips the finished cells), write the usual report there and print their table.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from benchmarks.harness import run_benchmark
from benchmarks.profiles import PROFILES
from benchmarks.report import write_report
from benchmarks.studies._record import add_output_arguments, recorded

__all__ = ["harness_arguments", "run_harness_study"]


def harness_arguments(
    parser: argparse.ArgumentParser,
    profile: str,
    strategies: Sequence[str],
    seeds: Sequence[int],
) -> None:
    """The options of a harness study: its profile, rows and seeds (with the study's
    defaults), data and output."""
    parser.add_argument(
        "--profile",
        choices=sorted(PROFILES),
        default=profile,
        help=f"the harness profile (default {profile}; 'quick' for a smoke run)",
    )
    parser.add_argument(
        "--datasets", nargs="+", choices=["california", "fashion_mnist"], default=None
    )
    parser.add_argument("--strategies", nargs="+", default=list(strategies))
    parser.add_argument("--seeds", nargs="+", type=int, default=list(seeds))
    parser.add_argument("--trials", type=int, default=None, help="trials per cell")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--no-progress", action="store_true")
    add_output_arguments(parser, "the profile's name")


def run_harness_study(
    study: str,
    args: argparse.Namespace,
    argv: Sequence[str] | None,
    table: Callable[[Path], str],
) -> int:
    """Run ``args.profile``'s cells for ``args``' rows and seeds into the study's folder,
    write the report, then print ``table(folder)`` (computed from the cells just written)."""
    with recorded(study, args.name or args.profile, args.out, argv) as record:
        start = time.perf_counter()
        run = run_benchmark(
            record.folder,
            profile=args.profile,
            datasets=args.datasets,
            strategies=args.strategies,
            seeds=args.seeds,
            trials=args.trials,
            baseline=False,
            data_dir=args.data_dir,
            progress=not args.no_progress,
        )
        settings = {
            **run.settings,
            "study": study,
            "wall_seconds_this_run": round(time.perf_counter() - start, 1),
        }
        report = write_report(run.cells, record.folder, settings=settings, notes=run.notes)
        print(f"[{study}] report: {report}")
        print(table(record.folder))
        sys.stdout.flush()
    return 0
