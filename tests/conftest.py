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


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared offline datasets (CI and developers' machines have them)."""
    env = os.environ.get("HPSEARCH_DATA_DIR")
    path = Path(env) if env else SHARED_DATA
    if not (path / "california_housing" / "cal_housing.data").is_file():
        pytest.skip(f"no California housing file under {path}; set HPSEARCH_DATA_DIR")
    return path
