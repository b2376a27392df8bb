"""The seed course's search recipe, as a user writes it, for every benchmark that compares.

The course (``../shared/seed``): a plain scikeras wrapper around its model, the
distribution below, ``RandomizedSearchCV(n_iter=10, cv=3)`` and
``fit(X_train, y_train, epochs=100, validation_data=(X_valid, y_valid),
callbacks=[EarlyStopping(patience=5, min_delta=1e-2)])``. scikeras hands ``fit``'s extra
arguments to no one (they would have to be ``fit__callbacks``), so every fit trains all its
epochs, as the course's does. The course searches California only; for Fashion-MNIST the
same recipe runs over its classifier (``models.classifier_mlp`` with SGD).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import keras
from scikeras.wrappers import KerasClassifier, KerasRegressor
from scipy.stats import reciprocal
from sklearn.model_selection import RandomizedSearchCV

from benchmarks.datasets import Dataset

__all__ = [
    "COURSE_EPOCHS",
    "COURSE_N_ITER",
    "CourseRun",
    "course_distribution",
    "run_course_recipe",
]

#: What the course's California search writes: ``epochs=100`` per fit, ``n_iter=10``.
COURSE_EPOCHS = 100
COURSE_N_ITER = 10


def course_distribution() -> dict[str, Any]:
    """The course's ``param_distribution`` (fresh frozen distributions each call)."""
    return {
        "hidden_layers": [1, 2, 3, 4],
        # The course writes np.arange(1, 100); Keras 3 rejects numpy ints as layer sizes,
        # so the one change to the recipe is plain Python ints.
        "layer_size": list(range(1, 100)),
        "learning_rate": reciprocal(1e-4, 1e-2),
    }


@dataclass
class CourseRun:
    """A fitted course recipe and its wall time (seconds, the whole ``fit``)."""

    search_cv: RandomizedSearchCV
    wall: float


def run_course_recipe(
    data: Dataset,
    build_model: Callable[..., keras.Model],
    *,
    epochs: int,
    seed: int,
    n_iter: int = COURSE_N_ITER,
    n_jobs: int | None = None,
) -> CourseRun:
    """Fit the course's recipe on ``data.X_train`` (``random_state=seed``), as written.

    The wrapper starts from the course's values (1 layer of 30, learning rate 3e-3) and
    scores with its own default (R^2 / accuracy), as the course's does.
    """
    wrapper = KerasRegressor if data.task == "regression" else KerasClassifier
    model = wrapper(
        model=build_model, hidden_layers=1, layer_size=30, learning_rate=3e-3, verbose=0
    )
    search_cv = RandomizedSearchCV(
        model, course_distribution(), n_iter=n_iter, cv=3, n_jobs=n_jobs, random_state=seed
    )
    callbacks = [keras.callbacks.EarlyStopping(patience=5, min_delta=1e-2)]
    start = time.perf_counter()
    search_cv.fit(
        data.X_train,
        data.y_train,
        epochs=epochs,
        validation_data=(data.X_valid, data.y_valid),
        callbacks=callbacks,
    )
    return CourseRun(search_cv, time.perf_counter() - start)
