"""One record per trial, shared by the search loop, the ledger and the reports."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

__all__ = ["TrialRecord", "params_key", "short_error", "trials_frame"]


def params_key(params: dict[str, Any]) -> str:
    """A canonical text for a candidate, to recognise duplicates and resumed trials."""
    return json.dumps(params, sort_keys=True, default=repr)


def short_error(text: str | None) -> str | None:
    """The last line of a traceback: the exception type and message."""
    if not text:
        return None
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else None


@dataclass
class TrialRecord:
    """What one trial did: the candidate, its fold scores, its status and cost."""

    number: int
    strategy: str
    params: dict[str, Any]
    fold_scores: list[float]
    fit_time: float
    score_time: float
    error: str | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    elapsed: float = 0.0  # seconds since the search started, when the trial finished
    resumed: bool = False

    @property
    def complete(self) -> bool:
        return (
            self.error is None
            and bool(self.fold_scores)
            and all(math.isfinite(s) for s in self.fold_scores)
        )

    @property
    def status(self) -> str:
        return "complete" if self.complete else "failed"

    @property
    def score(self) -> float:
        """Mean score over folds; NaN for a failed trial."""
        if not self.complete:
            return math.nan
        return sum(self.fold_scores) / len(self.fold_scores)

    @property
    def score_std(self) -> float:
        if not self.complete:
            return math.nan
        mean = self.score
        return math.sqrt(sum((s - mean) ** 2 for s in self.fold_scores) / len(self.fold_scores))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(status=self.status, score=self.score, score_std=self.score_std)
        data["fold_scores"] = [None if not math.isfinite(s) else s for s in self.fold_scores]
        for key in ("score", "score_std"):
            if not math.isfinite(data[key]):
                data[key] = None
        return data


def trials_frame(records: list[TrialRecord]) -> pd.DataFrame:
    """A tidy table: one row per trial, one ``param_<name>`` column per parameter."""
    rows = []
    for rec in records:
        row: dict[str, Any] = {
            "number": rec.number,
            "strategy": rec.strategy,
            "status": rec.status,
            "score": rec.score,
            "score_std": rec.score_std,
            "fold_scores": list(rec.fold_scores),
            "params": dict(rec.params),
            "error": rec.error,
            "fit_time": rec.fit_time,
            "elapsed": rec.elapsed,
            "resumed": rec.resumed,
        }
        row.update({f"param_{k}": v for k, v in rec.params.items()})
        row.update(rec.extras)
        rows.append(row)
    columns = [
        "number",
        "strategy",
        "status",
        "score",
        "score_std",
        "fold_scores",
        "params",
        "error",
        "fit_time",
        "elapsed",
        "resumed",
    ]
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=columns)
    return frame.sort_values("number", kind="stable").reset_index(drop=True)
