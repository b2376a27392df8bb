"""``benchmarks.studies.defaults``: the fixed criteria the defaults were chosen by."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from benchmarks.datasets import load_california_housing
from benchmarks.studies.defaults import (
    RULES,
    TASKS,
    Rule,
    _held_back_score,
    choose,
    choose_fixed_epochs,
    choose_floor,
    choose_guard,
    choose_idle,
    choose_pooled,
    choose_refit,
    main,
    replay,
    retrain_ways,
)
from models import make_estimator, without_early_stopping


def _row(trial: float, refits: list[float], key: str = "ours_defaults") -> dict:
    return {
        key: {
            "trial_ensemble": {"valid": trial},
            "refit_all": [{"valid": v} for v in refits],
        }
    }


def test_the_refit_criterion_pairs_each_seed_with_its_own_retrainings() -> None:
    # The kept models beat their own seed's retrainings on two seeds of three, but seed 2's
    # retrainings are far better than anything else: unpaired (median of trial scores 0.70
    # vs median of the retrainings' medians 0.89) the retraining would win.
    rows = [
        _row(0.70, [0.69, 0.68, 0.70]),
        _row(0.90, [0.89, 0.88, 0.90]),
        _row(0.60, [0.95, 0.96, 0.94]),
    ]
    assert choose_refit({"a": rows}, "ours_defaults") == "trial"


def test_the_refit_criterion_keeps_retraining_when_one_dataset_loses() -> None:
    wins = [_row(0.9, [0.8, 0.8, 0.8])] * 3
    loses = [_row(0.7, [0.8, 0.8, 0.8]), _row(0.7, [0.8, 0.8, 0.8]), _row(0.9, [0.8, 0.8, 0.8])]
    assert choose_refit({"a": wins, "b": loses}, "ours_defaults") == "all"
    # A tie costs nothing more, so it goes to the kept models.
    assert choose_refit({"a": [_row(0.8, [0.7, 0.8, 0.9])]}, "ours_defaults") == "trial"


def test_the_measure_rows_are_read_under_their_own_key() -> None:
    rows = [_row(0.9, [0.8, 0.8, 0.8], key="ours_no_early_stopping")]
    assert choose_refit({"a": rows}) == "trial"


def test_replay_stops_like_keras_and_restores_the_best_epoch() -> None:
    curve = [0.1, 0.3, 0.31, 0.305, 0.2, 0.5]
    assert replay(curve, Rule("abs", 2, 0.05)) == (4, 0.3)
    assert replay(curve, Rule("none", None)) == (6, 0.5)
    assert replay(curve, Rule("last", None, restore=False)) == (6, 0.5)
    # Relative: 0.31 is not 10 % better than 0.3, so the wait runs out at epoch 4.
    assert replay(curve, Rule("rel", 3, 0.1, relative=True)) == (5, 0.3)


def test_the_rule_criterion_takes_the_cheapest_rule_within_tolerance() -> None:
    def measured(scores: dict[str, tuple[float, int]]) -> dict:
        rules = {r.name: {"cv_score": -1.0, "epochs": 10_000} for r in RULES}
        rules.update({k: {"cv_score": s, "epochs": e} for k, (s, e) in scores.items()})
        return {"a": [{"ours_no_early_stopping": {"rules": rules}}]}

    best = {"none (best epoch)": (-0.300, 3000)}
    close_cheap = {"p10 rel 1e-3": (-0.3014, 2000)}  # within 0.5 % of -0.300
    far_cheaper = {"p5 abs 1e-2 (course)": (-0.320, 1000)}
    assert choose(measured({**best, **close_cheap, **far_cheaper})) == "p10 rel 1e-3"


def test_the_epochs_criterion_pairs_the_two_refits_by_seed() -> None:
    def row(fixed: float, early: float) -> dict:
        return {"fixed_epochs": {"valid": fixed}, "early_stopping": {"valid": early}}

    assert choose_fixed_epochs({"a": [row(0.9, 0.8), row(0.9, 0.8), row(0.1, 0.8)]})
    assert not choose_fixed_epochs(
        {"a": [row(0.9, 0.8)] * 3, "b": [row(0.7, 0.8), row(0.7, 0.8), row(0.9, 0.8)]}
    )


def test_the_pooled_criterion_pairs_by_seed_and_needs_every_dataset() -> None:
    def row(pooled: float, retrain_mean: float) -> dict:
        return {"pooled": {"valid": pooled}, "retrain_mean": {"valid": retrain_mean}}

    # Seed 3's retrainings are far better than anything else; paired, pooling still wins.
    wins = [row(0.81, 0.80), row(0.71, 0.70), row(0.85, 0.95)]
    assert choose_pooled({"a": wins})
    assert not choose_pooled({"a": wins, "b": [row(0.7, 0.8), row(0.7, 0.8), row(0.9, 0.8)]})
    # It trains nothing more, so a tie goes to it.
    assert choose_pooled({"a": [row(0.8, 0.8)]})


def test_the_idle_criterion_needs_the_rule_to_fire_and_every_dataset_to_hold() -> None:
    def row(rule: float, early: float, idle: bool = True) -> dict:
        return {"idle": idle, "rule": {"valid": rule}, "early_stopping": {"valid": early}}

    assert choose_idle({"a": [row(0.9, 0.8), row(0.9, 0.8), row(0.1, 0.8)]})
    # Where it never fired, the rule is the defaults: a tie, which does not block it.
    quiet = [row(0.8, 0.8, idle=False)] * 3
    assert choose_idle({"a": [row(0.9, 0.8)] * 3, "b": quiet})
    assert not choose_idle({"b": quiet})  # nothing was measured
    assert not choose_idle({"a": [row(0.9, 0.8)] * 3, "b": [row(0.7, 0.8)] * 3})


def test_the_guard_criterion_needs_it_to_fire_and_every_dataset_to_hold() -> None:
    def row(guard: float, defaults: float, fired: bool = True) -> dict:
        return {"fired": fired, "guard": {"valid": guard}, "defaults": {"valid": defaults}}

    quiet = [row(-0.3, -0.3, fired=False)] * 3
    assert choose_guard({"a": [row(-0.29, -0.35), *quiet[:2]], "b": quiet})
    assert not choose_guard({"a": quiet, "b": quiet})  # never fired: nothing measured
    worse = [row(-0.36, -0.35)] * 2 + [row(-0.3, -0.3, fired=False)]
    assert not choose_guard({"a": [row(-0.29, -0.35)] * 3, "b": worse})


@pytest.fixture(scope="module")
def small(data_dir):
    data = load_california_housing(data_dir=data_dir, n_train=300, n_test=50)
    return replace(data, X_valid=data.X_valid[:100], y_valid=data.y_valid[:100])


def test_the_held_back_score_is_the_score_on_the_rows_early_stopping_watched(small) -> None:
    task = replace(TASKS["california"], epochs=3)
    est = make_estimator(task.build, task.kind, epochs=3, seed=0, hidden_layers=1, layer_size=4)
    est.fit(small.X_train, small.y_train)
    # Keras's validation_split=0.1 of 300 rows: the last 30; early stopping's own loss on
    # them (val_loss, MSE) is minus the scorer's value for the weights it kept.
    expected = -float(np.mean((est.predict(small.X_train[270:]) - small.y_train[270:]) ** 2))
    assert _held_back_score(task, est, small) == pytest.approx(expected, rel=1e-5)
    assert _held_back_score(task, without_early_stopping(est).fit(small.X_train, small.y_train),
                            small) is None  # fmt: skip


def test_retrain_ways_trains_with_and_without_early_stopping(small, capsys) -> None:
    task = replace(TASKS["california"], epochs=4)
    rows = retrain_ways(task, small, {"hidden_layers": 1, "layer_size": 4}, [0, 100])
    assert [(r["seed"], r["way"]) for r in rows] == [
        (0, "early_stopping"),
        (0, "every_row"),
        (100, "early_stopping"),
        (100, "every_row"),
    ]
    for r in rows:
        assert r["epochs"] <= 4 and r["valid"] < 0  # neg MSE
        # Only the early-stopping way watches held-back rows and keeps an epoch.
        assert (r["kept_epoch"] is None) == (r["way"] == "every_row")
    assert all(r["epochs"] == 4 for r in rows if r["way"] == "every_row")
    assert "seed 100 every_row: 4 epochs" in capsys.readouterr().out


def test_retrain_needs_the_candidate(tmp_path, capsys) -> None:
    with pytest.raises(SystemExit):
        main(["retrain", "--out", str(tmp_path / "x.json")])
    assert "retrain needs --params" in capsys.readouterr().err


def test_the_floor_criterion_must_win_where_it_fired() -> None:
    def row(floor: float, defaults: float, fired: bool = True) -> dict:
        out = {"fired": fired, "defaults": {"valid": defaults}}
        out["floor"] = {"valid": floor} if fired else None
        out["rule"] = {"valid": floor if fired else defaults}
        return out

    quiet = row(-0.3, -0.3, fired=False)
    assert choose_floor({"a": [row(-0.29, -0.35), quiet, quiet], "b": [quiet] * 3})
    assert not choose_floor({"a": [quiet] * 3})  # never fired
    # A median of ties over the seeds where it did not fire is not enough: it lost where
    # it acted.
    assert not choose_floor({"a": [row(-0.30, -0.29), quiet, quiet]})
    assert not choose_floor({"a": [row(-0.20, -0.35)] * 3, "b": [row(-0.36, -0.35)] * 2})
