"""The benchmark harness: datasets x strategies x seeds at equal budget.

Each (dataset, strategy, seed) cell is one ``search()`` call with its own study in the run's
ledger (``OUT/ledger.db``); the harness then scores that cell's ``best_estimator_`` once on
the untouched test set and saves the cell as ``OUT/cells/<cell>.json``. A rerun with the
same output folder skips finished cells and resumes unfinished ones from the ledger.

The peer row ``seed_recipe`` is the seed course's recipe as a user writes it: a plain
scikeras ``KerasRegressor`` + ``RandomizedSearchCV(n_iter=trials, cv=3)``, fitted with
``epochs`` and ``callbacks=[EarlyStopping(patience=5, min_delta=1e-2)]`` passed to
``fit`` — which scikeras drops, so every fit trains all its epochs (as the course's does).
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import get_scorer

from benchmarks.datasets import Dataset, load_dataset
from benchmarks.peers import PEERS, missing_peer_package, run_peer
from benchmarks.profiles import DatasetPlan, Profile, get_profile
from benchmarks.recipe import COURSE_EPOCHS, COURSE_N_ITER, run_course_recipe
from search import STRATEGIES, search
from search._validation import resolve_n_jobs
from search.fingerprint import describe, short_hash
from search.strategies import (
    HyperbandStrategy,
    NASStrategy,
    Strategy,
    TPEStrategy,
    fit_grid_points,
)

__all__ = [
    "BASELINE",
    "MULTI_FIDELITY",
    "PEERS",
    "ROWS",
    "VARIANTS",
    "BenchmarkRun",
    "cell_name",
    "run_benchmark",
    "trials_table",
]

BASELINE = "seed_recipe"
# Rows that are a strategy with options, fixed here before any run.
VARIANTS: dict[str, Any] = {
    "tpe-median": lambda: TPEStrategy(pruner="median"),  # Optuna's MedianPruner defaults
    "hyperband-tpe": lambda: HyperbandStrategy(sampler="tpe"),  # BOHB's idea
}
# Every row a run may have, and the default rows (the variant with TPE sampling is opt-in;
# the profile adds its peers).
ROWS = [*STRATEGIES, *VARIANTS, *PEERS]
DEFAULT_ROWS = [*STRATEGIES, "tpe-median"]
# Rows whose budget is epochs: they get the epochs a one-shot row may train at most.
MULTI_FIDELITY = frozenset({"hyperband", "asha", "hyperband-tpe"})


@dataclass
class BenchmarkRun:
    """The finished cells of a run, what was skipped and why, and the settings that ran."""

    cells: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)


def cell_name(dataset: str, strategy: str, seed: int) -> str:
    return f"{dataset}__{strategy}__seed{seed}"


def cell_settings(
    plan: DatasetPlan, strategy: str, *, time_budget: float | None, n_jobs: int
) -> dict[str, str]:
    """Everything a finished cell's result depends on (besides dataset, strategy, seed): a
    saved cell is reused only when these match, so one ``--out`` never mixes profiles."""
    fields = {f.name: describe(getattr(plan, f.name)) for f in dataclasses.fields(plan)}
    fields.update(strategy=strategy, time_budget=repr(time_budget), n_jobs=repr(n_jobs))
    if strategy != BASELINE:
        fields["space"] = repr(plan.space())
    return fields


def _test_metrics(task: str, estimator: Any, data: Dataset) -> dict[str, float]:
    if task == "regression":
        mse = -float(get_scorer("neg_mean_squared_error")(estimator, data.X_test, data.y_test))
        return {"test_score": -mse, "test_mse": mse, "test_rmse": math.sqrt(mse)}
    acc = float(get_scorer("accuracy")(estimator, data.X_test, data.y_test))
    return {"test_score": acc, "test_accuracy": acc}


def _history(estimator: Any) -> dict[str, list[float]]:
    hist = getattr(estimator, "history_", {}) or {}
    return {k: [float(v) for v in hist[k]] for k in ("loss", "val_loss") if k in hist}


def _trial_curve(result: Any) -> dict[str, list[float]]:
    """The best trial's first fold, scored on its held-out part after every epoch: the
    training curve of a model that was kept rather than retrained (``refit="trial"``)."""
    best = result.search_.records_[result.search_.best_index_]
    return {"held-out score, fold 1": [float(v) for v in best.curve[0]]} if best.curve else {}


def _cv_for(plan: DatasetPlan, data: Dataset) -> Any:
    return (data.X_valid, data.y_valid) if plan.cv == "valid" else plan.cv


def epoch_budget(plan: DatasetPlan) -> int:
    """The epochs a one-shot row may train at most (trials x epochs x folds): the budget of
    a multi-fidelity row, so both may spend the same epochs."""
    folds = plan.cv if isinstance(plan.cv, int) else 1
    return plan.trials * plan.epochs * folds


def _row_strategy(row: str, plan: DatasetPlan) -> str | Strategy:
    if row == "nas":
        # The controller picks from 5 values per float / wide int (fixed before any run).
        return NASStrategy.for_space(plan.space())
    return VARIANTS[row]() if row in VARIANTS else row


def _run_strategy_cell(
    data: Dataset,
    plan: DatasetPlan,
    strategy: str,
    seed: int,
    *,
    trials: int,
    time_budget: float | None,
    n_jobs: int,
    ledger: str,
    study: str,
    progress: bool,
) -> dict[str, Any]:
    start = time.perf_counter()
    budget: dict[str, Any] = {"n_trials": trials}
    if strategy in MULTI_FIDELITY:
        # Each rung run is a trial: the budget is epochs; n_trials only bounds the rungs.
        budget = {"n_trials": 100 * trials, "max_epochs_total": epoch_budget(plan)}
    result = search(
        _row_strategy(strategy, plan),
        plan.space(),
        plan.build_model,
        data.X_train,
        data.y_train,
        task=data.task,
        **budget,
        timeout=time_budget,
        cv=_cv_for(plan, data),
        epochs=plan.epochs,
        patience=plan.patience,
        batch_size=plan.batch_size,
        n_jobs=n_jobs,
        seed=seed,
        storage=ledger,
        study_name=study,
        progress=progress,
    )
    wall = time.perf_counter() - start
    trials_rows = [
        {
            "number": r.number,
            "params": r.params,
            "score": r.score if r.complete else None,
            "elapsed": r.elapsed,
            "status": r.status,
            "error": r.error,
            "epochs_trained": r.epochs_trained,
            "fidelity": r.fidelity,
            "parent": r.parent,
            **r.extras,
        }
        for r in result.search_.records_
    ]
    return {
        "best_params": result.best_params_,
        "best_val_score": result.best_score_,
        "epochs_trained": int(sum(r.epochs_trained for r in result.search_.records_)),
        "wall": wall,
        "search_elapsed": result.elapsed_,
        "trials": trials_rows,
        "history": _history(result.best_estimator_) or _trial_curve(result),
        "settings": result.settings,
        "refit": _refit_data(
            strategy,
            plan,
            result.settings["refit_models"],
            result.settings["refit_every_row"],
            replaced=_replaced(result.settings.get("refit_kept", [])),
        ),
        **_test_metrics(data.task, result.best_estimator_, data),
    }


def _run_baseline_cell(
    data: Dataset, plan: DatasetPlan, seed: int, *, trials: int, n_jobs: int
) -> dict[str, Any]:
    """The seed course's RandomizedSearchCV recipe, as written (see the module docstring)."""
    epochs = plan.baseline_epochs or plan.epochs
    run = run_course_recipe(
        data, plan.build_model, epochs=epochs, seed=seed, n_iter=trials, n_jobs=n_jobs
    )
    search_cv, wall = run.search_cv, run.wall
    res = search_cv.cv_results_
    # RandomizedSearchCV keeps no finish times: cumulate each candidate's fit + score time.
    per_trial = (res["mean_fit_time"] + res["mean_score_time"]) * search_cv.n_splits_
    elapsed = np.cumsum(per_trial)
    # The recipe scores with KerasRegressor.score (R^2), as the course's does.
    trials_rows = [
        {
            "number": i,
            "params": {k: _plain(v) for k, v in p.items()},
            "score": float(s) if np.isfinite(s) else None,
            "elapsed": float(e),
            "status": "complete" if np.isfinite(s) else "failed",
            "error": None,
            "score_kind": "r2",
        }
        for i, (p, s, e) in enumerate(
            zip(res["params"], res["mean_test_score"], elapsed, strict=True)
        )
    ]
    best = search_cv.best_estimator_
    return {
        "best_params": {k: _plain(v) for k, v in search_cv.best_params_.items()},
        "best_val_score": None,  # R^2 over its own 3 folds: not comparable, not shown
        "best_val_r2": float(search_cv.best_score_),
        "wall": wall,
        "search_elapsed": wall,
        "trials": trials_rows,
        "history": _history(best),
        "settings": {"epochs": epochs, "cv": 3, "n_iter": trials, "recipe": "seed course"},
        "differences": _recipe_differences(epochs, trials),
        **_test_metrics(data.task, best, data),
    }


