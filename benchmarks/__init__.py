"""Benchmarks: offline-aware dataset loaders and the strategy comparison harness."""

import models  # noqa: F401  (first: sets TensorFlow's log level before anything loads it)
from benchmarks.datasets import (
    Dataset,
    DatasetError,
    available_datasets,
    load_california_housing,
    load_dataset,
    load_fashion_mnist,
)

__all__ = [
    "Dataset",
    "DatasetError",
    "available_datasets",
    "load_california_housing",
    "load_dataset",
    "load_fashion_mnist",
]
