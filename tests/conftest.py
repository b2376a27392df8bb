"""Shared fixtures: tiny data and tiny Keras models, so the suite stays fast and offline."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


def tiny_regressor(
    units: int = 4, learning_rate: float = 0.01, mode: str = "ok", meta: dict | None = None
) -> keras.Model:
    """A one-layer regressor; ``mode`` makes a trial fail on purpose ("raise", "diverge")."""
    if mode == "raise":
        raise ValueError("boom: this candidate cannot be built")
    model = keras.Sequential(
        [
            keras.Input((meta["n_features_in_"],)),
            keras.layers.Dense(units, "relu"),
            keras.layers.Dense(1),
        ]
    )
    lr = 1e12 if mode == "diverge" else learning_rate
    model.compile(loss="mse", optimizer=keras.optimizers.SGD(learning_rate=lr))
    return model


def tiny_classifier(
    units: int = 4, learning_rate: float = 0.01, meta: dict | None = None
) -> keras.Model:
    model = keras.Sequential(
        [
            keras.Input((meta["n_features_in_"],)),
            keras.layers.Dense(units, "relu"),
            keras.layers.Dense(meta["n_classes_"], "softmax"),
        ]
    )
    model.compile(
        loss="sparse_categorical_crossentropy", optimizer=keras.optimizers.Adam(learning_rate)
    )
    return model


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
