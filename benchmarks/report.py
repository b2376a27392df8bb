"""Benchmark reports: summary tables, figures, ``report.md`` and a self-contained HTML page."""

from __future__ import annotations

import base64
import html
import json
import math
import os
import platform
import warnings
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only; no display on servers or in CI
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from benchmarks.harness import BASELINE, trials_table
from search.multifidelity import format_brackets, hyperband_brackets
from search.result import markdown_table
from search.strategies import rung_epochs

__all__ = [
    "competing_scores",
    "first_full_fidelity",
    "nas_table",
    "summary_table",
    "time_to_reach",
    "trials_to_reach",
    "versus_random",
    "write_report",
]

_PACKAGES = ("tensorflow", "keras", "scikeras", "scikit-learn", "optuna", "deap", "numpy")


def trials_to_reach(scores: list[float | None], fraction: float = 0.99) -> int | None:
    """1-based trial at which the best-so-far first comes within 1 - ``fraction`` of the
    final best (relative to its magnitude; works for negative scores such as neg MSE).

    Examples:
        >>> trials_to_reach([-2.0, -1.0, -0.995, -0.99])
        3
    """
    finite = [s for s in scores if s is not None and math.isfinite(s)]
    if not finite:
        return None
    final = max(finite)
    threshold = final - (1 - fraction) * abs(final)
    best = -math.inf
    for i, s in enumerate(scores, start=1):
        if s is not None and math.isfinite(s):
            best = max(best, s)
        if best >= threshold:
            return i
    return None


def competing_scores(trials: list[dict[str, Any]]) -> list[float | None]:
    """Each trial's validation score where it competes for the best model: a multi-fidelity
    trial below the largest fidelity any complete trial reached does not (its score after
    a few epochs is not what the search returns), so it counts as None.

    Examples:
        >>> competing_scores([{"score": 0.9, "fidelity": 1}, {"score": 0.5, "fidelity": 9}])
        [None, 0.5]
    """
    reached = [t.get("fidelity") for t in trials if t.get("score") is not None]
    top = max((f for f in reached if f is not None), default=None)
    return [t["score"] if top is None or t.get("fidelity") in (None, top) else None for t in trials]


def time_to_reach(trials: list[dict[str, Any]], target: float) -> float | None:
    """Seconds until the best competing validation score first reaches ``target``."""
    best = -math.inf
    for t, s in sorted(zip(trials, competing_scores(trials), strict=True), key=_elapsed):
        if s is not None and math.isfinite(s):
            best = max(best, s)
        if best >= target:
            when = _elapsed((t, s))
            return when if math.isfinite(when) else None
    return None


def first_full_fidelity(trials: list[dict[str, Any]]) -> tuple[float, int] | None:
    """(seconds, epochs) when a search's first competing trial ended, and the epochs its
    trials that had ended by then trained: a multi-fidelity search returns nothing before,
    so ``seconds / random's wall`` is the least its time to reach random's best can be, and
    ``epochs / random's epochs`` the least it could be if building a model cost nothing.

    Examples:
        >>> first_full_fidelity(
        ...     [{"score": 0.5, "fidelity": 1, "elapsed": 2.0, "epochs_trained": 1},
        ...      {"score": 0.7, "fidelity": 3, "elapsed": 5.0, "epochs_trained": 2}])
        (5.0, 3)
    """
    ends = [
        float(t["elapsed"])
        for t, s in zip(trials, competing_scores(trials), strict=True)
        if s is not None and t.get("elapsed") is not None
    ]
    if not ends:
        return None
    first = min(ends)
    epochs = sum(
        int(t.get("epochs_trained") or 0)
        for t in trials
        if t.get("elapsed") is not None and float(t["elapsed"]) <= first
    )
    return first, epochs


def _elapsed(pair: tuple[dict[str, Any], Any]) -> float:
    elapsed = pair[0].get("elapsed")
    return math.inf if elapsed is None else float(elapsed)  # a peer that keeps no time


