"""``python -m benchmarks.readme``: the README's result tables, generated from committed results.

Each table sits in README.md between ``<!-- generated: NAME -->`` and ``<!-- end: NAME -->``
and is rendered here from files under ``benchmarks/results/``: ``--write`` rewrites the
blocks, ``--check`` (and ``tests/benchmarks/test_readme.py``) fails when a README number
differs from what the committed results give.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["TABLES", "main", "render"]

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
_NAMES = {
    "california": "California",
    "california_adam": "California, Adam",
    "fashion_mnist": "Fashion-MNIST",
    "fashion": "Fashion-MNIST",
}


def _md(header: list[str], rows: list[list[str]]) -> str:
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
                _NAMES.get(dataset, dataset),
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
    return _md(header, rows)


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
                [_NAMES.get(dataset, dataset), str(strategy), ", ".join(reached)]
                + [", ".join(group[c].astype(str)) for c in columns[1:]]
            )
    header = ["dataset", "row", "reached random's best at (x its wall, per seed)",
              "first full-fidelity trial ended at (x random's wall)",
              "epochs trained by then (x random's epochs)"]  # fmt: skip
    return _md(header, rows)


def _defaults(name: str) -> dict[str, Any]:
    return json.loads((RESULTS / name).read_text())


def defaults_headline(*names: str) -> str:
    """The course's recipe as written vs ``search()``'s defaults, per seed and median; each
    dataset from the first of ``names`` that has it (a run may cover one dataset)."""
    datasets: dict[str, list[dict[str, Any]]] = {}
    for name in names:
        for dataset, runs in _defaults(name)["datasets"].items():
            datasets.setdefault(dataset, runs)
    rows = []
    for dataset, runs in datasets.items():
        regression = dataset == "california"
        show = (lambda v: f"MSE {-v:.4f}") if regression else (lambda v: f"acc {v:.4f}")
        for r in runs:
            c, o = r["course"], r["ours"]
            ratio = o["wall"] / c["wall"]
            rows.append([_NAMES[dataset], str(r["seed"]), f"{c['wall']:.0f}", f"{o['wall']:.0f}",
                         f"{ratio:.3f}", show(c["test"]), show(o["test"])])  # fmt: skip
        cw = statistics.median(r["course"]["wall"] for r in runs)
        ow = statistics.median(r["ours"]["wall"] for r in runs)
        rows.append([_NAMES[dataset], "**median**", f"{cw:.0f}", f"{ow:.0f}", f"{ow / cw:.3f}",
                     show(statistics.median(r["course"]["test"] for r in runs)),
                     show(statistics.median(r["ours"]["test"] for r in runs))])  # fmt: skip
    header = ["dataset", "seed", "course wall s", "ours wall s", "time ratio",
              "course test", "ours test"]  # fmt: skip
    return _md(header, rows)


def speed_fold(name: str) -> str:
    """``benchmarks.speed --only fold``: seconds a trial as each per-fold saving is switched on."""
    data = json.loads((RESULTS / name).read_text())["fold"]
    rows = [
        [label, f"{row['median_s']:.2f}", f"{row['ratio']:.2f}",
         ", ".join(f"{v:.4f}" for v in row["scores"][: len(row["scores"]) // 2])]
        for label, row in data.items()
    ]  # fmt: skip
    header = ["per-fold work", "median s a trial", "of before", "fold accuracy (3 candidates)"]
    return _md(header, rows)


def _per_seed(
    name: str,
    header: list[str],
    cells: Callable[[dict[str, Any], Callable[[float], str]], list[str]],
) -> str:
    """One row per dataset and seed of a ``benchmarks.defaults`` JSON file: the dataset, the
    seed, then ``cells(run, show)``; ``show`` prints a stored score (neg MSE as MSE)."""
    rows = []
    for dataset, runs in _defaults(name)["datasets"].items():
        regression = dataset.startswith("california")
        show = (lambda v: f"{-v:.4f}") if regression else (lambda v: f"{v:.4f}")
        rows += [[_NAMES[dataset], str(r["seed"]), *cells(r, show)] for r in runs]
    return _md(["dataset", "seed", *header], rows)


def defaults_refit(name: str) -> str:
    """Refit policies on the validation set per dataset and seed: the fold ensemble, three
    retrainings, and their paired difference (what ``choose_refit`` decides on)."""

    def cells(r: dict[str, Any], show: Callable[[float], str]) -> list[str]:
        o = r.get("ours_defaults") or r["ours_no_early_stopping"]
        refits = o["refit_all"]
        # Greater is better on the stored scale (neg MSE, accuracy).
        gain = o["trial_ensemble"]["valid"] - statistics.median(x["valid"] for x in refits)
        return [
            show(o["trial_ensemble"]["valid"]),
            ", ".join(show(x["valid"]) for x in refits),
            f"{gain:+.4f}",
            f"{statistics.median(x['seconds'] for x in refits):.0f}",
            "n/a" if r["course"] is None else show(r["course"]["valid"]),
        ]

    header = ["refit='trial' (fold ensemble)", "refit='all', 3 retraining seeds",
              "trial better by", "s per retraining", "course's recipe (its refit)"]  # fmt: skip
    return _per_seed(name, header, cells)


def defaults_ensemble(name: str) -> str:
    """Means of retrainings vs one retraining vs the fold ensemble, on validation."""

    def cells(r: dict[str, Any], show: Callable[[float], str]) -> list[str]:
        ens = r["retrain_ensemble"]
        return [
            ", ".join(show(m["valid"]) for m in ens["members"]),
            show(ens["2"]["valid"]),
            show(ens["3"]["valid"]),
            show(r["ours_defaults"]["trial_ensemble"]["valid"]),
        ]

    header = ["one retraining (3 seeds)", "mean of the first 2", "mean of all 3",
              "fold ensemble (refit='trial')"]  # fmt: skip
    return _per_seed(name, header, cells)


def defaults_epochs(name: str) -> str:
    """Two retrainings averaged: with early stopping vs on every row for the folds' peak
    epoch count, on validation, per dataset and seed."""

    def cells(r: dict[str, Any], show: Callable[[float], str]) -> list[str]:
        es, fx = r["early_stopping"], r["fixed_epochs"]
        return [
            ", ".join(str(e) for e in r["fold_peaks"]),
            show(es["valid"]),
            ", ".join(str(m["epochs"]) for m in es["members"]),
            show(fx["valid"]),
            f"{fx['valid'] - es['valid']:+.4f}",
        ]

    header = ["folds' peak epochs", "early stopping (mean of 2)", "its epochs",
              "peak epoch count, every row (mean of 2)", "better by"]  # fmt: skip
    return _per_seed(name, header, cells)


def defaults_pooled(name: str) -> str:
    """The two retrainings' mean vs the fold ensemble vs all five models, on validation."""

    def cells(r: dict[str, Any], show: Callable[[float], str]) -> list[str]:
        gain = r["pooled"]["valid"] - r["retrain_mean"]["valid"]
        return [
            show(r["retrain_mean"]["valid"]),
            show(r["fold_ensemble"]["valid"]),
            show(r["pooled"]["valid"]),
            f"{gain:+.4f}",
        ]

    header = ["mean of 2 retrainings (default)", "fold ensemble", "all five, equal weights",
              "all five better by"]  # fmt: skip
    return _per_seed(name, header, cells)


