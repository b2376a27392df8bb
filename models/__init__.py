"""Keras models of the seed course and the scikeras estimators a search trains.

Examples:
    >>> from models import make_estimator, regression_mlp
    >>> est = make_estimator(regression_mlp, "regression", epochs=10)
"""

# First, before anything imports Keras: importing it imports TensorFlow without its start-up
# lines (CUDA probes, CPU instructions, absl's preamble; HPSEARCH_VERBOSE=1 shows them).
import models._quiet_import  # noqa: F401
from models._estimators import (
    HPKerasClassifier,
    HPKerasRegressor,
    RelativeEarlyStopping,
    TrainingDivergedError,
    check_losses,
    checked_model,
    has_early_stopping,
    held_back,
    make_estimator,
    search_process,
    stopping_from,
    trial_session,
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
from models.ensemble import average_model, keras_model

__all__ = [
    "FeatureSlice",
    "HPKerasClassifier",
    "HPKerasRegressor",
    "RelativeEarlyStopping",
    "TrainingDivergedError",
    "average_model",
    "check_losses",
    "checked_model",
    "classifier_mlp",
    "deep_mlp",
    "has_early_stopping",
    "held_back",
    "keras_model",
    "make_estimator",
    "pack_model",
    "per_layer_classifier",
    "per_layer_regressor",
    "regression_mlp",
    "search_process",
    "stopping_from",
    "trial_session",
    "unpack_model",
    "wide_deep",
    "without_early_stopping",
]
