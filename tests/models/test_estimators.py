import keras
import numpy as np
import pytest
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.model_selection import GridSearchCV, StratifiedKFold, check_cv

from models import (
    HPKerasClassifier,
    HPKerasRegressor,
    TrainingDivergedError,
    classifier_mlp,
    make_estimator,
    regression_mlp,
    stopping_from,
)
from tests.conftest import tiny_classifier, tiny_regressor


def test_tags_report_the_estimator_type() -> None:
    reg = make_estimator(regression_mlp, "regression")
    clf = make_estimator(classifier_mlp, "classification")
    assert is_regressor(reg) and not is_classifier(reg)
    assert is_classifier(clf) and not is_regressor(clf)
    assert is_classifier(clone(clf)) and is_regressor(clone(reg))


def test_cv_int_stratifies_for_our_classifier() -> None:
    clf = make_estimator(classifier_mlp, "classification")
    y = np.array([0] * 30 + [1] * 6)
    assert isinstance(check_cv(3, y, classifier=is_classifier(clf)), StratifiedKFold)


def test_grid_search_cv_three_stratifies(clf_data) -> None:
    X, y = clf_data
    est = make_estimator(tiny_classifier, "classification", epochs=1, early_stopping=False, units=3)

    class Recorder(HPKerasClassifier):
        seen: list = []

        def fit(self, X, y, **kw):
            Recorder.seen.append(np.bincount(y, minlength=3) / len(y))
            return super().fit(X, y, **kw)

    rec = Recorder(tiny_classifier, **{k: v for k, v in est.get_params().items() if k != "model"})
    GridSearchCV(rec, {"units": [3]}, cv=3, refit=False).fit(X, y)
    overall = np.bincount(y, minlength=3) / len(y)
    assert len(Recorder.seen) == 3
    for share in Recorder.seen:
        np.testing.assert_allclose(share, overall, atol=0.03)


def test_early_stopping_really_stops_when_validation_loss_stalls() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4)).astype("float32")
    y = rng.normal(size=200).astype("float32")  # pure noise: nothing to learn
    est = make_estimator(
        tiny_regressor,
        "regression",
        epochs=60,
        patience=2,
        min_delta=1e-2,
        units=4,
        learning_rate=0.05,
    )
    est.fit(X, y)
    assert len(est.history_["loss"]) < 60
    assert "val_loss" in est.history_


def test_without_early_stopping_every_epoch_runs(reg_data) -> None:
    X, y = reg_data
    est = make_estimator(tiny_regressor, "regression", epochs=4, early_stopping=False, units=2)
    est.fit(X, y)
    assert len(est.history_["loss"]) == 4


def test_stopping_from_keeps_the_stopper_from_stopping_or_keeping_weights_before_it(
    reg_data,
) -> None:
    X, y = reg_data
    est = make_estimator(tiny_regressor, "regression", epochs=8, seed=0, units=2,
                         learning_rate=1e-12, patience=1)  # fmt: skip
    # A learning rate of 1e-12 never improves: early stopping stops after its patience, at
    # epoch 2, unless it watches nothing before epoch 6 (then it stops at epoch 7).
    assert len(est.fit(X, y).history_["loss"]) == 2
    assert len(stopping_from(est, 6).fit(X, y).history_["loss"]) == 7
    # The estimator it came from is unchanged.
    assert [c.start_from_epoch for c in est.callbacks if hasattr(c, "start_from_epoch")] == [0]


def test_divergence_raises_a_named_error(reg_data) -> None:
    X, y = reg_data
    est = make_estimator(tiny_regressor, "regression", epochs=3, units=4, mode="diverge")
    with pytest.raises(TrainingDivergedError, match="diverged"):
        est.fit(X, y)


def test_seeded_fits_repeat_exactly_and_leave_global_state_alone(reg_data) -> None:
    import random

    X, y = reg_data
    state = random.getstate()
    np_state = np.random.get_state()[1].copy()
    preds = []
    for _ in range(2):
        est = make_estimator(
            tiny_regressor, "regression", epochs=2, early_stopping=False, seed=5, units=3
        )
        preds.append(est.fit(X, y).predict(X[:5]))
    np.testing.assert_allclose(preds[0], preds[1])
    assert random.getstate() == state
    np.testing.assert_array_equal(np.random.get_state()[1], np_state)