def run_benchmark(
    out: str | Path,
    *,
    profile: str | Profile = "standard",
    datasets: list[str] | None = None,
    strategies: list[str] | None = None,
    seeds: list[int] | None = None,
    trials: int | None = None,
    time_budget: float | None = None,
    epochs: int | None = None,
    n_jobs: int | None = None,
    baseline: bool = True,
    data_dir: str | Path | None = None,
    progress: bool = True,
    report_only: bool = False,
) -> BenchmarkRun:
    """Run every (dataset, strategy, seed) cell not yet finished in ``out``.

    A cell saved with other settings (profile, trials, epochs, budget...) is run again.
    ``strategies``, ``time_budget`` and ``n_jobs`` left as None take the profile's.
    ``report_only``: train nothing; the run holds the cells finished earlier (one report
    over cells that several runs into the same ``out`` finished) and notes the others.
    Example (minutes; ``tests/benchmarks/test_harness.py`` runs it end to end)::

        run = run_benchmark("reports/quick", profile="quick")
        len(run.cells), run.notes
    """
    prof = get_profile(profile) if isinstance(profile, str) else profile
    prof = prof.with_overrides(
        trials=trials, epochs=epochs, seeds=tuple(seeds) if seeds is not None else None
    )
    names = datasets or list(prof.plans)
    for name in names:
        if name not in prof.plans:
            raise ValueError(f"datasets: unknown {name!r}; choose from {sorted(prof.plans)}.")
    chosen = strategies or list(prof.rows or DEFAULT_ROWS)
    time_budget = prof.time_budget if time_budget is None else time_budget
    n_jobs = prof.n_jobs if n_jobs is None else n_jobs
    resolve_n_jobs(n_jobs)  # search()'s own rule (-1: all cores...), checked before any cell
    for strategy in chosen:
        if strategy not in ROWS:
            raise ValueError(f"strategies: unknown {strategy!r}; choose from {sorted(ROWS)}.")
    if time_budget is not None and time_budget <= 0:
        raise ValueError(f"time_budget must be > 0 seconds, got {time_budget!r}.")
    out_dir = Path(out)
    (out_dir / "cells").mkdir(parents=True, exist_ok=True)
    ledger = f"sqlite:///{(out_dir / 'ledger.db').resolve()}"
    run = BenchmarkRun()
    run.settings.update(
        profile=prof.name,
        datasets=list(names),
        seeds=list(prof.seeds),
        n_jobs=n_jobs,
        time_budget_per_cell=time_budget,
    )
    cells = run.cells
    for name in names:
        plan = prof.plans[name]
        kwargs: dict[str, Any] = dict(plan.loader_kwargs)
        if data_dir is not None:
            kwargs["data_dir"] = data_dir
        data: Dataset | None = None
        rows = list(chosen) + ([BASELINE] if baseline and plan.baseline_epochs else [])
        if strategies is None:
            rows += [p for p in prof.peers if p not in rows]
        for peer in [r for r in rows if r in PEERS]:
            missing = missing_peer_package(peer)
            if missing is not None:
                rows.remove(peer)
                run.notes.append(f"{name}: {missing}")
                print(f"[bench] {run.notes[-1]}", flush=True)
        if "grid" in rows:
            try:
                fit_grid_points(plan.space(), plan.trials)
            except ValueError as exc:
                # Equal budgets are the rule: a grid that does not fit is left out, not shrunk.
                rows.remove("grid")
                run.notes.append(f"{name}: grid skipped at {plan.trials} trials per cell: {exc}")
                print(f"[bench] {run.notes[-1]}", flush=True)
        run.settings[name] = _plan_settings(plan, rows)
        for seed in prof.seeds:
            for strategy in rows:
                path = out_dir / "cells" / f"{cell_name(name, strategy, seed)}.json"
                settings = cell_settings(plan, strategy, time_budget=time_budget, n_jobs=n_jobs)
                if path.is_file():
                    saved = json.loads(path.read_text())
                    if saved.get("cell_settings") == settings:
                        cells.append(saved)
                        print(f"[bench] {path.stem}: finished earlier, skipped", flush=True)
                        continue
                    print(f"[bench] {path.stem}: saved with other settings, run again", flush=True)
                if report_only:
                    run.notes.append(f"{path.stem}: not finished (report only: not run)")
                    print(f"[bench] {run.notes[-1]}", flush=True)
                    continue
                if data is None:
                    # Loaded (and scaled) once per dataset, never inside a trial; the split is
                    # the loaders' default (seed 42) for every seed of the run.
                    data = load_dataset(name, **kwargs)
                if strategy == BASELINE:
                    cell = _run_baseline_cell(data, plan, seed, trials=plan.trials, n_jobs=n_jobs)
                elif strategy in PEERS:
                    cell = run_peer(strategy, data, plan, seed, trials=plan.trials)
                    cell.update(_test_metrics(data.task, cell.pop("estimator"), data))
                else:
                    cell = _run_strategy_cell(
                        data,
                        plan,
                        strategy,
                        seed,
                        trials=plan.trials,
                        time_budget=time_budget,
                        n_jobs=n_jobs,
                        ledger=ledger,
                        progress=progress,
                        study=f"{cell_name(name, strategy, seed)}-{short_hash(settings)}",
                    )
                cell.update(
                    cell_settings=settings,
                    dataset=name,
                    strategy=strategy,
                    seed=seed,
                    task=data.task,
                    profile=prof.name,
                    n_train=len(data.X_train),
                    n_test=len(data.X_test),
                )
                cell.setdefault("refit", _refit_data(strategy, plan))
                path.write_text(json.dumps(cell, indent=1, default=_json_default))
                cells.append(cell)
                metric = (
                    f"test RMSE {cell['test_rmse']:.4f}"
                    if data.task == "regression"
                    else f"test accuracy {cell['test_accuracy']:.4f}"
                )
                print(
                    f"[bench] {path.stem}: {metric}, {len(cell['trials'])} trials, "
                    f"{cell['wall']:.0f} s",
                    flush=True,
                )
    return run


