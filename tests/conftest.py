"""Shared fixtures: tiny data and tiny Keras models, so the suite stays fast and offline."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from search.testing import tiny_classifier, tiny_regressor

__all__ = ["tiny_classifier", "tiny_regressor"]

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


@pytest.fixture
def reg_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 4)).astype(np.float32)
    y = (X @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.1 * rng.normal(size=90)).astype(np.float32)
    return X, y


@pytest.fixture
def clf_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(90, 4)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64) + (X[:, 2] > 1).astype(np.int64)
    return X, y


@pytest.fixture
def by_value(request: pytest.FixtureRequest):
    """Ship functions of this conftest and of the requesting test module to worker
    processes by value: workers cannot import the tests package."""
    import sys

    import cloudpickle

    modules = [sys.modules[__name__], request.module]
    for module in modules:
        cloudpickle.register_pickle_by_value(module)
    yield
    for module in modules:
        cloudpickle.unregister_pickle_by_value(module)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared offline datasets (CI and developers' machines have them)."""
    env = os.environ.get("HPSEARCH_DATA_DIR")
    path = Path(env) if env else SHARED_DATA
    if not (path / "california_housing" / "cal_housing.data").is_file():
        message = f"no California housing file under {path}; set HPSEARCH_DATA_DIR"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} (under CI=true a missing dataset fails, it never skips)")
        pytest.skip(message)
    return path


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Docstring examples that load datasets need the data, as the data tests do: skipped
    where a dataset is missing, except under CI=true, where they run (and fail, naming every
    way to supply the data)."""
    env = os.environ.get("HPSEARCH_DATA_DIR")
    path = Path(env) if env else SHARED_DATA
    if path.is_dir():
        os.environ.setdefault("HPSEARCH_DATA_DIR", str(path))
    if os.environ.get("CI") == "true":
        return
    from benchmarks.datasets import available_datasets

    missing = [name for name, where in available_datasets(str(path)).items() if where is None]
    for item in items:
        if not item.nodeid.startswith("benchmarks/datasets.py::"):
            continue
        needs = "fashion_mnist" if "fashion" in item.nodeid else "california"
        if needs in missing:
            item.add_marker(pytest.mark.skip(reason=f"{needs} not found under {path}"))


PG_PASSWORD = "s3cret-pw"


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL server on 127.0.0.1 (password auth, scram-sha-256) and a URL
    with its password in it. ``initdb`` refuses to run as root, so as root the server runs
    as the ``postgres`` user. Skipped where no PostgreSQL binaries exist."""
    pytest.importorskip("psycopg2", reason="psycopg2 missing: pip install 'hpsearch[postgres]'")
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.skip("no PostgreSQL binaries (initdb, pg_ctl): apt-get install postgresql")
    as_root = os.geteuid() == 0
    run_as = ["runuser", "-u", "postgres", "--"] if as_root else []
    folder = Path(tempfile.mkdtemp(prefix="hpsearch-pg-"))
    data = folder / "data"
    if as_root:
        shutil.chown(folder, "postgres")
    port = _free_port()
    pwfile = folder / "pw"
    pwfile.write_text(PG_PASSWORD)
    if as_root:
        shutil.chown(pwfile, "postgres")
    subprocess.run(
        [
            *run_as,
            initdb,
            "-D",
            str(data),
            "-U",
            "hp",
            "--pwfile",
            str(pwfile),
            "-A",
            "scram-sha-256",
        ],
        check=True,
        capture_output=True,
    )
    opts = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1"
    subprocess.run(
        [*run_as, pg_ctl, "-D", str(data), "-o", opts, "-l", str(folder / "log"), "-w", "start"],
        check=True,
        capture_output=True,
    )
    try:
        import psycopg2

        conn = psycopg2.connect(
            host="127.0.0.1", port=port, user="hp", password=PG_PASSWORD, dbname="postgres"
        )
        conn.autocommit = True
        conn.cursor().execute("CREATE DATABASE hpsearch")
        conn.close()
        yield f"postgresql+psycopg2://hp:{PG_PASSWORD}@127.0.0.1:{port}/hpsearch"
    finally:
        subprocess.run(
            [*run_as, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True
        )
        shutil.rmtree(folder, ignore_errors=True)
