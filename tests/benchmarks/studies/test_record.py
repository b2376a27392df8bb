"""Studies write into their results folder, and their output renders as the docs' tables."""

from __future__ import annotations

import json
import re

import pytest

from benchmarks.studies import architecture, defaults, multifidelity
from benchmarks.studies._record import RESULTS, recorded, results_path


def test_a_run_records_its_numbers_its_output_and_its_command(tmp_path, capsys) -> None:
    for value in (1, 2):
        with recorded("demo", "part", str(tmp_path), ["--x", str(value)]) as record:
            print(f"value {value}")
            record.json({"value": value})
    assert json.loads((tmp_path / "part.json").read_text()) == {"value": 2}
    assert (tmp_path / "part.txt").read_text() == "value 2\n"
    log = (tmp_path / "COMMAND.txt").read_text()
    # Every run appends: the command, the commit and both times.
    assert log.count("python -m benchmarks.studies.demo --x") == 2
    assert re.search(r"commit \S+, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC - \d{4}", log)
    assert capsys.readouterr().out == "value 1\nvalue 2\n"


def test_without_out_a_study_writes_under_its_own_dated_folder() -> None:
    assert results_path("defaults", "2026-11-30/measure.json") == (
        RESULTS / "defaults" / "2026-11-30" / "measure.json"
    )


def test_the_choose_phase_reproduces_the_committed_rules_table(tmp_path) -> None:
    # No training: the committed measurements are merged and the criteria run again.
    committed = RESULTS / "defaults" / "2026-11-30" / "measure.json"
    argv = ["choose", "--measured", str(committed), "--out", str(tmp_path)]
    assert defaults.main(argv) == 0
    again = json.loads((tmp_path / "choose.json").read_text())
    assert again["chosen_rule"] == json.loads(committed.read_text())["chosen_rule"]
    assert (
        defaults.defaults_rules(str(tmp_path / "choose.json"))
        == defaults.TABLES["defaults-rules"]()
    )


def test_the_controller_part_writes_what_its_table_reads(tmp_path) -> None:
    argv = ["controller", "--seeds", "0", "--updates", "1", "--out", str(tmp_path)]
    assert architecture.main(argv) == 0
    table = architecture.controller_table(str(tmp_path / "controller.json"))
    committed = architecture.TABLES["architecture-controller"]()
    assert table.splitlines()[:2] == committed.splitlines()[:2]
    assert table.splitlines()[2] == "| 0 | 0 | 0.009 | - | - |" == committed.splitlines()[2]


@pytest.mark.slow
def test_the_multifidelity_study_runs_the_harness_and_prints_its_table(
    tmp_path, data_dir, capsys
) -> None:
    argv = ["--profile", "quick", "--datasets", "california", "--seeds", "0",
            "--data-dir", str(data_dir), "--no-progress", "--out", str(tmp_path)]  # fmt: skip
    assert multifidelity.main(argv) == 0
    out = capsys.readouterr().out
    assert (tmp_path / "report.md").is_file() and (tmp_path / "cells.json").is_file()
    assert "| California | asha |" in out and "| California | hyperband |" in out
    assert (tmp_path / "quick.txt").read_text() == out
