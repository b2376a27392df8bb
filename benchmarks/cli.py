"""The ``hpsearch`` command line.

hpsearch --version
hpsearch --verbose search ...
hpsearch datasets
hpsearch brackets --max-epochs 81 --eta 3
hpsearch search --strategy genetic --dataset california --trials 20 --out reports/ga
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    from search import __version__
    from search.strategies import STRATEGIES

    parser = argparse.ArgumentParser(prog="hpsearch", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"hpsearch {__version__}")
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="show TensorFlow's own start-up and log lines (hidden by default; so does "
        "HPSEARCH_VERBOSE=1)",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    ds = sub.add_parser("datasets", help="show which datasets are available offline, and where")
    ds.add_argument("--data-dir", default=None, help="a folder holding the dataset files")

    s = sub.add_parser("search", help="search a dataset's model with one strategy")
    s.add_argument("--strategy", choices=sorted(STRATEGIES), default="random")
    s.add_argument("--dataset", choices=["california", "fashion_mnist"], default="california")
    s.add_argument("--space", default=None, help="a preset space name (default: the dataset's)")
    s.add_argument("--trials", type=int, default=20, help="trial budget (default 20)")
    s.add_argument("--timeout", type=float, default=None, help="time budget in seconds")
    s.add_argument(
        "--trial-timeout",
        type=float,
        default=None,
        help="seconds a trial may run; one past it is stopped and recorded failed",
    )
    s.add_argument("--cv", type=int, default=3, help="k-fold cross-validation (default 3)")
    s.add_argument("--epochs", type=int, default=100, help="max epochs per fit (early stopping)")
    s.add_argument("--batch-size", type=int, default=32)
    s.add_argument("--n-train", type=int, default=None, help="use a subset of the training data")
    s.add_argument(
        "--n-jobs",
        type=_n_jobs,
        default=1,
        help="trials in parallel (processes; 'gpus': one worker per GPU)",
    )
    s.add_argument(
        "--objective",
        default=None,
        help="a metric the model logs on validation to optimise (e.g. val_loss; default: the "
        "task's scikit-learn scoring)",
    )
    s.add_argument(
        "--direction",
        choices=["min", "max"],
        default=None,
        help="with --objective: minimise or maximise it (default: losses and errors minimised)",
    )
    s.add_argument(
        "--save",
        default=None,
        help="also save the best model (.keras) and the trials there (search.load_result reads it)",
    )
    s.add_argument("--seed", type=int, default=0)
    s.add_argument(
        "--refit",
        choices=["all", "trial"],
        default=None,
        help="the returned model: 'all' retrains the best candidate on all the training data, "
        "'trial' keeps the best trial's own models (default: search()'s)",
    )
    s.add_argument(
        "--refit-models",
        type=int,
        default=None,
        help="with --refit all: retrain this many models and average them (default: search()'s)",
    )
    s.add_argument(
        "--refit-early-stopping",
        choices=["auto", "true", "false"],
        default=None,
        help="with --refit all: 'true' retrains with early stopping, 'false' on every row for "
        "all the epochs, 'auto' on every row when it stopped none of the best trial's folds "
        "(default: search()'s)",
    )
    s.add_argument(
        "--no-refit-floor",
        action="store_true",
        help="with --refit all: let the refit's early stopping stop at any epoch, even before "
        "the best trial's folds peaked",
    )
    s.add_argument(
        "--no-refit-guard",
        action="store_true",
        help="with --refit all: keep every retraining, even one that scores below the best "
        "trial's worst fold on the rows its early stopping held back",
    )
    s.add_argument("--storage", default=None, help="Optuna storage URL for the trial ledger")
    s.add_argument("--study-name", default=None, help="ledger study name (resumes if it exists)")
    s.add_argument("--data-dir", default=None, help="a folder holding the dataset files")
    s.add_argument("--out", default="reports/search", help="report folder (default reports/search)")
    s.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    hb = sub.add_parser("brackets", help="show Hyperband's brackets before running them")
    hb.add_argument("--max-epochs", type=int, default=81, help="R: epochs of a full trial")
    hb.add_argument("--eta", type=int, default=3, help="keep 1/eta of each rung (default 3)")
    b = sub.add_parser("bench", help="compare the strategies on the benchmark datasets")
    from benchmarks.__main__ import add_arguments

    add_arguments(b)
    return parser


def _cmd_datasets(args: argparse.Namespace) -> int:
    from benchmarks.datasets import DATA_DIR_ENV, available_datasets

    for name, where in available_datasets(args.data_dir).items():
        print(f"{name:14s} {where or f'not found offline (set {DATA_DIR_ENV} or download)'}")
    return 0


def _refit_options(args: argparse.Namespace) -> dict[str, Any]:
    """The refit flags given, as ``search()`` arguments (absent ones keep its defaults)."""
    given = {
        "refit": args.refit,
        "refit_models": args.refit_models,
        "refit_early_stopping": {"auto": "auto", "true": True, "false": False}.get(
            args.refit_early_stopping or ""
        ),
        "refit_floor": False if args.no_refit_floor else None,
        "refit_guard": False if args.no_refit_guard else None,
    }
    return {k: v for k, v in given.items() if v is not None}


def _n_jobs(text: str) -> int | str:
    if text == "gpus":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--n-jobs must be an int or 'gpus', got {text!r}"
        ) from None


def _cmd_search(args: argparse.Namespace) -> int:
    from benchmarks.datasets import load_dataset
    from search import search

    kwargs: dict[str, object] = {"data_dir": args.data_dir, "n_train": args.n_train}
    if args.dataset == "fashion_mnist":
        kwargs["flatten"] = True
    data = load_dataset(args.dataset, **kwargs)
    print(data.summary(), flush=True)
    from models import per_layer_classifier, per_layer_regressor
    from search.strategies import NASStrategy
    from spaces import california_mlp, fashion_mlp, get_preset

    default = california_mlp if data.task == "regression" else fashion_mlp
    space = get_preset(args.space) if args.space else default()
    # The per-layer presets need their per-layer builders; the others the task's default.
    builders = {
        "california_per_layer": per_layer_regressor,
        "fashion_per_layer": per_layer_classifier,
    }
    strategy: str | NASStrategy = args.strategy
    if args.strategy == "nas":
        strategy = NASStrategy.for_space(space)  # 5 values per float or wide int
    result = search(
        strategy,
        space,
        builders.get(args.space or ""),
        data=data,
        n_trials=args.trials,
        timeout=args.timeout,
        trial_timeout=args.trial_timeout,
        cv=args.cv,
        epochs=args.epochs,
        batch_size=args.batch_size,
        n_jobs=args.n_jobs,
        seed=args.seed,
        storage=args.storage,
        study_name=args.study_name,
        progress=not args.no_progress,
        objective=args.objective,
        direction=args.direction,
        **_refit_options(args),
    )
    scorer = result.search_.scorer_
    test_score = float(scorer(result.best_estimator_, data.X_test, data.y_test))
    report = result.report(args.out)
    if args.save:
        result.save(args.save)
    summary = {
        "strategy": result.strategy,
        "dataset": data.name,
        "best_params": result.best_params_,
        "best_cv_score": result.best_score_,
        "test_score": test_score,
        "scoring": result.settings["objective"] or result.settings["scoring"],
        "trials": len(result.trials_),
        "wall_seconds": round(result.elapsed_, 1),
        "report": str(report),
    }
    Path(args.out, "summary.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hpsearch`` command."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "datasets":
            return _cmd_datasets(args)
        if args.command == "brackets":
            from search.multifidelity import format_brackets, hyperband_brackets

            print(format_brackets(hyperband_brackets(args.max_epochs, args.eta)))
            return 0
        if args.command == "bench":
            from benchmarks.__main__ import run_from_args

            return run_from_args(args)
        return _cmd_search(args)
    except (ValueError, TypeError, RuntimeError) as exc:
        print(f"hpsearch: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
