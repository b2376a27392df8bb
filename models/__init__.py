"""Keras models of the seed course and the scikeras estimators a search trains.

>>> from models import make_estimator, regression_mlp
>>> est = make_estimator(regression_mlp, "regression", epochs=10)
"""

import os

# TensorFlow's C++ INFO lines (oneDNN, CUDA probes) drown a search's output; a user's
# own setting wins.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from models._estimators import (
    HPKerasClassifier,
    HPKerasRegressor,
    RelativeEarlyStopping,
    TrainingDivergedError,
    has_early_stopping,
    held_back,
    make_estimator,
    search_process,
    stopping_from,
    without_early_stopping,
)
from models._state import pack_model, unpack_model
from models.builders import (
    FeatureSlice,
    classifier_mlp,
    deep_mlp,
    per_layer_classifier,
    per_layer_regressor,
    regression_mlp,
    wide_deep,
)

__all__ = [
    "FeatureSlice",
    "HPKerasClassifier",
    "HPKerasRegressor",
    "RelativeEarlyStopping",
    "TrainingDivergedError",
    "classifier_mlp",
    "deep_mlp",
    "has_early_stopping",
    "held_back",
    "make_estimator",
    "pack_model",
    "per_layer_classifier",
    "per_layer_regressor",
    "regression_mlp",
    "search_process",
    "stopping_from",
    "unpack_model",
    "wide_deep",
    "without_early_stopping",
]
