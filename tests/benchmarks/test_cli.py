"""The ``hpsearch`` command line, run in-process and as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.cli import main


def test_version(capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith("hpsearch 0.")


def test_datasets_lists_sources(data_dir: Path, capsys) -> None:
    assert main(["datasets", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert "california" in out and "cal_housing.data" in out and "fashion_mnist" in out


def test_search_writes_report_and_summary(data_dir: Path, tmp_path: Path, capsys) -> None:
    out_dir = tmp_path / "rep"
    argv = ["search", "--strategy", "genetic", "--dataset", "california", "--trials", "3"]
    argv += ["--epochs", "1", "--cv", "2", "--n-train", "200", "--no-progress", "--refit", "trial"]
    argv += ["--data-dir", str(data_dir), "--out", str(out_dir)]
    assert main(argv) == 0
    summary = json.loads((out_dir / "summary.json").read_text())
    assert summary["strategy"] == "genetic" and summary["trials"] == 3
    assert json.loads((out_dir / "report.json").read_text())["settings"]["refit"] == "trial"
    assert summary["test_score"] < 0  # neg MSE on the untouched test set
    assert (out_dir / "report.md").is_file() and (out_dir / "report.json").is_file()


def test_search_averages_the_refits_it_is_told_to(data_dir: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "rep"
    argv = ["search", "--strategy", "random", "--dataset", "california", "--trials", "1"]
    argv += ["--epochs", "1", "--cv", "2", "--n-train", "200", "--no-progress"]
    argv += ["--refit", "all", "--refit-models", "3", "--refit-early-stopping", "false"]
    argv += [
        "--no-refit-guard",
        "--no-refit-floor",
        "--data-dir",
        str(data_dir),
        "--out",
        str(out_dir),
    ]
    assert main(argv) == 0
    settings = json.loads((out_dir / "report.json").read_text())["settings"]
    assert settings["refit"] == "all" and settings["refit_models"] == 3
    assert settings["refit_early_stopping"] is False and settings["refit_every_row"]
    assert settings["refit_guard"] is False and settings["refit_floor"] is False


def test_bad_arguments_give_a_message_not_a_traceback(data_dir: Path, capsys) -> None:
    code = main(["search", "--trials", "0", "--data-dir", str(data_dir), "--no-progress"])
    assert code == 2
    assert "hpsearch: error: n_trials must be an int >= 1" in capsys.readouterr().err


def test_console_script_is_installed() -> None:
    exe = Path(sys.executable).with_name("hpsearch")
    if not exe.exists():
        pytest.skip("hpsearch console script not installed in this environment")
    done = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "hpsearch" in done.stdout


def test_search_optimises_a_keras_objective_and_saves_the_model(
    data_dir: Path, tmp_path: Path
) -> None:
    from search import load_result

    out_dir, saved = tmp_path / "rep", tmp_path / "saved"
    argv = ["search", "--dataset", "california", "--trials", "2", "--epochs", "1", "--cv", "2"]
    argv += ["--n-train", "200", "--no-progress", "--refit", "trial", "--objective", "val_loss"]
    argv += ["--data-dir", str(data_dir), "--out", str(out_dir), "--save", str(saved)]
    assert main(argv) == 0
    summary = json.loads((out_dir / "summary.json").read_text())
    assert summary["scoring"] == "KerasObjective('val_loss', direction='min')"
    assert summary["test_score"] < 0  # minus the test MSE (the model's compiled loss)
    assert load_result(saved).best_params_ == summary["best_params"]
