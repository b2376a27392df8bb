import keras
import numpy as np
import pytest

from models import classifier_mlp, deep_mlp, make_estimator, regression_mlp, wide_deep


@pytest.fixture
def xy_reg():
    rng = np.random.default_rng(0)
    return rng.normal(size=(40, 8)).astype("float32"), rng.normal(size=40).astype("float32")


@pytest.fixture
def xy_img():
    rng = np.random.default_rng(0)
    return rng.normal(size=(40, 28, 28)).astype("float32"), np.arange(40) % 10


@pytest.mark.parametrize(
    ("build", "params"),
    [
        (regression_mlp, {"hidden_layers": 2, "layer_size": 7, "learning_rate": 1e-3}),
        (wide_deep, {"hidden_layers": 1, "layer_size": 5}),
    ],
)
def test_regressors_train_one_epoch_and_predict(build, params, xy_reg) -> None:
    X, y = xy_reg
    est = make_estimator(build, "regression", epochs=1, early_stopping=False, **params)
    est.fit(X, y)
    assert est.predict(X[:5]).shape == (5,)
    assert len(est.history_["loss"]) == 1


@pytest.mark.parametrize(
    ("build", "params"),
    [
        (classifier_mlp, {"hidden_layers": 2, "layer_size": 16}),
        (
            deep_mlp,
            {"hidden_layers": 3, "layer_size": 8, "batch_norm": "before", "dropout": "dropout"},
        ),
        (deep_mlp, {"hidden_layers": 3, "layer_size": 8, "batch_norm": "after"}),
        (deep_mlp, {"hidden_layers": 2, "layer_size": 8, "activation": "selu", "dropout": "alpha"}),
    ],
)
def test_classifiers_train_one_epoch_on_images_and_predict(build, params, xy_img) -> None:
    X, y = xy_img
    est = make_estimator(build, "classification", epochs=1, early_stopping=False, **params)
    est.fit(X, y)
    assert est.predict(X[:6]).shape == (6,)
    assert est.predict_proba(X[:6]).shape == (6, 10)


def test_deep_mlp_layers_follow_the_options() -> None:
    def kinds(model):
        return [type(layer).__name__ for layer in model.layers]

    before = kinds(deep_mlp(2, 8, batch_norm="before", input_shape=(4,), n_classes=3))
    assert before == ["Flatten", "Dense", "BatchNormalization", "Activation"] * 1 + [
        "Dense",
        "BatchNormalization",
        "Activation",
        "Dense",
    ]
    after = kinds(
        deep_mlp(
            1,
            8,
            batch_norm="after",
            dropout="alpha",
            dropout_rate=0.2,
            activation="selu",
            input_shape=(4,),
            n_classes=3,
        )
    )
    assert after == ["Flatten", "Dense", "BatchNormalization", "AlphaDropout", "Dense"]
    plain = kinds(deep_mlp(1, 8, dropout="dropout", input_shape=(4,), n_classes=3))
    assert plain == ["Flatten", "Dense", "Dropout", "Dense"]


def test_wide_deep_uses_two_inputs_concatenated() -> None:
    model = wide_deep(input_shape=(8,), hidden_layers=2, layer_size=6)
    names = [layer.name for layer in model.layers]
    assert "wide_input" in names and "deep_input" in names
    assert any(isinstance(layer, keras.layers.Concatenate) for layer in model.layers)
    concat = next(layer for layer in model.layers if isinstance(layer, keras.layers.Concatenate))
    assert concat.output.shape[-1] == 5 + 6  # 5 wide features + the last deep layer


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: regression_mlp(hidden_layers=np.int64(2), input_shape=(3,)), "Python int"),
        (lambda: regression_mlp(hidden_layers=0, input_shape=(3,)), "hidden_layers must be"),
        (lambda: regression_mlp(learning_rate=-1.0, input_shape=(3,)), "learning_rate must be"),
        (lambda: regression_mlp(activation="nope", input_shape=(3,)), "activation must be one of"),
        (lambda: regression_mlp(), "input shape is unknown"),
        (lambda: deep_mlp(input_shape=(3,)), "number of classes is unknown"),
        (lambda: deep_mlp(batch_norm="middle", input_shape=(3,), n_classes=2), "batch_norm"),
        (lambda: deep_mlp(dropout_rate=1.5, input_shape=(3,), n_classes=2), "dropout_rate"),
        (lambda: wide_deep(wide_features=9, input_shape=(8,)), "must select columns"),
    ],
)
def test_builders_reject_bad_arguments(call, message) -> None:
    with pytest.raises(ValueError, match=message):
        call()
