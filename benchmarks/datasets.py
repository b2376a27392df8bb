"""California housing and Fashion-MNIST, loaded offline when a local copy exists.

Sources, tried in this order:

1. the ``data_dir`` argument;
2. the environment variable ``HPSEARCH_DATA_DIR``;
3. (Fashion-MNIST) Debian's ``dataset-fashion-mnist`` in ``/usr/share/datasets/fashion-mnist``;
4. the libraries' own caches and downloads (``sklearn.datasets.fetch_california_housing``,
   ``keras.datasets.fashion_mnist.load_data``).

A data folder holds ``california_housing/cal_housing.data`` (the StatLib file) and/or
``fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz`` (Zalando's files). Raw
files are parsed with the same derivation the libraries use and their shapes are checked.

Splits (all seeded by ``seed``):

- California housing: 25% test, then 25% of the rest as validation (the seed course's
  ``train_test_split`` defaults): 11,610 / 3,870 / 5,160 rows. Target in units of $100,000.
- Fashion-MNIST: the official 60,000 / 10,000 train / test split; ``n_valid`` (5,000) images
  carved from train, stratified by class.

Scaling follows the course: a ``StandardScaler`` fitted on the training part only and applied
to validation and test. California scales per feature. Fashion-MNIST uses one mean and
standard deviation over all pixels, as the course does: per-pixel scaling would divide the
nearly constant border pixels by a tiny deviation and turn their noise into large inputs.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

__all__ = [
    "CALIFORNIA_FEATURES",
    "DATA_DIR_ENV",
    "DEBIAN_FASHION_DIR",
    "FASHION_CLASSES",
    "Dataset",
    "DatasetError",
    "available_datasets",
    "load_california_housing",
    "load_dataset",
    "load_fashion_mnist",
]

DATA_DIR_ENV = "HPSEARCH_DATA_DIR"
DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
CALIFORNIA_FEATURES = (
    "MedInc",
    "HouseAge",
    "AveRooms",
    "AveBedrms",
    "Population",
    "AveOccup",
    "Latitude",
    "Longitude",
)
FASHION_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
_CAL_FILE = Path("california_housing") / "cal_housing.data"
_FASHION_FILES = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}

Task = Literal["regression", "classification"]


class DatasetError(ValueError):
    """A dataset could not be found, or a file holding it is damaged."""


@dataclass(frozen=True)
class Dataset:
    """Scaled train / validation / test arrays and what they mean.

    Examples:
        >>> d = load_california_housing(n_train=200)
        >>> d.X_train.shape, d.task
        ((200, 8), 'regression')
    """

    name: str
    task: Task
    X_train: np.ndarray
    y_train: np.ndarray
    X_valid: np.ndarray
    y_valid: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    feature_names: tuple[str, ...]
    target_names: tuple[str, ...] = ()
    source: str = ""
    info: dict[str, object] = field(default_factory=dict)

    def summary(self) -> str:
        """One line: name, task, split sizes and where the data came from."""
        return (
            f"{self.name} ({self.task}): train {len(self.X_train)}, valid {len(self.X_valid)}, "
            f"test {len(self.X_test)}; features {self.X_train.shape[1:]}; from {self.source}"
        )


# --------------------------------------------------------------------------------------
# Argument checks
# --------------------------------------------------------------------------------------
def _check_size(name: str, value: int | None, upper: int) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int or None, got {value!r}.")
    if not 1 <= value <= upper:
        raise ValueError(f"{name} must be between 1 and {upper}, got {value}; use None for all.")


def _check_seed(seed: int) -> None:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}.")


def _data_dirs(data_dir: str | os.PathLike[str] | None) -> list[tuple[str, Path]]:
    dirs: list[tuple[str, Path]] = []
    if data_dir is not None:
        path = Path(data_dir)
        if not path.is_dir():
            raise DatasetError(f"data_dir={str(data_dir)!r} is not a folder.")
        dirs.append(("data_dir argument", path))
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        dirs.append((f"${DATA_DIR_ENV}", Path(env)))
    return dirs


def _subset(
    X: np.ndarray, y: np.ndarray, n: int | None, seed: int, stratify: bool
) -> tuple[np.ndarray, np.ndarray]:
    if n is None or n >= len(X):
        return X, y
    # A stratified subset needs at least one sample per class.
    strat = y if stratify and n >= len(np.unique(y)) else None
    X_sub, _, y_sub, _ = train_test_split(X, y, train_size=n, random_state=seed, stratify=strat)
    return X_sub, y_sub


# --------------------------------------------------------------------------------------
# California housing
# --------------------------------------------------------------------------------------
def _parse_cal_housing(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """StatLib's cal_housing.data -> scikit-learn's 8 features and target (x $100,000)."""
    try:
        raw = np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2)
    except (ValueError, OSError) as exc:
        raise DatasetError(
            f"{path}: cannot parse as the StatLib cal_housing.data file (9 comma-separated "
            f"numbers per line): {exc}. Replace the file with an intact copy."
        ) from exc
    if raw.shape != (20640, 9):
        raise DatasetError(
            f"{path}: expected 20640 rows x 9 columns, found {raw.shape[0]} x {raw.shape[1]}; "
            "the file is truncated or not cal_housing.data. Replace it with an intact copy."
        )
    if not np.isfinite(raw).all():
        raise DatasetError(f"{path}: contains non-finite values; replace it with an intact copy.")
    lon, lat, age, rooms, bedrooms, population, households, income, value = raw.T
    X = np.column_stack(
        [
            income,
            age,
            rooms / households,
            bedrooms / households,
            population,
            population / households,
            lat,
            lon,
        ]
    )
    return X, value / 100_000.0


def _california_raw(data_dir: str | os.PathLike[str] | None) -> tuple[np.ndarray, np.ndarray, str]:
    tried: list[str] = []
    for label, folder in _data_dirs(data_dir):
        path = folder / _CAL_FILE
        if path.is_file():
            X, y = _parse_cal_housing(path)
            return X, y, str(path)
        tried.append(f"{label}: {path} (not found)")
    try:
        from sklearn.datasets import fetch_california_housing

        bunch = fetch_california_housing()
        return (
            np.asarray(bunch.data, dtype=np.float64),
            np.asarray(bunch.target, dtype=np.float64),
            "sklearn.datasets.fetch_california_housing",
        )
    except Exception as exc:  # offline: URLError, HTTPError, OSError...
        tried.append(f"sklearn.datasets.fetch_california_housing(): {type(exc).__name__}: {exc}")
    raise DatasetError(
        "California housing is not available. Tried:\n  - "
        + "\n  - ".join(tried)
        + "\nSupply it in one of these ways:\n"
        f"  - pass data_dir=FOLDER holding {_CAL_FILE} (the StatLib file);\n"
        f"  - set {DATA_DIR_ENV}=FOLDER holding {_CAL_FILE};\n"
        "  - run once with internet so that scikit-learn downloads and caches it "
        "(sklearn.datasets.fetch_california_housing)."
    )


def load_california_housing(
    *,
    data_dir: str | os.PathLike[str] | None = None,
    n_train: int | None = None,
    n_test: int | None = None,
    seed: int = 42,
    scale: bool = True,
) -> Dataset:
    """California housing: 8 float32 features, target in units of $100,000.

    ``n_train`` takes a random subset of the training part (quick runs); the validation and
    test parts stay whole unless ``n_test`` is given.

    Examples:
        >>> d = load_california_housing(n_train=500)
        >>> d.X_train.shape, d.X_valid.shape, d.X_test.shape
        ((500, 8), (3870, 8), (5160, 8))
    """
    _check_seed(seed)
    _check_size("n_train", n_train, 11610)
    _check_size("n_test", n_test, 5160)
    X, y, source = _california_raw(data_dir)
    X_full, X_test, y_full, y_test = train_test_split(X, y, test_size=0.25, random_state=seed)
    X_train, X_valid, y_train, y_valid = train_test_split(
        X_full, y_full, test_size=0.25, random_state=seed + 1
    )
    X_train, y_train = _subset(X_train, y_train, n_train, seed, stratify=False)
    X_test, y_test = _subset(X_test, y_test, n_test, seed, stratify=False)
    if scale:
        scaler = StandardScaler().fit(X_train)
        X_train, X_valid, X_test = (scaler.transform(a) for a in (X_train, X_valid, X_test))
    f32 = _float32
    return Dataset(
        name="california",
        task="regression",
        X_train=f32(X_train),
        y_train=f32(y_train),
        X_valid=f32(X_valid),
        y_valid=f32(y_valid),
        X_test=f32(X_test),
        y_test=f32(y_test),
        feature_names=CALIFORNIA_FEATURES,
        source=source,
        info={"seed": seed, "scaled": scale, "target_unit": "100,000 USD"},
    )


# --------------------------------------------------------------------------------------
# Fashion-MNIST
# --------------------------------------------------------------------------------------
def _read_idx(path: Path, kind: Literal["images", "labels"], count: int) -> np.ndarray:
    """Read one of Zalando's gzipped IDX files, as ``keras.datasets.fashion_mnist`` does."""
    offset, magic = (16, 2051) if kind == "images" else (8, 2049)
    try:
        with gzip.open(path, "rb") as fh:
            data = fh.read()
    except (OSError, EOFError) as exc:
        raise DatasetError(
            f"{path}: cannot read as a gzip file ({exc}); replace it with an intact copy "
            "(e.g. reinstall the Debian package dataset-fashion-mnist)."
        ) from exc
    header = int.from_bytes(data[:4], "big") if len(data) >= 4 else -1
    expected = offset + count * (784 if kind == "images" else 1)
    if header != magic or len(data) != expected:
        raise DatasetError(
            f"{path}: not a Fashion-MNIST {kind} file of {count} items (IDX magic {header}, "
            f"{len(data)} bytes, expected magic {magic} and {expected} bytes); replace it with "
            "an intact copy."
        )
    array = np.frombuffer(data, dtype=np.uint8, offset=offset)
    return array.reshape(count, 28, 28) if kind == "images" else array


