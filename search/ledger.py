"""The trial ledger: every finished trial of every strategy, in an Optuna study.

An Optuna storage (a SQLite file by default, PostgreSQL for many machines) holds one study
per search. Each finished trial becomes an Optuna trial with its parameters and their
distributions, its mean score (``COMPLETE``) or its error (``FAIL``), and user attributes:
the strategy, the fold scores, timings and strategy extras. ``optuna-dashboard`` and
``optuna.visualization`` then work for any strategy, and a rerun resumes from it.

Trials are written one at a time as they finish, so killing the process loses at most the
trials that were running. Nothing is unpickled from the ledger: it holds numbers and text.
"""

from __future__ import annotations

import math
from typing import Any

import optuna
from optuna.trial import TrialState

from search._optuna_util import quiet_optuna
from search._trials import TrialRecord
from spaces import Space

__all__ = ["DEFAULT_STORAGE", "Ledger", "mask_url"]

DEFAULT_STORAGE = "sqlite:///hpsearch.db"


def mask_url(url: str) -> str:
    """A storage URL with its password hidden, safe for logs, reports and errors.

    >>> mask_url("postgresql://me:secret@db:5432/hp")
    'postgresql://me:***@db:5432/hp'
    """
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        # Not a URL sqlalchemy understands: hide anything between ':' and '@' to be safe.
        if "@" in url and "://" in url:
            scheme, rest = url.split("://", 1)
            creds, host = rest.rsplit("@", 1)
            user = creds.split(":", 1)[0]
            return f"{scheme}://{user}:***@{host}"
        return url


class Ledger:
    """One search's trials in an Optuna study (created, or loaded when it exists).

    >>> from spaces import Space, Int
    >>> ledger = Ledger("sqlite:///:memory:", "demo", Space(n=Int(1, 3)))  # doctest: +SKIP
    """

    def __init__(self, storage: str, study_name: str, space: Space) -> None:
        if not isinstance(storage, str) or not storage:
            raise TypeError(f"storage must be a database URL string, got {storage!r}.")
        if not isinstance(study_name, str) or not study_name:
            raise ValueError(f"study_name must be a non-empty string, got {study_name!r}.")
        self.storage_url = mask_url(storage)
        self.study_name = study_name
        self._space = space
        self._distributions = space.to_optuna()
        try:
            with quiet_optuna():
                self.study = optuna.create_study(
                    storage=storage,
                    study_name=study_name,
                    direction="maximize",
                    load_if_exists=True,
                )
        except Exception as exc:
            # The driver's message may quote the URL with its password: never show it.
            raise RuntimeError(
                f"cannot open the ledger study {study_name!r} at {self.storage_url}: "
                f"{type(exc).__name__}. Check that the database is reachable and the "
                "URL is right."
            ) from None

    def records(self) -> list[TrialRecord]:
        """The finished trials in the ledger, in the order they were written."""
        out: list[TrialRecord] = []
        for trial in self.study.get_trials(deepcopy=False):
            if trial.state not in (TrialState.COMPLETE, TrialState.FAIL):
                continue
            attrs = trial.user_attrs
            if set(trial.params) != set(self._space):
                raise ValueError(
                    f"ledger study {self.study_name!r} at {self.storage_url} holds trials over "
                    f"parameters {sorted(trial.params)}, not this space's {sorted(self._space)}; "
                    "use another study_name for another space."
                )
            folds = [math.nan if s is None else float(s) for s in attrs.get("fold_scores", [])]
            out.append(
                TrialRecord(
                    number=len(out),
                    strategy=str(attrs.get("strategy", "unknown")),
                    params=self._space.cast(trial.params),
                    fold_scores=folds,
                    fit_time=float(attrs.get("fit_time", 0.0)),
                    score_time=float(attrs.get("score_time", 0.0)),
                    error=attrs.get("error"),
                    extras=dict(attrs.get("extras", {})),
                    elapsed=float(attrs.get("elapsed", 0.0)),
                    resumed=True,
                )
            )
        return out

    def write(self, record: TrialRecord) -> None:
        """Append one finished trial."""
        attrs: dict[str, Any] = {
            "strategy": record.strategy,
            "fold_scores": [s if math.isfinite(s) else None for s in record.fold_scores],
            "fit_time": record.fit_time,
            "score_time": record.score_time,
            "error": record.error,
            "extras": record.extras,
            "elapsed": record.elapsed,
        }
        try:
            trial = optuna.trial.create_trial(
                params=record.params,
                distributions=self._distributions,
                value=record.score if record.complete else None,
                state=TrialState.COMPLETE if record.complete else TrialState.FAIL,
                user_attrs=attrs,
            )
            self.study.add_trial(trial)
        except ValueError as exc:
            raise ValueError(
                f"ledger study {self.study_name!r} at {self.storage_url} does not accept this "
                f"trial ({exc}); it was probably made for another space: use another "
                "study_name."
            ) from None
