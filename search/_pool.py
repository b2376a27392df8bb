"""Where trials run: this process, worker processes of our own, or a Dask cluster.

Every pool has ``slots`` (trials at once), ``submit(number, spec)``, ``wait(timeout)`` →
events, and ``close()``. Events: ``Epoch`` (a live trial's per-epoch score, with ``answer``
to continue or stop it), ``Done`` (a trial's outcome) and ``Died`` (its worker died).

The process pool is ours rather than loky's so that the search knows which worker runs
which trial (a dead worker fails its own trial only, where a broken loky executor fails
every running one), can talk to a running trial every epoch over the same socket, and its
workers die with the search's process. Workers are reused across searches with the same
``(slots, tf_threads)``: TensorFlow costs ~3 s to import per process.

Two limits end a running trial whatever it does, each by killing its worker (a fresh one
takes its place) and reporting it ``Died`` with the reason: ``trial_timeout`` (seconds
since the trial was handed to the worker; a ``build_model`` that never returns), and the
heartbeat grace (seconds without a message from the worker, which beats every
``BEAT_SECONDS``: a worker that was stopped or froze). On Dask, ``trial_timeout`` cancels
the trial and restarts the worker running it (its nanny starts a new one).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

import cloudpickle

from search._fit import TrialData, TrialOutcome, TrialSpec, fit_trial
from search._gpus import assign_gpu, gpu_env, visible_gpus

__all__ = [
    "HEARTBEAT_GRACE_SECONDS",
    "DaskPool",
    "Died",
    "Done",
    "Epoch",
    "InProcessPool",
    "Pool",
    "ProcessPool",
    "process_pool",
    "shutdown_workers",
]


# A worker silent this long while it runs a trial is stopped or frozen (it beats every
# BEAT_SECONDS); before its first beat it may still be importing TensorFlow, which a loaded
# machine can take tens of seconds to do.
HEARTBEAT_GRACE_SECONDS = 60.0
_STARTUP_GRACE_SECONDS = 180.0


@dataclass
class Epoch:
    number: int
    fold: int
    epoch: int
    score: float
    _answer: Any = None

    def answer(self, stop: bool) -> None:
        if self._answer is not None:
            self._answer(stop)


@dataclass
class Done:
    number: int
    outcome: TrialOutcome


@dataclass
class Died:
    number: int
    reason: str


Event = Epoch | Done | Died


class Pool:
    """Base: a pool of ``slots`` trial runners."""

    slots: int = 1
    # Whether a running trial can report each epoch and be stopped by the runner.
    live_epochs: bool = True
    # Set per search: the seconds a trial may run, and how long a silent worker is waited for.
    trial_timeout: float | None = None
    heartbeat_grace: float = HEARTBEAT_GRACE_SECONDS

    def running(self) -> int:
        raise NotImplementedError

    def submit(self, number: int, spec: TrialSpec) -> None:
        raise NotImplementedError

    def wait(self, timeout: float | None) -> list[Event]:
        raise NotImplementedError

    def close(self, kill: bool = False) -> None:
        return None


class InProcessPool(Pool):
    """``n_jobs=1``: trials run here, one at a time, inside ``submit``."""

    def __init__(self, data: TrialData) -> None:
        self._data = data
        # (number, fold, epoch, score) -> stop?; the runner sets it.
        self.decide: Any = lambda number, fold, epoch, score: False
        self._events: list[Event] = []
        self._busy = False

    def running(self) -> int:
        return int(self._busy)

    def submit(self, number: int, spec: TrialSpec) -> None:
        """Run the trial now; its outcome is the next ``wait``'s event."""
        data = self._data
        self._busy = True
        try:

            def report(fold: int, epoch: int, score: float) -> bool:
                return bool(self.decide(number, fold, epoch, score))

            self._events.append(Done(number, fit_trial(spec, data, report)))
        finally:
            self._busy = False

    def wait(self, timeout: float | None) -> list[Event]:
        events, self._events = self._events, []
        return events


