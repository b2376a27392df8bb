"""Running a search in a process of its own, injecting a fault, and counting the damage.

Every process a scenario starts carries ``HPSEARCH_FAULT_TAG`` in its environment (worker
processes and Dask's inherit it), so the processes left behind are found by scanning
``/proc``. The ledger is read with Optuna directly, never through the code under test.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import TrialState

SCRIPT = Path(__file__).with_name("_search_script.py")
TAG = "HPSEARCH_FAULT_TAG"
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Run:
    """A search running in its own process."""

    config: dict[str, Any]
    tag: str = field(default_factory=lambda: uuid.uuid4().hex)
    proc: subprocess.Popen[str] | None = None
    out: Path | None = None
    err: Path | None = None

    def start(self, folder: Path, name: str = "run", prefix: tuple[str, ...] = ()) -> Run:
        """Start the search in ``folder``; ``prefix`` runs it under another command
        (``setpriv ...``, to take a capability away)."""
        self.out, self.err = folder / f"{name}.out", folder / f"{name}.err"
        env = {**os.environ, TAG: self.tag}
        with self.out.open("w") as out, self.err.open("w") as err:
            self.proc = subprocess.Popen(
                [*prefix, sys.executable, str(SCRIPT), json.dumps(self.config)],
                cwd=folder,
                env=env,
                stdout=out,
                stderr=err,
                text=True,
            )
        return self

    def finish(self, timeout: float = 600) -> tuple[int, dict[str, Any]]:
        assert self.proc is not None and self.out is not None
        code = self.proc.wait(timeout=timeout)
        lines = self.out.read_text().strip().splitlines()
        summary = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
        return code, summary

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def stderr(self) -> str:
        return "" if self.err is None else self.err.read_text()

    def output(self) -> str:
        out = "" if self.out is None else self.out.read_text()
        return out + self.stderr()


def tagged(tag: str) -> list[tuple[int, str]]:
    """(pid, command line) of every live process carrying ``tag``, except this one."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            if f"{TAG}={tag}".encode() not in environ.split(b"\0"):
                continue
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (entry / "stat").read_text().split()[2]
        except (OSError, IndexError):
            continue
        if state != "Z":  # a zombie has ended; its parent has not read its status yet
            found.append((int(entry.name), cmdline))
    return found


def orphans(tag: str, within: float = 10.0) -> int:
    """Processes of the scenario still alive ``within`` seconds from now (0 if they all go)."""
    deadline = time.monotonic() + within
    while True:
        left = tagged(tag)
        if not left or time.monotonic() >= deadline:
            for pid, _ in left:  # leave nothing running for the next scenario
                os.kill(pid, signal.SIGKILL)
            return len(left)
        time.sleep(0.25)


def workers(tag: str, marker: str = "search._worker") -> list[int]:
    return [pid for pid, cmd in tagged(tag) if marker in cmd]


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.2)


# ----------------------------------------------------------------------------------------
# The ledger, read with Optuna
# ----------------------------------------------------------------------------------------
def trials(storage: str, study: str = "faults") -> list[optuna.trial.FrozenTrial]:
    try:
        return optuna.load_study(study_name=study, storage=storage).get_trials(deepcopy=False)
    except Exception:  # not created yet, or locked for a moment
        return []


def complete(storage: str, study: str = "faults") -> set[str]:
    """The candidates with a complete trial in the ledger."""
    return {
        str(t.user_attrs.get("key"))
        for t in trials(storage, study)
        if t.state == TrialState.COMPLETE
    }


def duplicates(storage: str, study: str = "faults") -> int:
    """Candidates trained to an outcome more than once (a retried claim is not an outcome)."""
    seen: dict[str, int] = {}
    for t in trials(storage, study):
        data = t.user_attrs.get("hpsearch")
        if t.state == TrialState.RUNNING or data is None or data.get("retry"):
            continue
        key = str(t.user_attrs.get("key"))
        seen[key] = seen.get(key, 0) + 1
    return sum(n - 1 for n in seen.values() if n > 1)


def running(storage: str, study: str = "faults") -> int:
    return sum(t.state == TrialState.RUNNING for t in trials(storage, study))