def versus_random(cells: list[dict[str, Any]], dataset: str) -> pd.DataFrame:
    """Per seed and strategy: seconds to reach random search's final best validation score,
    as a fraction of random's wall time, its floor (``first_full_fidelity``: when the first
    trial that competes for the best model ended, and the epochs trained by then against
    random's), and the test score beside random's."""
    own = [c for c in cells if c["dataset"] == dataset]
    randoms = {c["seed"]: c for c in own if c["strategy"] == "random"}
    rows = []
    for cell in own:
        base = randoms.get(cell["seed"])
        if base is None or cell["strategy"] in ("random", BASELINE):
            continue
        target = max((s for s in competing_scores(base["trials"]) if s is not None), default=None)
        if target is None:
            continue
        reached = time_to_reach(cell["trials"], target)
        first = first_full_fidelity(cell["trials"])
        base_epochs = base.get("epochs_trained")
        rows.append(
            {
                "strategy": cell["strategy"],
                "seed": cell["seed"],
                "s to random's best": "never" if reached is None else f"{reached:.0f}",
                "/ random's wall": "n/a" if reached is None else f"{reached / base['wall']:.2f}",
                "first full-fidelity trial / random's wall": "n/a"
                if first is None
                else f"{first[0] / base['wall']:.2f}",
                "its epochs / random's epochs": "n/a"
                if first is None or not base_epochs
                else f"{first[1] / base_epochs:.2f}",
                "test score": f"{cell['test_score']:.4f}",
                "random's test score": f"{base['test_score']:.4f}",
                "epochs trained": cell.get("epochs_trained", "n/a"),
                "random's epochs": base.get("epochs_trained", "n/a"),
            }
        )
    return pd.DataFrame(rows)


def nas_table(cells: list[dict[str, Any]], dataset: str) -> pd.DataFrame:
    """Per ``nas`` cell: the controller's policy entropy at the first and last trial, its
    final baseline, and the architecture it found most likely at the end."""
    rows = []
    for cell in cells:
        if cell["dataset"] != dataset or cell["strategy"] != "nas" or not cell["trials"]:
            continue
        first, last = cell["trials"][0], cell["trials"][-1]
        rows.append(
            {
                "seed": cell["seed"],
                "updates": last.get("nas_updates"),
                "entropy first": first.get("nas_entropy"),
                "entropy last": last.get("nas_entropy"),
                "baseline last": last.get("nas_baseline"),
                "most likely architecture (last)": last.get("nas_likely"),
            }
        )
    return pd.DataFrame(rows)


def _best_so_far(scores: list[float | None]) -> np.ndarray:
    values = np.array([np.nan if s is None else s for s in scores], dtype=float)
    values = np.where(np.isfinite(values), values, -np.inf)
    out = np.maximum.accumulate(values) if len(values) else values
    return np.where(np.isfinite(out), out, np.nan)


def summary_table(cells: list[dict[str, Any]], dataset: str) -> pd.DataFrame:
    """Per strategy: validation and test score (mean +- std over seeds), time, trials to
    reach 99% of the final best, failed trials, mean rank of the test score."""
    own = [c for c in cells if c["dataset"] == dataset]
    if not own:
        return pd.DataFrame()
    task = own[0]["task"]
    frame = pd.DataFrame(own)
    frame["rank"] = frame.groupby("seed")["test_score"].rank(ascending=False, method="min")
    rows = []
    for strategy, group in frame.groupby("strategy", sort=False):
        val = [float(c) for c in group["best_val_score"] if c is not None and math.isfinite(c)]
        reached = [trials_to_reach(competing_scores(trials)) for trials in group["trials"]]
        reach = [r for r in reached if r is not None]
        row: dict[str, Any] = {"strategy": strategy, "seeds": len(group)}
        row["model trained on"] = str(group.iloc[0].get("refit") or "")
        if task == "regression":
            row["val MSE"] = _pm([-v for v in val]) if val else "n/a (R^2 on own CV)"
            row["test RMSE"] = _pm(list(group["test_rmse"]))
            row["test MSE"] = _pm(list(group["test_mse"]))
        else:
            row["val accuracy"] = _pm(val) if val else "n/a"
            row["test accuracy"] = _pm(list(group["test_accuracy"]))
        row["wall s"] = _pm(list(group["wall"]), digits=0)
        epochs = [float(c.get("epochs_trained") or "nan") for c in own if c["strategy"] == strategy]
        row["epochs trained"] = f"{np.mean(epochs):.0f}" if np.isfinite(epochs).all() else "n/a"
        row["trials to 99%"] = f"{np.mean(reach):.1f}" if reach else "n/a"
        row["failed trials"] = int(
            sum(t["status"] == "failed" for ts in group["trials"] for t in ts)
        )
        row["mean rank"] = f"{group['rank'].mean():.2f}"
        rows.append(row)
    return pd.DataFrame(rows)