class _Worker:
    def __init__(self, gpu: str | None = None) -> None:
        parent, child = socket.socketpair()
        self.gpu = gpu
        env = gpu_env(os.environ, gpu)
        root = str(Path(__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "search._worker", str(child.fileno()), str(os.getpid())],
            pass_fds=[child.fileno()],
            env=env,
            stdin=subprocess.DEVNULL,
        )
        child.close()
        self.conn = Connection(parent.detach())
        self.data_token: str | None = None
        self.number: int | None = None  # the trial it runs
        self.spawned = time.monotonic()
        self.started = self.spawned  # when it was given its trial
        self.seen: float | None = None  # its last message; None before the first
        self.send(("path", list(sys.path)))

    def send(self, message: Any) -> None:
        self.conn.send_bytes(cloudpickle.dumps(message))

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, kill: bool) -> None:
        try:
            if kill:
                self.proc.kill()
            else:
                self.send(("exit",))
        except OSError:
            pass
        self.conn.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class ProcessPool(Pool):
    """``slots`` worker processes of our own (see the module docstring)."""

    def __init__(self, slots: int, gpus: Sequence[str] = ()) -> None:
        self.slots = slots
        self.gpus = list(gpus)  # each worker is given one (``search._gpus``)
        self._workers: list[_Worker] = []
        self._data: tuple[str, TrialData] | None = None

    def set_data(self, data: TrialData) -> None:
        self._data = (uuid.uuid4().hex, data)

    def running(self) -> int:
        return sum(w.number is not None for w in self._workers)

    def _idle_worker(self) -> _Worker:
        self._workers = [w for w in self._workers if w.alive() or w.number is not None]
        for worker in self._workers:
            if worker.number is None:
                return worker
        if len(self._workers) >= self.slots:
            raise RuntimeError("ProcessPool.submit: every slot is busy")
        # Start every missing worker at once: a worker reads its data only once it has
        # imported TensorFlow (~3-4 s), so starting the next one after the data of the
        # previous was sent put those imports one after the other (measured: the second of
        # two workers started its first trial ~3 s after the first).
        new = []
        for _ in range(self.slots - len(self._workers)):
            taken = [w.gpu for w in self._workers]
            new.append(_Worker(assign_gpu(self.gpus, taken)))
            self._workers.append(new[-1])
        return new[0]

    def submit(self, number: int, spec: TrialSpec) -> None:
        if self._data is None:
            raise RuntimeError("ProcessPool.submit before set_data")
        token, data = self._data
        for _ in range(2):
            worker = self._idle_worker()
            try:
                if worker.data_token != token:
                    worker.send(("data", token, data))
                    worker.data_token = token
                worker.send(("trial", token, spec))
            except OSError:
                # It left on its own (idle timeout) just now: start another.
                worker.stop(kill=True)
                self._workers.remove(worker)
                continue
            worker.number = number
            worker.started = time.monotonic()
            if worker.seen is not None:
                # It answered before; the beats it sent while idle are still unread.
                worker.seen = worker.started
            return
        raise RuntimeError("cannot start a trial worker process")

    def wait(self, timeout: float | None) -> list[Event]:
        busy = {w.conn: w for w in self._workers if w.number is not None}
        if not busy:
            return []
        # Wake up in time to end a trial past its limits, whatever the caller asked.
        limit = self._seconds_to_next_limit()
        if limit is not None:
            timeout = limit if timeout is None else min(timeout, limit)
        events: list[Event] = []
        for conn in wait(list(busy), timeout):
            worker = busy[conn]  # type: ignore[index]
            number = worker.number
            assert number is not None
            try:
                message = cloudpickle.loads(worker.conn.recv_bytes())
            except (EOFError, OSError):
                code = worker.proc.wait()
                worker.conn.close()
                self._workers.remove(worker)
                events.append(Died(number, _death_reason(code)))
                continue
            worker.seen = time.monotonic()
            if message[0] == "beat":
                continue
            if message[0] == "epoch":
                _, fold, epoch, score = message
                events.append(Epoch(number, fold, epoch, score, _answer=_replier(worker)))
            else:
                worker.number = None
                events.append(Done(number, message[1]))
        return events + self._past_limits()

    def _limits(self, worker: _Worker) -> list[tuple[float, str]]:
        """(the moment, why) at which ``worker``'s trial must end."""
        limits = []
        if self.trial_timeout is not None:
            limits.append(
                (
                    worker.started + self.trial_timeout,
                    f"trial_timeout: the trial ran past {self.trial_timeout:g} s; its worker "
                    "process was killed and replaced",
                )
            )
        if worker.seen is None:
            since, grace = worker.spawned, max(self.heartbeat_grace, _STARTUP_GRACE_SECONDS)
        else:
            since, grace = worker.seen, self.heartbeat_grace
        limits.append(
            (
                since + grace,
                f"the worker process running this trial stopped answering (no heartbeat for "
                f"{grace:g} s: stopped or frozen); it was killed and replaced",
            )
        )
        return limits

    def _seconds_to_next_limit(self) -> float | None:
        ends = [end for w in self._workers if w.number is not None for end, _ in self._limits(w)]
        if not ends:
            return None
        return max(0.0, min(ends) - time.monotonic()) + 0.05

    def _past_limits(self) -> list[Event]:
        now = time.monotonic()
        events: list[Event] = []
        for worker in [w for w in self._workers if w.number is not None]:
            past = [why for end, why in self._limits(worker) if now >= end]
            if past:
                number = worker.number
                assert number is not None
                worker.stop(kill=True)  # SIGKILL ends a stopped (SIGSTOP) process too
                self._workers.remove(worker)
                events.append(Died(number, past[0]))
        return events

    def close(self, kill: bool = False) -> None:
        for worker in self._workers:
            worker.stop(kill or worker.number is not None)
        self._workers = []

    def pids(self) -> list[int]:
        return [w.proc.pid for w in self._workers if w.alive()]


