"""scikit-learn search estimators over a ``spaces.Space``, one per strategy.

``SpaceSearchCV`` is a scikit-learn estimator (``fit``, ``predict``, ``score``,
``best_params_``, ``best_score_``, ``best_index_``, ``best_estimator_``, ``cv_results_``,
``scorer_``, ``n_splits_``) whose search loop is our trial runner (``search._runner``):
the splits are computed once with ``check_cv``, every trial is fitted and scored on them
with the scorer from ``check_scoring``, and ``cv_results_`` is built from the trials. Only
scikit-learn's public API is used. The subclasses differ only in their default strategy.
"""

from __future__ import annotations

import contextlib
import copy
import math
import time
from collections.abc import Iterator
from typing import Any

import keras
import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv

from models import has_early_stopping, search_process, stopping_from, without_early_stopping
from search._fit import TrialData, TrialSpec, fit_trial
from search._parallel import dask_client, dask_slots, default_tf_threads
from search._pool import HEARTBEAT_GRACE_SECONDS, DaskPool, InProcessPool, Pool, process_pool
from search._refit import (
    REFIT_FLOOR,
    check_flag,
    check_refit,
    check_refit_early_stopping,
    check_refit_guard,
    guarded,
    held_back_score,
    passes_guard,
    refit_every_row,
    refit_floor_epoch,
    refit_seeds,
    retrain_members,
    trial_estimator,
    voting_ensemble,
)
from search._results import best_index, cv_results
from search._runner import Runner
from search._stream import StreamData, stream_model
from search._validation import (
    BACKENDS,
    check_budget,
    check_heartbeat_grace,
    check_int,
    check_trial_timeout,
    resolve_n_jobs,
)
from search.errors import AllTrialsFailedError
from search.fingerprint import fingerprint, short_hash
from search.ledger import DEFAULT_STORAGE, Ledger, StorageURL
from search.objective import KerasObjective
from search.strategies import (
    ASHAStrategy,
    GeneticStrategy,
    GridStrategy,
    HyperbandStrategy,
    RandomStrategy,
    Strategy,
    TPEStrategy,
)
from search.trial import Trial, trials_frame
from spaces import Space, get_preset

__all__ = [
    "ASHASearchCV",
    "AllTrialsFailedError",
    "GeneticSearchCV",
    "HyperbandSearchCV",
    "SpaceGridSearchCV",
    "SpaceRandomizedSearchCV",
    "SpaceSearchCV",
    "TPESearchCV",
]