def per_seed_table(cells: list[dict[str, Any]], dataset: str) -> pd.DataFrame:
    """Per row and seed: the test score and the wall time (the values behind mean +- std)."""
    own = [c for c in cells if c["dataset"] == dataset]
    if not own:
        return pd.DataFrame()
    metric = "test_rmse" if own[0]["task"] == "regression" else "test_accuracy"
    rows: dict[str, dict[str, Any]] = {}
    for c in own:
        row = rows.setdefault(c["strategy"], {"strategy": c["strategy"]})
        row[f"seed {c['seed']} {metric.replace('_', ' ')}"] = f"{c[metric]:.4f}"
        row[f"seed {c['seed']} wall s"] = f"{c['wall']:.0f}"
    return pd.DataFrame(list(rows.values()))


def differences_lines(cells: list[dict[str, Any]]) -> list[str]:
    """One line per row that differs from our protocol (peers, a shortened seed recipe)."""
    seen: dict[tuple[str, str], list[str]] = {}
    for c in cells:
        if c.get("differences"):
            seen.setdefault((c["dataset"], c["strategy"]), list(c["differences"]))
    return [f"{d} / {row}: " + "; ".join(diff) for (d, row), diff in seen.items()]


def _setting_line(key: str, value: Any) -> str:
    if isinstance(value, dict):
        return f"{key}: " + ", ".join(f"{k}={v}" for k, v in value.items())
    return f"{key}: {value}"


def _pm(values: list[float], digits: int = 4) -> str:
    arr = np.asarray(values, dtype=float)
    if arr.size == 0:
        return "n/a"
    if arr.size == 1:
        return f"{arr[0]:.{digits}f}"
    return f"{arr.mean():.{digits}f} ± {arr.std(ddof=1):.{digits}f}"


def _strategies(cells: list[dict[str, Any]], dataset: str) -> list[str]:
    seen: list[str] = []
    for c in cells:
        if c["dataset"] == dataset and c["strategy"] not in seen:
            seen.append(c["strategy"])
    return seen


def _val_sign(task: str) -> tuple[float, str]:
    return (
        (-1.0, "validation MSE (best so far)")
        if task == "regression"
        else (1.0, "validation accuracy (best so far)")
    )


