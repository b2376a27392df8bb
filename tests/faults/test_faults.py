"""The fault suite: each fault injected into a real search running in a process of its own.

Every scenario checks what the runner promises: no finished trial is lost, no candidate is
trained twice, no process of the search is left 10 s later, and the search either
completes or fails with a clear message. Each adds a row to the table printed at the end
(``tests/faults/conftest.py``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PG_PASSWORD
from tests.faults._harness import (
    Run,
    complete,
    duplicates,
    orphans,
    running,
    tagged,
    wait_for,
    workers,
)

pytestmark = pytest.mark.slow

N_TRIALS = 4  # small: every scenario starts TensorFlow in new processes


def _sqlite(folder: Path) -> str:
    return f"sqlite:///{folder / 'ledger.db'}"


def _config(storage: str | None, **more: Any) -> dict[str, Any]:
    return {"storage": storage, "n_trials": N_TRIALS, "epochs": 40, **more}


def _states(summary: dict[str, Any]) -> str:
    states = summary.get("states", [])
    done = states.count("complete")
    failed = states.count("failed")
    return f"{done} complete, {failed} failed of {len(states)}"


def _lost(summary: dict[str, Any], storage: str, before: set[str] | None = None) -> int:
    """Finished trials missing: ones the ledger had before the fault and lacks now, plus
    any of the search's own trials it did not end (a search that ran to its end has one
    outcome per trial of its budget)."""
    gone = set(before or ()) - complete(storage)
    return len(gone) + max(0, N_TRIALS - len(summary.get("states", [])))


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A small tmpfs of our own (as root), so the disk can be filled or made read-only."""
    mount = tmp_path / "fs"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}); needs root")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


# ----------------------------------------------------------------------------------------
# Killed processes
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "where",
    [{"n_jobs": 1}, {"n_jobs": 2}, {"backend": "dask", "n_jobs": 2}],
    ids=["1", "2", "dask"],
)
def test_kill_9_of_the_search_then_a_resume(where, tmp_path, record) -> None:
    storage = _sqlite(tmp_path)
    config = _config(storage, **where)
    first = Run(config).start(tmp_path, "first")
    wait_for(lambda: len(complete(storage)) >= 2, 300, "two finished trials")
    before = complete(storage)
    first.signal(signal.SIGKILL)
    first.proc.wait()  # type: ignore[union-attr]
    left = orphans(first.tag)
    again = Run(config).start(tmp_path, "resume")
    code, summary = again.finish()
    assert code == 0, again.output()
    lost, dups = _lost(summary, storage, before), duplicates(storage)
    left += orphans(again.tag)
    label = where.get("backend", f"n_jobs={where['n_jobs']}")
    record(f"kill -9 of the search ({label})",
           f"killed after {len(before)} trials; the resume completed ({_states(summary)})",
           lost, dups, left)  # fmt: skip
    assert (lost, dups, left) == (0, 0, 0)
    assert running(storage) == 0
    assert summary["states"].count("complete") == N_TRIALS


def _dask_workers(run: Run) -> list[int]:
    main = run.proc.pid if run.proc else -1
    return [
        pid
        for pid, cmd in tagged(run.tag)
        if pid != main and "resource_tracker" not in cmd and "search._worker" not in cmd
    ]


@pytest.mark.parametrize(
    "where",
    [{"n_jobs": 2}, {"n_jobs": 1, "kwargs": {"trial_timeout": 600}}, {"backend": "dask"}],
    ids=["2", "1 (trial_timeout: trials in a worker)", "dask"],
)
def test_kill_9_of_a_worker(where, tmp_path, record) -> None:
    storage = _sqlite(tmp_path)
    run = Run(_config(storage, epochs=80, **where)).start(tmp_path)
    dask = where.get("backend") == "dask"
    find = (lambda: _dask_workers(run)) if dask else (lambda: workers(run.tag))
    wait_for(lambda: bool(find()) and len(complete(storage)) >= 1, 300, "a busy worker")
    # A worker between two trials dies unseen (the next submit starts another): kill every
    # worker of our own pool, so that one busy with a trial is among them. Dask's nanny
    # restarts a killed worker; one is enough there.
    for victim in find()[:1] if dask else find():
        os.kill(victim, signal.SIGKILL)
    code, summary = run.finish()
    assert code == 0, run.output()
    lost, dups, left = _lost(summary, storage), duplicates(storage), orphans(run.tag)
    label = "dask" if dask else f"n_jobs={where['n_jobs']}"
    died = [e for e in summary["errors"] if "died" in e]
    outcome = f"completed ({_states(summary)})" + (
        "; Dask reran the trial" if dask else f"; the trial: {died[0][:60]}..."
    )
    record(f"kill -9 of a worker ({label})", outcome, lost, dups, left)
    assert (lost, dups, left) == (0, 0, 0)
    if not dask:
        assert died, summary


