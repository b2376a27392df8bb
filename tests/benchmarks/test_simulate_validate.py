"""Real searches beside their replay, on a tiny recorded table (slow: it trains)."""

from __future__ import annotations

import json

import pytest

from benchmarks.curves import record
from benchmarks.simulate_validate import compare, main


def test_compare_sets_real_medians_beside_simulated_ones() -> None:
    out = compare({"tpe": [0.1, 0.3, 0.2]}, {"tpe": [0.25, 0.15]})
    assert out["tpe"] == {"real": 0.2, "simulated": 0.2, "difference": 0.0}


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