def _recipe_differences(epochs: int, n_iter: int) -> list[str]:
    """Where the recipe row departs from the course's text (shown next to the row)."""
    differences = []
    if epochs != COURSE_EPOCHS:
        differences.append(
            f"{epochs} epochs per fit; the course's recipe as written trains {COURSE_EPOCHS}"
        )
    if n_iter != COURSE_N_ITER:
        differences.append(
            f"n_iter={n_iter}, the trial budget every row of the profile gets; the course "
            f"writes n_iter={COURSE_N_ITER}"
        )
    return differences


def _plan_settings(plan: DatasetPlan, rows: list[str]) -> dict[str, Any]:
    """What the report's Settings list for one dataset of a run: the values as they ran."""
    return {
        "rows": list(rows),
        "trials per cell": plan.trials,
        "epochs per fit": plan.epochs,
        "cv": plan.cv,
        "batch size": plan.batch_size,
        "early-stopping patience": plan.patience,
        "seed recipe epochs": plan.baseline_epochs if BASELINE in rows else None,
        "multi-fidelity epoch budget": epoch_budget(plan),
        "data": dict(plan.loader_kwargs),
    }


def _replaced(kept: list[int]) -> int:
    """How many retrainings ``refit_guard`` replaced, from the indices it kept."""
    return sum(1 for i in kept if i >= len(kept))