def test_steps_per_execution_is_applied(reg_data) -> None:
    X, y = reg_data
    est = make_estimator(tiny_regressor, "regression", epochs=1, steps_per_execution=8, units=2)
    est.fit(X, y)
    assert est.model_.steps_per_execution == 8


def test_model_checkpoint_option_writes_a_file(reg_data, tmp_path) -> None:
    X, y = reg_data
    path = tmp_path / "best.keras"
    make_estimator(tiny_regressor, "regression", epochs=2, checkpoint_path=str(path), units=2).fit(
        X, y
    )
    assert path.is_file()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"epochs": 0}, "epochs must be an int >= 1"),
        ({"validation_split": 1.5}, "validation_split must be in"),
        ({"validation_split": 0.0}, "early_stopping=True needs validation_split > 0"),
        ({"task": "ranking"}, "task must be"),
        ({"min_delta": -1}, "min_delta"),
    ],
)
def test_make_estimator_rejects_bad_settings(kwargs, message) -> None:
    args = {"task": "regression", **kwargs}
    task = args.pop("task")
    with pytest.raises(ValueError, match=message):
        make_estimator(regression_mlp, task, **args)


def test_make_estimator_rejects_non_callbacks() -> None:
    with pytest.raises(TypeError, match="callbacks must be keras.callbacks.Callback"):
        make_estimator(regression_mlp, "regression", callbacks=["early"])


def test_regressor_class_is_exported() -> None:
    assert isinstance(make_estimator(regression_mlp, "regression"), HPKerasRegressor)


def test_tensorboard_option_without_the_package_says_how_to_get_it(monkeypatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    # The peers extra installs tensorboard: hide it, as on a machine without it.
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "tensorboard" else real(name, *a),
    )
    with pytest.raises(ValueError, match="pip install 'hpsearch\\[tensorboard\\]'"):
        make_estimator(regression_mlp, "regression", tensorboard_dir="/tmp/tb")


def test_default_early_stopping_is_relative_with_patience_10() -> None:
    from models import RelativeEarlyStopping

    est = make_estimator(regression_mlp, "regression")
    (stop,) = [cb for cb in est.callbacks if isinstance(cb, keras.callbacks.EarlyStopping)]
    assert type(stop) is RelativeEarlyStopping
    assert (stop.patience, stop.min_delta, stop.restore_best_weights) == (10, 1e-3, True)
    plain = make_estimator(regression_mlp, "regression", min_delta_mode="absolute")
    assert any(type(cb) is keras.callbacks.EarlyStopping for cb in plain.callbacks)
    with pytest.raises(ValueError, match="min_delta_mode must be 'relative'.*got 'percent'"):
        make_estimator(regression_mlp, "regression", min_delta_mode="percent")


def test_relative_early_stopping_stops_a_fit_that_improves_too_little() -> None:
    from models import RelativeEarlyStopping

    class Losses(keras.callbacks.Callback):
        """Feeds a scripted val_loss: improving by 0.02 % an epoch, 0.06 % over 3 epochs."""

        def on_epoch_end(self, epoch, logs=None):
            logs["val_loss"] = 100.0 * (1 - 0.0002) ** epoch

    X = np.zeros((8, 2), "float32")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(loss="mse", optimizer="sgd")
    stop = RelativeEarlyStopping(patience=3, min_delta=1e-3)
    history = model.fit(X, X[:, 0], epochs=20, verbose=0, callbacks=[Losses(), stop])
    assert len(history.history["loss"]) == 4  # the first epoch sets the best; 3 without gain
    keep = keras.callbacks.EarlyStopping(patience=3, min_delta=1e-3)
    history = model.fit(X, X[:, 0], epochs=20, verbose=0, callbacks=[Losses(), keep])
    assert len(history.history["loss"]) == 20  # absolute 1e-3 < 0.02 a loss of 100 gains


@pytest.mark.parametrize("task", ["regression", "classification"])
def test_eager_validation_reports_what_keras_validation_split_reports(
    task, reg_data, clf_data, monkeypatch
) -> None:
    # The same fit twice: validation run eagerly by us, then by Keras's own
    # validation_split (our split disabled). Training is identical; val_* agree to rounding.
    import models._estimators as estimators

    X, y = reg_data if task == "regression" else clf_data
    build = regression_mlp if task == "regression" else classifier_mlp
    est = make_estimator(
        build,
        task,
        epochs=4,
        early_stopping=False,
        validation_split=0.2,
        hidden_layers=1,
        layer_size=5,
        seed=3,
    )
    ours = clone(est).fit(X, y).history_
    monkeypatch.setattr(estimators, "_eager_split", lambda *a, **k: None)
    keras_own = clone(est).fit(X, y).history_
    assert sorted(ours) == sorted(keras_own)
    assert any(k.startswith("val_") and k != "val_loss" for k in ours) == (task != "regression")
    for key, values in keras_own.items():
        np.testing.assert_allclose(ours[key], values, rtol=1e-5, err_msg=key)


