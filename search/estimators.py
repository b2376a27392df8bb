"""scikit-learn search estimators over a ``spaces.Space``, one per strategy.

Every class here is a ``BaseSearchCV``: scikit-learn fits and scores the candidates
(``evaluate_candidates`` -> ``_fit_and_score``) over one list of splits computed once, and
fills ``cv_results_``, ``best_params_``, ``best_score_`` and ``best_estimator_``. The classes
differ only in the strategy that proposes candidates, through scikit-learn's extension point
``_run_search``: ask a batch, evaluate it, tell the scores, until the budget
(``n_trials`` and/or ``timeout`` seconds) is spent.

On top of scikit-learn: failed trials are recorded with their reason and ranked worst
(the search goes on; it stops only when every trial failed), duplicate proposals are not
trained again, every finished trial can go to a ledger (``storage``/``study_name``), and a
rerun with the same ledger resumes.
"""

from __future__ import annotations

import copy
import math
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from numbers import Integral, Real
from typing import Any

import numpy as np
from joblib import effective_n_jobs
from sklearn.base import clone, is_classifier
from sklearn.model_selection import _search as sklearn_search
from sklearn.model_selection import check_cv
from sklearn.model_selection._search import BaseSearchCV

from models import search_process
from search._trials import TrialRecord, params_key, short_error, trials_frame
from search.ledger import DEFAULT_STORAGE, Ledger
from search.strategies import (
    GeneticStrategy,
    GridStrategy,
    RandomStrategy,
    Strategy,
    TPEStrategy,
)
from spaces import Space, get_preset

__all__ = [
    "AllTrialsFailedError",
    "GeneticSearchCV",
    "SpaceGridSearchCV",
    "SpaceRandomizedSearchCV",
    "SpaceSearchCV",
    "TPESearchCV",
]

# A strategy that keeps proposing only known candidates (a converged GA) ends the search
# after this many rounds in a row.
_MAX_STALLED_ROUNDS = 20
# Each evaluate call waits for its slowest fit while finished workers idle. Where no score
# is needed in between (a non-adaptive strategy, the rest of a GA generation) one call gets
# this many rounds of n_jobs trials, so the wait comes once per several rounds.
_ROUNDS_PER_CALL = 4


@contextmanager
def _failed_batches_allowed() -> Iterator[None]:
    """Let a batch whose every fit failed come back as results instead of an error.

    ``evaluate_candidates`` raises when all fits of one call fail, which is right for one
    big grid but not for our small batches (one diverging candidate at ``n_jobs=1`` is a
    whole batch). The fit errors still reach ``_format_results``, where each trial records
    its own; the search stops only when every trial failed (``AllTrialsFailedError``).
    """
    original = sklearn_search._warn_or_raise_about_fit_failures
    sklearn_search._warn_or_raise_about_fit_failures = lambda results, error_score: None
    try:
        yield
    finally:
        sklearn_search._warn_or_raise_about_fit_failures = original


class AllTrialsFailedError(RuntimeError):
    """Every trial of a search failed; the message quotes the first failure."""


class _NothingEvaluatedError(Exception):
    """Internal: the budget was already spent by resumed trials."""


