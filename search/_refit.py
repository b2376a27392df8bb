"""What a search returns as ``best_estimator_``: the ``refit=`` policies.

- ``"all"`` (``True``): the best candidate retrained on all of ``X, y`` (scikit-learn's
  ``refit=True``).
- ``"trial"``: the models the best trial trained, with no more training: under a holdout
  its one model, under k-fold the ensemble of its fold models (scikit-learn's
  ``VotingRegressor`` / soft ``VotingClassifier`` over ``FrozenEstimator``s: the mean
  prediction / the mean class probabilities). KerasTuner returns the best trial's model
  the same way; the fold ensemble is what k-fold cross-validation already paid for.
- ``False``: none.

``refit_floor`` keeps ``"all"``'s early stopping, where it keeps it, from stopping (or
keeping weights) before the earliest epoch at which a fold of the best trial peaked: a
noisy SGD curve can trip a stopper long before the folds' peaks, and the refit then keeps
an early epoch (``refit_floor_epoch``).

``refit_guard`` checks ``"all"``'s retrainings where they keep early stopping: a
retraining whose score on the rows its stopper held back is below the best trial's worst
fold score (a stopper tripped by a noisy curve, keeping an early epoch) is replaced by the
next seed's, up to twice ``refit_models`` retrainings; when too few pass, the best of the
rejected fill in (``guarded``).

``refit_early_stopping`` says how ``"all"`` retrains: ``True`` with the estimator's own
early stopping (scikit-learn's refit: the estimator as given); ``"auto"`` on every row for
all the epochs, without early stopping, when it stopped none of the best trial's folds
(each trained every epoch it was given: the rows held out for it stopped nothing; they
only chose which epoch's weights to keep), else as ``True``; ``False`` always on every row
for all the epochs.

The measurement behind the default is ``python -m benchmarks.studies.defaults`` (docs: "Studies
/ Defaults against the course's recipe").
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.ensemble import VotingClassifier, VotingRegressor
from sklearn.frozen import FrozenEstimator

from models import has_early_stopping, held_back, unpack_model
from search._fit import TrialOutcome, TrialSpec
from search._pool import Died, Done, InProcessPool, Pool
from search.trial import Trial

__all__ = [
    "REFIT_CHOICES",
    "REFIT_FLOOR",
    "check_flag",
    "check_refit",
    "check_refit_early_stopping",
    "check_refit_guard",
    "guarded",
    "held_back_score",
    "passes_guard",
    "refit_every_row",
    "refit_floor_epoch",
    "refit_seeds",
    "retrain_members",
    "trial_estimator",
    "voting_ensemble",
]

REFIT_CHOICES = ("all", "trial")
REFIT_FLOOR = "keep the refit's early stopping from stopping before the best trial's folds peaked"


def check_refit(refit: object) -> str | None:
    """The policy name for a ``refit`` argument (``True`` is ``"all"``, ``False`` is None)."""
    if refit is True:
        return "all"
    if refit is False:
        return None
    if isinstance(refit, str) and refit in REFIT_CHOICES:
        return refit
    raise ValueError(
        f"refit must be True/'all' (retrain the best candidate on all the data), 'trial' "
        f"(keep the best trial's trained models: the holdout model or the fold ensemble) "
        f"or False, got {refit!r}."
    )


def check_refit_early_stopping(value: object) -> bool | str:
    """``refit_early_stopping`` as given, once it is ``True``, ``False`` or ``"auto"``."""
    if isinstance(value, bool) or value == "auto":
        return value
    raise ValueError(
        f"refit_early_stopping must be True (retrain with the estimator's early stopping), "
        f"False (on every row for all the epochs) or 'auto' (on every row when early "
        f"stopping stopped none of the best trial's folds), got {value!r}."
    )


def check_flag(name: str, value: object, what: str) -> bool:
    """``value`` of the ``name`` switch, once it is a bool (``what`` says what True does)."""
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True ({what}) or False, got {value!r}.")
    return value


def check_refit_guard(value: object, estimator: Any = None) -> bool:
    """``refit_guard`` as given, once it is a bool that ``estimator`` (if given) can
    honour: the guard's further retrainings are seeded from the estimator's int ``seed``."""
    what = (
        "replace retrainings that score below the best trial's worst fold on the rows "
        "their early stopping held back"
    )
    guard = check_flag("refit_guard", value, what)
    if guard and estimator is not None and has_early_stopping(estimator):
        seed = estimator.get_params().get("seed")
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise ValueError(
                f"refit_guard=True seeds its further retrainings from the estimator's int "
                f"'seed' parameter, but {type(estimator).__name__} has seed={seed!r}; use "
                "a models.make_estimator estimator with a seed, or refit_guard=False."
            )
    return guard


def refit_every_row(estimator: Any, trial: Trial, policy: bool | str) -> bool:
    """Whether ``refit="all"`` retrains ``estimator`` without its early stopping, on every
    row, for ``trial`` (the best) under ``policy`` (``refit_early_stopping``).

    Examples:
        >>> from models import make_estimator, regression_mlp
        >>> est = make_estimator(regression_mlp, "regression", epochs=10)
        >>> ran_out = Trial(0, "random", {}, "complete", epochs=10, fold_epochs=[10, 10])
        >>> stopped = Trial(1, "random", {}, "complete", epochs=10, fold_epochs=[10, 7])
        >>> refit_every_row(est, ran_out, "auto"), refit_every_row(est, stopped, "auto")
        (True, False)
    """
    if policy is True or not has_early_stopping(estimator):
        return False
    if policy is False:
        return True
    given = trial.epochs if trial.epochs is not None else estimator.get_params().get("epochs")
    if not isinstance(given, int) or not trial.fold_epochs:
        return False
    # A promoted trial counts only the epochs it trained after its parent's.
    return all(trial.start_epoch + e >= given for e in trial.fold_epochs)


def refit_floor_epoch(trial: Trial) -> int | None:
    """The earliest epoch (1-based, counted from a fresh model) at which a fold of
    ``trial`` scored its best on its held-out part; None when that is the first epoch or
    a fold has no curve (nothing to keep the stopper from).

    Examples:
        >>> curve = [[-3, -1, -2], [-3, -2, -1]]
        >>> refit_floor_epoch(Trial(0, "random", {}, "complete", curve=curve))
        2
        >>> print(refit_floor_epoch(Trial(0, "random", {}, "complete", curve=[[-1, -2], [-2, -1]])))
        None
    """
    peaks = []
    for curve in trial.curve:
        scores = np.asarray(curve, dtype=float)
        if scores.size == 0 or np.isnan(scores).all():
            return None
        # A promoted trial's curve starts after its parent's epochs; the refit does not.
        peaks.append(trial.start_epoch + int(np.nanargmax(scores)) + 1)
    return min(peaks) if peaks and min(peaks) > 1 else None


def refit_seeds(estimator: Any, n_models: object) -> list[dict[str, int]]:
    """The ``seed`` settings of the ``n_models`` retrainings ``refit="all"`` averages: the
    estimator's own seed first (one model is the plain refit), then 100 apart.

    Examples:
        >>> from models import regression_mlp, make_estimator
        >>> refit_seeds(make_estimator(regression_mlp, "regression", seed=7), 3)
        [{}, {'seed': 107}, {'seed': 207}]
    """
    if isinstance(n_models, bool) or not isinstance(n_models, int) or n_models < 1:
        raise ValueError(
            f"refit_models must be an int >= 1 (the models refit='all' trains and averages), "
            f"got {n_models!r}."
        )
    if n_models == 1:
        return [{}]
    params = estimator.get_params()
    seed = params.get("seed")
    if not isinstance(seed, int) or isinstance(seed, bool):
        found = f"seed={seed!r}" if "seed" in params else "no 'seed' parameter"
        raise ValueError(
            f"refit_models={n_models} seeds each retraining from the estimator's int 'seed' "
            f"parameter, but {type(estimator).__name__} has {found}; use a "
            "models.make_estimator estimator with a seed, or refit_models=1."
        )
    return [{}] + [{"seed": seed + 100 * i} for i in range(1, n_models)]


def held_back_score(estimator: Any, scorer: Any, X: np.ndarray, y: np.ndarray) -> float | None:
    """``scorer``'s score of the trained ``estimator`` on the rows of ``X, y`` its early
    stopping held back while it trained on them; None when it held none back."""
    rows = held_back(estimator, X, y)
    return None if rows is None else float(scorer(estimator, *rows))


def passes_guard(check: float | None, floor: float) -> bool:
    """Whether a retraining's held-back score ``check`` (None: nothing held back) passes
    the guard's ``floor``."""
    return check is None or check >= floor