def test_eager_validation_leaves_validation_data_to_keras(reg_data) -> None:
    X, y = reg_data
    est = make_estimator(regression_mlp, "regression", epochs=2, early_stopping=False)
    est.fit(X[:60], y[:60], validation_data=(X[60:], y[60:]))
    assert len(est.history_["val_loss"]) == 2
    # Scored on the given rows, not on a split of the training rows.
    given = est.model_.evaluate(X[60:], y[60:], verbose=0)
    assert est.history_["val_loss"][-1] == pytest.approx(given, rel=1e-5)


@pytest.mark.parametrize("share", [False, True])
def test_a_classifier_fit_traces_its_training_step_once_with_the_same_numbers(
    share, clf_data, monkeypatch
) -> None:
    # Keras 3 builds the compiled metrics' variables inside the first trace, which makes
    # tf.function trace the whole step again; building them first saves that trace.
    from keras.src.backend.tensorflow import trainer

    import models._estimators as estimators

    traces = []
    step = trainer.TensorFlowTrainer.train_step

    def counted(self, data):
        traces.append(1)
        return step(self, data)

    monkeypatch.setattr(trainer.TensorFlowTrainer, "train_step", counted)
    X, y = clf_data
    est = make_estimator(
        classifier_mlp,
        "classification",
        epochs=3,
        early_stopping=False,
        hidden_layers=1,
        layer_size=5,
        optimizer="adam",
        steps_per_execution=4,
        seed=5,
    )

    def fit(estimator):
        traces.clear()
        if share:
            estimator.share_model_with(None)
        return estimator.fit(X, y).history_, len(traces)

    ours, our_traces = fit(clone(est))
    monkeypatch.setattr(estimators, "_build_training_state", lambda *a: None)
    keras_own, keras_traces = fit(clone(est))
    assert (our_traces, keras_traces) == (1, 2)
    assert sorted(ours) == sorted(keras_own) and "accuracy" in ours
    for key, values in keras_own.items():
        np.testing.assert_array_equal(ours[key], values, err_msg=key)


def test_building_the_training_state_first_is_skipped_for_other_inputs(clf_data) -> None:
    from models._estimators import _build_training_state

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    X, y = clf_data
    _build_training_state(model, [X], y)  # a list of inputs: left to Keras
    assert not model.optimizer.built
    _build_training_state(model, X, y)
    assert model.optimizer.built
    assert all(float(v) == 0.0 for m in model.metrics for v in m.variables)  # reset after


def test_without_early_stopping_trains_every_row_for_every_epoch() -> None:
    from models import has_early_stopping, without_early_stopping

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)).astype("float32"), rng.normal(size=40).astype("float32")
    stopping = make_estimator(regression_mlp, "regression", epochs=3, patience=0, hidden_layers=1)
    est = without_early_stopping(stopping)
    assert has_early_stopping(stopping) and not has_early_stopping(est)
    assert stopping.validation_split == 0.1  # a clone: the original is untouched
    est.fit(X, y)
    assert len(est.history_["loss"]) == 3 and "val_loss" not in est.history_
    # Other callbacks stay.
    assert any(isinstance(c, keras.callbacks.TerminateOnNaN) for c in est.callbacks)


@pytest.mark.parametrize(
    ("returned", "error", "says"),
    [("none", TypeError, "returned NoneType, not a keras.Model"), ("uncompiled", ValueError,
     "not compiled; call model.compile")],
)  # fmt: skip
def test_a_build_model_that_returns_no_compiled_model_is_named(returned, error, says) -> None:
    import numpy as np

    def build(meta=None):
        if returned == "none":
            return None
        return keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])

    X = np.zeros((8, 3), dtype="float32")
    with pytest.raises(error, match=says):
        make_estimator(build, "regression", epochs=1).fit(X, X.sum(1))
