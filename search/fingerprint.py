"""What makes two searches' trials comparable, recorded in the ledger and checked on resume."""

from __future__ import annotations

import functools
import hashlib
import json
from typing import Any

import numpy as np

from search.objective import KerasObjective
from search.strategies import Strategy
from spaces import Space

__all__ = ["describe", "fingerprint", "short_hash"]

# Callback attributes that change what a fit does (their other attributes are fit state).
_CALLBACK_SETTINGS = ("monitor", "patience", "min_delta", "restore_best_weights", "mode")


def describe(value: Any) -> str:
    """A text that names ``value`` the same way in every process (no memory addresses)."""
    if isinstance(value, functools.partial):
        args = [describe(a) for a in value.args]
        kwargs = [f"{k}={describe(v)}" for k, v in sorted(value.keywords.items())]
        return f"partial({describe(value.func)}, {', '.join(args + kwargs)})"
    if callable(value) and hasattr(value, "__qualname__"):
        return f"{getattr(value, '__module__', '?')}.{value.__qualname__}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(describe(v) for v in value) + "]"
    if hasattr(value, "set_model") and hasattr(value, "on_epoch_end"):  # a Keras callback
        settings = {k: getattr(value, k) for k in _CALLBACK_SETTINGS if hasattr(value, k)}
        return f"{type(value).__name__}({json.dumps(settings, sort_keys=True, default=repr)})"
    if isinstance(value, (str, int, float, bool, type(None))):
        return repr(value)
    if isinstance(value, KerasObjective):
        return repr(value)  # its metric and direction
    return type(value).__name__  # an object without a stable text: its kind only


def _digest(*arrays: np.ndarray) -> str:
    h = hashlib.sha256()
    for array in arrays:
        array = np.ascontiguousarray(array)
        h.update(str((array.dtype, array.shape)).encode())
        h.update(array.tobytes())
    return h.hexdigest()[:16]


def short_hash(fields: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:10]


def fingerprint(
    X: Any,
    y: np.ndarray | None,
    splits: list[tuple[np.ndarray, np.ndarray]],
    scoring: Any,
    estimator: Any,
    space: Space,
    strategy: Strategy,
) -> dict[str, str]:
    """One text per thing a resumed ledger must share with this search.

    Examples:
        >>> from search.strategies import RandomStrategy
        >>> from spaces import Int
        >>> fp = fingerprint(np.zeros((4, 2)), np.zeros(4), [], "r2", None, Space(n=Int(1, 3)),
        ...                  RandomStrategy())
        >>> sorted(fp)
        ['data', 'scoring', 'space', 'splits', 'strategy', 'training']
    """
    out = {
        # Streamed data cannot be hashed without reading it all: its description instead.
        "data": X.describe() if hasattr(X, "describe") else _digest(np.asarray(X), np.asarray(y)),
        "splits": _digest(*[np.asarray(part) for split in splits for part in split]),
        "scoring": describe(scoring),
        "space": repr(space),
        "strategy": f"{strategy.name} {json.dumps(strategy.get_config(), sort_keys=True)}",
    }
    training: dict[str, str] = {}
    if estimator is not None and hasattr(estimator, "get_params"):
        for name, value in sorted(estimator.get_params(deep=False).items()):
            if name not in space:
                training[name] = describe(value)
    out["training"] = json.dumps(training, sort_keys=True)
    return out
