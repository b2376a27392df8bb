"""One GPU per worker process: which GPUs this machine shows, and each worker's share.

TensorFlow in a process takes every GPU it sees (and, by default, nearly all of each one's
memory). Parallel trials therefore give each worker process its own GPU through
``CUDA_VISIBLE_DEVICES`` (round-robin when there are more workers than GPUs) and turn on
memory growth (``TF_FORCE_GPU_ALLOW_GROWTH``), so that workers sharing a GPU take only what
they use. A machine without GPUs gives workers the environment unchanged.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

__all__ = ["assign_gpu", "gpu_env", "visible_gpus"]


def visible_gpus() -> list[str]:
    """The GPU ids worker processes may be given (as ``CUDA_VISIBLE_DEVICES`` names them).

    ``CUDA_VISIBLE_DEVICES`` set by the user is respected (its entries; empty or ``-1``:
    none); otherwise TensorFlow's physical GPUs are numbered 0, 1, ... (listing them does
    not allocate GPU memory).
    """
    given = os.environ.get("CUDA_VISIBLE_DEVICES")
    if given is not None:
        ids = [part.strip() for part in given.split(",") if part.strip()]
        return [] if ids in ([], ["-1"]) else ids
    import tensorflow as tf

    return [str(i) for i in range(len(tf.config.list_physical_devices("GPU")))]


def assign_gpu(gpus: Sequence[str], taken: Sequence[str | None]) -> str | None:
    """The GPU for a new worker: the first of ``gpus`` given to the fewest of the live
    workers' ``taken`` (round-robin; a replaced worker's GPU goes to its replacement).

    Examples:
        >>> assign_gpu(["0", "1"], []), assign_gpu(["0", "1"], ["0"]), assign_gpu([], [])
        ('0', '1', None)
        >>> assign_gpu(["0", "1"], ["0", "1", "1"])
        '0'
    """
    if not gpus:
        return None
    return min(gpus, key=lambda g: (list(taken).count(g), list(gpus).index(g)))


def gpu_env(env: Mapping[str, str], gpu: str | None) -> dict[str, str]:
    """``env`` for a worker given ``gpu`` (``None``: unchanged).

    Examples:
        >>> gpu_env({}, "1")
        {'CUDA_VISIBLE_DEVICES': '1', 'TF_FORCE_GPU_ALLOW_GROWTH': 'true'}
    """
    out = dict(env)
    if gpu is not None:
        out["CUDA_VISIBLE_DEVICES"] = gpu
        out["TF_FORCE_GPU_ALLOW_GROWTH"] = "true"
    return out
