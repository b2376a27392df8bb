"""``SearchResult``: what ``search()`` returns, and its Markdown/JSON report."""

from __future__ import annotations

import json
import math
import platform
from pathlib import Path
from typing import Any

import pandas as pd

from search.estimators import SpaceSearchCV

__all__ = ["SearchResult", "markdown_table"]


class SearchResult:
    """The outcome of one search: scikit-learn's attributes plus a trials table.

    Attributes: ``best_params_``, ``best_score_``, ``best_estimator_`` (as ``refit``
    says: retrained on all of ``X, y``, or the best trial's own models), ``cv_results_``,
    ``trials_`` (one row per trial), ``elapsed_`` (seconds),
    ``search_`` (the fitted search estimator), ``task`` and ``settings``.

    Examples:
        >>> import tempfile
        >>> import numpy as np
        >>> from search import search
        >>> from search.testing import TINY_SPACE, tiny_regressor
        >>> X = np.random.default_rng(0).normal(size=(40, 3)).astype("float32"); y = X.sum(1)
        >>> result = search("random", TINY_SPACE, tiny_regressor, X, y, n_trials=2, cv=2,
        ...                 epochs=1, progress=False)
        >>> result.report(tempfile.mkdtemp()).name
        'report.md'
    """

    def __init__(self, searcher: SpaceSearchCV, *, task: str, settings: dict[str, Any]) -> None:
        self.search_ = searcher
        self.task = task
        self.settings = settings

    @property
    def best_params_(self) -> dict[str, Any]:
        return dict(self.search_.best_params_)

    @property
    def best_score_(self) -> float:
        return float(self.search_.best_score_)

    @property
    def best_estimator_(self) -> Any:
        return self.search_.best_estimator_

    @property
    def cv_results_(self) -> dict[str, Any]:
        return dict(self.search_.cv_results_)

    @property
    def trials_(self) -> pd.DataFrame:
        return self.search_.trials_

    @property
    def elapsed_(self) -> float:
        return float(self.search_.elapsed_)

    @property
    def strategy(self) -> str:
        return str(self.search_.strategy_.name)

    def __repr__(self) -> str:
        return (
            f"SearchResult(strategy={self.strategy!r}, trials={len(self.trials_)}, "
            f"best_score_={self.best_score_:.6g}, best_params_={self.best_params_})"
        )

    def to_dict(self) -> dict[str, Any]:
        """Everything needed to re-plot the search, JSON-ready."""
        return {
            "strategy": self.strategy,
            "task": self.task,
            "settings": self.settings,
            "best_params": self.best_params_,
            "best_score": _finite_or_none(self.best_score_),
            "elapsed": self.elapsed_,
            "ledger_missing": int(getattr(self.search_, "ledger_missing_", 0)),
            "trials": [r.to_dict() for r in self.search_.records_],
            "machine": {"python": platform.python_version(), "platform": platform.platform()},
        }

    def model_summary(self) -> str:
        """The Keras summary of the best estimator's model (empty without refit; a fold
        ensemble shows its first member, the others have the same architecture)."""
        best = self.best_estimator_ if self.search_.refit is not False else None
        members = getattr(best, "estimators_", None)
        if members:
            best = getattr(members[0], "estimator", members[0])  # inside its FrozenEstimator
        model = getattr(best, "model_", None)
        if model is None:
            return ""
        lines: list[str] = []
        model.summary(print_fn=lambda line, **_: lines.append(line))
        return "\n".join(lines)

    def report(self, path: str | Path) -> Path:
        """Write ``report.md`` and ``report.json`` into the folder ``path``; return the .md."""
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        md_path = folder / "report.md"
        (folder / "report.json").write_text(json.dumps(self.to_dict(), indent=2, default=str))
        trials = self.trials_
        table = trials[["number", "strategy", "status", "score", "score_std", "fit_time"]].copy()
        table["params"] = trials["params"].map(_format_params)
        table["error"] = trials["error"].fillna("")
        n_failed = int((trials["status"] == "failed").sum())
        lines = [
            f"# hpsearch report: {self.strategy} search",
            "",
            f"- task: {self.task}; scoring: {self.settings.get('scoring')} (greater is better)",
            f"- trials: {len(trials)} ({n_failed} failed); wall time {self.elapsed_:.1f} s",
            *self._ledger_lines(),
            f"- best score: {self.best_score_:.6g}",
            f"- best params: `{_format_params(self.best_params_)}`",
            "",
            "## Settings",
            "",
            *[f"- {k}: `{v}`" for k, v in self.settings.items()],
            "",
            "## Best model",
            "",
            "```",
            self.model_summary() or "(no refit)",
            "```",
            "",
            "## Trials",
            "",
            markdown_table(table),
            "",
        ]
        md_path.write_text("\n".join(lines))
        return md_path

    def _ledger_lines(self) -> list[str]:
        missing = int(getattr(self.search_, "ledger_missing_", 0))
        if not missing:
            return []
        return [
            f"- ledger: {missing} trial write(s) failed; those trials are in this report but "
            "missing from the ledger (a resume would train them again)"
        ]


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _format_params(params: dict[str, Any]) -> str:
    return ", ".join(
        f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items()
    )


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub Markdown table of ``frame`` (floats to 4 significant digits)."""

    def cell(value: Any) -> str:
        if isinstance(value, float):
            return "" if math.isnan(value) else f"{value:.4g}"
        return str(value).replace("|", "\\|").replace("\n", " ")

    header = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *rows])
