import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

from benchmarks.datasets import (
    DATA_DIR_ENV,
    DEBIAN_FASHION_DIR,
    DatasetError,
    available_datasets,
    load_california_housing,
    load_dataset,
    load_fashion_mnist,
)

FASHION_FILES = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
]


def _fashion_dir() -> Path:
    if not all((DEBIAN_FASHION_DIR / f).is_file() for f in FASHION_FILES):
        pytest.skip("Fashion-MNIST not installed: apt-get install dataset-fashion-mnist")
    return DEBIAN_FASHION_DIR


def test_california_real_file_matches_scikit_learn_derivation(data_dir: Path) -> None:
    from benchmarks.datasets import _parse_cal_housing

    X, y = _parse_cal_housing(data_dir / "california_housing" / "cal_housing.data")
    expected = [
        3.870671,
        28.639486,
        5.429000,
        1.096675,
        1425.476744,
        3.070655,
        35.631861,
        -119.569704,
    ]
    np.testing.assert_allclose(X.mean(axis=0), expected, rtol=1e-6)
    assert y.mean() == pytest.approx(2.068558, rel=1e-6)


def test_california_splits_scaling_and_types(data_dir: Path) -> None:
    d = load_california_housing(data_dir=data_dir)
    assert (len(d.X_train), len(d.X_valid), len(d.X_test)) == (11610, 3870, 5160)
    assert d.task == "regression" and d.X_train.dtype == np.float32
    assert d.feature_names[0] == "MedInc" and d.X_train.shape[1] == 8
    np.testing.assert_allclose(d.X_train.mean(axis=0), 0, atol=1e-4)
    np.testing.assert_allclose(d.X_train.std(axis=0), 1, atol=1e-3)
    assert abs(d.X_test.mean()) < 0.1  # scaled with the training statistics, not its own
    again = load_california_housing(data_dir=data_dir)
    np.testing.assert_array_equal(d.X_test, again.X_test)
    other = load_california_housing(data_dir=data_dir, seed=1)
    assert not np.array_equal(d.y_test, other.y_test)


def test_california_subset_and_env_variable(data_dir: Path, monkeypatch) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(data_dir))
    d = load_california_housing(n_train=300, n_test=100)
    assert (len(d.X_train), len(d.X_valid), len(d.X_test)) == (300, 3870, 100)
    assert load_dataset("california", n_train=50).X_train.shape == (50, 8)


def test_california_corrupt_file_names_the_file(tmp_path: Path, data_dir: Path) -> None:
    target = tmp_path / "california_housing"
    target.mkdir()
    lines = (data_dir / "california_housing" / "cal_housing.data").read_text().splitlines()
    (target / "cal_housing.data").write_text("\n".join(lines[:100]))
    with pytest.raises(DatasetError, match=r"cal_housing.data: expected 20640 rows"):
        load_california_housing(data_dir=tmp_path)
    (target / "cal_housing.data").write_text("1,2,3\nnot,a,number\n")
    with pytest.raises(DatasetError, match=r"cal_housing.data: cannot parse"):
        load_california_housing(data_dir=tmp_path)


def test_no_source_lists_every_way_to_supply_the_data(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))

    def offline(*args, **kwargs):
        raise OSError("no internet")

    monkeypatch.setattr("sklearn.datasets.fetch_california_housing", offline)
    with pytest.raises(DatasetError) as err:
        load_california_housing()
    text = str(err.value)
    for way in ("data_dir=", DATA_DIR_ENV, "fetch_california_housing", "OSError: no internet"):
        assert way in text


def test_fashion_no_source_message(tmp_path: Path, monkeypatch) -> None:
    import keras

    monkeypatch.setattr("benchmarks.datasets.DEBIAN_FASHION_DIR", tmp_path / "none")
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)

    def offline():
        raise OSError("no internet")

    monkeypatch.setattr(keras.datasets.fashion_mnist, "load_data", offline)
    with pytest.raises(DatasetError) as err:
        load_fashion_mnist()
    for way in ("data_dir=", DATA_DIR_ENV, "apt-get install dataset-fashion-mnist", "load_data"):
        assert way in str(err.value)


def test_fashion_real_files() -> None:
    _fashion_dir()
    d = load_fashion_mnist(n_train=2000)
    assert d.X_train.shape == (2000, 28, 28) and d.X_valid.shape == (5000, 28, 28)
    assert d.X_test.shape == (10000, 28, 28)
    assert d.task == "classification" and len(d.target_names) == 10
    assert np.bincount(d.y_train).tolist() == [200] * 10  # stratified subset
    assert np.bincount(d.y_valid).tolist() == [500] * 10
    assert abs(float(d.X_train.mean())) < 0.05 and abs(float(d.X_train.std()) - 1) < 0.05
    full = load_fashion_mnist(flatten=True)
    assert len(full.X_train) + len(full.X_valid) == 60000 and full.X_train.shape[1] == 784


def test_fashion_truncated_file_names_the_file(tmp_path: Path) -> None:
    src = _fashion_dir()
    folder = tmp_path / "fashion-mnist"
    folder.mkdir()
    for name in FASHION_FILES:
        shutil.copy(src / name, folder / name)
    with gzip.open(folder / "t10k-labels-idx1-ubyte.gz", "wb") as fh:
        fh.write(b"\x00\x00\x08\x01" + b"\x00" * 100)
    with pytest.raises(DatasetError, match="t10k-labels-idx1-ubyte.gz: not a Fashion-MNIST labels"):
        load_fashion_mnist(data_dir=tmp_path)
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(b"garbage")
    with pytest.raises(DatasetError, match="t10k-labels-idx1-ubyte.gz: cannot read as a gzip"):
        load_fashion_mnist(data_dir=tmp_path)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [({"n_train": 0}, ValueError), ({"n_train": 2.5}, TypeError), ({"seed": -1}, ValueError)],
)
def test_bad_arguments(kwargs, error, data_dir: Path) -> None:
    with pytest.raises(error):
        load_california_housing(data_dir=data_dir, **kwargs)


def test_unknown_dataset_and_missing_folder() -> None:
    with pytest.raises(ValueError, match="unknown name 'mnist'"):
        load_dataset("mnist")
    with pytest.raises(DatasetError, match="is not a folder"):
        load_california_housing(data_dir="/nonexistent/folder")


def test_available_datasets_reports_sources(data_dir: Path) -> None:
    found = available_datasets(data_dir)
    assert found["california"] is not None and found["california"].endswith("cal_housing.data")
