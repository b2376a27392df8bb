"""``python -m benchmarks.studies.multifidelity``: do Hyperband and ASHA beat random search?

The ``standard`` profile's plan (California: 16 trials of at most 60 epochs; Fashion-MNIST:
8 trials of at most 15 epochs), rows ``random``, ``hyperband`` and ``asha`` (an epoch
budget of trials x epochs for the multi-fidelity rows), seeds 0-2, ``n_jobs=1``. It prints
per seed how long each multi-fidelity row took to reach random search's final best
validation score (a fraction of random's wall time) and its floor: when its first
full-fidelity trial ended (a multi-fidelity search returns nothing before) and the epochs
trained by then (``benchmarks.report.first_full_fidelity``). Results, report and figures go
to ``benchmarks/results/multifidelity/<date>/``; ``--trials 24`` is the larger budget of
the docs' second table. Docs: "Studies / Multi-fidelity".
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

from benchmarks.studies._harness import harness_arguments, run_harness_study
from benchmarks.tables import cells_table, versus_random_table

__all__ = ["TABLES", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.studies.multifidelity", description=__doc__.splitlines()[0]
    )
    harness_arguments(parser, "standard", ("random", "hyperband", "asha"), (0, 1, 2))
    args = parser.parse_args(argv)
    return run_harness_study(
        "multifidelity",
        args,
        argv,
        lambda folder: versus_random_table(str(folder)),  # an absolute path joins as itself
    )


# The docs' tables of this study's committed results (``python -m benchmarks.tables``).
TABLES: dict[str, Callable[[], str]] = {
    "multifidelity-standard": lambda: cells_table("multifidelity/2026-12-01"),
    "multifidelity-floor": lambda: versus_random_table("multifidelity/2026-12-01"),
    "multifidelity-fashion-24": lambda: cells_table("multifidelity/2026-12-03"),
    "multifidelity-fashion-24-floor": lambda: versus_random_table("multifidelity/2026-12-03"),
}

if __name__ == "__main__":
    raise SystemExit(main())