def test_a_stopped_worker_is_killed_after_its_grace_period(tmp_path, record) -> None:
    storage, grace = _sqlite(tmp_path), 10
    config = _config(storage, n_jobs=2, epochs=80, kwargs={"heartbeat_grace": grace})
    run = Run(config).start(tmp_path)
    wait_for(lambda: len(workers(run.tag)) == 2 and len(complete(storage)) >= 1, 300, "workers")
    os.kill(workers(run.tag)[0], signal.SIGSTOP)
    stopped = time.monotonic()
    code, summary = run.finish()
    took = time.monotonic() - stopped
    assert code == 0, run.output()
    lost, dups, left = _lost(summary, storage), duplicates(storage), orphans(run.tag)
    record("SIGSTOP of a worker (n_jobs=2, heartbeat_grace=10)",
           f"completed {took:.0f} s after the stop ({_states(summary)}); the trial: worker "
           "stopped answering", lost, dups, left)  # fmt: skip
    assert any("stopped answering" in e for e in summary["errors"]), summary
    assert took <= grace + 30
    assert (lost, dups, left) == (0, 0, 0)


def test_ctrl_c_then_a_resume(tmp_path, record) -> None:
    storage = _sqlite(tmp_path)
    config = _config(storage, n_jobs=2, epochs=80)
    first = Run(config).start(tmp_path, "first")
    wait_for(lambda: len(complete(storage)) >= 1, 300, "a finished trial")
    before = complete(storage)
    first.signal(signal.SIGINT)
    code, _ = first.finish(timeout=60)
    assert code != 0 and "KeyboardInterrupt" in first.stderr()
    left = orphans(first.tag)
    assert running(storage) == 0  # the running claims were given back
    again = Run(config).start(tmp_path, "resume")
    code, summary = again.finish()
    assert code == 0, again.output()
    lost, dups = _lost(summary, storage, before), duplicates(storage)
    left += orphans(again.tag)
    record("Ctrl-C (n_jobs=2)", f"KeyboardInterrupt, claims released; the resume completed "
           f"({_states(summary)})", lost, dups, left)  # fmt: skip
    assert (lost, dups, left) == (0, 0, 0)


# ----------------------------------------------------------------------------------------
# The ledger
# ----------------------------------------------------------------------------------------
def _ledger_fault(tmp_path, storage, inject, record, fault, prefix=()) -> dict[str, Any]:
    run = Run(_config(storage)).start(tmp_path, prefix=prefix)
    wait_for(lambda: len(complete(storage)) >= 1, 300, "a finished trial")
    before = complete(storage)
    with inject():
        code, summary = run.finish()
    assert code == 0, run.output()
    lost, dups, left = _lost(summary, storage, before), duplicates(storage), orphans(run.tag)
    record(fault, f"completed ({_states(summary)}); {summary['missing']} trials kept in "
           "memory only, the result says so", lost, dups, left)  # fmt: skip
    assert (lost, dups, left) == (0, 0, 0)
    return summary


def test_the_ledger_made_read_only_mid_search(tmp_path, record) -> None:
    # Root writes through any file mode, and a remount read-only is refused while SQLite
    # holds the file open ("busy"). So the search runs as root without the capability that
    # overrides file modes; the ledger's folder and file then lose their write bits
    # mid-search, and SQLite cannot create the journal a write needs.
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv (util-linux) is missing")
    folder = tmp_path / "ledger"
    folder.mkdir()

    @contextlib.contextmanager
    def read_only() -> Iterator[None]:
        for path in folder.iterdir():
            path.chmod(0o444)
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)

    prefix = (setpriv, "--bounding-set", "-dac_override,-dac_read_search")
    summary = _ledger_fault(tmp_path, _sqlite(folder), read_only, record,
                            "ledger made read-only", prefix)  # fmt: skip
    assert summary["missing"] > 0


def test_the_ledger_deleted_mid_search(tmp_path, record) -> None:
    @contextlib.contextmanager
    def deleted() -> Iterator[None]:
        for path in tmp_path.glob("ledger.db*"):
            path.unlink()
        yield

    storage = _sqlite(tmp_path)
    run = Run(_config(storage)).start(tmp_path)
    wait_for(lambda: len(complete(storage)) >= 1, 300, "a finished trial")
    with deleted():
        code, summary = run.finish()
    assert code == 0, run.output()
    # The deleted file's trials are gone with it: what the search ended is in its result.
    lost, left = N_TRIALS - len(summary["states"]), orphans(run.tag)
    record("ledger deleted", f"completed ({_states(summary)}); the result keeps every trial, "
           f"{summary['missing']} writes failed", lost, 0, left)  # fmt: skip
    assert (lost, left) == (0, 0)


