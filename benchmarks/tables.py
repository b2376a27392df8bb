"""``python -m benchmarks.tables``: the docs' result tables, generated from committed results.

Each table sits in README.md or a page under ``docs/`` between ``<!-- generated: NAME -->``
and ``<!-- end: NAME -->`` and is rendered here from files under ``benchmarks/results/``:
``write`` rewrites the blocks, ``check`` (and ``tests/benchmarks/test_tables.py``) fails
when a number on a page differs from what the committed results give. The harness's own
tables are defined here; each study (``benchmarks.studies``) defines the tables of its
results in its module's ``TABLES``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import statistics
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

__all__ = [
    "RESULTS",
    "ROOT",
    "all_tables",
    "blocks",
    "cells_table",
    "main",
    "markdown",
    "pages",
    "render",
    "versus_random_table",
]

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
NAMES = {
    "california": "California",
    "california_adam": "California, Adam",
    "fashion_mnist": "Fashion-MNIST",
    "fashion": "Fashion-MNIST",
}
# Study modules whose ``TABLES`` join the harness's (importing them imports Keras).
_STUDIES = ("defaults", "multifidelity", "architecture", "speed", "synthetic")


def pages() -> Iterator[Path]:
    """README.md and every Markdown page of the docs."""
    yield ROOT / "README.md"
    yield from sorted((ROOT / "docs").rglob("*.md"))


def markdown(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def cells_table(folder: str) -> str:
    """Per dataset and row of a harness run: validation and test per seed, medians, epochs."""
    cells = json.loads((RESULTS / folder / "cells.json").read_text())
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for cell in cells:
        groups.setdefault((cell["dataset"], cell["strategy"]), []).append(cell)
    rows = []
    for (dataset, row), group in groups.items():
        group.sort(key=lambda c: c["seed"])
        regression = group[0]["task"] == "regression"
        metric, unit = ("test_rmse", "RMSE") if regression else ("test_accuracy", "acc")
        vals = [c["best_val_score"] for c in group]
        val = ", ".join("n/a" if v is None else f"{-v if regression else v:.4f}" for v in vals)
        tests = [c[metric] for c in group]
        epochs: list[int | None] = [c.get("epochs_trained") for c in group]
        rows.append(
            [
                NAMES.get(dataset, dataset),
                row,
                ", ".join(str(c["seed"]) for c in group),
                f"{'MSE' if regression else 'acc'} {val}",
                f"{unit} " + ", ".join(f"{t:.4f}" for t in tests),
                f"{statistics.median(tests):.4f}",
                f"{statistics.median(c['wall'] for c in group):.0f}",
                "n/a"
                if None in epochs
                else f"{statistics.median(e for e in epochs if e is not None):.0f}",
            ]
        )
    header = ["dataset", "row", "seeds", "best validation per seed", "test per seed",
              "median test", "median wall s", "median epochs trained"]  # fmt: skip
    return markdown(header, rows)


def versus_random_table(folder: str) -> str:
    """Per dataset, multi-fidelity row and seed of a harness run: the time to reach random
    search's best validation score and its floor (``benchmarks.report.versus_random``)."""
    from benchmarks.report import versus_random  # matplotlib and pandas: only for this table

    cells = json.loads((RESULTS / folder / "cells.json").read_text())
    columns = ["/ random's wall", "first full-fidelity trial / random's wall",
               "its epochs / random's epochs"]  # fmt: skip
    rows = []
    for dataset in dict.fromkeys(c["dataset"] for c in cells):
        table = versus_random(cells, dataset).sort_values(["strategy", "seed"], kind="stable")
        for strategy, group in table.groupby("strategy", sort=False):
            reached = [
                "never" if s == "never" else f
                for s, f in zip(group["s to random's best"], group[columns[0]], strict=True)
            ]
            rows.append(
                [NAMES.get(dataset, dataset), str(strategy), ", ".join(reached)]
                + [", ".join(group[c].astype(str)) for c in columns[1:]]
            )
    header = ["dataset", "row", "reached random's best at (x its wall, per seed)",
              "first full-fidelity trial ended at (x random's wall)",
              "epochs trained by then (x random's epochs)"]  # fmt: skip
    return markdown(header, rows)


