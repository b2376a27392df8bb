"""Parallel trials: thread caps reach the workers; a real Dask LocalCluster runs searches."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import cloudpickle
import numpy as np
import pytest

import tests.conftest
from search import search
from spaces import Float, Int, Space
from tests.conftest import tiny_regressor

SPACE = Space(units=Int(2, 4), learning_rate=Float(1e-3, 1e-1, log=True))
FAST = {"epochs": 1, "cv": 2, "progress": False, "refit": False}


# What search(n_jobs=2) gives each worker; shipped to the workers with the function below
# (an environment variable would not reach workers that an earlier test already started).
EXPECTED_THREADS = max(1, (os.cpu_count() or 1) // 2)


def threads_reporting_regressor(units: int = 2, learning_rate: float = 0.01, meta=None):
    """Fails the trial unless TensorFlow's intra-op pool is capped at EXPECTED_THREADS."""
    import tensorflow as tf

    got = tf.config.threading.get_intra_op_parallelism_threads()
    if got != EXPECTED_THREADS:
        raise RuntimeError(f"intra-op threads {got}, expected {EXPECTED_THREADS}")
    return tiny_regressor(units, learning_rate, meta=meta)


@pytest.fixture
def by_value():
    # Worker processes cannot import the tests package: ship test functions by value.
    import tests.search.test_parallel as this

    cloudpickle.register_pickle_by_value(tests.conftest)
    cloudpickle.register_pickle_by_value(this)
    yield
    cloudpickle.unregister_pickle_by_value(tests.conftest)
    cloudpickle.unregister_pickle_by_value(this)


def test_thread_cap_reaches_loky_workers(reg_data, by_value) -> None:
    X, y = reg_data
    result = search(
        "random", SPACE, threads_reporting_regressor, X, y, n_trials=2, n_jobs=2, **FAST
    )
    assert result.settings["tf_threads"] == EXPECTED_THREADS
    assert (result.trials_["status"] == "complete").all(), result.trials_["error"].tolist()


def test_backend_arguments_are_checked(reg_data) -> None:
    X, y = reg_data
    with pytest.raises(ValueError, match="backend must be 'loky' or 'dask'"):
        search("random", SPACE, tiny_regressor, X, y, backend="ray", **FAST)
    with pytest.raises(ValueError, match="scheduler is only used with backend='dask'"):
        search("random", SPACE, tiny_regressor, X, y, scheduler="tcp://x:1", **FAST)


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["grid", "random", "genetic", "tpe"])
def test_dask_local_cluster_runs_every_strategy(strategy, reg_data, by_value, dask_client) -> None:
    X, y = reg_data
    # Two local workers ask batches of two, as the two Dask workers do (TPE's constant liar
    # proposes per batch, so the batch size must match for the proposals to match).
    local = search(strategy, SPACE, tiny_regressor, X, y, n_trials=4, n_jobs=2, **FAST)
    remote = search(
        strategy,
        SPACE,
        tiny_regressor,
        X,
        y,
        n_trials=4,
        backend="dask",
        scheduler=dask_client,
        **FAST,
    )
    assert list(remote.trials_["params"]) == list(local.trials_["params"])
    assert (remote.trials_["status"] == "complete").all()
    # Scores agree only up to TensorFlow's thread settings (loky workers are capped at
    # cores // 2, Dask workers keep TensorFlow's default): check them for being finite.
    assert np.isfinite(remote.trials_["score"]).all()
    workers = dask_client.run(lambda: os.getpid())
    assert len(workers) == 2 and os.getpid() not in workers.values()


WORKER_DEATH = textwrap.dedent(
    """
    import json, os, sys
    sys.path.insert(0, {root!r})
    import cloudpickle, distributed, numpy as np
    import tests.conftest
    from search import search
    from spaces import Float, Int, Space

    def dies_once(units=2, learning_rate=0.01, meta=None):
        # Kills its worker process the first time any trial is built (a crashed machine).
        if not os.path.exists({marker!r}):
            open({marker!r}, "w").close()
            os._exit(1)
        return tests.conftest.tiny_regressor(units, learning_rate, meta=meta)

    if __name__ == "__main__":
        cloudpickle.register_pickle_by_value(tests.conftest)
        space = Space(units=Int(2, 4), learning_rate=Float(1e-3, 1e-1, log=True))
        rng = np.random.default_rng(0)
        X = rng.normal(size=(90, 4)).astype("float32"); y = X.sum(1)
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                                      dashboard_address=None) as cluster, \\
                distributed.Client(cluster) as client:
            r = search("random", space, dies_once, X, y, n_trials=3, backend="dask",
                       scheduler=client, epochs=1, cv=2, progress=False, refit=False)
        print(json.dumps(list(r.trials_["status"])))
    """
)


@pytest.mark.slow
def test_a_worker_dying_mid_trial_does_not_lose_the_search(tmp_path) -> None:
    pytest.importorskip("distributed")
    # In a subprocess: a real script with a __main__ guard, as users run Dask.
    marker = tmp_path / "died"
    root = str(Path(__file__).resolve().parents[2])
    script = tmp_path / "run.py"
    script.write_text(WORKER_DEATH.format(root=root, marker=str(marker)))
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert marker.exists()  # a worker really died mid-trial
    assert json.loads(done.stdout.strip().splitlines()[-1]) == ["complete"] * 3  # Dask reran it