def _fashion_from_dir(folder: Path) -> tuple[np.ndarray, ...] | None:
    paths = {key: folder / name for key, name in _FASHION_FILES.items()}
    if not all(p.is_file() for p in paths.values()):
        return None
    return (
        _read_idx(paths["x_train"], "images", 60000),
        _read_idx(paths["y_train"], "labels", 60000),
        _read_idx(paths["x_test"], "images", 10000),
        _read_idx(paths["y_test"], "labels", 10000),
    )


def _fashion_raw(data_dir: str | os.PathLike[str] | None) -> tuple[tuple[np.ndarray, ...], str]:
    tried: list[str] = []
    candidates = [(label, folder / "fashion-mnist") for label, folder in _data_dirs(data_dir)]
    candidates.append(("Debian package dataset-fashion-mnist", DEBIAN_FASHION_DIR))
    for label, folder in candidates:
        arrays = _fashion_from_dir(folder)
        if arrays is not None:
            return arrays, str(folder)
        tried.append(f"{label}: {folder} (files not found)")
    try:
        import keras

        (x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
        return (x_train, y_train, x_test, y_test), "keras.datasets.fashion_mnist.load_data"
    except Exception as exc:  # offline: URLError, HTTPError, OSError...
        tried.append(f"keras.datasets.fashion_mnist.load_data(): {type(exc).__name__}: {exc}")
    names = ", ".join(_FASHION_FILES.values())
    raise DatasetError(
        "Fashion-MNIST is not available. Tried:\n  - "
        + "\n  - ".join(tried)
        + "\nSupply it in one of these ways:\n"
        f"  - pass data_dir=FOLDER holding fashion-mnist/ with {names};\n"
        f"  - set {DATA_DIR_ENV}=FOLDER holding fashion-mnist/ with those files;\n"
        "  - apt-get install dataset-fashion-mnist (Debian; files in "
        f"{DEBIAN_FASHION_DIR});\n"
        "  - run once with internet so that Keras downloads and caches it "
        "(keras.datasets.fashion_mnist.load_data, cache in ~/.keras/datasets)."
    )


def load_fashion_mnist(
    *,
    data_dir: str | os.PathLike[str] | None = None,
    n_train: int | None = None,
    n_valid: int = 5000,
    n_test: int | None = None,
    flatten: bool = False,
    seed: int = 42,
    scale: bool = True,
) -> Dataset:
    """Fashion-MNIST: float32 images 28x28 (or 784 with ``flatten=True``), labels 0-9.

    ``n_valid`` images are carved from the official 60,000 training images (stratified);
    ``n_train`` takes a stratified subset of the rest; the 10,000 test images stay whole
    unless ``n_test`` is given.

    Examples:
        >>> d = load_fashion_mnist(n_train=1000, flatten=True)
        >>> d.X_train.shape, d.X_valid.shape, d.X_test.shape
        ((1000, 784), (5000, 784), (10000, 784))
    """
    _check_seed(seed)
    _check_size("n_valid", n_valid, 30000)
    _check_size("n_train", n_train, 60000 - n_valid)
    _check_size("n_test", n_test, 10000)
    (x_all, y_all, x_test, y_test), source = _fashion_raw(data_dir)
    x_train, x_valid, y_train, y_valid = train_test_split(
        x_all, y_all, test_size=n_valid, random_state=seed, stratify=y_all
    )
    x_train, y_train = _subset(x_train, y_train, n_train, seed, stratify=True)
    x_test, y_test = _subset(x_test, y_test, n_test, seed, stratify=True)
    arrays = [a.astype(np.float32) for a in (x_train, x_valid, x_test)]
    if scale:
        scaler = StandardScaler().fit(arrays[0].reshape(-1, 1))
        arrays = [scaler.transform(a.reshape(-1, 1)).reshape(a.shape) for a in arrays]
    if flatten:
        arrays = [a.reshape(len(a), -1) for a in arrays]
    x_train, x_valid, x_test = (_float32(a) for a in arrays)
    return Dataset(
        name="fashion_mnist",
        task="classification",
        X_train=x_train,
        y_train=y_train.astype(np.int64),
        X_valid=x_valid,
        y_valid=y_valid.astype(np.int64),
        X_test=x_test,
        y_test=y_test.astype(np.int64),
        feature_names=tuple(f"pixel{i}" for i in range(784)),
        target_names=FASHION_CLASSES,
        source=source,
        info={"seed": seed, "scaled": scale, "flatten": flatten},
    )


def _float32(a: np.ndarray) -> np.ndarray:
    # Contiguous float32 once here, so that no trial copies or converts the data again.
    return np.ascontiguousarray(a, dtype=np.float32)


_LOADERS: dict[str, Callable[..., Dataset]] = {
    "california": load_california_housing,
    "fashion_mnist": load_fashion_mnist,
}


def load_dataset(name: str, **kwargs: object) -> Dataset:
    """Load a dataset by name: ``"california"`` or ``"fashion_mnist"``.

    Examples:
        >>> load_dataset("california", n_train=100).task
        'regression'
    """
    if name not in _LOADERS:
        raise ValueError(f"dataset: unknown name {name!r}; choose one of {sorted(_LOADERS)}.")
    return _LOADERS[name](**kwargs)


def available_datasets(data_dir: str | os.PathLike[str] | None = None) -> dict[str, str | None]:
    """Where each dataset would be loaded from offline, or ``None`` (would need a download).

    Only looks for files; nothing is parsed or downloaded.
    """
    found: dict[str, str | None] = {"california": None, "fashion_mnist": None}
    for _label, folder in _data_dirs(data_dir):
        if found["california"] is None and (folder / _CAL_FILE).is_file():
            found["california"] = str(folder / _CAL_FILE)
        fm = folder / "fashion-mnist"
        if found["fashion_mnist"] is None and all(
            (fm / n).is_file() for n in _FASHION_FILES.values()
        ):
            found["fashion_mnist"] = str(fm)
    if found["fashion_mnist"] is None and all(
        (DEBIAN_FASHION_DIR / n).is_file() for n in _FASHION_FILES.values()
    ):
        found["fashion_mnist"] = str(DEBIAN_FASHION_DIR)
    return found
