"""The speed benchmark's sections at toy size: they run and measure what they say."""

from __future__ import annotations

from dataclasses import replace

import keras
import pytest

from benchmarks.datasets import Dataset, load_california_housing
from benchmarks.speed import contention, epoch_speed, headline_recipe, main, memory_growth
from search import search


@pytest.fixture(scope="module")
def small(data_dir) -> Dataset:
    data = load_california_housing(data_dir=data_dir, n_train=400, n_test=100)
    return replace(data, X_valid=data.X_valid[:100], y_valid=data.y_valid[:100])


def test_headline_recipe_is_a_search_call_on_the_seeds_space_with_adam(small) -> None:
    recipe = headline_recipe(small)
    assert recipe["space"] == "california_mlp" and recipe["strategy"] == "tpe"
    # The README's call, shrunk: the same arguments, 2 one-epoch trials in this process.
    result = search(**{**recipe, "n_trials": 2, "epochs": 1, "n_jobs": 1})
    assert len(result.trials_) == 2
    assert set(result.best_params_) == {"hidden_layers", "layer_size", "learning_rate"}
    assert isinstance(result.best_estimator_.model_.optimizer, keras.optimizers.Adam)
    # One holdout, the validation set; the refit then trains on train + valid.
    ((train, valid),) = result.search_.splits_
    assert (len(train), len(valid)) == (400, 100)
    assert result.best_estimator_.X_shape_ == (500, 8)


def test_epoch_speed_times_both_settings(small) -> None:
    out = epoch_speed(small, None, epochs=3)
    assert len(out) == 2 and all(v > 0 for v in out.values())


def test_memory_growth_reports_both_marks() -> None:
    marks = memory_growth(n_trials=12)
    # TensorFlow alone holds hundreds of MB; two more tiny fits add far less than that.
    assert 100 < marks["after 10"] < 20_000 and 100 < marks["after 12"] < 20_000
    assert abs(marks["growth"]) < 200


def test_contention_runs_one_and_two_fits_in_workers(small) -> None:
    out = contention(small, rounds=1)
    assert out["alone"] > 0 and out["together"] > 0
    # Two fits at once on 2 cores: each no faster than half a lone fit, and n_jobs=2 can
    # at best halve the time.
    assert out["together"] > 0.5 * out["alone"]
    assert 0.5 <= out["best_ratio"] < 2.0


def test_unknown_section_is_refused() -> None:
    with pytest.raises(SystemExit):
        main(["--only", "nonsense"])
