"""Quiet by default: our imports and the command line print nothing to stderr.

TensorFlow writes start-up lines from C++ (absl's preamble, CUDA probes, CPU instructions)
that ignore ``TF_CPP_MIN_LOG_LEVEL``; ``models._quiet_import`` keeps them out unless the
user asks (``HPSEARCH_VERBOSE=1``, ``--verbose``, or a lower log level of their own).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from models._quiet_import import VERBOSE_ENV, _lines_to_keep

ROOT = Path(__file__).resolve().parents[1]
HPSEARCH = Path(sys.executable).with_name("hpsearch")


def _run(*command: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", VERBOSE_ENV)}
    return subprocess.run(
        command, cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=300
    )


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-c", "import search"],
        [sys.executable, "-c", "import benchmarks, benchmarks.tables, search.testing"],
        [str(HPSEARCH), "--help"],
    ],
    ids=["import search", "import benchmarks", "hpsearch --help"],
)
def test_imports_and_the_command_line_print_nothing_to_stderr(command: list[str]) -> None:
    done = _run(*command)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


def test_a_users_own_quiet_log_level_is_kept_and_still_prints_nothing() -> None:
    code = "import os, search; print(os.environ['TF_CPP_MIN_LOG_LEVEL'])"
    done = _run(sys.executable, "-c", code, TF_CPP_MIN_LOG_LEVEL="3")
    assert (done.stderr, done.stdout.strip()) == ("", "3")


def test_verbose_shows_what_tensorflow_prints() -> None:
    # Whatever this machine's TensorFlow prints when imported plainly, verbose shows too.
    plain = _run(sys.executable, "-c", "import tensorflow")
    verbose = _run(sys.executable, "-c", "import search", **{VERBOSE_ENV: "1"})
    assert len(verbose.stderr.splitlines()) >= len(plain.stderr.splitlines())
    command = _run(str(HPSEARCH), "--verbose", "--help")
    assert command.returncode == 0 and "--verbose" in command.stdout
    assert len(command.stderr.splitlines()) >= len(plain.stderr.splitlines())


def test_worker_processes_are_quiet_too() -> None:
    script = (
        "import numpy as np\n"
        "from search import search\n"
        "from search.testing import TINY_SPACE, tiny_regressor\n"
        "X = np.random.default_rng(0).normal(size=(60, 3)).astype('float32'); y = X.sum(1)\n"
        "r = search('random', TINY_SPACE, tiny_regressor, X, y, n_trials=2, cv=2, epochs=1,\n"
        "           n_jobs=2, progress=False)\n"
        "print(len(r.trials_))\n"
    )
    done = _run(sys.executable, "-c", script)
    assert done.returncode == 0, done.stderr
    assert (done.stdout.strip(), done.stderr) == ("2", "")


def test_only_lines_at_or_above_the_level_are_kept() -> None:
    text = (
        "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
        "I0000 00:00:1.0 1 cudart_stub.cc:31] Could not find cuda drivers\n"
        "I0000 00:00:1.0 1 cpu_feature_guard.cc:227] This TensorFlow binary is optimized\n"
        "To enable the following instructions: AVX2 FMA\n"
        "E0000 00:00:1.0 1 cuda_platform.cc:52] failed call to cuInit\n"
    )
    assert _lines_to_keep(text, 3) == ""
    assert _lines_to_keep(text, 2).splitlines() == [
        text.splitlines()[0],  # the preamble goes with the first line kept
        text.splitlines()[4],
    ]
    assert _lines_to_keep(text, 0) == text
    assert _lines_to_keep("Traceback (most recent call last):\n", 3) != ""
