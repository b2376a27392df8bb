"""The replay of real strategies against a learning-curve table, on tiny made-up tables."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest

from benchmarks.curves import CurveTable
from benchmarks.simulate import (
    SIMULATED,
    Replay,
    SimulatedPool,
    main,
    make_simulated_strategy,
    nearest_error,
    parse_budget,
    ranking,
    replay,
    trial_cost,
)
from search._fit import TrialSpec
from search._pool import Done, Epoch


@pytest.fixture(scope="module")
def table() -> CurveTable:
    # 1 s epochs, 0.5 s fixed cost, free scoring, no early stopping.
    return CurveTable.synthetic(n=16, epochs=9, seed=0)


def _stopping_table(val_loss: list[float], patience: int) -> CurveTable:
    base = CurveTable.synthetic(n=2, epochs=len(val_loss), seed=0)
    losses = np.array([val_loss, val_loss], dtype=float)
    return replace(
        base,
        val_loss=losses,
        val=-losses,
        test=-losses - 1.0,
        settings={"patience": patience, "min_delta": 0.0, "min_delta_mode": "absolute"},
    )


def _drain(pool: SimulatedPool) -> list[Done]:
    done = []
    while pool.running():
        for event in pool.wait(None):
            if isinstance(event, Epoch):
                event.answer(False)
            else:
                done.append(event)
    return done


def test_a_replay_is_determined_by_its_seed(table: CurveTable) -> None:
    for strategy in ("random", "tpe", "asha", "genetic"):
        a = replay(table, strategy, seed=3, budget=40.0, keep_log=True)
        b = replay(table, strategy, seed=3, budget=40.0, keep_log=True)
        assert a.trace == b.trace and a.log == b.log
    other = replay(table, "random", seed=4, budget=40.0, keep_log=True)
    first = replay(table, "random", seed=3, budget=40.0, keep_log=True)
    assert [r["config"] for r in other.log] != [r["config"] for r in first.log]


def test_simulated_time_keeps_k_workers_busy_and_no_more(table: CurveTable) -> None:
    # Each trial: 0.5 s fixed + 9 epochs of 1 s = 9.5 s. Two workers, a 20 s budget: two
    # trials end at 9.5, two at 19, and two started at 19 (< 20) finish at 28.5.
    run = replay(table, "random", seed=0, budget=20.0, workers=2, keep_log=True)
    assert sorted(r["elapsed"] for r in run.log) == [9.5, 9.5, 19.0, 19.0, 28.5, 28.5]
    assert sorted(r["started"] for r in run.log) == [0.0, 0.0, 9.5, 9.5, 19.0, 19.0]
    assert run.end == 28.5
    three = replay(table, "random", seed=0, budget=20.0, workers=3, keep_log=True)
    assert len(three.log) == 9
    for log, k in ((run.log, 2), (three.log, 3)):
        for t in {r["started"] for r in log}:
            assert sum(r["started"] <= t < r["elapsed"] for r in log) <= k


def test_promotions_continue_the_same_configuration_and_pay_only_the_new_epochs(
    table: CurveTable,
) -> None:
    for strategy in ("asha", "hyperband", "bohb"):
        run = replay(table, strategy, seed=1, budget=80.0, keep_log=True)
        rows = {r["number"]: r for r in run.log}
        promoted = [r for r in run.log if r["start_epoch"] > 0]
        assert promoted, strategy
        for r in promoted:
            parent = rows[r["parent"]]
            assert r["config"] == parent["config"]
            assert r["start_epoch"] == parent["fidelity"]
            new_epochs = r["fidelity"] - r["start_epoch"]
            assert r["epochs_trained"] == new_epochs
            # fixed cost 0.5 s again (and no first-epoch trace: every epoch takes 1 s)
            assert r["elapsed"] - r["started"] == pytest.approx(0.5 + new_epochs)
            assert r["score"] == pytest.approx(table.val[r["config"], r["fidelity"] - 1])


def test_a_continued_fit_reads_later_epochs_and_pays_the_trace_again() -> None:
    table = CurveTable.synthetic(n=4, epochs=6, seed=0)
    table.seconds[:, 0] = 3.0  # the first epoch traces the train function: 2 s more
    pool = SimulatedPool(table, slots=1)
    pool.submit(0, TrialSpec(0, table.params[2], None, None, epochs=6, start_epoch=2, models=[b""]))
    (done,) = _drain(pool)
    assert done.outcome.curve == [list(table.val[2, 2:6])]
    assert pool.now == pytest.approx(0.5 + 2.0 + 4 * 1.0)


def test_early_stopping_is_replayed_with_the_best_epoch_restored() -> None:
    # Best loss at epoch 2 (index 1); patience 2: epochs 3 and 4 do not improve, stop.
    table = _stopping_table([3.0, 2.0, 2.5, 2.4, 1.0, 0.5], patience=2)
    pool = SimulatedPool(table, slots=1)
    pool.submit(0, TrialSpec(0, table.params[0], None, None))
    (done,) = _drain(pool)
    assert done.outcome.state == "complete"
    assert done.outcome.fold_epochs == [4]
    assert done.outcome.fold_scores == [-2.0]
    assert pool.tests[0] == -3.0
    assert pool.now == pytest.approx(0.5 + 4.0)


def test_a_nan_in_the_curve_fails_the_trial_at_that_epoch() -> None:
    table = _stopping_table([3.0, 2.0, math.nan, 1.0], patience=5)
    pool = SimulatedPool(table, slots=1)
    pool.submit(0, TrialSpec(0, table.params[0], None, None))
    (done,) = _drain(pool)
    assert done.outcome.state == "failed" and "NaN" in (done.outcome.error or "")
    assert 0 not in pool.tests


def test_a_pruned_trial_ends_after_the_epoch_it_was_stopped_at(table: CurveTable) -> None:
    pool = SimulatedPool(table, slots=1)
    pool.submit(0, TrialSpec(0, table.params[0], None, None, live=True))
    epochs = []
    while True:
        (event,) = pool.wait(None)
        if isinstance(event, Done):
            break
        epochs.append(event.epoch)
        event.answer(event.epoch == 3)
    assert epochs == [1, 2, 3]
    assert event.outcome.state == "pruned" and event.outcome.fold_epochs == [3]
    assert pool.now == pytest.approx(0.5 + 3.0)
    run = replay(table, "tpe-median", seed=0, budget=60.0, keep_log=True)
    pruned = [r for r in run.log if r["state"] == "pruned"]
    assert pruned
    for r in pruned:
        assert r["elapsed"] - r["started"] == pytest.approx(0.5 + r["epochs_trained"])


def test_every_strategy_runs_and_the_incumbent_never_gets_worse(table: CurveTable) -> None:
    for name in SIMULATED:
        run = replay(table, name, seed=0, budget=30.0)
        assert run.trials > 0 and not run.capped, name
        assert run.trace, name
        times = [p[0] for p in run.trace]
        assert times == sorted(times)
        if name not in ("hyperband", "asha", "bohb"):  # a higher rung may score lower
            vals = [p[1] for p in run.trace]
            assert vals == sorted(vals), name
        assert run.final == run.trace[-1][1:]


def test_unknown_names_and_bad_budgets_are_refused(table: CurveTable) -> None:
    with pytest.raises(ValueError, match="strategy must be one of"):
        make_simulated_strategy("grid", table)
    with pytest.raises(ValueError, match="budget must be"):
        replay(table, "random", seed=0, budget=0.0)
    with pytest.raises(ValueError, match="--budget must be"):
        parse_budget("ten", table, 2)
    with pytest.raises(ValueError, match="workers must be"):
        SimulatedPool(table, slots=0)
    assert parse_budget("4x", table, 2) == pytest.approx(4 * 9.5)
    assert trial_cost(table) == pytest.approx(9.5)


def _run(strategy: str, seed: int, final_test: float) -> Replay:
    return Replay(
        strategy, seed, 10.0, [(1.0, final_test, final_test)], 10.0, (0, 0), 1, {}, 1, 1, False
    )


def test_ranking_gives_mean_ranks_and_a_paired_test_against_random() -> None:
    runs = []
    for seed in range(8):
        runs += [_run("random", seed, 0.5), _run("good", seed, 0.6 + 0.01 * seed)]
        runs.append(_run("late", seed, 0.4))
    rows = {r["strategy"]: r for r in ranking(runs, at=5.0)}
    assert rows["good"]["mean_rank"] == 1.0 and rows["late"]["mean_rank"] == 3.0
    assert rows["good"]["wins"] == 8 and rows["good"]["losses"] == 0
    assert rows["good"]["p_vs_random"] < 0.01
    assert rows["random"]["p_vs_random"] is None
    # Before any trial ended nobody has a model: all tie, no test is possible.
    early = {r["strategy"]: r for r in ranking(runs, at=0.5)}
    assert early["good"]["mean_rank"] == 2.0 and early["good"]["p_vs_random"] is None


def test_the_nearest_answer_error_is_measured_leave_one_out(table: CurveTable) -> None:
    err = nearest_error(table)
    assert err["configs"] == 16 and err["diverged"] == 0
    assert 0 < err["mae"] < 4 * err["score_std"]


def test_the_command_writes_rankings_curves_and_its_command(tmp_path) -> None:
    code = main(
        [
            "--table",
            "california",
            "--strategies",
            "random,asha",
            "--seeds",
            "3",
            "--budget",
            "4x",
            "--jobs",
            "1",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 0
    summary = json.loads((tmp_path / "california.json").read_text())
    assert summary["seeds"] == 3 and summary["strategies"] == ["random", "asha"]
    assert len(summary["replays"]) == 6 and len(summary["checkpoints"]) == 4
    assert "| asha |" in (tmp_path / "california.md").read_text()
    assert (tmp_path / "california.png").stat().st_size > 0
    assert (
        "python -m benchmarks.simulate --table california" in (tmp_path / "COMMAND.txt").read_text()
    )
    # --replot replays nothing: the figure and tables come back from the JSON.
    (tmp_path / "california.png").unlink()
    (tmp_path / "california.md").unlink()
    assert main(["--replot", "--table", "california", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "california.png").stat().st_size > 0
    assert "| asha |" in (tmp_path / "california.md").read_text()
    with pytest.raises(SystemExit, match="replay first"):
        main(["--replot", "--table", "california", "--out", str(tmp_path / "none")])
