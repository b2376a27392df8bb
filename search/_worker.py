"""A trial worker process: ``python -m search._worker FD PARENT_PID``.

It talks to the search over one socket (a ``multiprocessing.connection.Connection``):
``("path", sys_path)``, ``("data", token, TrialData)`` once per search, then
``("trial", token, TrialSpec)`` for each trial, answered with ``("epoch", fold, epoch,
score)`` messages when the trial is live (each waits for a verdict) and one
``("done", TrialOutcome)``. A thread sends ``("beat",)`` every ``BEAT_SECONDS``: a
worker that is stopped (SIGSTOP) or frozen sends none, and the search kills it after its
grace period (a hung ``build_model`` still beats: ``trial_timeout`` is for that). It never
outlives the search's process: a watchdog thread ends it within half a second of its
parent's death (``kill -9`` included), and it leaves on its own after ``IDLE_SECONDS``
without work. Ctrl-C is for the search's process, which decides what happens to running
trials; the worker ignores it.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

IDLE_SECONDS = 600.0
BEAT_SECONDS = 2.0


def watch_parent(parent_pid: int) -> None:
    """From now on, a daemon thread exits this process (code 3) once ``parent_pid`` is no
    longer its parent: a pool's worker outlives no ``kill -9`` of the pool's owner."""
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()


def _watch_parent(parent_pid: int) -> None:
    while True:
        time.sleep(0.5)
        if os.getppid() != parent_pid:
            os._exit(3)


def _beat(conn: Connection, lock: threading.Lock) -> None:
    import cloudpickle

    beat = cloudpickle.dumps(("beat",))
    while True:
        time.sleep(BEAT_SECONDS)
        try:
            with lock:
                conn.send_bytes(beat)
        except OSError:
            return


def serve(conn: Connection, parent_pid: int, lock: threading.Lock | None = None) -> None:
    """The worker's loop (also what a test drives in-process); ``lock`` guards sends
    shared with the heartbeat thread."""
    import cloudpickle

    lock = lock or threading.Lock()

    def send(message: Any) -> None:
        with lock:
            conn.send_bytes(cloudpickle.dumps(message))

    data: dict[str, Any] = {}
    while conn.poll(IDLE_SECONDS):
        try:
            message = cloudpickle.loads(conn.recv_bytes())
        except EOFError:
            return
        kind = message[0]
        if kind == "path":
            sys.path[:] = list(message[1])
        elif kind == "data":
            data = {message[1]: message[2]}  # one search's data at a time
        elif kind == "trial":
            from search._fit import fit_trial

            token, spec = message[1], message[2]

            def report(fold: int, epoch: int, score: float) -> bool:
                send(("epoch", fold, epoch, score))
                return bool(conn.recv())

            outcome = fit_trial(spec, data[token], report)
            send(("done", outcome))
        elif kind == "exit":
            return


def main(argv: list[str]) -> None:
    fd, parent_pid = int(argv[0]), int(argv[1])
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    watch_parent(parent_pid)
    conn = Connection(fd)
    lock = threading.Lock()
    threading.Thread(target=_beat, args=(conn, lock), daemon=True).start()
    try:
        serve(conn, parent_pid, lock)
    except (EOFError, BrokenPipeError, ConnectionResetError):
        pass  # the search went away
    finally:
        conn.close()


if __name__ == "__main__":
    main(sys.argv[1:])
