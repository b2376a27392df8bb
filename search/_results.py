"""scikit-learn's ``cv_results_`` and the best trial, built from trials by one function."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.stats import rankdata

from search.trial import Trial

__all__ = ["best_index", "cv_results"]


def _padded(values: list[float], n: int) -> list[float]:
    return list(values[:n]) + [math.nan] * max(0, n - len(values))


def cv_results(trials: list[Trial], n_splits: int, names: list[str]) -> dict[str, Any]:
    """``cv_results_`` with scikit-learn's keys (``params``, ``param_*`` as masked arrays,
    ``split{k}_test_score``, ``mean_/std_/rank_test_score``, ``mean_/std_fit_time``,
    ``mean_/std_score_time``) plus ``state`` and ``epochs_trained``. A trial that is not
    complete has NaN scores and ranks after every complete one, as scikit-learn ranks
    failed fits.

    Examples:
        >>> t = Trial(0, "random", {"n": 2}, state="complete", fold_scores=[1.0, 3.0],
        ...           fold_fit_times=[0.5, 0.5], fold_score_times=[0.1, 0.1])
        >>> r = cv_results([t], 2, ["n"])
        >>> float(r["mean_test_score"][0]), int(r["rank_test_score"][0]), r["state"][0]
        (2.0, 1, 'complete')
    """
    results: dict[str, Any] = {"params": [dict(t.params) for t in trials]}
    for name in names:
        values = np.empty(len(trials), dtype=object)
        mask = np.ones(len(trials), dtype=bool)
        for i, t in enumerate(trials):
            if name in t.params:
                values[i], mask[i] = t.params[name], False
        results[f"param_{name}"] = np.ma.MaskedArray(values, mask=mask)
    folds = np.array(
        [_padded(t.fold_scores if t.complete else [], n_splits) for t in trials], dtype=float
    ).reshape(len(trials), n_splits)
    for k in range(n_splits):
        results[f"split{k}_test_score"] = folds[:, k]
    means = np.array([t.score for t in trials], dtype=float)
    results["mean_test_score"] = means
    results["std_test_score"] = np.array([t.score_std for t in trials], dtype=float)
    # Complete trials ranked by mean (1 = best); the rest share the rank after them.
    finite = np.isfinite(means)
    ranks = np.full(len(trials), int(finite.sum()) + 1, dtype=np.int32)
    if finite.any():
        ranks[finite] = rankdata(-means[finite], method="min").astype(np.int32)
    results["rank_test_score"] = ranks
    for kind in ("fit", "score"):
        times = [getattr(t, f"fold_{kind}_times") or [0.0] for t in trials]
        results[f"mean_{kind}_time"] = np.array([np.mean(x) for x in times], dtype=float)
        results[f"std_{kind}_time"] = np.array([np.std(x) for x in times], dtype=float)
    results["state"] = np.array([t.state for t in trials], dtype=object)
    results["epochs_trained"] = np.array([t.epochs_trained for t in trials], dtype=int)
    return results


def best_index(trials: list[Trial]) -> int | None:
    """The index of the best complete trial (the first of equals), or None.

    With multi-fidelity trials only those of the largest fidelity any complete trial
    reached compete (as scikit-learn's halving search takes ``best_`` from its last
    iteration): a 1-epoch score is never compared with a full one.

    Examples:
        >>> short = Trial(0, "asha", {"n": 1}, state="complete", fold_scores=[0.9], fidelity=1)
        >>> full = Trial(1, "asha", {"n": 2}, state="complete", fold_scores=[0.5], fidelity=9)
        >>> best_index([short, full])
        1
    """
    top = top_indices(trials, 1)
    return top[0] if top else None


def top_indices(trials: list[Trial], k: int) -> list[int]:
    """The indices of the ``k`` best complete trials, best first (``best_index``'s order:
    the largest fidelity reached first, then the score, then the earlier trial).

    Examples:
        >>> ts = [Trial(i, "random", {"n": i}, state="complete", fold_scores=[s])
        ...       for i, s in enumerate([0.2, 0.9, 0.5])]
        >>> top_indices(ts, 2)
        [1, 2]
    """
    top = max((t.fidelity for t in trials if t.complete and t.fidelity is not None), default=None)
    ranked = sorted(
        (i for i, t in enumerate(trials) if t.complete),
        key=lambda i: (top is not None and trials[i].fidelity != top, -trials[i].score, i),
    )
    return ranked[:k]