class SpaceSearchCV(BaseSearchCV):
    """Search ``space`` with a ``strategy`` (a ``search.strategies.Strategy``).

    Parameters are those of ``GridSearchCV`` (``estimator``, ``scoring``, ``n_jobs``,
    ``refit``, ``cv``, ``verbose``, ``pre_dispatch``, ``error_score``) plus:

    - ``space``: a ``spaces.Space`` or a preset name; every name must be a parameter of
      ``estimator`` (give starting values when building it).
    - ``strategy``: a ``Strategy`` object; ``None`` uses the class's own.
    - ``n_trials``, ``timeout``: the budget, trials and/or seconds, whichever ends first.
    - ``seed``: seeds the strategy's proposals.
    - ``storage``, ``study_name``: the ledger (an Optuna storage URL and a study name);
      ``study_name`` alone uses ``sqlite:///hpsearch.db``; neither: no ledger.
    - ``progress``: show a progress bar with the best score so far.

    >>> from models import make_estimator, regression_mlp
    >>> from spaces import california_mlp
    >>> est = make_estimator(regression_mlp, "regression", epochs=2, **california_mlp().defaults())
    >>> search = TPESearchCV(est, california_mlp(), n_trials=5, cv=3)   # doctest: +SKIP
    >>> search.fit(X, y).best_params_                                   # doctest: +SKIP
    """

    _default_strategy: Callable[[], Strategy] = RandomStrategy

    _parameter_constraints: dict[str, Any] = {  # noqa: RUF012
        **BaseSearchCV._parameter_constraints,
        "space": [Space, str],
        "strategy": [Strategy, None],
        "n_trials": [Integral],
        "timeout": [Real, None],
        "seed": [Integral],
        "storage": [str, None],
        "study_name": [str, None],
        "progress": ["boolean"],
    }
    _parameter_constraints.pop("return_train_score", None)

    def __init__(
        self,
        estimator: Any,
        space: Space | str,
        *,
        strategy: Strategy | None = None,
        n_trials: int = 30,
        timeout: float | None = None,
        scoring: Any = None,
        n_jobs: int | None = None,
        refit: bool = True,
        cv: Any = None,
        verbose: int = 0,
        pre_dispatch: str | int = "2*n_jobs",
        error_score: Any = np.nan,
        seed: int = 0,
        storage: str | None = None,
        study_name: str | None = None,
        progress: bool = False,
    ) -> None:
        super().__init__(
            estimator=estimator,
            scoring=scoring,
            n_jobs=n_jobs,
            refit=refit,
            cv=cv,
            verbose=verbose,
            pre_dispatch=pre_dispatch,
            error_score=error_score,
            return_train_score=False,
        )
        self.space = space
        self.strategy = strategy
        self.n_trials = n_trials
        self.timeout = timeout
        self.seed = seed
        self.storage = storage
        self.study_name = study_name
        self.progress = progress

    # ----------------------------------------------------------------------------------
    # Checks
    # ----------------------------------------------------------------------------------
    def _checked_space(self) -> Space:
        space = get_preset(self.space) if isinstance(self.space, str) else self.space
        if len(space) == 0:
            raise ValueError("space must name at least one parameter; got an empty Space.")
        known = set(self.estimator.get_params(deep=False))
        unknown = [name for name in space if name not in known]
        if unknown:
            raise ValueError(
                f"space parameters {unknown} are not parameters of the estimator "
                f"{type(self.estimator).__name__}; pass starting values when building it "
                f"(e.g. make_estimator(build_model, task, {unknown[0]}=...))."
            )
        return space

    def _check_budget(self) -> None:
        if isinstance(self.n_trials, bool) or self.n_trials < 1:
            raise ValueError(f"n_trials must be an int >= 1, got {self.n_trials!r}.")
        if self.timeout is not None and not self.timeout > 0:
            raise ValueError(
                f"timeout must be a number of seconds > 0 or None, got {self.timeout!r}."
            )
        if self.refit not in (True, False):
            raise ValueError(f"refit must be True or False for this search, got {self.refit!r}.")

    # ----------------------------------------------------------------------------------
    # fit
    # ----------------------------------------------------------------------------------
    def fit(self, X: Any, y: Any = None, **params: Any) -> SpaceSearchCV:
        """Run the search on ``X``, ``y``; ``params`` go to the estimator's ``fit``."""
        self._check_budget()
        self.space_ = self._checked_space()
        self.strategy_ = copy.deepcopy(self.strategy or type(self)._default_strategy())
        self.strategy_.bind(self.space_, int(self.n_trials), int(self.seed))
        self.ledger_ = self._open_ledger()
        self._resumed = self.ledger_.records() if self.ledger_ is not None else []
        self._records: dict[str, TrialRecord] = {params_key(r.params): r for r in self._resumed}
        self._fold_errors: list[list[str | None]] = []
        self._start = time.perf_counter()

        # Splits are computed once, so every candidate of every batch sees the same folds
        # (scikit-learn re-splits on each evaluate_candidates call).
        user_cv: Any = getattr(self, "cv")  # noqa: B009 - BaseSearchCV leaves it untyped
        splitter = check_cv(user_cv, y, classifier=is_classifier(self.estimator))
        self.splits_ = list(splitter.split(X, y))
        for record in self._resumed:
            if len(record.fold_scores) != len(self.splits_):
                raise ValueError(
                    f"the ledger's trials were scored on {len(record.fold_scores)} folds but "
                    f"this search uses {len(self.splits_)}; resume with the same cv, or use "
                    "another study_name."
                )
        self.cv = self.splits_
        # The search loop and the refit run here, in the user's process: no thread caps.
        with search_process():
            try:
                super().fit(X, y, **params)
            except _NothingEvaluatedError:
                self._fit_from_records(X, y, **params)
            finally:
                self.cv = user_cv
                self._close_progress()
        self.elapsed_ = time.perf_counter() - self._start
        self.trials_ = trials_frame(self.records_)
        return self

    def _open_ledger(self) -> Ledger | None:
        if self.storage is None and self.study_name is None:
            return None
        storage = self.storage or DEFAULT_STORAGE
        name = self.study_name or f"hpsearch-{self.strategy_.name}"
        return Ledger(storage, name, self.space_)

    # ----------------------------------------------------------------------------------
    # The loop
    # ----------------------------------------------------------------------------------
    def _run_search(self, evaluate_candidates: Callable[..., dict[str, Any]]) -> None:
        strategy = self.strategy_
        workers = max(1, effective_n_jobs(self.n_jobs))
        # One process has nothing to wait for, and a timeout is checked between calls.
        rounds = 1 if workers == 1 or self.timeout is not None else _ROUNDS_PER_CALL
        chunk = workers * rounds
        ask_n = workers if strategy.adaptive else chunk
        self.records_: list[TrialRecord] = list(self._resumed)
        self._open_progress()
        evaluated_any = False
        stalled = 0
        while not self._budget_spent():
            remaining = self.n_trials - len(self._records)
            proposals = strategy.ask(min(ask_n, remaining))
            if not proposals:
                break
            info = dict(strategy.info)
            new: dict[str, dict[str, Any]] = {}
            for cand in proposals:
                key = params_key(cand)
                if key not in self._records and key not in new:
                    new[key] = cand
            stalled = 0 if new else stalled + 1
            if stalled >= _MAX_STALLED_ROUNDS:
                break
            todo = list(new.values())[:remaining]
            finished = True
            for start in range(0, len(todo), chunk):
                if self._budget_spent():
                    finished = False
                    break
                part = todo[start : start + chunk]
                with _failed_batches_allowed(), warnings.catch_warnings():
                    # Failures are recorded per trial below; scikit-learn's warning about
                    # NaN means would only repeat them.
                    warnings.filterwarnings("ignore", message=".*scores are non-finite.*")
                    results = evaluate_candidates(part)
                evaluated_any = True
                self._collect(results, part, info)
            if not finished or len(todo) < len(new):
                break  # budget spent inside this batch: no complete batch to tell
            scores = [self._records[params_key(c)] for c in proposals]
            strategy.tell(proposals, [r.score if r.complete else None for r in scores])
        self._check_some_complete()
        if not evaluated_any:
            raise _NothingEvaluatedError

    def _budget_spent(self) -> bool:
        if len(self._records) >= self.n_trials:
            return True
        return self.timeout is not None and time.perf_counter() - self._start >= self.timeout

    def _collect(
        self, results: dict[str, Any], part: list[dict[str, Any]], info: dict[str, Any]
    ) -> None:
        n_splits = len(self.splits_)
        total = len(results["params"])
        now = time.perf_counter() - self._start
        for offset, cand in enumerate(part):
            row = total - len(part) + offset
            folds = [float(results[f"split{j}_test_score"][row]) for j in range(n_splits)]
            errors = [e for e in self._fold_errors[row] if e]
            error = short_error(errors[0]) if errors else None
            if error is None and not all(math.isfinite(s) for s in folds):
                error = "score is not finite (NaN or infinite predictions)"
            record = TrialRecord(
                number=len(self.records_),
                strategy=self.strategy_.name,
                params=cand,
                fold_scores=folds,
                fit_time=float(results["mean_fit_time"][row]) * n_splits,
                score_time=float(results["mean_score_time"][row]) * n_splits,
                error=error,
                extras=dict(info),
                elapsed=now,
            )
            self._records[params_key(cand)] = record
            self.records_.append(record)
            if self.ledger_ is not None:
                self.ledger_.write(record)
            self._update_progress(record)

    def _check_some_complete(self) -> None:
        if self.records_ and not any(r.complete for r in self.records_):
            first = self.records_[0]
            raise AllTrialsFailedError(
                f"all {len(self.records_)} trials failed; the first ({first.params}) with: "
                f"{first.error}"
            )

    # ----------------------------------------------------------------------------------
    # Results: resumed trials join scikit-learn's cv_results_ as if run now
    # ----------------------------------------------------------------------------------
    def _format_results(
        self,
        candidate_params: list[dict[str, Any]],
        n_splits: int,
        out: list[dict[str, Any]],
        more_results: Any = None,
    ) -> dict[str, Any]:
        resumed = getattr(self, "_resumed", [])
        params = [r.params for r in resumed] + list(candidate_params)
        outs = [o for r in resumed for o in _synthetic_out(r)] + list(out)
        self._fold_errors = [
            [outs[i * n_splits + j].get("fit_error") for j in range(n_splits)]
            for i in range(len(params))
        ]
        return super()._format_results(params, n_splits, outs, more_results)

    def _fit_from_records(self, X: Any, y: Any, **params: Any) -> None:
        """Results, best candidate and refit when the ledger already spent the budget."""
        self.n_splits_ = len(self.splits_)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*scores are non-finite.*")
            results = self._format_results([], self.n_splits_, [])
        self.cv_results_ = results
        self.multimetric_ = False
        self.scorer_ = self._get_scorers()[0]
        if self.refit:
            self.best_index_ = self._select_best_index(self.refit, "score", results)
            self.best_score_ = results["mean_test_score"][self.best_index_]
            self.best_params_ = results["params"][self.best_index_]
            self.best_estimator_ = clone(self.estimator).set_params(**self.best_params_)
            start = time.time()
            self.best_estimator_.fit(X, y, **params)
            self.refit_time_ = time.time() - start

    # ----------------------------------------------------------------------------------
    # Progress bar
    # ----------------------------------------------------------------------------------
    def _open_progress(self) -> None:
        self._bar = None
        if self.progress:
            from tqdm.auto import tqdm

            self._bar = tqdm(
                total=self.n_trials,
                initial=len(self._records),
                desc=f"{self.strategy_.name} search",
                unit="trial",
            )

    def _update_progress(self, record: TrialRecord) -> None:
        if self._bar is None:
            return
        best = max((r.score for r in self.records_ if r.complete), default=math.nan)
        failed = sum(not r.complete for r in self.records_)
        self._bar.set_postfix(best=f"{best:.4g}", failed=failed, refresh=False)
        self._bar.update(1)

    def _close_progress(self) -> None:
        bar = getattr(self, "_bar", None)
        if bar is not None:
            bar.close()
            self._bar = None


