"""One search, as a fault scenario runs it: ``python tests/faults/_search_script.py CONFIG``.

``CONFIG`` is JSON: ``storage``, ``study``, ``n_trials``, ``epochs``, ``n_jobs``,
``backend``, ``build`` (``ok``; or, for candidates with ``units >= 5``: ``raise``,
``none``, ``uncompiled``, ``sleep``), ``data`` (``ok``, ``nan_x``, ``inf_y``) and
``kwargs`` for ``search()``. The last line printed is JSON: the trials' states and errors
and how many the ledger lacks, or ``{"error": ...}`` (exit status 2) when the search
refused to run or failed as a whole.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np

from search import search
from search.testing import TINY_SPACE, tiny_regressor

CONFIG: dict = {}  # set by main() from the command line


def build(units: int = 4, learning_rate: float = 0.01, meta: dict | None = None) -> object:
    mode = CONFIG.get("build", "ok") if units >= 5 else "ok"
    if mode == "raise":
        raise RuntimeError(f"build_model cannot build {units} units")
    if mode == "none":
        return None
    if mode == "sleep":
        time.sleep(3600)
    if mode == "uncompiled":
        import keras  # after search: hpsearch imports TensorFlow quietly

        n = 1 if meta is None else meta["n_features_in_"]
        return keras.Sequential([keras.Input((n,)), keras.layers.Dense(1)])
    return tiny_regressor(units=units, learning_rate=learning_rate, meta=meta)


def main() -> int:
    CONFIG.update(json.loads(sys.argv[1]))
    rng = np.random.default_rng(0)
    X = rng.normal(size=(CONFIG.get("rows", 300), 3)).astype("float32")
    y = X.sum(axis=1)
    if CONFIG.get("data") == "nan_x":
        X[7, 1] = np.nan
    if CONFIG.get("data") == "inf_y":
        y[3] = np.inf
    start = time.perf_counter()
    try:
        result = search(
            "random",
            TINY_SPACE,
            build,
            X,
            y,
            n_trials=CONFIG.get("n_trials", 6),
            cv=2,
            epochs=CONFIG.get("epochs", 30),
            n_jobs=CONFIG.get("n_jobs", 1),
            backend=CONFIG.get("backend", "processes"),
            storage=CONFIG.get("storage"),
            study_name=CONFIG.get("study", "faults"),
            progress=False,
            refit=False,
            **CONFIG.get("kwargs", {}),
        )
    except Exception as exc:
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}), flush=True)
        return 2
    trials = result.search_.records_
    print(
        json.dumps(
            {
                "states": [t.state for t in trials],
                "errors": [t.error for t in trials if t.error],
                "missing": int(result.search_.ledger_missing_),
                "seconds": round(time.perf_counter() - start, 1),
            }
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
