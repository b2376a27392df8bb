"""The speed benchmark's sections at toy size: they run and measure what they say."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from benchmarks.datasets import Dataset, load_california_housing
from benchmarks.studies.speed import (
    contention,
    epoch_speed,
    first_step_saving,
    main,
    memory_growth,
    trial_fixed_cost,
)


@pytest.fixture(scope="module")
def small(data_dir) -> Dataset:
    data = load_california_housing(data_dir=data_dir, n_train=400, n_test=100)
    return replace(data, X_valid=data.X_valid[:100], y_valid=data.y_valid[:100])


def test_epoch_speed_times_both_settings(small) -> None:
    out = epoch_speed(small, None, epochs=3)
    assert len(out) == 2 and all(v > 0 for v in out.values())


def test_trial_fixed_cost_fits_a_line_through_trials_of_each_length(small) -> None:
    out = trial_fixed_cost(small, None, epochs=(1, 2), n_trials=2)
    assert list(out) == ["California"]  # no Fashion-MNIST given: that part is skipped
    fit = out["California"]
    assert sorted(e for e, _ in fit["points"]) == [1, 1, 2, 2]
    assert all(s > 0 for _, s in fit["points"])
    # The line goes through the points' means (least squares): fixed + slope x mean epochs.
    mean_e = sum(e for e, _ in fit["points"]) / 4
    mean_s = sum(s for _, s in fit["points"]) / 4
    assert fit["fixed_s"] + fit["per_epoch_s"] * mean_e == pytest.approx(mean_s)
    assert fit["engine_s_per_trial"] >= 0


def test_first_step_saving_traces_once_instead_of_twice_with_the_same_scores() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(360, 784)).astype("float32")
    y = rng.integers(0, 10, 360)
    images = Dataset("toy", "classification", X[:240], y[:240], X[240:], y[240:], X[:1], y[:1], ())
    out = first_step_saving(images, n_candidates=2, repeats=1)
    keras_way = out["Keras builds it in the first trace"]
    ours = out["built before the first step"]
    assert keras_way["traces_per_fit"] == [2] and ours["traces_per_fit"] == [1]
    assert out["same_scores"] and len(ours["scores"]) == 2
    assert keras_way["ratio"] == 1.0 and ours["median_s"] > 0
    assert isinstance(out["paired_saving_s"], float)


def test_memory_growth_reports_both_marks() -> None:
    marks = memory_growth(n_trials=12)
    # TensorFlow alone holds hundreds of MB; two more tiny fits add far less than that.
    assert 100 < marks["after 10"] < 20_000 and 100 < marks["after 12"] < 20_000
    assert abs(marks["growth"]) < 200


def test_contention_runs_one_and_two_fits_in_workers(small) -> None:
    out = contention(small, rounds=1)
    assert out["alone"] > 0 and out["together"] > 0
    # Two fits at once on 2 cores: each no faster than half a lone fit. One round at toy
    # size is noisy (a clean-clone CI run saw 0.45 for the best ratio, whose floor with
    # stable timings is 0.5), so the bound here is loose.
    assert out["together"] > 0.5 * out["alone"]
    assert 0.3 <= out["best_ratio"] < 2.0


def test_unknown_section_is_refused() -> None:
    with pytest.raises(SystemExit):
        main(["--only", "nonsense"])