def test_the_ledger_locked_mid_search(tmp_path, record) -> None:
    storage = _sqlite(tmp_path)
    held = threading.Event()

    @contextlib.contextmanager
    def locked() -> Iterator[None]:
        def hold() -> None:
            conn = sqlite3.connect(tmp_path / "ledger.db", timeout=60, isolation_level=None)
            conn.execute("BEGIN EXCLUSIVE")
            held.set()
            time.sleep(35)  # longer than SQLite's busy wait (30 s): a write retries
            conn.execute("COMMIT")
            conn.close()

        thread = threading.Thread(target=hold)
        thread.start()
        held.wait(60)
        yield
        thread.join()

    _ledger_fault(tmp_path, storage, locked, record, "ledger locked for 35 s")


def test_the_disk_full_while_writing(tmpfs, tmp_path, record) -> None:
    @contextlib.contextmanager
    def full() -> Iterator[None]:
        filler = tmpfs / "filler"
        with contextlib.suppress(OSError), filler.open("wb") as out:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        yield
        filler.unlink()

    summary = _ledger_fault(tmp_path, _sqlite(tmpfs), full, record, "disk full (a 4 MB tmpfs)")
    assert summary["missing"] > 0


# ----------------------------------------------------------------------------------------
# PostgreSQL
# ----------------------------------------------------------------------------------------
def _refused(run: Run, secrets: list[str], record, fault: str, expect: str) -> None:
    code, summary = run.finish()
    shown = run.output()
    assert code == 2 and expect in summary.get("error", ""), shown
    for secret in secrets:
        assert secret not in shown
    left = orphans(run.tag)
    record(fault, f"refused before training: {summary['error'][:70]}...", 0, 0, left)
    assert left == 0


def test_an_unreachable_postgresql(tmp_path, record) -> None:
    pytest.importorskip("psycopg2")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once this block ends: nothing listens there
    url = f"postgresql+psycopg2://hp:p%40ss:w0rd@127.0.0.1:{port}/hpsearch"
    run = Run(_config(url)).start(tmp_path)
    _refused(run, ["p%40ss:w0rd", "p@ss:w0rd"], record, "PostgreSQL unreachable",
             "cannot open the ledger")  # fmt: skip


def test_a_wrong_postgresql_password(postgres_url, tmp_path, record) -> None:
    url = postgres_url.replace(PG_PASSWORD, "wr0ng-pw")
    run = Run(_config(url)).start(tmp_path)
    _refused(run, ["wr0ng-pw", PG_PASSWORD], record, "PostgreSQL, wrong password",
             "cannot open the ledger")  # fmt: skip


# ----------------------------------------------------------------------------------------
# build_model and the data
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("build", "says"),
    [
        ("raise", "cannot build"),
        ("none", "returned NoneType, not a keras.Model"),
        ("uncompiled", "not compiled"),
    ],
)
def test_a_build_model_that_misbehaves(build, says, tmp_path, record) -> None:
    storage = _sqlite(tmp_path)
    run = Run(_config(storage, build=build)).start(tmp_path)
    code, summary = run.finish()
    assert code == 0, run.output()
    lost, dups, left = _lost(summary, storage), duplicates(storage), orphans(run.tag)
    failed = list(summary["errors"])
    record(f"build_model {'raises' if build == 'raise' else 'returns ' + build}",
           f"completed ({_states(summary)}); the failed trials: {failed[0][:60]}...",
           lost, dups, left)  # fmt: skip
    assert failed and all(says in e for e in failed), failed
    assert (lost, dups, left) == (0, 0, 0)


def test_a_build_model_that_sleeps_forever(tmp_path, record) -> None:
    storage = _sqlite(tmp_path)
    config = _config(storage, build="sleep", kwargs={"trial_timeout": 15})
    run = Run(config).start(tmp_path)
    code, summary = run.finish()
    assert code == 0, run.output()
    lost, dups, left = _lost(summary, storage), duplicates(storage), orphans(run.tag)
    record("build_model sleeps forever (trial_timeout=15, n_jobs=1)",
           f"completed ({_states(summary)}); each hung trial stopped at 15 s",
           lost, dups, left)  # fmt: skip
    assert summary["errors"] and all("trial_timeout" in e for e in summary["errors"])
    assert (lost, dups, left) == (0, 0, 0)


@pytest.mark.parametrize(("data", "says"), [("nan_x", "X contains NaN"), ("inf_y", "y contains")])
def test_non_finite_data_is_refused_before_training(data, says, tmp_path, record) -> None:
    run = Run(_config(_sqlite(tmp_path), data=data)).start(tmp_path)
    _refused(run, [], record, f"{'NaN in X' if data == 'nan_x' else 'inf in y'}", says)
    assert not (tmp_path / "ledger.db").exists()  # refused before anything was written
