"""``SearchResult``: what ``search()`` returns, and its Markdown/JSON report."""

from __future__ import annotations

import dataclasses
import json
import math
import platform
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pandas as pd

from models import keras_model
from search.estimators import SpaceSearchCV
from search.trial import Trial, trials_frame

__all__ = ["LoadedResult", "SearchResult", "load_result", "markdown_table"]

_MODEL_FILE = "model.keras"
_RESULT_FILE = "result.json"


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
    def best_model_(self) -> keras.Model:
        """``best_estimator_`` as a trained ``keras.Model``: its model, or for an ensemble
        (the refit's seeds, a trial's folds) one model averaging its members' outputs,
        compiled as they were (``models.keras_model``): ``predict``, ``evaluate``,
        ``save`` as for any Keras model."""
        if self.search_.refit is False:
            raise AttributeError("best_model_ needs a refit; this search ran with refit=False.")
        return keras_model(self.best_estimator_)

    def top_models(self, k: int = 3) -> list[tuple[dict[str, Any], keras.Model]]:
        """The ``k`` best trials' (params, trained ``keras.Model``), best first, as they
        were trained in the search (under k-fold: their fold models averaged); needs
        ``keep_models >= k`` when searching, so that nothing is retrained.
        """
        kept = getattr(self.search_, "top_models_", [])
        keep = int(getattr(self.search_, "keep_models", 0))
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"k must be an int >= 1, got {k!r}.")
        if k > keep:
            raise ValueError(
                f"top_models({k}) needs the search to keep {k} trials' models; it kept "
                f"{keep}. Search with keep_models={k}."
            )
        return [(dict(params), keras_model(est)) for params, est in kept[:k]]

    def save(self, path: str | Path) -> Path:
        """Write the best model (``model.keras``), the kept top models (``top_<i>.keras``),
        ``result.json`` (params, scores, settings, every trial) and ``trials.csv`` into the
        folder ``path``; ``search.load_result(path)`` reads it back without retraining and
        without unpickling any code. Returns the folder."""
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        data = self.to_dict()
        data["classes"] = _classes(self.best_estimator_) if self.search_.refit else None
        if self.search_.refit is not False:
            self.best_model_.save(folder / _MODEL_FILE)
            data["model_file"] = _MODEL_FILE
        tops = []
        kept = len(getattr(self.search_, "top_models_", []))
        for i, (params, model) in enumerate(self.top_models(kept) if kept else [], start=1):
            name = f"top_{i}.keras"
            model.save(folder / name)
            tops.append({"rank": i, "params": params, "model_file": name})
        data["top_models"] = tops
        (folder / _RESULT_FILE).write_text(json.dumps(data, indent=2, default=str))
        self.trials_.to_csv(folder / "trials.csv", index=False)
        return folder

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
        try:
            model = keras_model(best)  # a scikeras estimator's model, or a streamed search's
        except TypeError:
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


class LoadedResult:
    """A search saved by ``SearchResult.save``, read back: ``best_params_``,
    ``best_score_``, ``best_model_`` (the ``keras.Model``), ``trials_``, ``settings``,
    ``top_models(k)`` and ``predict`` (class labels for classification)."""

    def __init__(self, folder: Path, data: dict[str, Any]) -> None:
        self.folder, self.data = folder, data
        self.strategy = str(data.get("strategy"))
        self.task = str(data.get("task"))
        self.settings: dict[str, Any] = dict(data.get("settings") or {})
        self.best_params_: dict[str, Any] = dict(data.get("best_params") or {})
        score = data.get("best_score")
        self.best_score_ = math.nan if score is None else float(score)
        self.classes_ = None if data.get("classes") is None else np.asarray(data["classes"])
        names = {f.name for f in dataclasses.fields(Trial)}
        trials = []
        for row in data.get("trials", []):
            kept = {k: v for k, v in row.items() if k in names}
            kept["fold_scores"] = [_nan_for_none(v) for v in kept.get("fold_scores", [])]
            kept["curve"] = [[_nan_for_none(v) for v in c] for c in kept.get("curve", [])]
            trials.append(Trial(**kept))
        self.records_ = trials
        self.trials_ = trials_frame(trials)
        self._models: dict[str, keras.Model] = {}

    def _load(self, name: str) -> keras.Model:
        if name not in self._models:
            # safe_mode: a .keras file cannot run code (no lambda layers are deserialised).
            self._models[name] = keras.saving.load_model(self.folder / name, safe_mode=True)
        return self._models[name]

    @property
    def best_model_(self) -> keras.Model:
        name = self.data.get("model_file")
        if not name:
            raise AttributeError("this search was saved without a refit model (refit=False).")
        return self._load(str(name))

    def top_models(self, k: int = 3) -> list[tuple[dict[str, Any], keras.Model]]:
        tops = self.data.get("top_models") or []
        if k > len(tops):
            raise ValueError(f"top_models({k}): this result kept {len(tops)} trials' models.")
        return [(dict(t["params"]), self._load(t["model_file"])) for t in tops[:k]]

    def predict(self, X: Any) -> np.ndarray:
        """The best model's predictions: values (regression) or class labels."""
        out = np.asarray(self.best_model_.predict(np.asarray(X, dtype=np.float32), verbose=0))
        if self.task != "classification":
            return out.reshape(len(out), -1)[:, 0] if out.ndim > 1 and out.shape[1] == 1 else out
        index = (out[:, 0] > 0.5).astype(int) if out.shape[-1] == 1 else out.argmax(axis=-1)
        return index if self.classes_ is None else self.classes_[index]

    def __repr__(self) -> str:
        return (
            f"LoadedResult(strategy={self.strategy!r}, trials={len(self.records_)}, "
            f"best_score_={self.best_score_:.6g}, best_params_={self.best_params_})"
        )


def load_result(path: str | Path) -> LoadedResult:
    """Read a search saved by ``SearchResult.save(path)``: its models (``.keras``, loaded
    in Keras's safe mode) and ``result.json``; no pickle, no retraining.

    Examples:
        >>> try:
        ...     load_result("no/such/folder")
        ... except FileNotFoundError as error:
        ...     print(str(error)[:40])
        no saved search in 'no/such/folder' (res
    """
    folder = Path(path)
    file = folder / _RESULT_FILE
    if not file.is_file():
        raise FileNotFoundError(
            f"no saved search in {str(path)!r} ({_RESULT_FILE} is missing); write one with "
            "result.save(path)."
        )
    return LoadedResult(folder, json.loads(file.read_text()))


def _nan_for_none(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _classes(estimator: Any) -> list[Any] | None:
    classes = getattr(estimator, "classes_", None)
    return None if classes is None else np.asarray(classes).tolist()


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
