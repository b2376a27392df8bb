"""``python -m benchmarks.studies.speed``: trial throughput, overhead, parallelism, memory.

Everything is measured side by side in one run on this machine and printed as a table
(ratios within the run; timings on shared machines are noisy). Sections can be chosen with
``--only`` (``epoch``, ``fold``, ``overhead``, ``trial-cost``, ``first-step``, ``contention``,
``parallel``, ``utilization``, ``memory``); the numbers go to
``benchmarks/results/speed/<date>/<sections>.json``. The course's recipe against ``search()``
is ``python -m benchmarks.studies.defaults``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import time
from collections.abc import Callable
from typing import Any

import joblib
import keras
import numpy as np

from benchmarks.datasets import Dataset, load_california_housing, load_fashion_mnist
from benchmarks.studies._record import Record, add_output_arguments, recorded, results_path
from benchmarks.tables import markdown
from models import deep_mlp, make_estimator, regression_mlp
from search import local_cluster, search, shutdown_workers

__all__ = ["main"]


class _EpochTimer(keras.callbacks.Callback):
    def on_train_begin(self, logs: Any = None) -> None:
        self.times: list[float] = []

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self.times.append(time.perf_counter() - self._start)


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def course_fashion_mlp(meta: dict[str, Any] | None = None) -> keras.Model:
    """The course's Fashion-MNIST classifier exactly: Flatten, Dense 300, Dense 100, softmax."""
    if meta is None:
        raise ValueError("course_fashion_mlp is built through scikeras, which passes meta.")
    model = keras.Sequential(
        [
            keras.Input(shape=meta["X_shape_"][1:]),
            keras.layers.Flatten(),
            keras.layers.Dense(300, activation="relu"),
            keras.layers.Dense(100, activation="relu"),
            keras.layers.Dense(meta["n_classes_"], activation="softmax"),
        ]
    )
    model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd", metrics=["accuracy"])
    return model


def epoch_speed(data: Dataset, fashion: Dataset | None, epochs: int = 6) -> dict[str, float]:
    """Seconds per epoch, scikeras defaults vs ours, same model, batch size 32 and data:
    the course's California 8-30-1 MLP and (if loaded) its Fashion-MNIST 784-300-100-10 MLP."""
    cases: list[tuple[str, Dataset, Callable[..., Any], str, dict[str, Any]]] = [
        ("california 8-30-1", data, regression_mlp, "regression", {"layer_size": 30}),
    ]
    if fashion is not None:
        cases.append(("fashion 784-300-100-10", fashion, course_fashion_mlp, "classification", {}))
    out: dict[str, float] = {}
    for name, dataset, build, task, params in cases:
        for label, spe in (("seed recipe (steps_per_execution=1)", 1), ("hpsearch (32)", 32)):
            timer = _EpochTimer()
            est = make_estimator(
                build,
                task,  # type: ignore[arg-type]
                epochs=epochs,
                early_stopping=False,
                steps_per_execution=spe,
                callbacks=[timer],
                **params,
            )
            est.fit(dataset.X_train, dataset.y_train)
            steady = statistics.median(timer.times[1:])  # the first epoch traces the graph
            out[f"{name}, {label}"] = steady
            n = len(dataset.X_train) * 0.9  # validation_split=0.1
            print(
                f"  {name:24s} {label:38s} {steady:.3f} s/epoch  {n / steady:,.0f} samples/s",
                flush=True,
            )
    return out


def engine_overhead(data: Dataset, n_trials: int = 30) -> dict[str, float]:
    """Wall time of a search minus the time spent in fit/score (build, train, predict)."""
    result = search(
        "tpe",
        "california_mlp",
        data=data,
        n_trials=n_trials,
        cv=0.2,
        epochs=20,
        progress=False,
        refit=False,
    )
    inside = sum(r.fit_time + r.score_time for r in result.search_.records_)
    wall = result.elapsed_
    pct = 100 * (wall - inside) / wall
    print(
        f"  {n_trials}-trial search: wall {wall:.1f} s, in fit/score {inside:.1f} s, "
        f"overhead {pct:.2f} %"
    )
    return {"wall": wall, "inside": inside, "overhead_pct": pct}


