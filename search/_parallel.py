"""Where parallel trials run: joblib's loky processes or a Dask cluster.

Private to ``search``; ``local_cluster`` is public (``search.local_cluster``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import joblib
import numpy as np

__all__ = ["default_tf_threads", "local_cluster", "parallel_backend"]


def _require_distributed() -> None:
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise ImportError(
            "backend='dask' needs Dask's distributed scheduler: pip install 'hpsearch[dask]'."
        ) from None


def local_cluster(n_workers: int | None = None, **kwargs: Any) -> Any:
    """A ``distributed.LocalCluster`` set up for trials: one Dask thread per worker process
    (each trial has its worker's cores), listening on 127.0.0.1 only, no dashboard, and
    Dask's statistical profiler off (it samples every worker thread's Python stack every
    10 ms; measured here, a fit ran ~8 % slower with it on). ``kwargs`` override these.

    >>> from distributed import Client
    >>> from search import local_cluster, search
    >>> with local_cluster(2) as cluster, Client(cluster) as client:     # doctest: +SKIP
    ...     search("tpe", "california_mlp", X=X, y=y, backend="dask", scheduler=client)
    """
    _require_distributed()
    import dask
    from distributed import LocalCluster

    settings: dict[str, Any] = {
        "n_workers": n_workers,
        "threads_per_worker": 1,
        "host": "127.0.0.1",
        "dashboard_address": None,
    }
    settings.update(kwargs)
    # Workers read their configuration when they start; the nanny hands them this one.
    with dask.config.set({"distributed.worker.profile.enabled": False}):
        return LocalCluster(**settings)


def default_tf_threads(n_jobs: int, client: Any) -> int | None:
    """TensorFlow threads per trial so that parallel trials fill the cores and no more.

    One process (``n_jobs=1``) keeps TensorFlow's own default. k loky workers get
    cores // k each. On Dask, every host's cores are shared by the tasks its workers run
    at once (their Dask threads); the smallest share over the hosts is used.
    """
    if client is None:
        if n_jobs == 1:
            return None
        return max(1, joblib.cpu_count() // joblib.effective_n_jobs(n_jobs))
    cores = client.run(joblib.cpu_count)  # {worker address: usable cores}
    tasks_per_host: dict[str, int] = {}
    cores_per_host: dict[str, int] = {}
    for address, info in client.scheduler_info(n_workers=-1)["workers"].items():
        host = str(info.get("host", address))
        tasks_per_host[host] = tasks_per_host.get(host, 0) + int(info.get("nthreads", 1))
        cores_per_host[host] = int(cores.get(address, 1))
    if not tasks_per_host:
        return None
    return max(1, min(cores_per_host[h] // n for h, n in tasks_per_host.items()))


@contextmanager
def parallel_backend(backend: str, scheduler: Any, X: np.ndarray, y: np.ndarray) -> Iterator[Any]:
    """joblib's default process pool (yields None), or a Dask cluster (yields its
    ``Client``) with the data scattered once."""
    if backend == "loky":
        yield None
        return
    _require_distributed()
    from distributed import Client

    owned: list[Any] = []
    if isinstance(scheduler, Client):
        client = scheduler
    elif scheduler is None:
        cluster = local_cluster()
        client = Client(cluster)
        owned += [client, cluster]
    elif isinstance(scheduler, str):
        client = Client(scheduler)
        owned.append(client)
    else:
        raise TypeError(
            f"scheduler must be a distributed.Client, an address such as "
            f"'tcp://127.0.0.1:8786', or None; got {type(scheduler).__name__}."
        )
    try:
        with joblib.parallel_config(backend="dask", scatter=[X, y]):
            yield client
    finally:
        for item in owned:
            item.close()
