"""Learning-curve tables: the design, the committed tables, recording and resuming."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import pytest

from benchmarks.curves import CURVES, CurveTable, design, load_table, main, record
from spaces import Categorical, Float, Int, Space, get_preset


def test_the_design_is_distinct_and_fixed_by_its_seed() -> None:
    space = Space(n=Int(1, 5), lr=Float(1e-4, 1e-1, log=True), act=Categorical(["a", "b"]))
    a, b, c = design(space, 20, 0), design(space, 20, 0), design(space, 20, 1)
    assert a == b and a != c
    assert len({json.dumps(p, sort_keys=True) for p in a}) == 20
    assert all(1 <= p["n"] <= 5 and 1e-4 <= p["lr"] <= 1e-1 for p in a)
    with pytest.raises(ValueError, match="fewer than 9 distinct"):
        design(Space(n=Int(1, 4), act=Categorical(["a", "b"])), 9, 0)
    with pytest.raises(ValueError, match="configs must be an int >= 1"):
        design(space, 0, 0)


@pytest.mark.parametrize(
    ("name", "space", "patience"),
    [("california", "california_tuned", 5), ("fashion_mnist", "fashion_mlp", 3)],
)
def test_the_committed_tables_hold_256_configurations_by_27_epochs(
    name: str, space: str, patience: int
) -> None:
    table = load_table(name)
    assert table.val.shape == table.test.shape == table.seconds.shape == (256, 27)
    assert table.settings["space"] == space and table.settings["patience"] == patience
    assert table.params == design(get_preset(space), 256, table.settings["seed"])
    assert np.isfinite(table.val).mean() > 0.95
    assert (table.fixed > 0).all() and (np.nan_to_num(table.seconds, nan=1.0) > 0).all()
    # Each configuration is its own nearest neighbour.
    assert [table.nearest(p) for p in table.params[:20]] == list(range(20))


def test_a_missing_table_names_the_command_that_records_it() -> None:
    with pytest.raises(ValueError, match=r"python -m benchmarks.curves record --dataset"):
        load_table("no_such_table")


def test_trace_seconds_is_what_the_first_epoch_costs_more() -> None:
    table = CurveTable.synthetic(n=3, epochs=5)
    table.seconds[1] = [2.5, 1.0, 1.2, 0.8, 1.0]
    assert table.trace_seconds(0) == 0.0
    assert table.trace_seconds(1) == pytest.approx(1.5)


@pytest.mark.slow
def test_a_recording_resumes_where_it_stopped_and_refuses_other_settings(tmp_path) -> None:
    options = {
        "configs": 2,
        "max_epochs": 2,
        "n_train": 300,
        "workers": 1,
        "out": tmp_path,
        "name": "tiny",
    }
    path = record("california", limit=1, **options)
    partial = tmp_path / "tiny.partial.jsonl"
    assert not path.exists() and len(partial.read_text().splitlines()) == 2  # header + 1
    with pytest.raises(ValueError, match="started with other settings"):
        record("california", limit=1, **{**options, "max_epochs": 3})
    assert (
        main(
            [
                "record",
                "--dataset",
                "california",
                "--configs",
                "2",
                "--max-epochs",
                "2",
                "--n-train",
                "300",
                "--workers",
                "1",
                "--out",
                str(tmp_path),
                "--name",
                "tiny",
            ]
        )
        == 0
    )
    assert path.exists() and not partial.exists()
    table = load_table(path)
    assert table.val.shape == (2, 2) and np.isfinite(table.val).all()
    assert table.settings["loader_kwargs"]["n_train"] == 300
    assert "python -m benchmarks.curves record" in (tmp_path / "COMMAND.txt").read_text()
    assert CURVES.name == "curves"


@pytest.mark.slow
@pytest.mark.parametrize("how", ["kill -9", "ctrl-c"])
def test_a_stopped_recording_keeps_its_rows_and_leaves_no_process(how, tmp_path) -> None:
    import signal

    from tests.faults._harness import TAG, orphans, wait_for

    root = Path(__file__).resolve().parents[2]
    argv = [sys.executable, "-m", "benchmarks.curves", "record", "--dataset", "california"]
    argv += ["--configs", "6", "--max-epochs", "2", "--n-train", "300", "--workers", "2"]
    argv += ["--out", str(tmp_path), "--name", "tiny"]
    env = {**os.environ, TAG: uuid.uuid4().hex}
    partial = tmp_path / "tiny.partial.jsonl"
    with (tmp_path / "first.out").open("w") as out:
        first = subprocess.Popen(
            argv, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        wait_for(
            lambda: partial.exists() and len(partial.read_text().splitlines()) >= 3,
            300,
            "two recorded configurations",
        )
        if how == "kill -9":
            first.kill()
        else:  # a terminal's Ctrl-C reaches the whole process group
            os.killpg(first.pid, signal.SIGINT)
        code = first.wait(timeout=120)
    if how == "ctrl-c":
        assert code == 130
        assert "run the same command again to resume" in (tmp_path / "first.out").read_text()
    # Killed, its pool's workers see their parent gone and leave; stopped, they are shut down.
    assert orphans(env[TAG]) == 0
    kept = {}
    for line in partial.read_text().splitlines()[1:]:
        try:
            row = json.loads(line)
        except json.JSONDecodeError:  # the kill may have cut the last line
            continue
        kept[row["config"]] = row
    with partial.open("a") as fh:  # half a line, as a kill while writing leaves one
        fh.write('{"config": 5, "params": {"n_hid')
    again = subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"{len(kept)} of 6 configurations recorded; training {6 - len(kept)}" in again.stdout
    table = load_table(tmp_path / "tiny.csv.gz")
    assert table.val.shape == (6, 2) and np.isfinite(table.val).all()
    for config, row in kept.items():  # the rows recorded before the kill, not retrained
        assert table.fixed[config] == pytest.approx(row["fixed_seconds"])
    assert orphans(env[TAG]) == 0 and not partial.exists()