def _replier(worker: _Worker) -> Any:
    def answer(stop: bool) -> None:
        with contextlib.suppress(OSError):  # it died: the next wait reports that
            worker.conn.send(stop)

    return answer


def _death_reason(code: int | None) -> str:
    if code is not None and code < 0:
        import signal

        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"the worker process running this trial died ({name}; out of memory or a crash)"
    return f"the worker process running this trial exited unexpectedly (exit code {code})"


# Times a trial the scheduler forgot is submitted again (Dask's own allowed-failures is 3).
_CANCELS = 3


class DaskPool(Pool):
    """Trials as Dask futures on ``client``; the data is scattered to the workers once.

    Per-epoch reports come back with the trial (a remote worker cannot reach this process
    mid-fit), so a strategy that stops trials per epoch needs the process backend.
    """

    live_epochs = False

    def __init__(self, client: Any, slots: int, data: TrialData) -> None:
        self.client = client
        self.slots = slots
        # hash=False: a key of its own. With content hashing, a second search over the same
        # data reuses the key while the first search's release of it is still in flight,
        # and its trials fail with "lost dependencies" (seen in a CI run).
        self._raw = data
        self._data = client.scatter(data, broadcast=True, hash=False)
        # future -> (trial number, its spec: kept to submit it again if Dask cancels it)
        self._futures: dict[Any, tuple[int, TrialSpec]] = {}
        self._submitted: dict[Any, float] = {}
        self._cancels: dict[int, int] = {}

    def running(self) -> int:
        return len(self._futures)

    def submit(self, number: int, spec: TrialSpec) -> None:
        future = self.client.submit(fit_trial, spec, self._data, pure=False)
        self._futures[future] = (number, spec)
        self._submitted[future] = time.monotonic()

    def wait(self, timeout: float | None) -> list[Event]:
        from distributed import wait as dask_wait
        from distributed.utils import CancelledError

        if not self._futures:
            return []
        if self.trial_timeout is not None:
            first = min(self._submitted.values()) + self.trial_timeout - time.monotonic()
            timeout = max(0.05, first if timeout is None else min(timeout, first))
        try:
            done = dask_wait(list(self._futures), timeout=timeout, return_when="FIRST_COMPLETED")
        except TimeoutError:
            return self._past_timeout()
        except CancelledError:
            # The scheduler forgot trials, as when their scattered data lost its last copy
            # with a dead worker (a worker that joined after the scatter has none).
            return self._rerun_cancelled()
        events: list[Event] = []
        for future in done.done:
            if future.cancelled():
                continue  # rerun below
            number, _ = self._futures.pop(future)
            self._submitted.pop(future, None)
            try:
                events.append(Done(number, future.result()))
            except Exception as exc:
                events.append(Died(number, f"Dask could not run this trial: {exc!r}"[:500]))
        return events + self._rerun_cancelled() + self._past_timeout()

    def _past_timeout(self) -> list[Event]:
        """Trials past ``trial_timeout``: cancelled, and the worker running each restarted
        by its nanny (a Dask task's thread cannot be stopped otherwise)."""
        if self.trial_timeout is None:
            return []
        now = time.monotonic()
        late = [f for f, t in self._submitted.items() if now - t >= self.trial_timeout]
        if not late:
            return []
        keys = {f.key for f in late}
        processing = self.client.processing()
        workers = [w for w, running in processing.items() if keys & set(running)]
        events: list[Event] = []
        for future in late:
            number, _ = self._futures.pop(future)
            self._submitted.pop(future)
            future.cancel()
            events.append(
                Died(
                    number,
                    f"trial_timeout: the trial ran past {self.trial_timeout:g} s; it was "
                    "cancelled and its Dask worker restarted",
                )
            )
        if workers:
            with contextlib.suppress(Exception):  # a worker without a nanny stays as it is
                self.client.restart_workers(workers, timeout=60, raise_for_error=False)
        return events

    def _rerun_cancelled(self) -> list[Event]:
        """Scatter the data again where its last copy was lost and submit each cancelled
        trial again, as Dask reruns a trial whose worker died; a trial cancelled once
        more after ``_CANCELS`` reruns is reported dead."""
        cancelled = [f for f in self._futures if f.cancelled()]
        if cancelled and self._data.status != "finished":
            self._data = self.client.scatter(self._raw, broadcast=True, hash=False)
        events: list[Event] = []
        for future in cancelled:
            number, spec = self._futures.pop(future)
            self._submitted.pop(future, None)
            self._cancels[number] = self._cancels.get(number, 0) + 1
            if self._cancels[number] > _CANCELS:
                reason = f"Dask cancelled this trial after {_CANCELS} reruns (lost data or workers)"
                events.append(Died(number, reason))
                continue
            self.submit(number, spec)
        return events

    def close(self, kill: bool = False) -> None:
        for future in list(self._futures):
            future.cancel()
        self._futures = {}
        self._submitted = {}


# Worker processes outlive one search (TensorFlow's import is paid once per session).
_shared: dict[tuple[int, int | None, tuple[str, ...]], ProcessPool] = {}


def process_pool(slots: int, tf_threads: int | None) -> ProcessPool:
    """The session's reusable process pool for ``(slots, tf_threads)``, its workers given
    one GPU each where the machine has GPUs (``search._gpus``).

    A pool with another thread cap is closed first: TensorFlow fixes its thread pools once
    per process, so a new cap needs new processes.
    """
    gpus = visible_gpus()
    key = (slots, tf_threads, tuple(gpus))
    for other in [k for k in _shared if k != key]:
        _shared.pop(other).close()
    if key not in _shared:
        # The cap itself travels with each trial's estimator (applied in the worker's
        # first fit); the key only makes sure those workers have not fitted before.
        _shared[key] = ProcessPool(slots, gpus)
    return _shared[key]


@atexit.register
def shutdown_workers() -> None:
    """Stop the worker processes kept for later searches (they also leave by themselves
    after 10 idle minutes, and always with this process).

    Examples:
        >>> shutdown_workers()
    """
    for pool in _shared.values():
        pool.close()
    _shared.clear()
