"""The synthetic strategy suite: loose expectations that hold for any sane strategy set."""

from __future__ import annotations

import json
import math

from benchmarks.studies.synthetic import OBJECTIVES, main, run_suite, summarise
from search.strategies import GeneticStrategy, RandomStrategy


def test_every_objective_has_its_optimum_at_zero_and_is_worse_elsewhere() -> None:
    optima = {
        "smooth5": {"x1": 1.3, "x2": -2.1, "lr": 10**-2.5, "units": 32, "act": "relu"},
        "rosenbrock3": {"x": 1.0, "y": 1.0, "k": 7},
    }
    for name, best in optima.items():
        objective = OBJECTIVES[name]
        assert objective.score(best) == 0.0
        assert objective.score(objective.space.sample(0)) < 0.0
    for objective in OBJECTIVES.values():
        assert 3 <= len(objective.space) <= 10


def test_learning_strategies_beat_random_given_budget() -> None:
    curves = run_suite(
        {"random": RandomStrategy, "genetic": GeneticStrategy},
        budgets=(80,),
        seeds=5,
        objectives=("smooth5", "mixed10"),
    )
    rows = {(r["objective"], r["strategy"]): r for r in summarise(curves)}
    for name in ("smooth5", "mixed10"):
        ga, rnd = rows[(name, "genetic")], rows[(name, "random")]
        # Best-so-far curves never go down, and the GA ends ahead of random search.
        for runs in curves[name][80].values():
            assert all(len(c) == 80 and c == sorted(c) for c in runs)
        assert ga["median_final"] > rnd["median_final"]
        assert ga["evals_to_random"] < 80 and math.isfinite(ga["fraction"])


def test_command_prints_a_row_per_objective_budget_and_strategy(capsys, tmp_path) -> None:
    argv = ["--strategies", "genetic", "--budgets", "10", "--seeds", "2",
            "--objectives", "rosenbrock3", "--out", str(tmp_path)]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "rosenbrock3" in out and "genetic" in out and "random" in out
    # What it printed and every number, beside the command that made them.
    assert (tmp_path / "suite.txt").read_text() == out
    rows = json.loads((tmp_path / "suite.json").read_text())
    assert {r["strategy"] for r in rows} == {"random", "genetic"}
    assert (
        "python -m benchmarks.studies.synthetic --strategies genetic"
        in (tmp_path / "COMMAND.txt").read_text()
    )
