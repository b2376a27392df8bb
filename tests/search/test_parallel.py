"""Parallel trials: thread caps reach the workers; a real Dask LocalCluster runs searches."""

from __future__ import annotations

import os

import cloudpickle
import numpy as np
import pytest

import tests.conftest
from search import search
from spaces import Float, Int, Space

SPACE = Space(units=Int(2, 4), learning_rate=Float(1e-3, 1e-1, log=True))
FAST = {"epochs": 1, "cv": 2, "progress": False, "refit": False}


def threads_reporting_regressor(units: int = 2, learning_rate: float = 0.01, meta=None):
    """Fails the trial unless TensorFlow's intra-op pool is capped at TF_THREADS_EXPECTED."""
    import tensorflow as tf

    expected = int(os.environ["TF_THREADS_EXPECTED"])
    got = tf.config.threading.get_intra_op_parallelism_threads()
    if got != expected:
        raise RuntimeError(f"intra-op threads {got}, expected {expected}")
    return tests.conftest.tiny_regressor(units, learning_rate, meta=meta)


@pytest.fixture
def by_value():
    # Worker processes cannot import the tests package: ship test functions by value.
    import tests.search.test_parallel as this

    cloudpickle.register_pickle_by_value(tests.conftest)
    cloudpickle.register_pickle_by_value(this)
    yield
    cloudpickle.unregister_pickle_by_value(tests.conftest)
    cloudpickle.unregister_pickle_by_value(this)


def test_thread_cap_reaches_loky_workers(reg_data, by_value, monkeypatch) -> None:
    X, y = reg_data
    monkeypatch.setenv("TF_THREADS_EXPECTED", "1")
    result = search(
        "random", SPACE, threads_reporting_regressor, X, y, n_trials=2, n_jobs=2, **FAST
    )
    assert result.settings["tf_threads"] == max(1, (os.cpu_count() or 1) // 2)
    assert (result.trials_["status"] == "complete").all(), result.trials_["error"].tolist()


def test_backend_arguments_are_checked(reg_data) -> None:
    X, y = reg_data
    with pytest.raises(ValueError, match="backend must be 'loky' or 'dask'"):
        search("random", SPACE, tests.conftest.tiny_regressor, X, y, backend="ray", **FAST)
    with pytest.raises(ValueError, match="scheduler is only used with backend='dask'"):
        search("random", SPACE, tests.conftest.tiny_regressor, X, y, scheduler="tcp://x:1", **FAST)


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
    local = search(strategy, SPACE, tests.conftest.tiny_regressor, X, y, n_trials=4, **FAST)
    remote = search(
        strategy,
        SPACE,
        tests.conftest.tiny_regressor,
        X,
        y,
        n_trials=4,
        backend="dask",
        scheduler=dask_client,
        **FAST,
    )
    assert list(remote.trials_["params"]) == list(local.trials_["params"])
    assert (remote.trials_["status"] == "complete").all()
    np.testing.assert_allclose(remote.trials_["score"], local.trials_["score"], rtol=1e-4)
    workers = dask_client.run(lambda: os.getpid())
    assert len(workers) == 2 and os.getpid() not in workers.values()
