"""``Trial``: one record per trial, shared by the runner, the ledger, results and reports."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

__all__ = ["TRIAL_STATES", "Trial", "candidate_key", "params_key", "short_error", "trials_frame"]

# running -> complete | pruned | failed. A pruned trial was stopped on purpose (by a
# strategy's per-epoch rule); a failed one raised, diverged, lost its worker or was
# interrupted.
TRIAL_STATES = ("running", "complete", "pruned", "failed")


def params_key(params: dict[str, Any]) -> str:
    """A canonical text for a candidate, to recognise duplicates and resumed trials.

    Examples:
        >>> params_key({"b": 1, "a": 0.5})
        '{"a": 0.5, "b": 1}'
    """
    return json.dumps(params, sort_keys=True, default=repr)


def candidate_key(params: dict[str, Any], fidelity: int | None = None) -> str:
    """``params_key``, plus the epochs when a multi-fidelity strategy chose them: the same
    candidate at 3 and at 9 epochs are two trials.

    Examples:
        >>> candidate_key({"a": 1}, 9)
        '{"a": 1}@9'
    """
    key = params_key(params)
    return key if fidelity is None else f"{key}@{fidelity}"


def short_error(text: str | None) -> str | None:
    """The last line of a traceback: the exception type and message.

    Examples:
        >>> short_error("Traceback ...\\n  File x\\nValueError: boom")
        'ValueError: boom'
    """
    if not text:
        return None
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else None


@dataclass
class Trial:
    """What one trial is and did: its candidate, resource, state, scores, curve and cost.

    Scores follow scikit-learn's convention (greater is better). ``curve[k][e]`` is the
    validation score of fold ``k`` after epoch ``e + 1`` (the same scorer as the final
    score, on the same held-out part); ``fold_epochs[k]`` the epochs fold ``k`` trained.

    Examples:
        >>> t = Trial(0, "random", {"n": 2}, state="complete", fold_scores=[-1.0, -3.0])
        >>> t.score, t.complete
        (-2.0, True)
    """

    number: int
    strategy: str
    params: dict[str, Any]
    state: str = "running"
    epochs: int | None = None  # the resource given: max epochs per fold
    fold_scores: list[float] = field(default_factory=list)
    fold_epochs: list[int] = field(default_factory=list)
    curve: list[list[float]] = field(default_factory=list)
    fold_fit_times: list[float] = field(default_factory=list)  # seconds in Keras fit
    fold_score_times: list[float] = field(default_factory=list)  # seconds scoring
    queue_time: float = 0.0  # seconds between being proposed and starting on a worker
    error: str | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    elapsed: float = 0.0  # seconds since the search started, when the trial ended
    resumed: bool = False
    # Multi-fidelity: the epochs the strategy asked for (None: the search's epochs), and
    # the trial whose trained model this one continued from epoch ``start_epoch``.
    fidelity: int | None = None
    parent: int | None = None
    start_epoch: int = 0

    @property
    def key(self) -> str:
        """The candidate's identity for duplicates and resume (``candidate_key``)."""
        return candidate_key(self.params, self.fidelity)

    @property
    def complete(self) -> bool:
        return (
            self.state == "complete"
            and bool(self.fold_scores)
            and all(math.isfinite(s) for s in self.fold_scores)
        )

    @property
    def finished(self) -> bool:
        return self.state != "running"

    @property
    def status(self) -> str:
        """The state, for tables (kept as a name for the reports' columns)."""
        return self.state

    @property
    def fit_time(self) -> float:
        """Seconds in Keras ``fit`` over all folds (the per-epoch scoring excluded)."""
        return sum(self.fold_fit_times)

    @property
    def score_time(self) -> float:
        """Seconds scoring held-out parts over all folds (per-epoch scores included)."""
        return sum(self.fold_score_times)

    @property
    def epochs_trained(self) -> int:
        """Epochs over all folds: the cost unit of a multi-fidelity search."""
        return sum(self.fold_epochs)

    @property
    def score(self) -> float:
        """Mean score over folds; NaN unless the trial is complete."""
        if not self.complete:
            return math.nan
        return sum(self.fold_scores) / len(self.fold_scores)

    @property
    def score_std(self) -> float:
        if not self.complete:
            return math.nan
        mean = self.score
        return math.sqrt(sum((s - mean) ** 2 for s in self.fold_scores) / len(self.fold_scores))

    def mean_curve(self) -> list[float]:
        """The per-epoch validation score averaged over the folds that reached each epoch."""
        longest = max((len(c) for c in self.curve), default=0)
        out = []
        for epoch in range(longest):
            values = [c[epoch] for c in self.curve if len(c) > epoch and math.isfinite(c[epoch])]
            out.append(sum(values) / len(values) if values else math.nan)
        return out

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(
            status=self.status,
            score=self.score,
            score_std=self.score_std,
            epochs_trained=self.epochs_trained,
            fit_time=self.fit_time,
            score_time=self.score_time,
        )
        data["fold_scores"] = [_finite_or_none(s) for s in self.fold_scores]
        data["curve"] = [[_finite_or_none(s) for s in fold] for fold in self.curve]
        for key in ("score", "score_std"):
            data[key] = _finite_or_none(data[key])
        return data


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


_COLUMNS = [
    "number",
    "strategy",
    "status",
    "score",
    "score_std",
    "fold_scores",
    "params",
    "error",
    "epochs_trained",
    "fit_time",
    "queue_time",
    "elapsed",
    "resumed",
    "fidelity",
    "parent",
    "start_epoch",
]


def trials_frame(trials: list[Trial]) -> pd.DataFrame:
    """A tidy table: one row per trial, one ``param_<name>`` column per parameter."""
    rows = []
    for trial in trials:
        row: dict[str, Any] = {
            "number": trial.number,
            "strategy": trial.strategy,
            "status": trial.status,
            "score": trial.score,
            "score_std": trial.score_std,
            "fold_scores": list(trial.fold_scores),
            "params": dict(trial.params),
            "error": trial.error,
            "epochs_trained": trial.epochs_trained,
            "fit_time": trial.fit_time,
            "queue_time": trial.queue_time,
            "elapsed": trial.elapsed,
            "resumed": trial.resumed,
            "fidelity": trial.fidelity,
            "parent": trial.parent,
            "start_epoch": trial.start_epoch,
        }
        row.update({f"param_{k}": v for k, v in trial.params.items()})
        row.update(trial.extras)
        rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=_COLUMNS)
    return frame.sort_values("number", kind="stable").reset_index(drop=True)