def trial_fixed_cost(
    data: Dataset, fashion: Dataset | None, epochs: tuple[int, ...] = (1, 3, 9), n_trials: int = 6
) -> dict[str, Any]:
    """What a trial costs besides its epochs: trials of 1, 3 and 9 epochs (the rungs of a
    multi-fidelity search), fit + score time per trial fitted as ``fixed + per_epoch x
    epochs``. A rung of a few epochs pays ``fixed`` in full, which is why Hyperband and ASHA
    spend more time than their epoch counts suggest.
    """
    tasks: list[tuple[str, Dataset, str, Any, int]] = [
        ("California", data, "california_wide", regression_mlp, 64)
    ]
    if fashion is not None:
        tasks.append(("Fashion-MNIST", fashion, "fashion_mlp", deep_mlp, 128))
    out: dict[str, Any] = {}
    for name, ds, space, build, batch in tasks:
        points: list[tuple[int, float]] = []
        outside = []
        for n_epochs in epochs:
            result = search(
                "random",
                space,
                build,
                data=ds,
                n_trials=n_trials,
                cv=(ds.X_valid, ds.y_valid),
                epochs=n_epochs,
                batch_size=batch,
                seed=n_epochs,
                progress=False,
                refit=False,
            )
            records = result.search_.records_
            points += [(r.epochs_trained, r.fit_time + r.score_time) for r in records]
            inside = sum(r.fit_time + r.score_time for r in records)
            outside.append((result.elapsed_ - inside) / len(records))
        xs, ys = np.array([p[0] for p in points]), np.array([p[1] for p in points])
        per_epoch, fixed = (float(v) for v in np.polyfit(xs, ys, 1))
        engine = statistics.median(outside)
        print(
            f"  {name}: {len(points)} trials of {'/'.join(map(str, epochs))} epochs: "
            f"fixed {fixed:.3f} s a trial + {per_epoch:.3f} s an epoch (fit + score), "
            f"the engine {engine:.3f} s a trial; a 1-epoch trial is "
            f"{100 * (fixed + engine) / (fixed + engine + per_epoch):.0f} % fixed cost"
        )
        out[name] = {
            "fixed_s": fixed,
            "per_epoch_s": per_epoch,
            "engine_s_per_trial": engine,
            "points": points,
        }
    return out


def first_step_saving(fashion: Dataset, n_candidates: int = 6, repeats: int = 2) -> dict[str, Any]:
    """What building the training state before the first step saves a new model
    (``models._estimators._build_training_state``): 1-epoch trials of ``fashion_mlp``
    candidates on the training images, scored on the validation images, with and without
    it, interleaved (the same candidates and seed each way); traces of the training step
    per fit, the median trial's seconds, the median paired saving and every trial's score.
    """
    from unittest import mock

    from keras.src.backend.tensorflow import trainer
    from sklearn.metrics import get_scorer

    import models._estimators as estimators
    from search._fit import TrialData, TrialSpec, fit_trial
    from spaces import get_preset

    rng = np.random.default_rng(0)
    space = get_preset("fashion_mlp")
    candidates = [space.sample(rng) for _ in range(n_candidates)]
    X = np.concatenate([fashion.X_train, fashion.X_valid])
    y = np.concatenate([fashion.y_train, fashion.y_valid])
    cut = len(fashion.X_train)
    data = TrialData(X, y, [(np.arange(cut), np.arange(cut, len(X)))])
    est = make_estimator(
        deep_mlp, "classification", epochs=1, batch_size=128, seed=0, **candidates[0]
    )
    scorer = get_scorer("accuracy")
    traces: list[int] = []
    step = trainer.TensorFlowTrainer.train_step

    def counted(self: Any, batch: Any) -> Any:
        traces.append(1)
        return step(self, batch)

    ways = {
        "Keras builds it in the first trace": mock.patch.object(
            estimators, "_build_training_state", lambda *a: None
        ),
        "built before the first step": None,
    }
    seconds: dict[str, list[float]] = {way: [] for way in ways}
    scores: dict[str, list[float]] = {way: [] for way in ways}
    n_traces: dict[str, list[int]] = {way: [] for way in ways}
    with mock.patch.object(trainer.TensorFlowTrainer, "train_step", counted):
        for _ in range(repeats):
            for params in candidates:
                for way, patch in ways.items():
                    traces.clear()
                    if patch is not None:
                        patch.start()
                    try:
                        start = time.perf_counter()
                        outcome = fit_trial(TrialSpec(0, params, est, scorer), data)
                        seconds[way].append(time.perf_counter() - start)
                    finally:
                        if patch is not None:
                            patch.stop()
                    scores[way].append(outcome.fold_scores[0])
                    n_traces[way].append(len(traces))
    out: dict[str, Any] = {}
    base = statistics.median(seconds["Keras builds it in the first trace"])
    for way in ways:
        median = statistics.median(seconds[way])
        out[way] = {
            "median_s": median,
            "ratio": median / base,
            "traces_per_fit": sorted(set(n_traces[way])),
            "seconds": seconds[way],
            "scores": scores[way],
        }
        print(
            f"  {way:<36} traces a fit {sorted(set(n_traces[way]))}, "
            f"{median:5.2f} s a 1-epoch trial ({median / base:.2f})"
        )
    paired = statistics.median(
        a - b
        for a, b in zip(
            seconds["Keras builds it in the first trace"],
            seconds["built before the first step"],
            strict=True,
        )
    )
    same = scores["built before the first step"] == scores["Keras builds it in the first trace"]
    print(
        f"  saved a trial (median of the {len(candidates) * repeats} paired trials): "
        f"{paired:.2f} s; the same trial scores each way: {same}"
    )
    out["paired_saving_s"] = paired
    out["same_scores"] = same
    return out


