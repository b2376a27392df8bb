"""Shared fixtures: tiny data and tiny Keras models, so the suite stays fast and offline."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

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