def _refit_data(
    row: str, plan: DatasetPlan, models: int = 1, every_row: bool = False, replaced: int = 0
) -> str:
    """What the row's returned model was trained on (the report states it per row);
    ``models``: how many refits our search averaged; ``every_row``: they trained without
    early stopping (``refit_early_stopping``); ``replaced``: how many of them the guard
    (``refit_guard``) drew with later seeds."""
    if row == BASELINE:
        return "train (the recipe's refit)"
    refits = "refit" if models == 1 else f"mean of {models} refits"
    if every_row:
        refits += ", every row, no early stopping"
    if replaced:
        refits += f", {replaced} replaced by the guard"
    if isinstance(plan.cv, int):
        return f"train ({refits} on all of it)"
    return f"train + valid ({refits})"


def trials_table(cells: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per trial of every cell (the tidy ``trials.csv``)."""
    rows = []
    for cell in cells:
        for t in cell["trials"]:
            rows.append(
                {
                    "dataset": cell["dataset"],
                    "strategy": cell["strategy"],
                    "seed": cell["seed"],
                    "trial": t["number"],
                    "params": json.dumps(t["params"], sort_keys=True),
                    "val_score": t["score"],
                    "score_kind": t.get("score_kind", cell.get("settings", {}).get("scoring")),
                    "elapsed": t["elapsed"],
                    "status": t["status"],
                }
            )
    return pd.DataFrame(rows)


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return str(value)