def guarded(checks: list[float | None], floor: float, k: int) -> list[int]:
    """Indices of the ``k`` retrainings the guard keeps: the first ``k`` whose held-back
    score (None: nothing held back, always accepted) is at least ``floor``, filled in,
    when fewer pass, by the rejected ones with the best held-back scores.

    Examples:
        >>> guarded([0.30, None, 0.40], floor=0.35, k=2)
        [1, 2]
        >>> guarded([0.30, 0.20, 0.40, 0.10], floor=0.5, k=2)
        [2, 0]
    """
    passed = [i for i, c in enumerate(checks) if passes_guard(c, floor)]
    failed = [(c, i) for i, c in enumerate(checks) if c is not None and c < floor]
    return (passed + [i for _, i in sorted(failed, reverse=True)])[:k]


def retrain_members(
    pool: Pool,
    worker_estimator: Any,
    template: Any,
    params: dict[str, Any],
    seeds: list[dict[str, int]],
    X: np.ndarray,
    y: np.ndarray,
    fit_params: dict[str, Any],
) -> list[Any]:
    """``template`` with ``params`` and each of ``seeds``, trained on all of ``X, y``.

    Several members on a pool of several workers (the search has ended, so all are free)
    train there side by side (``worker_estimator``: the template with the workers' thread
    cap) and come back as weights and history; ``pool`` holds ``X, y`` already. One member,
    or one worker, trains here, as scikit-learn's refit does. A member whose worker died or
    whose fit failed trains here again, so its error is raised here as it would be without
    workers. Ctrl-C stops the workers (the next search starts fresh ones).
    """
    here = [clone(template).set_params(**params, **seed) for seed in seeds]
    outcomes: dict[int, TrialOutcome] = {}
    if len(seeds) > 1 and pool.slots > 1 and not isinstance(pool, InProcessPool):
        waiting = list(range(len(seeds)))
        try:
            while waiting or pool.running():
                while waiting and pool.running() < pool.slots:
                    i = waiting.pop(0)
                    spec = TrialSpec(-1 - i, {**params, **seeds[i]}, worker_estimator, None)
                    spec.fit_params, spec.refit = fit_params, True
                    pool.submit(spec.number, spec)
                for event in pool.wait(None):
                    if isinstance(event, Done):
                        outcomes[-1 - event.number] = event.outcome
                    elif isinstance(event, Died):
                        outcomes.pop(-1 - event.number, None)
        except BaseException:
            pool.close(kill=True)
            raise
    members = []
    for i, estimator in enumerate(here):
        outcome = outcomes.get(i)
        if outcome is None or outcome.state != "complete" or not outcome.models:
            members.append(estimator.fit(X, y, **fit_params))
            continue
        member = _trained(estimator, outcome.models[0], X, y)
        member.history_ = defaultdict(list, outcome.history or {})
        members.append(member)
    return members


