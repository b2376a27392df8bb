"""Dask for trials beyond this process: a local cluster set up for trials, clients, and
TensorFlow thread caps per trial. Private to ``search``; ``local_cluster`` is public.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import joblib

__all__ = ["dask_client", "dask_slots", "default_tf_threads", "local_cluster"]


def _require_distributed() -> None:
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise ImportError(
            "backend='dask' needs Dask's distributed scheduler: pip install 'hpsearch[dask]'."
        ) from None


def local_cluster(n_workers: int | None = None, **kwargs: Any) -> Any:
    """A ``distributed.LocalCluster`` set up for trials: one Dask thread per worker process
    (each trial has its worker's cores), listening on 127.0.0.1 only, TLS with temporary
    certificates (Dask workers run pickled code: anyone who could reach an open port could
    run code as you; another user of this machine can reach 127.0.0.1), no dashboard, and
    Dask's statistical profiler off (it samples every worker thread's Python stack every
    10 ms; measured here, a fit ran ~8 % slower with it on). ``kwargs`` override these
    (``security=`` a ``distributed.security.Security`` of your own).

    Examples:
        >>> from distributed import Client
        >>> from search import local_cluster, search
        >>> with local_cluster(1) as cluster, Client(cluster) as client:
        ...     len(client.scheduler_info()["workers"]), cluster.scheduler_address[:6]
        (1, 'tls://')
    """
    _require_distributed()
    import dask
    from distributed import LocalCluster

    settings: dict[str, Any] = {
        "n_workers": n_workers,
        "threads_per_worker": 1,
        "host": "127.0.0.1",
        "dashboard_address": None,
        "security": True,  # Security.temporary(): self-signed, in memory, this cluster only
    }
    settings.update(kwargs)
    # Workers read their configuration when they start; the nanny hands them this one.
    with dask.config.set({"distributed.worker.profile.enabled": False}):
        return LocalCluster(**settings)


def default_tf_threads(n_jobs: int, client: Any) -> int | None:
    """TensorFlow threads per trial so that parallel trials fill the cores and no more.

    One process (``n_jobs=1``) keeps TensorFlow's own default. k workers get cores // k
    each. On Dask, every host's cores are shared by the tasks its workers run at once
    (their Dask threads); the smallest share over the hosts is used.
    """
    if client is None:
        if n_jobs == 1:
            return None
        return max(1, joblib.cpu_count() // n_jobs)
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


def dask_slots(client: Any, n_jobs: int | None) -> int:
    """Trials at once on a Dask cluster: ``n_jobs`` if > 1, else every Dask thread."""
    if n_jobs is not None and n_jobs > 1:
        return int(n_jobs)
    workers = client.scheduler_info(n_workers=-1)["workers"]
    return max(1, sum(int(w.get("nthreads", 1)) for w in workers.values()))


@contextmanager
def dask_client(scheduler: Any) -> Iterator[Any]:
    """A ``distributed.Client`` for ``scheduler`` (a Client, an address, or None for a
    private local cluster), closed afterwards if this function made it."""
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
        yield client
    finally:
        for item in owned:
            item.close()