def _timed_fit(X: np.ndarray, y: np.ndarray) -> float:
    """One California fit in a worker capped at one TensorFlow thread; its wall time."""
    est = make_estimator(
        regression_mlp,
        "regression",
        epochs=10,
        early_stopping=False,
        tf_threads=1,
        hidden_layers=2,
        layer_size=50,
    )
    start = time.perf_counter()
    est.fit(X, y).predict(X)
    return time.perf_counter() - start


def contention(data: Dataset, rounds: int = 3) -> dict[str, float]:
    """How much two fits at once slow each other on this machine: the best n_jobs=2 can do.

    The same fit runs alone in a worker, then in two workers at once. With perfect
    scheduling and no engine overhead, ``n_jobs=2`` takes ``concurrent / (2 * alone)`` of
    the ``n_jobs=1`` time, assuming ``n_jobs=1`` fits as fast as a lone one-thread fit
    (an assumption: this section does not time TensorFlow's default threads).
    """
    X, y = data.X_train[: len(data.X_train) // 2], data.y_train[: len(data.y_train) // 2]
    with joblib.Parallel(n_jobs=2) as parallel:
        parallel(joblib.delayed(_timed_fit)(X, y) for _ in range(2))  # start + warm workers
        alone = [parallel([joblib.delayed(_timed_fit)(X, y)])[0] for _ in range(rounds)]
        together = [
            t
            for _ in range(rounds)
            for t in parallel(joblib.delayed(_timed_fit)(X, y) for _ in "ab")
        ]
    out = {"alone": statistics.median(alone), "together": statistics.median(together)}
    out["slowdown"] = out["together"] / out["alone"]
    out["best_ratio"] = out["slowdown"] / 2
    print(
        f"  one fit alone {out['alone']:.2f} s, two at once {out['together']:.2f} s each "
        f"({out['slowdown']:.2f}x): best possible n_jobs=2 / n_jobs=1 = {out['best_ratio']:.2f}"
    )
    return out


def parallel_speed(data: Dataset, n_trials: int = 16) -> dict[str, float]:
    """The same 16-trial search with n_jobs=1, n_jobs=2 and a 2-worker Dask LocalCluster.

    ``n_jobs=2`` runs twice: first with workers started for it (each imports TensorFlow),
    then again on the same, reused workers, which is what the Dask row (a running cluster)
    and a second search in one session see.
    """
    settings: dict[str, Any] = {
        "n_trials": n_trials,
        "cv": 2,
        "epochs": 10,
        "progress": False,
        "refit": False,
        "seed": 0,
    }
    out: dict[str, float] = {}

    def timed(label: str, **kwargs: Any) -> None:
        start = time.perf_counter()
        result = search("random", "california_mlp", data=data, **settings, **kwargs)
        out[label] = time.perf_counter() - start
        inside = sum(r.fit_time + r.score_time for r in result.search_.records_)
        ratio = out[label] / out["n_jobs=1"] if "n_jobs=1" in out else 1.0
        print(
            f"  {label:34s} {out[label]:6.1f} s  ({ratio:.2f}x n_jobs=1; "
            f"fits {inside:.1f} s in all)",
            flush=True,
        )

    shutdown_workers()  # a cold start
    timed("n_jobs=1", n_jobs=1)
    timed("n_jobs=2, starting workers", n_jobs=2)
    timed("n_jobs=2, reused workers", n_jobs=2)
    try:
        from distributed import Client
    except ImportError:
        print("  dask: not installed (pip install 'hpsearch[dask]'), skipped")
        return out
    with local_cluster(2) as cluster, Client(cluster) as client:
        # A running cluster's workers have imported TensorFlow already.
        client.run(lambda: __import__("tensorflow"))
        timed("dask LocalCluster, 2 workers", backend="dask", scheduler=client)
    dask_vs = out["dask LocalCluster, 2 workers"] / out["n_jobs=2, reused workers"]
    print(f"  dask / n_jobs=2 (reused workers): {dask_vs:.2f}")
    return out


def utilization(data: Dataset, n_trials: int = 12) -> dict[str, float]:
    """Worker utilisation of ``n_jobs=2`` when fits differ in length (early stopping on).

    Busy time is each trial's time on its worker (fit and score); utilisation is busy time
    over 2 x the search's wall time, on warm workers (a first search starts them). The
    ideal is 1.0; the batch loop this runner replaced waited for each batch's slowest fit.
    """
    settings: dict[str, Any] = {
        "n_trials": n_trials,
        "cv": 2,
        "epochs": 60,
        "progress": False,
        "refit": False,
        "seed": 0,
        "n_jobs": 2,
    }
    search("random", "california_mlp", data=data, **{**settings, "n_trials": 2})  # warm
    result = search("random", "california_mlp", data=data, **settings)
    busy = sum(r.fit_time + r.score_time for r in result.search_.records_)
    wall = result.elapsed_
    epochs = [r.epochs_trained for r in result.search_.records_]
    out = {
        "wall": wall,
        "busy": busy,
        "utilization": busy / (2 * wall),
        "epochs_min": min(epochs),
        "epochs_max": max(epochs),
    }
    print(
        f"  {n_trials} trials, n_jobs=2: wall {wall:.1f} s, workers busy {busy:.1f} s, "
        f"utilisation {out['utilization']:.3f} (fit lengths {min(epochs)}-{max(epochs)} epochs "
        "over 2 folds)",
        flush=True,
    )
    return out


def memory_growth(n_trials: int = 200) -> dict[str, float]:
    """RSS after 10 and after ``n_trials`` trials of a tiny model in one process."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 8)).astype(np.float32)
    y = X.sum(axis=1)
    marks: dict[str, float] = {}
    est = make_estimator(regression_mlp, "regression", epochs=1, early_stopping=False, layer_size=8)
    for i in range(1, n_trials + 1):
        est.set_params(layer_size=int(4 + i % 7)).fit(X, y).predict(X[:5])
        if i in (10, n_trials):
            marks[f"after {i}"] = _rss_mb()
    marks["growth"] = marks[f"after {n_trials}"] - marks["after 10"]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"  RSS after 10 fits {marks['after 10']:.0f} MB, after {n_trials} "
        f"{marks[f'after {n_trials}']:.0f} MB (growth {marks['growth']:.1f} MB); peak {peak:.0f} MB"
    )
    return marks


def fold_costs(fashion: Dataset, repeats: int = 2) -> dict[str, Any]:
    """Seconds per trial (3 folds of 10,000 Fashion-MNIST images, the course's classifier
    with SGD, 10 epochs, early stopping on, in this process) as each per-fold saving is
    switched on in turn, from how trials ran before them: Keras's ``validation_split``
    evaluation (a traced test function per fold), the fold's score through
    ``model.predict`` (a traced predict function per fold) and a new model per fold (a
    traced training function per fold). The same candidates, seed and folds each way,
    interleaved; the median trial."""
    from unittest import mock

    from sklearn.metrics import get_scorer
    from sklearn.model_selection import StratifiedKFold

    import models._estimators as estimators
    import search._fit as fit
    from models import classifier_mlp
    from search._fit import TrialData, TrialSpec, fit_trial

    def keras_validation(*args: Any, **kwargs: Any) -> None:
        return None  # Keras splits and evaluates, as before

    def predict_score(estimator: Any, scorer: Any, X: np.ndarray, y: Any) -> float:
        return float(scorer(estimator, X, y))

    def new_model_per_fold(self: Any, previous: Any) -> None:
        return None

    savings: list[tuple[str, Any]] = [
        ("eager validation", mock.patch.object(estimators, "_eager_split", keras_validation)),
        ("direct fold score", mock.patch.object(fit, "_final_score", predict_score)),
        (
            "one model per trial",
            mock.patch.object(estimators._SearchTrialMixin, "share_model_with", new_model_per_fold),
        ),
    ]
    X, y = fashion.X_train, fashion.y_train
    data = TrialData(X, y, list(StratifiedKFold(3, shuffle=True, random_state=0).split(X, y)))
    est = make_estimator(
        classifier_mlp,
        "classification",
        epochs=10,
        seed=0,
        optimizer="sgd",
        hidden_layers=1,
        layer_size=30,
        learning_rate=3e-3,
    )
    scorer = get_scorer("accuracy")
    candidates = [
        {"hidden_layers": 2, "layer_size": 60, "learning_rate": 3e-3},
        {"hidden_layers": 4, "layer_size": 90, "learning_rate": 1e-3},
        {"hidden_layers": 1, "layer_size": 20, "learning_rate": 5e-3},
    ]
    labels = ["before (all off)"] + [f"+ {name}" for name, _ in savings]
    seconds: dict[str, list[float]] = {label: [] for label in labels}
    scores: dict[str, list[float]] = {label: [] for label in labels}
    for _ in range(repeats):
        for params in candidates:
            for on, label in enumerate(labels):
                patches = [patch for _, patch in savings[on:]]  # the savings still off
                for patch in patches:
                    patch.start()
                try:
                    start = time.perf_counter()
                    outcome = fit_trial(TrialSpec(0, params, est, scorer), data)
                    seconds[label].append(time.perf_counter() - start)
                    scores[label].append(statistics.fmean(outcome.fold_scores))
                finally:
                    for patch in patches:
                        patch.stop()
    out: dict[str, Any] = {}
    base = statistics.median(seconds[labels[0]])
    for label in labels:
        median = statistics.median(seconds[label])
        out[label] = {"median_s": median, "ratio": median / base, "scores": scores[label]}
        print(f"  {label:<26} {median:6.2f} s a trial  ({median / base:.2f} of before)")
    return out


def _fashion_or_none(data_dir: str | None, n_train: int = 10_000) -> Dataset | None:
    try:
        return load_fashion_mnist(data_dir=data_dir, n_train=n_train, flatten=True)
    except ValueError as exc:
        print(f"  Fashion-MNIST not available, its timings are skipped: {exc}")
        return None


_SECTIONS = (
    "epoch",
    "fold",
    "overhead",
    "trial-cost",
    "first-step",
    "contention",
    "parallel",
    "utilization",
    "memory",
)


def speed_fold(name: str) -> str:
    """The ``fold`` section: seconds a trial as each per-fold saving is switched on."""
    data = json.loads(results_path("speed", name).read_text())["fold"]
    rows = [
        [label, f"{row['median_s']:.2f}", f"{row['ratio']:.2f}",
         ", ".join(f"{v:.4f}" for v in row["scores"][: len(row["scores"]) // 2])]
        for label, row in data.items()
    ]  # fmt: skip
    header = ["per-fold work", "median s a trial", "of before", "fold accuracy (3 candidates)"]
    return markdown(header, rows)


# The docs' tables of this study's committed results (``python -m benchmarks.tables``).
TABLES: dict[str, Callable[[], str]] = {"speed-fold": lambda: speed_fold("2026-12-01/fold.json")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.studies.speed", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=list(_SECTIONS),
        default=list(_SECTIONS),
    )
    parser.add_argument("--data-dir", default=None)
    add_output_arguments(parser, "the sections' names joined by '-', or 'all'")
    args = parser.parse_args(argv)
    part = args.name or ("all" if args.only == list(_SECTIONS) else "-".join(args.only))
    with recorded("speed", part, args.out, argv) as record:
        return _run(args, record)


def _run(args: argparse.Namespace, record: Record) -> int:
    data = load_california_housing(data_dir=args.data_dir)
    results: dict[str, Any] = {}
    sections: dict[str, Callable[[], Any]] = {
        "epoch": lambda: epoch_speed(data, _fashion_or_none(args.data_dir)),
        "fold": lambda: fold_costs(load_fashion_mnist(data_dir=args.data_dir, n_train=10_000)),
        "overhead": lambda: engine_overhead(data),
        "trial-cost": lambda: trial_fixed_cost(data, _fashion_or_none(args.data_dir, 20_000)),
        "first-step": lambda: first_step_saving(
            load_fashion_mnist(data_dir=args.data_dir, n_train=20_000, flatten=True)
        ),
        "contention": lambda: contention(data),
        "parallel": lambda: parallel_speed(data),
        "utilization": lambda: utilization(data),
        "memory": memory_growth,
    }
    for name in args.only:
        print(f"[speed] {name}", flush=True)
        results[name] = sections[name]()
        record.json(results, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