def _synthetic_out(record: TrialRecord) -> Sequence[dict[str, Any]]:
    """The per-fold dicts ``_fit_and_score`` would have returned for a resumed trial."""
    n = len(record.fold_scores) or 1
    return [
        {
            "test_scores": score,
            "n_test_samples": 0,
            "fit_time": record.fit_time / n,
            "score_time": record.score_time / n,
            "fit_error": record.error,
        }
        for score in record.fold_scores
    ]


class SpaceGridSearchCV(SpaceSearchCV):
    """Grid search: every point of the discretised space (``GridStrategy``), in
    ``ParameterGrid`` order, through scikit-learn's evaluation path."""

    _default_strategy = GridStrategy


class SpaceRandomizedSearchCV(SpaceSearchCV):
    """Random search: the candidates of ``ParameterSampler(space.to_sklearn(), n_trials,
    random_state=seed)``, exactly what ``RandomizedSearchCV`` would try (``RandomStrategy``)."""

    _default_strategy = RandomStrategy


class GeneticSearchCV(SpaceSearchCV):
    """Genetic search with DEAP (``GeneticStrategy``); one generation is one batch."""

    _default_strategy = GeneticStrategy


class TPESearchCV(SpaceSearchCV):
    """Optuna TPE search (``TPEStrategy``) through ask/tell."""

    _default_strategy = TPEStrategy