def defaults_idle(name: str) -> str:
    """The refit with early stopping vs on every row where it stopped no fold (validation)."""

    def cells(r: dict[str, Any], show: Callable[[float], str]) -> list[str]:
        es = r["early_stopping"]
        every = r.get("every_row")
        return [
            ", ".join(str(e) for e in r["fold_stops"]),
            show(es["valid"]),
            ", ".join(str(m["epochs"]) for m in es["members"]),
            "not run (a fold stopped)" if every is None else show(every["valid"]),
            f"{r['rule']['valid'] - es['valid']:+.4f}",
        ]

    header = ["best trial's folds trained (epochs)", "with early stopping (mean of 2)",
              "its epochs", "every row, all epochs (mean of 2)", "rule better by"]  # fmt: skip
    return _per_seed(name, header, cells)


def defaults_guard(name: str) -> str:
    """The defaults' two retrainings vs the guard's (validation), with each retraining's
    epochs and score on the rows its early stopping held back."""

    def cells(r: dict[str, Any], show: Callable[[float], str]) -> list[str]:
        members = [
            f"{show(m['valid'])} ({m['epochs']} ep, held back "
            f"{'-' if m['held_back'] is None else show(m['held_back'])})"
            for m in r["members"]
        ]
        return [
            show(r["floor"]),
            "; ".join(members),
            ", ".join(str(i + 1) for i in r["kept"]),
            show(r["defaults"]["valid"]),
            show(r["guard"]["valid"]),
            f"{r['guard']['valid'] - r['defaults']['valid']:+.4f}",
        ]

    header = ["best trial's worst fold", "retrainings: validation (epochs, held back)",
              "guard keeps", "defaults (first 2)", "guard", "guard better by"]  # fmt: skip
    return _per_seed(name, header, cells)


def defaults_floor(name: str) -> str:
    """The defaults' refit vs one whose stopper watches nothing before the folds' earliest
    peak (validation, means of two retrainings), with the epochs each retraining ran."""

    def cells(r: dict[str, Any], show: Callable[[float], str]) -> list[str]:
        floor = r.get("floor")
        epochs = lambda way: ", ".join(str(m["epochs"]) for m in way["members"])  # noqa: E731
        return [
            ", ".join(str(p) for p in r["fold_peaks"]),
            ", ".join(str(e) for e in r["fold_stops"]),
            f"{show(r['defaults']['valid'])} ({epochs(r['defaults'])})",
            "not run (refit on every row)" if floor is None
            else f"{show(floor['valid'])} ({epochs(floor)})",
            f"{r['rule']['valid'] - r['defaults']['valid']:+.4f}",
        ]  # fmt: skip

    header = ["best trial's folds peaked at (epoch)", "folds trained", "defaults (epochs)",
              "floor at the earliest peak (epochs)", "floor better by"]  # fmt: skip
    return _per_seed(name, header, cells)