def _plot_convergence(
    cells: list[dict[str, Any]], dataset: str, path: Path, *, by: str = "trials"
) -> Path:
    by_time = by != "trials"  # time and epochs are both a cumulative axis
    task = next(c["task"] for c in cells if c["dataset"] == dataset)
    sign, label = _val_sign(task)
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for strategy in _strategies(cells, dataset):
        if strategy == BASELINE:
            continue  # scored with R^2 over its own folds: another scale
        runs = [c for c in cells if c["dataset"] == dataset and c["strategy"] == strategy]
        curves = []
        for c in runs:
            best = _best_so_far(competing_scores(c["trials"])) * sign
            if by == "time":
                times = np.array([t["elapsed"] for t in c["trials"]], dtype=float)
                curves.append((times, best))
            elif by == "epochs":
                spent = [t.get("epochs_trained") or 0 for t in c["trials"]]
                curves.append((np.cumsum(np.asarray(spent, dtype=float)), best))
            else:
                curves.append((np.arange(1, len(best) + 1, dtype=float), best))
        if by_time:
            grid = np.linspace(0, max(t[-1] for t, _ in curves if len(t)), 100)
            stacked = np.array([_step_at(t, b, grid) for t, b in curves])
        else:
            length = max(len(b) for _, b in curves)
            grid = np.arange(1, length + 1, dtype=float)
            stacked = np.array([np.pad(b, (0, length - len(b)), mode="edge") for _, b in curves])
        with warnings.catch_warnings():
            # Before a seed's first trial finishes its curve is NaN there: expected.
            warnings.simplefilter("ignore", RuntimeWarning)
            mid = np.nanmedian(stacked, axis=0)
            low, high = np.nanmin(stacked, axis=0), np.nanmax(stacked, axis=0)
        (line,) = ax.plot(grid, mid, label=f"{strategy} (median of {len(runs)} seeds)")
        ax.fill_between(
            grid,
            low,
            high,
            color=line.get_color(),
            alpha=0.15,
        )
        if not by_time:
            # Where a new generation starts (first seed): the GA learns only between them.
            generations = [t.get("generation") for t in runs[0]["trials"]]
            starts = [
                i + 1
                for i in range(1, len(generations))
                if generations[i] is not None and generations[i] != generations[i - 1]
            ]
            for k, x in enumerate(starts):
                ax.axvline(
                    x + 0.5,
                    color=line.get_color(),
                    linestyle=":",
                    alpha=0.5,
                    label=f"{strategy}: new generation (seed {runs[0]['seed']})"
                    if k == 0
                    else None,
                )
    xlabel = {"time": "wall-clock seconds", "epochs": "epochs trained (all trials)"}
    ax.set_xlabel(xlabel.get(by, "trial"))
    ax.set_ylabel(label)
    ax.set_title(f"{dataset}: best so far vs {by} (band: min-max over seeds)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def _step_at(times: np.ndarray, best: np.ndarray, grid: np.ndarray) -> np.ndarray:
    idx = np.searchsorted(times, grid, side="right") - 1
    out = np.where(idx >= 0, best[np.clip(idx, 0, len(best) - 1)], np.nan)
    return out


def _plot_test_scores(cells: list[dict[str, Any]], dataset: str, path: Path) -> Path:
    task = next(c["task"] for c in cells if c["dataset"] == dataset)
    key, label = (
        ("test_rmse", "test RMSE (lower is better)")
        if task == "regression"
        else ("test_accuracy", "test accuracy")
    )
    strategies = _strategies(cells, dataset)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.8))
    for i, strategy in enumerate(strategies):
        runs = [c for c in cells if c["dataset"] == dataset and c["strategy"] == strategy]
        values = [c[key] for c in runs]
        axes[0].scatter(
            np.full(len(values), i) + np.linspace(-0.08, 0.08, len(values)), values, s=25
        )
        axes[0].hlines(np.mean(values), i - 0.25, i + 0.25, color="black")
        walls = [c["wall"] for c in runs]
        axes[1].bar(i, np.mean(walls), yerr=np.std(walls) if len(walls) > 1 else 0, capsize=3)
    for ax, title in zip(axes, (label, "wall time per cell (s)"), strict=True):
        ax.set_xticks(range(len(strategies)), strategies, rotation=20)
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3, axis="y")
    fig.suptitle(f"{dataset}: test score and time per strategy")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def _plot_training_curves(cells: list[dict[str, Any]], dataset: str, path: Path) -> Path:
    strategies = _strategies(cells, dataset)
    # At most 4 panels a row: the figure keeps the page's width with many rows.
    ncols = min(4, len(strategies))
    nrows = math.ceil(len(strategies) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.0 * ncols, 2.8 * nrows), squeeze=False)
    for ax in axes.flat[len(strategies) :]:
        ax.set_visible(False)
    for ax, strategy in zip(axes.flat, strategies, strict=False):
        runs = [c for c in cells if c["dataset"] == dataset and c["strategy"] == strategy]
        best = min(runs, key=lambda c: c["seed"])  # the first seed: no choice by test score
        for key, values in best["history"].items():
            if values:
                ax.plot(range(1, len(values) + 1), values, label=key)
        ax.set_title(f"{strategy} (seed {best['seed']})", fontsize=9)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(f"{dataset}: training curves of each row's returned model (first seed)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def _best_params(cells: list[dict[str, Any]], dataset: str) -> pd.DataFrame:
    rows = []
    for strategy in _strategies(cells, dataset):
        runs = [c for c in cells if c["dataset"] == dataset and c["strategy"] == strategy]
        best = max(runs, key=lambda c: c["test_score"])
        params = ", ".join(
            f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
            for k, v in best["best_params"].items()
        )
        rows.append(
            {"strategy": strategy, "seed": best["seed"], "best params (best test seed)": params}
        )
    return pd.DataFrame(rows)


def _machine() -> dict[str, str]:
    info = {
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    for name in _PACKAGES:
        try:
            info[name] = version(name)
        except PackageNotFoundError:
            info[name] = "not installed"
    return info


def _strategy_options(cells: list[dict[str, Any]]) -> list[str]:
    """Each strategy's options as they ran (e.g. the GA's population, operators, survival)."""
    seen: dict[str, str] = {}
    for cell in cells:
        config = cell.get("settings", {}).get("strategy_config")
        if config is not None and cell["strategy"] not in seen:
            seen[cell["strategy"]] = json.dumps(config, sort_keys=True, default=str)
    return [f"{name}: {text}" for name, text in seen.items()]


def _rung_tables(cells: list[dict[str, Any]]) -> list[str]:
    """Per dataset, the rungs the multi-fidelity rows ran (candidates@epochs)."""
    lines: list[str] = []
    for cell in cells:
        settings = cell.get("settings", {})
        config = settings.get("strategy_config") or {}
        epochs, eta = settings.get("epochs"), config.get("eta")
        if settings.get("strategy") not in ("hyperband", "asha") or epochs is None or eta is None:
            continue  # (the GA's eta is its mutation's, not a halving rate)
        if "min_epochs" in config:
            rungs = rung_epochs(int(epochs), int(eta), int(config["min_epochs"]))
            text = f"rungs (epochs) {', '.join(map(str, rungs))}"
        else:
            text = format_brackets(hyperband_brackets(int(epochs), int(eta)))
        line = f"{cell['dataset']}, {cell['strategy']} (R={epochs}, eta={eta}):\n{text}"
        if line not in lines:
            lines.append(line)
    return lines


def write_report(
    cells: list[dict[str, Any]],
    out: str | Path,
    *,
    settings: dict[str, Any],
    notes: list[str] | None = None,
) -> Path:
    """Write ``trials.csv``, ``summary.csv``, the figures, ``report.md`` and ``report.html``."""
    out_dir = Path(out)
    fig_dir = out_dir / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    trials_table(cells).to_csv(out_dir / "trials.csv", index=False)
    (out_dir / "cells.json").write_text(json.dumps(cells, default=str))
    datasets = list(dict.fromkeys(c["dataset"] for c in cells))
    machine = _machine()
    md: list[str] = ["# hpsearch benchmark", ""]
    body_html: list[str] = ["<h1>hpsearch benchmark</h1>"]
    setting_lines = [_setting_line(k, v) for k, v in settings.items()]
    machine_lines = [f"{k}: {v}" for k, v in machine.items()]
    md += [
        "## Settings",
        "",
        *[f"- {s}" for s in setting_lines],
        "",
        "## Machine",
        "",
        *[f"- {s}" for s in machine_lines],
        "",
    ]
    body_html += [
        "<h2>Settings</h2><ul>",
        *[f"<li>{html.escape(s)}</li>" for s in setting_lines],
        "</ul>",
    ]
    body_html += [
        "<h2>Machine</h2><ul>",
        *[f"<li>{html.escape(s)}</li>" for s in machine_lines],
        "</ul>",
    ]
    options = _strategy_options(cells)
    if options:
        md += ["## Strategy options", "", *[f"- {s}" for s in options], ""]
        body_html += [
            "<h2>Strategy options</h2><ul>",
            *[f"<li>{html.escape(s)}</li>" for s in options],
            "</ul>",
        ]
    rungs = _rung_tables(cells)
    if rungs:
        md += ["## Rungs of the multi-fidelity rows", ""]
        md += [f"```\n{r}\n```" for r in rungs] + [""]
        body_html += ["<h2>Rungs of the multi-fidelity rows</h2>"]
        body_html += [f"<pre>{html.escape(r)}</pre>" for r in rungs]
    summaries = []
    for dataset in datasets:
        summary = summary_table(cells, dataset)
        summary.insert(0, "dataset", dataset)
        summaries.append(summary)
        figures = [
            *(
                _plot_convergence(
                    cells, dataset, fig_dir / f"{dataset}_convergence_{by}.png", by=by
                )
                for by in ("trials", "time", "epochs")
            ),
            _plot_test_scores(cells, dataset, fig_dir / f"{dataset}_test_and_time.png"),
            _plot_training_curves(cells, dataset, fig_dir / f"{dataset}_training_curves.png"),
        ]
        params = _best_params(cells, dataset)
        seeds = per_seed_table(cells, dataset)
        md += [
            f"## {dataset}",
            "",
            markdown_table(summary.drop(columns="dataset")),
            "",
            "Per seed:",
            "",
            markdown_table(seeds),
            "",
            markdown_table(params),
            "",
        ]
        body_html.append(seeds.to_html(index=False))
        controller = nas_table(cells, dataset)
        if not controller.empty:
            md += ["The nas controller (per seed):", "", markdown_table(controller), ""]
            body_html.append(controller.to_html(index=False))
        versus = versus_random(cells, dataset)
        if not versus.empty:
            md += [
                "Time to reach random search's final best validation score (per seed; the "
                "multi-fidelity rows count only their full-epoch trials; none can come before "
                "a row's first full-fidelity trial, whose end and the epochs trained by then "
                "are the floor of its ratio):",
                "",
                markdown_table(versus),
                "",
            ]
            body_html.append(versus.to_html(index=False))
        md += [f"![{f.stem}](figures/{f.name})" for f in figures] + [""]
        body_html += [
            f"<h2>{html.escape(dataset)}</h2>",
            summary.drop(columns="dataset").to_html(index=False),
            params.to_html(index=False),
        ]
        for f in figures:
            data = base64.b64encode(f.read_bytes()).decode("ascii")
            body_html.append(f'<p><img alt="{f.stem}" src="data:image/png;base64,{data}"></p>')
    notes = [
        "Validation scores come from each search's own protocol; the seed recipe scores R^2 "
        "over its own 3 folds, so only its test score is comparable.",
        "Test scores: each cell's returned model (the column 'model trained on' says on "
        "what data) scored once on the untouched test set.",
        *differences_lines(cells),
        *(notes or []),
    ]
    md += ["## Notes", "", *[f"- {n}" for n in notes], ""]
    body_html += ["<h2>Notes</h2><ul>", *[f"<li>{html.escape(n)}</li>" for n in notes], "</ul>"]
    pd.concat(summaries).to_csv(out_dir / "summary.csv", index=False)
    (out_dir / "report.md").write_text("\n".join(md))
    style = (
        "body{font-family:sans-serif;max-width:1100px;margin:auto}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 6px}"
        "img{max-width:100%;height:auto}"
    )
    head = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>hpsearch benchmark</title><style>{style}</style></head><body>"
    )
    (out_dir / "report.html").write_text(head + "\n".join(body_html) + "</body></html>")
    return out_dir / "report.md"
