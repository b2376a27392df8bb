"""Checks of user input shared by ``search()`` and the search estimators: one message shape
("<name> must be <rule>, got <value>; <fix>")."""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import joblib

__all__ = [
    "BACKENDS",
    "check_budget",
    "check_heartbeat_grace",
    "check_int",
    "check_trial_timeout",
    "resolve_n_jobs",
]

BACKENDS = ("processes", "loky", "dask")  # "loky": this version's name for "processes"


def check_int(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}.")
    return int(value)


def check_budget(n_trials: Any, timeout: Any) -> tuple[int, float | None]:
    n_trials = check_int("n_trials", n_trials, 1)
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, numbers.Real) or not float(timeout) > 0
    ):
        raise ValueError(
            f"timeout must be a number of seconds > 0 or None, got {timeout!r}; the search "
            "always runs at least one trial, then starts no new one after timeout seconds."
        )
    return n_trials, None if timeout is None else float(timeout)


def _seconds(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, numbers.Real) and float(value) > 0


def check_trial_timeout(value: Any) -> float | None:
    """Seconds a trial may run before its worker is killed, or None (no limit)."""
    if value is None:
        return None
    if not _seconds(value):
        raise ValueError(
            f"trial_timeout must be a number of seconds > 0 or None, got {value!r}; a trial "
            "past it is stopped and recorded failed (give it room: a trial's every fold counts)."
        )
    return float(value)


def check_heartbeat_grace(value: Any) -> float:
    """Seconds without a heartbeat after which a worker is taken for dead."""
    from search._worker import BEAT_SECONDS

    low = 5 * BEAT_SECONDS
    if not _seconds(value) or float(value) < low:
        raise ValueError(
            f"heartbeat_grace must be a number of seconds >= {low:g} (workers beat every "
            f"{BEAT_SECONDS:g} s), got {value!r}."
        )
    return float(value)


def resolve_n_jobs(n_jobs: Any) -> int:
    """Trials at once on this machine: scikit-learn's meaning (-1 all cores, -2 all but
    one, ...), at most the number of cores (with a warning: each worker imports TensorFlow
    and holds its own copy of the data).

    Examples:
        >>> resolve_n_jobs(1), resolve_n_jobs(None)
        (1, 1)
    """
    if n_jobs is None:
        return 1
    if n_jobs == "gpus":
        from search._gpus import visible_gpus

        gpus = len(visible_gpus())
        if gpus == 0:
            warnings.warn(
                "n_jobs='gpus' found no GPU (CUDA_VISIBLE_DEVICES / TensorFlow); running "
                "the trials one at a time in this process (n_jobs=1).",
                UserWarning,
                stacklevel=3,
            )
        return max(1, gpus)
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral) or n_jobs == 0:
        raise ValueError(
            f"n_jobs must be a non-zero int (1: this process, k > 1: k workers, -1: all "
            f"cores, -2: all but one) or 'gpus' (one worker per GPU), got {n_jobs!r}."
        )
    cores = joblib.cpu_count()
    n_jobs = int(n_jobs)
    wanted = n_jobs if n_jobs > 0 else max(1, cores + 1 + n_jobs)
    if wanted > cores:
        warnings.warn(
            f"n_jobs={n_jobs} is more than this machine's {cores} cores; using {cores} "
            "workers (each imports TensorFlow and holds the data; more would only compete "
            "for the cores).",
            UserWarning,
            stacklevel=3,
        )
        wanted = cores
    return wanted