def defaults_rules(name: str) -> str:
    """Early-stopping rules replayed on the no-early-stopping curves (median over seeds)."""
    data = _defaults(name)
    datasets = list(data["datasets"])
    rules = list(data["datasets"][datasets[0]][0]["ours_no_early_stopping"]["rules"])
    rows = []
    for rule in rules:
        row = [rule]
        for dataset in datasets:
            per = [r["ours_no_early_stopping"]["rules"][rule] for r in data["datasets"][dataset]]
            score = statistics.median(p["cv_score"] for p in per)
            regression = dataset.startswith("california")
            shown = f"MSE {-score:.4f}" if regression else f"acc {score:.4f}"
            row += [shown, f"{statistics.median(p['epochs'] for p in per):.0f}"]
        rows.append(row)
    header = ["rule"]
    for dataset in datasets:
        header += [f"{_NAMES[dataset]} CV score of its choice", f"{_NAMES[dataset]} epochs"]
    return _md(header, rows)


TABLES: dict[str, Callable[[], str]] = {
    "standard": lambda: cells_table("standard-2026-12-01"),
    "long": lambda: cells_table("long-2026-12-01"),
    "multifidelity-standard": lambda: cells_table("multifidelity-standard-2026-12-01"),
    "multifidelity-floor": lambda: versus_random_table("multifidelity-standard-2026-12-01"),
    "multifidelity-fashion-24": lambda: cells_table("multifidelity-fashion-24-2026-12-03"),
    "multifidelity-fashion-24-floor": lambda: versus_random_table(
        "multifidelity-fashion-24-2026-12-03"
    ),
    "architecture": lambda: cells_table("architecture-2026-11-30"),
    "defaults-headline-one-refit": lambda: defaults_headline("defaults-headline-2026-11-30.json"),
    "defaults-headline": lambda: defaults_headline(
        "defaults-headline-side-by-side-2026-12-03.json",
        "defaults-headline-side-by-side-2026-12-02.json",
    ),
    "defaults-headline-course-reused": lambda: defaults_headline(
        "defaults-headline-guard-floor-2026-12-03.json"
    ),
    "defaults-headline-side-by-side": lambda: defaults_headline(
        "defaults-headline-side-by-side-2026-12-02.json"
    ),
    "defaults-headline-before-every-row": lambda: defaults_headline(
        "defaults-headline-2026-12-01.json"
    ),
    "defaults-headline-two-refits": lambda: defaults_headline(
        "defaults-headline-two-refits-2026-11-30.json"
    ),
    "speed-fold": lambda: speed_fold("speed-fold-2026-12-01.json"),
    "defaults-refit": lambda: defaults_refit("defaults-measure-2026-11-30.json"),
    "defaults-refit-es": lambda: defaults_refit("defaults-refit-2026-11-30.json"),
    "defaults-ensemble": lambda: defaults_ensemble("defaults-ensemble-2026-11-30.json"),
    "defaults-epochs": lambda: defaults_epochs("defaults-epochs-2026-11-30.json"),
    "defaults-pooled": lambda: defaults_pooled("defaults-pooled-2026-12-02.json"),
    "defaults-idle": lambda: defaults_idle("defaults-idle-2026-12-02.json"),
    "defaults-guard": lambda: defaults_guard("defaults-guard-2026-12-02.json"),
    "defaults-floor": lambda: defaults_floor("defaults-floor-2026-12-02.json"),
    "defaults-rules": lambda: defaults_rules("defaults-measure-2026-11-30.json"),
}

# The table between the markers may be missing (a new block): it is then written, not skipped.
_BLOCK = re.compile(r"(<!-- generated: ([\w-]+) -->\n)(?:.*?\n)?(<!-- end: \2 -->)", re.S)


def render(text: str) -> str:
    """``text`` with every generated block replaced by its table (an unknown name raises)."""

    def block(match: re.Match[str]) -> str:
        name = match.group(2)
        if name not in TABLES:
            raise ValueError(f"README block {name!r} has no generator; known: {sorted(TABLES)}")
        return match.group(1) + TABLES[name]() + "\n" + match.group(3)

    return _BLOCK.sub(block, text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.readme", description=__doc__)
    parser.add_argument("mode", choices=("check", "write"))
    parser.add_argument("--readme", default=str(ROOT / "README.md"))
    args = parser.parse_args(argv)
    path = Path(args.readme)
    text = path.read_text()
    fresh = render(text)
    if args.mode == "write":
        path.write_text(fresh)
        return 0
    if fresh != text:
        print("README.md's generated tables differ from benchmarks/results: run "
              "python -m benchmarks.readme write", file=sys.stderr)  # fmt: skip
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