class SpaceSearchCV(MetaEstimatorMixin, BaseEstimator):
    """Search ``space`` with a ``strategy`` over ``estimator``'s parameters.

    Args:
        estimator: a scikit-learn estimator (``models.make_estimator``) that has every
            ``space`` parameter (give starting values when building it).
        space: a ``spaces.Space`` or a preset name.
        strategy: a ``search.strategies.Strategy``; ``None`` uses the class's own.
        n_trials: the budget in trials; with ``timeout`` and ``max_epochs_total``, whichever
            ends first (at least one trial runs; running trials finish). ``None``: the
            strategy's default (30; Hyperband and ASHA: one round of Hyperband's brackets;
            each rung run is a trial).
        timeout: the budget in seconds.
        max_epochs_total: the budget in epochs trained over all trials and folds.
        scoring: a scikit-learn scoring (greater is better); ``None``: the estimator's.
        n_jobs: trials at once (scikit-learn's meaning; clamped to the cores).
        refit: what ``best_estimator_`` is: ``True`` / ``"all"`` (default), the best
            candidate retrained on all of ``X, y`` (scikit-learn's meaning); ``"trial"``, the
            best trial's own trained models (the holdout model, or under k-fold the ensemble
            of its fold models: no retraining); ``False``: none. The default was chosen on
            validation scores (docs: "The evaluation protocol").
        refit_models: with ``refit="all"``, how many models to retrain (the estimator's
            ``seed``, then ``seed + 100``, ``seed + 200``...) and average: mean prediction
            / mean class probabilities (one model: no ensemble).
        refit_early_stopping: how ``refit="all"`` retrains: ``True`` (default) with the
            estimator's early stopping, as the trials did; ``"auto"``: on every row for all
            the epochs, without it, when it stopped none of the best trial's folds (the
            rows it holds out then stopped nothing); ``False``: always so.
        refit_floor: with ``refit="all"`` retraining under early stopping, let the stopper
            watch no epoch before the earliest at which a fold of the best trial peaked
            (``refit_floor_epoch_``; ``False``, default: the estimator's stopper as given).
        refit_guard: with ``refit="all"`` retraining under early stopping, replace a
            retraining that scores below the best trial's worst fold on the rows its
            stopper held back with the next seed's, up to ``2 * refit_models``
            retrainings (``False``, default: keep every retraining, as scikit-learn's
            refit). ``refit_held_back_`` and ``refit_kept_`` say what it saw and kept.
        cv: anything ``check_cv`` takes; the splits are computed once.
        seed: seeds the strategy's proposals.
        storage: the ledger, an Optuna storage URL (best as a ``StorageURL``, so that no
            password shows in this estimator's parameters); ``study_name`` alone uses
            ``sqlite:///hpsearch.db``; neither: no ledger.
        study_name: the ledger's study (a rerun with the same name resumes it).
        progress: show a progress bar with the best score so far.
        backend: ``"processes"`` (worker processes of our own) or ``"dask"``.
        scheduler: with Dask, a ``distributed.Client``, an address or ``None`` (a private
            local cluster).
        trial_timeout: seconds a trial may run (all its folds); one past it is stopped by
            killing its worker process (a fresh one takes its place; on Dask the trial is
            cancelled and its worker restarted) and recorded ``failed`` with the reason.
            With ``n_jobs=1`` the trials then run in one worker process, not in this
            one: a fit in the calling process cannot be stopped safely. ``None``: no limit.
        heartbeat_grace: seconds a worker process may go without its heartbeat (it beats
            every 2 s while alive) before it is taken for stopped or frozen, killed, and
            its trial recorded ``failed``.
        keep_models: keep the trained models of the ``keep_models`` best trials as the
            search goes (``top_models_``: (params, estimator) pairs, best first; under
            k-fold each estimator is the trial's fold ensemble), so that nothing is
            retrained to get them. 0 (default): none beyond what ``refit`` needs.

    Examples:
        >>> import numpy as np
        >>> from models import make_estimator
        >>> from search.testing import TINY_SPACE, tiny_regressor
        >>> X = np.random.default_rng(0).normal(size=(40, 3)).astype("float32"); y = X.sum(1)
        >>> est = make_estimator(tiny_regressor, "regression", epochs=1, units=2,
        ...                      learning_rate=0.01)
        >>> found = TPESearchCV(est, TINY_SPACE, n_trials=2, cv=2).fit(X, y)
        >>> sorted(found.best_params_), len(found.cv_results_["params"])
        (['learning_rate', 'units'], 2)
    """

    _default_strategy: type[Strategy] = RandomStrategy

    def __init__(
        self,
        estimator: Any,
        space: Space | str,
        *,
        strategy: Strategy | None = None,
        n_trials: int | None = None,
        timeout: float | None = None,
        max_epochs_total: int | None = None,
        scoring: Any = None,
        n_jobs: int | str | None = None,
        refit: bool | str = True,
        refit_models: int = 1,
        refit_early_stopping: bool | str = True,
        refit_floor: bool = False,
        refit_guard: bool = False,
        cv: Any = None,
        seed: int = 0,
        storage: str | StorageURL | None = None,
        study_name: str | None = None,
        progress: bool = False,
        backend: str = "processes",
        scheduler: Any = None,
        trial_timeout: float | None = None,
        heartbeat_grace: float = HEARTBEAT_GRACE_SECONDS,
        keep_models: int = 0,
    ) -> None:
        self.estimator = estimator
        self.space = space
        self.strategy = strategy
        self.n_trials = n_trials
        self.timeout = timeout
        self.max_epochs_total = max_epochs_total
        self.scoring = scoring
        self.n_jobs = n_jobs
        self.refit = refit
        self.refit_models = refit_models
        self.refit_early_stopping = refit_early_stopping
        self.refit_floor = refit_floor
        self.refit_guard = refit_guard
        self.cv = cv
        self.seed = seed
        self.storage = storage  # a property: wrapped in a StorageURL
        self.study_name = study_name
        self.progress = progress
        self.backend = backend
        self.scheduler = scheduler
        self.trial_timeout = trial_timeout
        self.heartbeat_grace = heartbeat_grace
        self.keep_models = keep_models

    @property
    def storage(self) -> StorageURL | None:
        """The ledger's URL, always as a ``StorageURL``: ``get_params``, ``repr``, the HTML
        repr and pickles of this estimator never show its password."""
        return self._storage

    @storage.setter
    def storage(self, value: str | StorageURL | None) -> None:
        # StorageURL(a StorageURL) is that same object, so scikit-learn's clone finds the
        # parameter unchanged.
        self._storage = None if value is None else StorageURL(value)

    # ----------------------------------------------------------------------------------
    # Checks (the facade uses the same functions)
    # ----------------------------------------------------------------------------------
    def _checked_space(self) -> Space:
        space = get_preset(self.space) if isinstance(self.space, str) else self.space
        if not isinstance(space, Space) or len(space) == 0:
            raise ValueError(
                f"space must be a non-empty spaces.Space or a preset name, got {space!r}."
            )
        known = set(self.estimator.get_params(deep=False))
        unknown = [name for name in space if name not in known]
        if unknown:
            raise ValueError(
                f"space parameters {unknown} are not parameters of the estimator "
                f"{type(self.estimator).__name__}; pass starting values when building it "
                f"(e.g. make_estimator(build_model, task, {unknown[0]}=...))."
            )
        return space

    def _check_params(self) -> None:
        check_budget(30 if self.n_trials is None else self.n_trials, self.timeout)
        if self.max_epochs_total is not None:
            check_int("max_epochs_total", self.max_epochs_total, 1)
        check_int("seed", self.seed, 0)
        refit_seeds(self.estimator, self.refit_models)
        check_refit_early_stopping(self.refit_early_stopping)
        check_flag("refit_floor", self.refit_floor, REFIT_FLOOR)
        check_refit_guard(self.refit_guard, self.estimator)
        if self.refit_models != 1 and check_refit(self.refit) != "all":
            raise ValueError(
                f"refit_models={self.refit_models!r} averages retrainings, which only "
                f"refit='all' makes; got refit={self.refit!r}. Use refit='all' or "
                "refit_models=1."
            )
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be 'processes' or 'dask', got {self.backend!r}.")
        check_trial_timeout(self.trial_timeout)
        check_heartbeat_grace(self.heartbeat_grace)
        check_int("keep_models", self.keep_models, 0)
        if self.backend == "dask" and isinstance(self.n_jobs, str):
            raise ValueError(
                f"n_jobs={self.n_jobs!r} places worker processes of our own on GPUs; a Dask "
                "cluster places its own workers (e.g. dask-cuda's LocalCUDACluster, one worker "
                "per GPU). Give n_jobs as an int or None with backend='dask'."
            )
        if self.backend != "dask" and self.scheduler is not None:
            raise ValueError("scheduler is only used with backend='dask'; set backend='dask'.")
        if self.strategy is not None and not isinstance(self.strategy, Strategy):
            raise TypeError(
                f"strategy must be a search.strategies.Strategy or None, got {self.strategy!r}."
            )

    # ----------------------------------------------------------------------------------
    # fit
    # ----------------------------------------------------------------------------------
    def fit(self, X: Any, y: Any = None, **fit_params: Any) -> SpaceSearchCV:
        """Run the search on ``X``, ``y``; ``fit_params`` go to the estimator's ``fit``."""
        self._check_params()
        self.space_ = self._checked_space()
        self.strategy_ = copy.deepcopy(self.strategy or type(self)._default_strategy())
        epochs = self.estimator.get_params().get("epochs")
        self.n_trials_ = (
            self.strategy_.default_n_trials(epochs) if self.n_trials is None else self.n_trials
        )
        self.strategy_.bind(self.space_, int(self.n_trials_), int(self.seed), epochs=epochs)
        refit = check_refit(self.refit)
        self._stream: StreamData | None = X if isinstance(X, StreamData) else None
        self._stream_sent: StreamData | None = None
        if self._stream is not None:
            self.scorer_ = self._stream_scorer(refit)
            self.splits_ = []  # one "fold": the stream against its validation set
            self.n_splits_ = 1
        else:
            self.scorer_ = check_scoring(self.estimator, scoring=self.scoring)
            X, y = np.asarray(X), np.asarray(y)
            splitter = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
            # Computed once: every candidate of every strategy sees the same folds.
            self.splits_ = [(np.asarray(a), np.asarray(b)) for a, b in splitter.split(X, y)]
            self.n_splits_ = len(self.splits_)
        self.fingerprint_ = fingerprint(
            X, y, self.splits_, self.scoring, self.estimator, self.space_, self.strategy_
        )
        self.ledger_ = self._open_ledger()
        if self.ledger_ is not None:
            self.ledger_.check_fingerprint(self.fingerprint_)
        start = time.perf_counter()
        # The search loop and the refit run here, in the user's process: no thread caps.
        with search_process(), self._pool(X, y) as (pool, estimator):
            self.tf_threads_ = getattr(estimator, "tf_threads", None)

            def make_spec(number: int, params: dict[str, Any], live: bool) -> TrialSpec:
                # Inactive conditional parameters reach build_model as None.
                full = self.space_.full(params)
                return TrialSpec(number, full, estimator, self.scorer_, fit_params, live)

            runner = Runner(
                self.strategy_,
                pool,
                make_spec,
                n_trials=int(self.n_trials_),
                timeout=self.timeout,
                ledger=self.ledger_,
                on_trial=self._progress_bar(),
                epochs=epochs,
                max_epochs_total=self.max_epochs_total,
                keep_top=max(int(self.keep_models), int(refit == "trial")),
            )
            self._check_resumed(list(runner.trials.values()))
            try:
                self.records_: list[Trial] = runner.run()
            finally:
                self._close_progress()
            top = runner.top_numbers
            kept = runner.models.get(top[0]) if top else None
            self.cv_results_ = cv_results(self.records_, self.n_splits_, list(self.space_))
            index = best_index(self.records_)
            assert index is not None  # the runner raised AllTrialsFailedError otherwise
            self.best_index_ = index
            self.best_params_ = dict(self.records_[index].params)
            self.best_score_ = float(self.records_[index].score)
            self.top_models_ = self._top_models(runner, X, y)
            self.refit_every_row_ = False
            self.refit_floor_epoch_: int | None = None
            self.refit_held_back_: list[float | None] = []
            self.refit_kept_: list[int] = []
            # The limits are the trials': a retraining on all the data may take longer.
            pool.trial_timeout = None
            if refit is not None:
                refit_start = time.perf_counter()
                if refit == "all":
                    self.best_estimator_ = self._retrain(pool, estimator, X, y, fit_params)
                else:
                    self.best_estimator_ = self._keep_trial(X, y, fit_params, kept)
                self.refit_time_ = time.perf_counter() - refit_start
        self.elapsed_ = time.perf_counter() - start
        self._stream_sent = None  # a saved dataset's temporary folder is removed now
        self.trials_ = trials_frame(self.records_)
        self.ledger_missing_ = 0 if self.ledger_ is None else self.ledger_.missing
        return self

    def _retrain(
        self, pool: Pool, estimator: Any, X: np.ndarray, y: np.ndarray, fit_params: dict[str, Any]
    ) -> Any:
        """``refit="all"``: the best candidate retrained on all of ``X, y``, once per refit
        seed, side by side on the search's workers (``retrain_members``), then averaged;
        without early stopping where ``refit_early_stopping`` says so, else with the
        floor and the guard where ``refit_floor`` and ``refit_guard`` ask for them."""
        best = self.space_.full(self.best_params_)
        seeds = refit_seeds(self.estimator, self.refit_models)
        template = self.estimator
        trial = self.records_[self.best_index_]
        self.refit_every_row_ = refit_every_row(template, trial, self.refit_early_stopping)
        if self.refit_every_row_:
            template, estimator = (
                without_early_stopping(template),
                without_early_stopping(estimator),
            )
        elif self.refit_floor and has_early_stopping(template):
            self.refit_floor_epoch_ = refit_floor_epoch(trial)
            if self.refit_floor_epoch_ is not None:
                template = stopping_from(template, self.refit_floor_epoch_)
                estimator = stopping_from(estimator, self.refit_floor_epoch_)
        members = retrain_members(pool, estimator, template, best, seeds, X, y, fit_params)
        if self.refit_guard and has_early_stopping(template):
            members = self._guard(pool, estimator, template, best, members, X, y, fit_params)
        return voting_ensemble(members, X, y, prefix="refit")

    def _guard(
        self,
        pool: Pool,
        estimator: Any,
        template: Any,
        params: dict[str, Any],
        members: list[Any],
        X: np.ndarray,
        y: np.ndarray,
        fit_params: dict[str, Any],
    ) -> list[Any]:
        """``refit_guard``: ``members`` checked on the rows their early stopping held back
        against the best trial's worst fold score; as many again retrained with the next
        seeds when any falls short, and the first ``len(members)`` that pass kept."""
        k = len(members)
        floor = min(self.records_[self.best_index_].fold_scores)
        checks = [held_back_score(m, self.scorer_, X, y) for m in members]
        if not all(passes_guard(c, floor) for c in checks):
            more = refit_seeds(self.estimator, 2 * k)[k:]
            members = members + retrain_members(
                pool, estimator, template, params, more, X, y, fit_params
            )
            checks += [held_back_score(m, self.scorer_, X, y) for m in members[k:]]
        self.refit_held_back_ = checks
        self.refit_kept_ = guarded(checks, floor, k)
        return [members[i] for i in self.refit_kept_]

    def _stream_scorer(self, refit: str | None) -> KerasObjective:
        """Streamed data: the scorer is a Keras objective and the refit keeps the trial's."""
        if not isinstance(self.scoring, KerasObjective):
            raise ValueError(
                f"streamed data is scored by a metric Keras logs on the validation set; give "
                f"scoring=KerasObjective('val_loss') (or another), got scoring={self.scoring!r}."
            )
        if refit == "all":
            raise ValueError(
                "refit='all' retrains on all the rows, which a stream does not have in one "
                "place; use refit='trial' (the best trial's trained model) or refit=False."
            )
        return self.scoring

    def _trial_data(self, X: Any, y: Any, for_workers: bool) -> TrialData:
        if self._stream is None:
            return TrialData(X, y, self.splits_)
        stream = self._stream.for_workers() if for_workers else self._stream
        self._stream_sent = stream  # its temporary folder lives as long as the search
        return TrialData(None, None, [], stream=stream)

    def _trained_model(self, params: dict[str, Any], models: list[bytes], X: Any, y: Any) -> Any:
        """A trial's kept models as an estimator: its fold ensemble (arrays) or its Keras
        model (streams)."""
        if self._stream is not None:
            return stream_model(self.estimator, params, models[0], self._stream)
        return trial_estimator(self.estimator, params, models, X, y)

    def _top_models(self, runner: Runner, X: np.ndarray, y: np.ndarray) -> list[tuple[Any, Any]]:
        """``keep_models``: the best trials' kept models as (params, estimator), best first."""
        by_number = {t.number: t for t in self.records_}
        out = []
        for number in runner.top_numbers[: int(self.keep_models)]:
            models = runner.models.get(number)
            if models is None:  # a resumed trial: the ledger keeps no models
                continue
            params = by_number[number].params
            trained = self._trained_model(self.space_.full(params), models, X, y)
            out.append((dict(params), trained))
        return out

    def _keep_trial(
        self, X: np.ndarray, y: np.ndarray, fit_params: dict[str, Any], kept: Any
    ) -> Any:
        """``refit="trial"``: the best trial's own trained models."""
        best = self.space_.full(self.best_params_)
        if kept is None:
            # A resumed best trial has no models in this process (the ledger keeps none):
            # train its folds again, as the trial did.
            trial = self.records_[self.best_index_]
            spec = TrialSpec(trial.number, best, self.estimator, self.scorer_, fit_params)
            spec.keep_model, spec.epochs = True, trial.fidelity
            kept = fit_trial(spec, self._trial_data(X, y, for_workers=False)).models
        return self._trained_model(best, kept or [], X, y)

    @contextlib.contextmanager
    def _pool(self, X: np.ndarray, y: np.ndarray) -> Iterator[tuple[Pool, Any]]:
        """The pool for ``n_jobs``/``backend``, and the estimator with its thread cap."""
        estimator = clone(self.estimator)
        caps = "tf_threads" in estimator.get_params()
        if self.backend == "dask":
            kinds = (
                () if self._stream is None else (self._stream.train.kind, self._stream.valid.kind)
            )
            if "dataset" in kinds:
                raise ValueError(
                    "a tf.data.Dataset object cannot reach Dask workers (they may not see this "
                    "machine's disk); pass a function that returns it (X=make_dataset)."
                )
            with dask_client(self.scheduler) as client:
                slots = dask_slots(client, self.n_jobs)  # type: ignore[arg-type]  # checked: no str
                if caps and estimator.get_params()["tf_threads"] is None:
                    estimator.set_params(tf_threads=default_tf_threads(slots, client))
                pool = DaskPool(client, slots, self._trial_data(X, y, for_workers=True))
                pool.trial_timeout = check_trial_timeout(self.trial_timeout)
                try:
                    self._check_live(pool)
                    yield pool, estimator
                finally:
                    pool.close()
            return
        slots = resolve_n_jobs(self.n_jobs)
        if slots == 1 and self.trial_timeout is None:
            yield InProcessPool(self._trial_data(X, y, for_workers=False)), estimator
            return
        if caps and estimator.get_params()["tf_threads"] is None:
            estimator.set_params(tf_threads=default_tf_threads(slots, None))
        shared = process_pool(slots, estimator.get_params().get("tf_threads") if caps else None)
        shared.set_data(self._trial_data(X, y, for_workers=True))
        shared.trial_timeout = check_trial_timeout(self.trial_timeout)
        shared.heartbeat_grace = check_heartbeat_grace(self.heartbeat_grace)
        yield shared, estimator

    def _check_live(self, pool: Pool) -> None:
        if self.strategy_.wants_epoch_reports and not pool.live_epochs:
            raise ValueError(
                f"strategy {self.strategy_.name!r} stops trials per epoch, which needs "
                "backend='processes' (a Dask worker cannot reach this process mid-fit)."
            )

    def _open_ledger(self) -> Ledger | None:
        if self.storage is None and self.study_name is None:
            return None
        storage = self.storage or DEFAULT_STORAGE
        # Without a name, one made from the settings: two datasets never share a study.
        name = self.study_name or f"hpsearch-{self.strategy_.name}-{short_hash(self.fingerprint_)}"
        return Ledger(storage, name, self.space_)

    def _check_resumed(self, resumed: list[Trial]) -> None:
        for trial in resumed:
            if trial.complete and len(trial.fold_scores) != self.n_splits_:
                raise ValueError(
                    f"the ledger's trials were scored on {len(trial.fold_scores)} folds but "
                    f"this search uses {self.n_splits_}; resume with the same cv, or use "
                    "another study_name."
                )

    # ----------------------------------------------------------------------------------
    # The fitted search as an estimator
    # ----------------------------------------------------------------------------------
    def predict(self, X: Any) -> Any:
        if isinstance(self.best_estimator_, keras.Model):  # a streamed search's model
            return self.best_estimator_.predict(X, verbose=0)
        return self.best_estimator_.predict(X)

    def predict_proba(self, X: Any) -> Any:
        return self.best_estimator_.predict_proba(X)

    def score(self, X: Any, y: Any = None) -> float:
        """The search's scorer on ``X, y`` with the refitted best estimator."""
        return float(self.scorer_(self.best_estimator_, X, y))

    @property
    def classes_(self) -> Any:
        return self.best_estimator_.classes_

    # ----------------------------------------------------------------------------------
    # Progress bar
    # ----------------------------------------------------------------------------------
    def _progress_bar(self) -> Any:
        self._bar = None
        if not self.progress:
            return None
        from tqdm.auto import tqdm

        self._bar = tqdm(total=self.n_trials_, desc=f"{self.strategy_.name} search", unit="trial")
        seen: list[Trial] = []

        def update(trial: Trial) -> None:
            seen.append(trial)
            best = max((t.score for t in seen if t.complete), default=math.nan)
            failed = sum(t.state == "failed" for t in seen)
            assert self._bar is not None
            self._bar.set_postfix(best=f"{best:.4g}", failed=failed, refresh=False)
            self._bar.update(1)

        return update

    def _close_progress(self) -> None:
        bar = getattr(self, "_bar", None)
        if bar is not None:
            bar.close()
            self._bar = None


class SpaceGridSearchCV(SpaceSearchCV):
    """Grid search: every point of the discretised space (``GridStrategy``), in
    ``ParameterGrid`` order."""

    _default_strategy = GridStrategy


class SpaceRandomizedSearchCV(SpaceSearchCV):
    """Random search: the candidates of ``ParameterSampler(space.to_sklearn(), n_trials,
    random_state=seed)``, exactly what ``RandomizedSearchCV`` would try (``RandomStrategy``)."""

    _default_strategy = RandomStrategy


class GeneticSearchCV(SpaceSearchCV):
    """Genetic search with DEAP (``GeneticStrategy``)."""

    _default_strategy = GeneticStrategy


class TPESearchCV(SpaceSearchCV):
    """Optuna TPE search (``TPEStrategy``) through ask/tell."""

    _default_strategy = TPEStrategy


class HyperbandSearchCV(SpaceSearchCV):
    """Hyperband over epochs with promotions that continue training (``HyperbandStrategy``);
    the estimator's ``epochs`` is the largest resource."""

    _default_strategy = HyperbandStrategy


class ASHASearchCV(SpaceSearchCV):
    """Asynchronous successive halving over epochs (``ASHAStrategy``)."""

    _default_strategy = ASHAStrategy