def faults_table(name: str) -> str:
    """The fault suite's rows (``HPSEARCH_FAULTS_JSON`` of a ``pytest tests/faults`` run)."""
    rows = json.loads((RESULTS / "faults" / name).read_text())
    header = ["fault", "outcome", "trials lost", "duplicates", "orphans"]
    return markdown(header, [[str(row[k]) for k in header] for row in rows])


def simulate_table(name: str) -> str:
    """A replay's ranking tables (``python -m benchmarks.simulate``)."""
    from benchmarks.simulate import markdown as ranking_tables

    return ranking_tables(json.loads((RESULTS / "simulate" / name).read_text()))


def validate_table(name: str) -> str:
    """Real runs beside their replay (``python -m benchmarks.simulate_validate``)."""
    from benchmarks.simulate_validate import markdown as comparison

    numbers = json.loads((RESULTS / "simulate" / name).read_text())
    return comparison(numbers, regression=name.split("/")[-1].startswith("california"))


TABLES: dict[str, Callable[[], str]] = {
    "standard": lambda: cells_table("standard/2026-12-01"),
    "long": lambda: cells_table("long/2026-12-01"),
    "faults": lambda: faults_table("2026-12-07/faults.json"),
    "simulate-california": lambda: simulate_table("2026-12-07/california.json"),
    "simulate-fashion_mnist": lambda: simulate_table("2026-12-07/fashion_mnist.json"),
    "validate-california": lambda: validate_table("2026-12-07/california-validate.json"),
    "validate-fashion_mnist": lambda: validate_table("2026-12-08/fashion_mnist-validate.json"),
}


def all_tables() -> dict[str, Callable[[], str]]:
    """The harness's tables and every study's, by block name."""
    tables = dict(TABLES)
    for study in _STUDIES:
        module = importlib.import_module(f"benchmarks.studies.{study}")
        for name, table in getattr(module, "TABLES", {}).items():
            if name in tables:
                raise ValueError(f"table {name!r} is defined twice (benchmarks.studies.{study})")
            tables[name] = table
    return tables


# The table between the markers may be missing (a new block): it is then written, not skipped.
_BLOCK = re.compile(r"(<!-- generated: ([\w-]+) -->\n)(?:.*?\n)?(<!-- end: \2 -->)", re.S)


def render(text: str, tables: dict[str, Callable[[], str]] | None = None) -> str:
    """``text`` with every generated block replaced by its table (an unknown name raises).

    Examples:
        >>> render("<!-- generated: t -->\\nold\\n<!-- end: t -->", {"t": lambda: "| new |"})
        '<!-- generated: t -->\\n| new |\\n<!-- end: t -->'
    """
    known = all_tables() if tables is None else tables

    def block(match: re.Match[str]) -> str:
        name = match.group(2)
        if name not in known:
            raise ValueError(f"block {name!r} has no generator; known: {sorted(known)}")
        return match.group(1) + known[name]() + "\n" + match.group(3)

    return _BLOCK.sub(block, text)


def blocks(text: str) -> list[str]:
    """The names of the generated blocks in ``text``."""
    return [m.group(2) for m in _BLOCK.finditer(text)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.tables", description=__doc__)
    parser.add_argument("mode", choices=("check", "write"))
    args = parser.parse_args(argv)
    tables = all_tables()
    stale = []
    for path in pages():
        text = path.read_text()
        fresh = render(text, tables)
        if fresh == text:
            continue
        if args.mode == "write":
            path.write_text(fresh)
        stale.append(path.relative_to(ROOT))
    if args.mode == "check" and stale:
        names = ", ".join(map(str, stale))
        print(f"generated tables in {names} differ from benchmarks/results: run "
              "python -m benchmarks.tables write", file=sys.stderr)  # fmt: skip
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