def trial_estimator(
    template: Any, params: dict[str, Any], models: list[bytes], X: np.ndarray, y: np.ndarray
) -> Any:
    """The estimator made of a trial's trained ``models`` (``pack_model`` bytes, per fold).

    Each fold's estimator is built from ``params`` without training (scikeras's
    ``initialize``, which also learns the classes from ``y``) and given its weights.
    """
    members = [_trained(clone(template).set_params(**params), p, X, y) for p in models]
    return voting_ensemble(members, X, y, prefix="fold")


def _trained(estimator: Any, packed: bytes, X: np.ndarray, y: np.ndarray) -> Any:
    """``estimator`` (unfitted) given trained ``pack_model`` weights without training:
    scikeras's ``initialize`` builds its model and learns the classes from ``y``."""
    estimator.initialize(X, y)
    unpack_model(packed, estimator.model_)
    return estimator


def voting_ensemble(members: list[Any], X: np.ndarray, y: np.ndarray, prefix: str = "m") -> Any:
    """Trained ``members`` as one estimator: the mean prediction (regression) or the mean
    class probabilities (classification); one member is returned as it is."""
    if len(members) == 1:
        return members[0]
    named = [(f"{prefix}{i}", FrozenEstimator(m)) for i, m in enumerate(members)]
    ensemble: Any
    if is_classifier(members[0]):
        ensemble = VotingClassifier(named, voting="soft")
    else:
        ensemble = VotingRegressor(named)
    # Frozen members ignore fit; the voting wrapper only learns the labels from y.
    return ensemble.fit(X, y)
