"""Real searches beside their replay, on a tiny recorded table (slow: it trains)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from benchmarks.curves import record
from benchmarks.simulate_validate import compare, main, markdown, subsample_agreement


def test_compare_sets_real_medians_beside_simulated_ones() -> None:
    out = compare({"tpe": [0.1, 0.3, 0.2]}, {"tpe": [0.25, 0.15]})
    assert out["tpe"] == {"real": 0.2, "simulated": 0.2, "difference": 0.0}


def test_subsample_agreement_measures_how_firmly_k_seeds_rank() -> None:
    rng = np.random.default_rng(0)
    # Strategy i scores about i on every seed: any 3 seeds give the 20-seed order.
    clear = {f"s{i}": list(i + 0.01 * rng.standard_normal(20)) for i in range(4)}
    firm = subsample_agreement(clear, 3, draws=200)
    assert firm["median"] == 1.0 and firm["q10"] == 1.0 and firm["negative"] == 0.0
    # Four copies of one noisy strategy: 3 seeds rank them at random.
    noisy = {f"s{i}": list(rng.standard_normal(20)) for i in range(4)}
    loose = subsample_agreement(noisy, 3, draws=200)
    assert loose["q10"] < 0.5 and loose["negative"] > 0.05
    assert subsample_agreement(noisy, 3, draws=200) == loose  # seeded


def test_the_comparison_table_says_how_far_the_rankings_agree() -> None:
    cell = {"real": -0.25, "simulated": -0.36, "difference": 0.11}
    numbers = {
        "budget": 52.0,
        "workers": 2,
        "seeds": 3,
        "sim_seeds": 50,
        "test": {"random": cell},
        "val_rank": {"real": {"random": 1.0}, "simulated": {"random": 1.0}},
        "trials": {"random": {"real": 11, "simulated": 17}},
        "agreement": {
            "real_vs_simulated": 0.5,
            "test_real_vs_simulated": -0.25,
            "subsample": {"k": 3, "median": 0.4, "q10": -0.2, "q90": 0.8, "negative": 0.15},
        },
    }
    text = markdown(numbers, regression=True)
    assert "| random | 0.5000 | 0.6000 | 1.00 | 1.00 | 11 | 17 |" in text
    assert "ranks: 0.50" in text and "median 0.40" in text and "in 15% of draws" in text


@pytest.mark.slow
def test_validation_runs_real_searches_and_replays_them(tmp_path) -> None:
    path = record(
        "california", configs=2, max_epochs=2, n_train=300, workers=1, out=tmp_path, name="tiny"
    )
    argv = ["--table", str(path), "--strategies", "random", "--seeds", "1", "--sim-seeds", "2"]
    argv += ["--budget", "2", "--jobs", "1", "--out", str(tmp_path)]
    assert main(argv) == 0
    numbers = json.loads((tmp_path / "tiny-validate.json").read_text())
    (real,) = numbers["real"]
    assert real["strategy"] == "random" and real["trials"] >= 1
    assert real["final_test"] < 0  # the negative MSE of the returned model on the test set
    assert set(numbers["test"]["random"]) == {"real", "simulated", "difference"}
    # A second call resumes: the finished real run is kept, not run again.
    assert main(argv) == 0
    again = json.loads((tmp_path / "tiny-validate.json").read_text())
    assert again["real"] == numbers["real"]
