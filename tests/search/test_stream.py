"""Streamed data: tf.data, PyDataset and batch functions against a fixed validation set."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from search import load_result, search
from search.testing import TINY_SPACE, tiny_binary_classifier

SPACE = TINY_SPACE
RNG = np.random.default_rng(5)
X = RNG.normal(size=(160, 4)).astype(np.float32)
Y = (X[:, 0] - X[:, 2] > 0).astype(np.int32)
VALID = (X[120:], Y[120:])


def train_dataset() -> tf.data.Dataset:
    return tf.data.Dataset.from_tensor_slices((X[:120], Y[:120])).shuffle(120, seed=0).batch(32)


def train_batches():
    for start in range(0, 120, 40):
        yield X[start : start + 40], Y[start : start + 40]


class TrainSequence(keras.utils.PyDataset):
    def __len__(self) -> int:
        return 4

    def __getitem__(self, i: int):
        return X[i * 30 : (i + 1) * 30], Y[i * 30 : (i + 1) * 30]


FAST = {"n_trials": 3, "max_epochs_total": 20, "epochs": 3, "progress": False}


@pytest.mark.parametrize("n_jobs", [1, 2])
@pytest.mark.parametrize("strategy", ["random", "tpe", "hyperband"])
def test_a_tf_data_pipeline_with_validation_data(strategy, n_jobs):
    result = search(
        strategy, SPACE, tiny_binary_classifier, train_dataset(), validation_data=VALID,
        n_jobs=n_jobs, objective="val_accuracy", **FAST,
    )  # fmt: skip
    trials = result.trials_
    assert (trials["status"] == "complete").sum() >= 2, trials["error"].tolist()
    assert result.settings["cv"] == "validation_data (streamed)"
    # The score is Keras's accuracy on the validation set, of the model it returns.
    model = result.best_model_
    logged = model.evaluate(*VALID, verbose=0, return_dict=True)
    assert result.best_score_ == pytest.approx(logged["accuracy"], abs=1e-6)
    assert all(len(r.curve[0]) >= 1 for r in result.search_.records_ if r.complete)


def test_val_loss_is_the_default_objective_and_is_minimised():
    result = search(
        "random", SPACE, tiny_binary_classifier, train_dataset(), validation_data=VALID, **FAST
    )
    assert result.settings["objective"] == "KerasObjective('val_loss', direction='min')"
    assert (result.trials_["score"] < 0).all()
    loss = result.best_model_.evaluate(*VALID, verbose=0, return_dict=True)["loss"]
    assert result.best_score_ == pytest.approx(-loss, rel=1e-5)


@pytest.mark.parametrize(
    "train",
    [train_dataset, train_batches, TrainSequence()],
    ids=["dataset-function", "generator-function", "pydataset"],
)
def test_streams_reach_worker_processes(train):
    valid = lambda: tf.data.Dataset.from_tensor_slices(VALID).batch(20)  # noqa: E731
    result = search(
        "random", SPACE, tiny_binary_classifier, train, validation_data=valid, n_trials=2, epochs=2,
        n_jobs=2, progress=False, keep_models=2,
    )  # fmt: skip
    assert (result.trials_["status"] == "complete").all(), result.trials_["error"].tolist()
    # A generator function is read again each epoch: every trial trained both epochs.
    assert [r.fold_epochs for r in result.search_.records_] == [[2], [2]]
    assert len(result.top_models(2)) == 2


def test_a_streamed_result_saves_and_loads(tmp_path):
    result = search(
        "random", SPACE, tiny_binary_classifier, train_dataset(), validation_data=VALID,
        task="classification", **FAST,
    )  # fmt: skip
    loaded = load_result(result.save(tmp_path / "run"))
    np.testing.assert_allclose(
        loaded.best_model_.predict(X[:10], verbose=0), result.best_model_.predict(X[:10], verbose=0)
    )
    assert result.search_.predict(X[:4]).shape == (4, 1)


def test_class_weight_goes_to_keras_with_a_stream(monkeypatch):
    calls = []
    original = keras.Model.fit

    def fit(self, *args, **kwargs):
        calls.append(kwargs)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "fit", fit)
    search(
        "random", SPACE, tiny_binary_classifier, train_dataset(), validation_data=VALID, n_trials=1,
        epochs=1, progress=False, fit_kwargs={"class_weight": {0: 1.0, 1: 4.0}},
    )  # fmt: skip
    assert calls and all(c["class_weight"] == {0: 1.0, 1: 4.0} for c in calls)


def generator_object():
    return train_batches()


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"y": Y}, ValueError, "pass y=None"),
        ({"cv": 3}, ValueError, "give a fixed validation set instead"),
        ({"validation_data": None}, ValueError, "needs a fixed validation set"),
        ({"X": train_batches()}, TypeError, "pass a function that returns a new generator"),
        ({"X": lambda n: n}, TypeError, "called with no arguments"),
        ({"X": lambda: [1, 2]}, TypeError, "returned list; it must return a tf.data.Dataset"),
        ({"scoring": "accuracy"}, ValueError, "scored by a metric Keras logs"),
        ({"sample_weight": np.ones(120)}, ValueError, "weights come in the batches"),
        ({"refit": "all"}, ValueError, "use refit='trial'"),
        ({"build_model": None}, ValueError, "streamed data needs your model"),
        ({"backend": "dask", "X": train_dataset()}, ValueError, "cannot reach Dask workers"),
    ],
)
def test_combinations_that_cannot_work_are_refused_before_training(kwargs, error, message):
    def never(units: int = 2, learning_rate: float = 0.01):
        raise AssertionError("no model may be built")

    args = {
        "strategy": "random",
        "space": SPACE,
        "build_model": never,
        "X": train_dataset,
        "validation_data": VALID,
        "n_trials": 1,
        "epochs": 1,
        "progress": False,
    }
    args.update(kwargs)
    with pytest.raises(error, match=message):
        search(**args)


def two_input_model(units: int = 4, learning_rate: float = 0.01, as_list: bool = False):
    wide = keras.Input((2,), name="wide")
    deep = keras.Input((2,), name="deep")
    hidden = keras.layers.Dense(units, activation="relu")(deep)
    out = keras.layers.Dense(1)(keras.layers.concatenate([wide, hidden]))
    model = keras.Model([wide, deep] if as_list else {"wide": wide, "deep": deep}, out)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse")
    return model


def two_input_list_model(units: int = 4, learning_rate: float = 0.01) -> keras.Model:
    return two_input_model(units, learning_rate, as_list=True)


@pytest.mark.parametrize("as_list", [False, True], ids=["dict", "list"])
def test_a_multi_input_model_takes_a_dict_or_list_of_arrays(as_list):
    def inputs(rows):
        parts = {"wide": X[rows, :2], "deep": X[rows, 2:]}
        return [parts["wide"], parts["deep"]] if as_list else parts

    target = X.sum(axis=1)
    train, valid = slice(0, 120), slice(120, None)
    build = two_input_list_model if as_list else two_input_model
    result = search(
        "tpe", SPACE, build, inputs(train), target[train], n_jobs=2,
        validation_data=(inputs(valid), target[valid]), **FAST,
    )  # fmt: skip
    assert (result.trials_["status"] == "complete").all(), result.trials_["error"].tolist()
    loss = result.best_model_.evaluate(inputs(valid), target[valid], verbose=0)
    assert result.best_score_ == pytest.approx(-loss, rel=1e-5)
    with pytest.raises(ValueError, match="not split into folds yet"):
        search("random", SPACE, build, inputs(train), target[train], cv=3)


def test_a_failing_build_or_a_missing_objective_fails_the_streamed_trial_with_its_reason():
    def broken(units: int = 2, learning_rate: float = 0.01):
        raise ValueError("boom: this candidate cannot be built")

    from search import AllTrialsFailedError

    with pytest.raises(AllTrialsFailedError, match="ValueError: boom"):
        search("random", SPACE, broken, train_dataset(), validation_data=VALID, n_trials=1,
               epochs=1, progress=False)  # fmt: skip
    with pytest.raises(AllTrialsFailedError, match="'val_mae' is not logged by this model"):
        search("random", SPACE, tiny_binary_classifier, train_dataset(), validation_data=VALID,
               n_trials=1, epochs=1, progress=False, objective="val_mae")  # fmt: skip
