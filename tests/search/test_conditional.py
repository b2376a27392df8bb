"""Conditional spaces through every strategy, the ledger, ``cv_results_`` and build_model."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from search import search
from search.strategies import NASStrategy
from spaces import Float, Int, Space, per_layer

SPACE = Space(
    layers=Int(1, 2),
    **per_layer("layers", 2, units=Int(2, 4)),
    learning_rate=Float(1e-3, 1e-1, log=True),
)


def layered(layers=1, units_1=2, units_2=None, learning_rate=0.01, meta=None):
    """Fails its trial if an inactive parameter reaches it with a value."""
    if layers == 1 and units_2 is not None:
        raise ValueError(f"inactive units_2 reached build_model as {units_2!r}")
    model = keras.Sequential([keras.Input((meta["n_features_in_"],))])
    for units in [units_1, units_2][:layers]:
        model.add(keras.layers.Dense(units, "relu"))
    model.add(keras.layers.Dense(1))
    model.compile(loss="mse", optimizer=keras.optimizers.SGD(learning_rate))
    return model


STRATEGIES = {
    "grid": lambda: "grid",
    "random": lambda: "random",
    "genetic": lambda: "genetic",
    "tpe": lambda: "tpe",
    "hyperband": lambda: "hyperband",
    "asha": lambda: "asha",
    "nas": lambda: NASStrategy(buckets={"learning_rate": 3}),
}


# random and tpe in the default suite; the other five in the slow tier (CI runs both).
@pytest.mark.parametrize(
    "name",
    [n if n in ("random", "tpe") else pytest.param(n, marks=pytest.mark.slow) for n in STRATEGIES],
)
def test_conditional_space_round_trips_through_strategy_and_ledger(name, reg_data, tmp_path):
    X, y = reg_data
    n = SPACE.grid_size(2) if name == "grid" else 6  # 4 one-layer + 8 two-layer points
    storage = f"sqlite:///{tmp_path / 'ledger.db'}"
    kw = {"cv": 2, "epochs": 3, "progress": False, "storage": storage, "study_name": "s"}
    first = search(STRATEGIES[name](), SPACE, layered, X, y, n_trials=n, **kw)
    trials = first.trials_
    assert len(trials) == n and (trials["status"] == "complete").all(), trials["error"]
    for params in trials["params"]:
        assert list(params) == SPACE.active_names(params)  # only active parameters
    one_layer = [p["layers"] == 1 for p in trials["params"]]
    assert any(one_layer) or name == "nas"
    masked = first.cv_results_["param_units_2"].mask
    assert list(masked) == one_layer
    # The ledger stores exactly those parameters and gives them back on resume.
    again = search(STRATEGIES[name](), SPACE, layered, X, y, n_trials=n, **kw)
    assert again.trials_["resumed"].all()
    assert list(again.trials_["params"]) == list(trials["params"])
    best = first.best_params_
    assert first.best_estimator_.predict(X[:2]).shape == (2,)
    assert list(best) == SPACE.active_names(best)


def test_a_grid_over_a_conditional_space_has_no_duplicate_candidates() -> None:
    points = SPACE.grid_points(2)
    assert len(points) == 2 * 2 + 2 * 2 * 2 == 12
    assert len({repr(sorted(p.items())) for p in points}) == 12


def test_a_conditional_parameter_build_model_does_not_take_is_refused(reg_data) -> None:
    X, y = reg_data

    def no_units_2(layers=1, units_1=2, learning_rate=0.01, meta=None):
        return layered(layers, units_1, None, learning_rate, meta)

    with pytest.raises(ValueError, match="does not accept the space parameters \\['units_2'\\]"):
        search("random", SPACE, no_units_2, X, y, n_trials=2, cv=2, epochs=1, progress=False)
    assert np.isfinite(X).all()
