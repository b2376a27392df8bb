"""The benchmark harness: the quick profile end to end, resume, and the report helpers."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from benchmarks.__main__ import main as bench_main
from benchmarks.harness import BASELINE, run_benchmark
from benchmarks.profiles import PROFILES, get_profile
from benchmarks.report import summary_table, trials_to_reach


def _cell(strategy: str, seed: int, test: float, scores: list[float | None]) -> dict:
    return {
        "dataset": "california",
        "task": "regression",
        "strategy": strategy,
        "seed": seed,
        "best_val_score": max(s for s in scores if s is not None),
        "test_score": -test,
        "test_mse": test,
        "test_rmse": test**0.5,
        "wall": 10.0 + seed,
        "trials": [
            {
                "number": i,
                "score": s,
                "elapsed": float(i),
                "status": "failed" if s is None else "complete",
            }
            for i, s in enumerate(scores)
        ],
        "history": {"loss": [1.0, 0.5], "val_loss": [1.1, 0.6]},
        "best_params": {"units": 3},
    }


def test_trials_to_reach_99_percent() -> None:
    assert trials_to_reach([-2.0, -1.0, -0.995, -0.99]) == 3
    assert trials_to_reach([0.5, 0.8, 0.9]) == 3
    assert trials_to_reach([None, 0.9, 0.7]) == 2
    assert trials_to_reach([None]) is None


def test_summary_table_means_ranks_and_failures() -> None:
    cells = [
        _cell("tpe", 0, 0.28, [-0.5, -0.4, None]),
        _cell("tpe", 1, 0.30, [-0.45, -0.41]),
        _cell("random", 0, 0.40, [-0.6, -0.5]),
        _cell("random", 1, 0.30, [-0.6, None]),
    ]
    table = summary_table(cells, "california").set_index("strategy")
    assert table.loc["tpe", "test MSE"] == "0.2900 ± 0.0141"
    assert table.loc["tpe", "failed trials"] == 1 and table.loc["random", "failed trials"] == 1
    assert table.loc["tpe", "mean rank"] == "1.00"  # best on seed 0, tied on seed 1
    assert table.loc["random", "mean rank"] == "1.50"


def test_bad_arguments_are_named() -> None:
    with pytest.raises(ValueError, match="profile must be one of"):
        get_profile("huge")
    with pytest.raises(ValueError, match="strategies: unknown 'anneal'"):
        run_benchmark("/tmp/never", profile="quick", strategies=["anneal"])
    with pytest.raises(ValueError, match="datasets: unknown 'mnist'"):
        run_benchmark("/tmp/never", profile="quick", datasets=["mnist"])


def test_a_profile_brings_its_rows_time_budget_and_workers(tmp_path: Path, data_dir: Path) -> None:
    from dataclasses import replace

    tiny = replace(
        PROFILES["quick"], rows=("random",), peers=(), time_budget=300.0, n_jobs=1, seeds=(0,)
    )
    run = run_benchmark(
        tmp_path, profile=tiny, datasets=["california"], trials=2, baseline=False,
        data_dir=data_dir, progress=False,
    )  # fmt: skip
    assert [c["strategy"] for c in run.cells] == ["random"]
    assert run.settings["time_budget_per_cell"] == 300.0 and run.settings["n_jobs"] == 1
    assert run.cells[0]["cell_settings"]["time_budget"] == "300.0"
    # A report over what is finished: nothing trains, the missing cell is named.
    again = run_benchmark(
        tmp_path, profile=tiny, datasets=["california"], strategies=["random", "tpe"],
        trials=2, baseline=False, report_only=True,
    )  # fmt: skip
    assert again.cells == run.cells
    assert again.notes == ["california__tpe__seed0: not finished (report only: not run)"]
    long = get_profile("long")
    assert long.rows == ("tpe", "asha") and long.n_jobs == 2 and long.time_budget == 600.0
    with pytest.raises(ValueError, match="n_jobs must be a non-zero int.*got 0"):
        run_benchmark(tmp_path, profile=tiny, n_jobs=0)


def test_the_recipe_row_names_where_it_departs_from_the_course() -> None:
    from benchmarks.harness import _recipe_differences

    assert _recipe_differences(100, 10) == []
    assert _recipe_differences(3, 10) == [
        "3 epochs per fit; the course's recipe as written trains 100"
    ]
    (n_iter,) = _recipe_differences(100, 16)
    assert n_iter.startswith("n_iter=16, the trial budget") and "n_iter=10" in n_iter


def test_the_report_says_what_the_returned_model_was_trained_on() -> None:
    from benchmarks.harness import _refit_data, _replaced

    plan = PROFILES["quick"].plans["california"]
    assert _refit_data(BASELINE, plan) == "train (the recipe's refit)"
    assert "mean of 2 refits" in _refit_data("random", plan, 2)
    assert "every row, no early stopping" in _refit_data("random", plan, 2, every_row=True)
    # The guard kept the second and fourth of four retrainings: one was drawn later.
    assert _replaced([1, 3]) == 1 and _replaced([0, 1]) == 0 and _replaced([]) == 0
    assert "1 replaced by the guard" in _refit_data("random", plan, 2, replaced=1)


def test_cells_are_keyed_on_their_settings() -> None:
    from benchmarks.harness import cell_settings

    quick, standard = (
        PROFILES["quick"].plans["california"],
        PROFILES["standard"].plans["california"],
    )
    a = cell_settings(quick, "random", time_budget=None, n_jobs=1)
    b = cell_settings(quick, "tpe", time_budget=None, n_jobs=1)
    # Every strategy gets the same plan: the keys differ in the strategy only.
    assert {k for k in a if a[k] != b[k]} == {"strategy"}
    assert cell_settings(standard, "random", time_budget=None, n_jobs=1) != a
    assert cell_settings(quick, "random", time_budget=60.0, n_jobs=1) != a
    # Stable across processes: no memory addresses.
    assert "0x" not in "".join(a.values())


@pytest.mark.slow
def test_quick_profile_end_to_end_and_resume(tmp_path: Path, data_dir: Path, capsys) -> None:
    out = tmp_path / "quick"
    # One seed of the two the profile runs: every row end to end in half the time (the
    # aggregation over seeds, "mean ± std", is tested above on its own).
    argv = ["--profile", "quick", "--out", str(out), "--no-progress", "--data-dir", str(data_dir)]
    argv += ["--seeds", "0"]
    assert bench_main(argv) == 0

    for name in ("report.md", "report.html", "trials.csv", "summary.csv"):
        assert (out / name).stat().st_size > 0, name
    figures = sorted((out / "figures").glob("*.png"))
    assert len(figures) == 10 and all(f.stat().st_size > 5000 for f in figures)

    trials = pd.read_csv(out / "trials.csv")
    assert set(trials["dataset"]) == {"california", "fashion_mnist"}
    cal = trials[trials["dataset"] == "california"]
    ours = {"random", "genetic", "tpe", "tpe-median", "hyperband", "asha", "nas"}
    peers = {"kt-random", "optuna-hyperband"}  # the quick profile's peers (CI installs them)
    assert set(cal["strategy"]) == {"grid", *ours, *peers, BASELINE}
    fm = trials[trials["dataset"] == "fashion_mnist"]
    assert set(fm["strategy"]) == ours | peers  # grid cannot fit 4 trials
    # Multi-fidelity rows spend at most the epochs a one-shot row may (8 x 3 x 2 folds).
    cells = json.loads((out / "cells.json").read_text())
    for cell in cells:
        if cell["strategy"] in ("hyperband", "asha") and cell["dataset"] == "california":
            assert 0 < cell["epochs_trained"] <= 48 + 3 * 2 * 2  # running trials finish
            assert any(t["parent"] is not None for t in cell["trials"])
        if cell["strategy"] in peers:
            assert math.isfinite(cell["test_score"]) and cell["differences"], cell["strategy"]
            assert len(cell["trials"]) == {"california": 8, "fashion_mnist": 4}[cell["dataset"]]
    assert set(trials["seed"]) == {0}
    assert trials.loc[trials["status"] == "complete", "val_score"].notna().all()

    summary = pd.read_csv(out / "summary.csv")
    # One seed: the score itself, no "± std".
    assert (summary["test RMSE"].dropna().astype(float) > 0).all()
    assert summary["test accuracy"].dropna().astype(float).between(0, 1).all()
    report = (out / "report.md").read_text()
    assert "## california" in report and "## fashion_mnist" in report
    assert "grid skipped at 4 trials" in report
    assert "california / kt-random: one trial at a time" in report
    assert (
        "california / seed_recipe: 3 epochs per fit; the course's recipe as written trains 100"
        in report
    )
    assert "trains 100; n_iter=8, the trial budget every row" in report
    assert "- california: rows=" in report and "trials per cell=8" in report
    assert "tensorflow:" in report and "cores:" in report
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 10
    assert "Time to reach random search's final best" in report
    assert "The nas controller (per seed)" in report
    assert "california, hyperband (R=3, eta=3):" in report and "s=1      3@1, 1@3" in report

    saved = {p.name: p.stat().st_mtime_ns for p in (out / "cells").glob("*.json")}
    capsys.readouterr()
    assert bench_main(argv) == 0  # every cell finished: nothing is trained again
    printed = capsys.readouterr().out
    assert printed.count("finished earlier, skipped") == len(saved)
    assert {p.name: p.stat().st_mtime_ns for p in (out / "cells").glob("*.json")} == saved
    assert len(pd.read_csv(out / "trials.csv")) == len(trials)
    # Other settings into the same folder: the cells are run again, not reused.
    assert (
        bench_main([*argv, "--trials", "3", "--datasets", "california", "--strategies", "random"])
        == 0
    )
    assert "saved with other settings, run again" in capsys.readouterr().out


def test_time_to_reach_randoms_best_counts_full_fidelity_trials_only() -> None:
    from benchmarks.report import first_full_fidelity, time_to_reach, versus_random

    def cell(strategy: str, trials: list[tuple[float, float, int | None, int]], wall: float):
        rows = [
            {"score": s, "elapsed": e, "fidelity": f, "epochs_trained": n} for s, e, f, n in trials
        ]
        return {
            "dataset": "d",
            "seed": 0,
            "strategy": strategy,
            "trials": rows,
            "wall": wall,
            "test_score": -1.0,
            "epochs_trained": sum(n for *_, n in trials),
        }

    random = cell("random", [(-3.0, 10, None, 9), (-2.0, 20, None, 9), (-2.5, 30, None, 7)], 30.0)
    # A 1-epoch score of -1.0 at 2 s does not count: the first full-epoch trial to reach
    # random's best (-2.0) ends at 12 s. The first full-epoch trial (9 epochs, 8 of them its
    # own after a promotion) ends at 6 s, when 1 + 8 of the search's epochs were trained.
    hb = cell("hyperband", [(-1.0, 2, 1, 1), (-2.2, 6, 9, 8), (-1.9, 12, 9, 9)], 15.0)
    assert time_to_reach(hb["trials"], -2.0) == 12.0
    assert first_full_fidelity(hb["trials"]) == (6.0, 9)
    assert first_full_fidelity(random["trials"]) == (10.0, 9)
    assert first_full_fidelity([{"score": None, "elapsed": 1.0, "fidelity": 3}]) is None
    row = versus_random([random, hb], "d").to_dict("records")[0]
    assert row["/ random's wall"] == "0.40"
    assert row["first full-fidelity trial / random's wall"] == "0.20"
    assert row["its epochs / random's epochs"] == "0.36"
