"""One GPU per worker process, checked on CPU through the environment each worker gets."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from search import _pool
from search._gpus import assign_gpu, visible_gpus
from search._validation import resolve_n_jobs


def environ_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


def test_visible_gpus_respects_cuda_visible_devices(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2, 5")
    assert visible_gpus() == ["2", "5"]
    for none in ("", "-1"):
        monkeypatch.setenv("CUDA_VISIBLE_DEVICES", none)
        assert visible_gpus() == []
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES")
    assert visible_gpus() == []  # this machine has none: TensorFlow lists no GPU


def test_round_robin_gives_a_replaced_workers_gpu_to_its_replacement():
    assert [assign_gpu(["0", "1"], taken) for taken in ([], ["0"], ["0", "1"])] == ["0", "1", "0"]
    assert assign_gpu(["0", "1"], ["1", "0", "1"]) == "0"


def test_n_jobs_gpus_is_one_worker_per_gpu(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1,2")
    assert resolve_n_jobs("gpus") == 3
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    with pytest.warns(UserWarning, match="found no GPU"):
        assert resolve_n_jobs("gpus") == 1


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux /proc")
def test_each_worker_process_is_given_its_own_gpu_with_memory_growth(monkeypatch):
    monkeypatch.setattr(_pool, "visible_gpus", lambda: ["0", "1"])
    pool = _pool.process_pool(3, None)
    try:
        assert pool.gpus == ["0", "1"]
        pool._idle_worker()  # starts every worker of the pool
        envs = [environ_of(w.proc.pid) for w in pool._workers]
        assert [e["CUDA_VISIBLE_DEVICES"] for e in envs] == ["0", "1", "0"]
        assert {e["TF_FORCE_GPU_ALLOW_GROWTH"] for e in envs} == {"true"}
        # A worker that dies is replaced on the GPU it had.
        second = pool._workers[1]
        second.stop(kill=True)
        deadline = time.monotonic() + 10
        while second.alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        for worker in pool._workers:
            if worker is not second:
                worker.number = 0  # busy
        replacement = pool._idle_worker()
        assert replacement is not second
        assert environ_of(replacement.proc.pid)["CUDA_VISIBLE_DEVICES"] == "1"
    finally:
        for worker in pool._workers:
            worker.number = None
        _pool.shutdown_workers()


def test_without_gpus_workers_get_the_environment_unchanged(monkeypatch):
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.setattr(_pool, "visible_gpus", lambda: [])
    pool = _pool.process_pool(1, None)
    try:
        worker = pool._idle_worker()
        env = environ_of(worker.proc.pid)
        assert "CUDA_VISIBLE_DEVICES" not in env and "TF_FORCE_GPU_ALLOW_GROWTH" not in env
    finally:
        _pool.shutdown_workers()
