"""``python -m benchmarks.curves record``: learning curves of a fixed design, recorded once.

A table holds, for each of N configurations of a space (a scrambled Sobol design, seeded),
every epoch's validation score, test score, Keras losses and seconds, and each model's
fixed cost: what ``benchmarks.simulate`` replays every strategy against, with a simulated
clock, instead of training (the tabular benchmarks of HPO research: LCBench, HPOBench,
Syne Tune's blackbox repository).

Each configuration is trained as a trial of the harness's profile is (the profile's
``build_model``, batch size and scorer, trained on the training part less Keras's
``validation_split``, scored on the dataset's validation part), to ``--max-epochs`` without
early stopping, so that the simulator can replay early stopping (Keras's ``val_loss`` of
every epoch is stored) and any fidelity. Scores are greater-is-better (accuracy, or the
negative MSE).

Files, in ``benchmarks/results/curves/`` (``--out`` elsewhere): ``<name>.csv.gz`` (one row
per configuration and epoch), ``<name>.json`` (the space, the configurations, their fixed
costs, the settings, the command and commit) and ``COMMAND.txt``. A run appends each
finished configuration to ``<name>.partial.jsonl`` first, so a stopped run resumes where it
was (same options) and the table is written when every configuration is in.

Examples:
    >>> from spaces import Space, Int, Categorical
    >>> points = design(Space(n=Int(1, 4), act=Categorical(["a", "b"])), 4, seed=0)
    >>> len(points), len({tuple(sorted(p.items())) for p in points})
    (4, 4)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import qmc

from benchmarks.studies._record import RESULTS, add_output_arguments, recorded
from search._parallel import default_tf_threads
from spaces import PRESETS, Space, get_preset

__all__ = [
    "CURVES",
    "CurveTable",
    "design",
    "load_table",
    "main",
    "record",
]

CURVES = RESULTS / "curves"
_COLUMNS = ["config", "epoch", "val_score", "test_score", "loss", "val_loss", "seconds"]


def design(space: Space, n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` distinct configurations of ``space``: scrambled Sobol points of its [0, 1]^d
    encoding (``Space.decode``), in order, skipping points that decode to a configuration
    already drawn (integers and choices make some points equal)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"configs must be an int >= 1, got {n!r}.")
    sampler = qmc.Sobol(d=len(space), scramble=True, seed=seed)
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    drawn = 0
    while len(out) < n:
        if drawn > 64 * n:
            raise ValueError(
                f"the space has fewer than {n} distinct configurations ({len(out)} found); "
                "lower --configs."
            )
        # Powers of two keep the Sobol points balanced (the same points as random(n) for
        # n = 256, the recorded tables' size); each later batch doubles what was drawn.
        power = int(math.log2(drawn)) if drawn else max(1, math.ceil(math.log2(n)))
        batch = sampler.random_base2(power)
        drawn += len(batch)
        for point in batch:
            params = space.decode(point.tolist())
            key = json.dumps(params, sort_keys=True)
            if key not in seen:
                seen.add(key)
                out.append(params)
                if len(out) == n:
                    break
    return out


# ------------------------------------------------------------------------------------------
# Training one configuration (in a worker process)
# ------------------------------------------------------------------------------------------
_WORKER: dict[str, Any] = {}


def _init_worker(settings: dict[str, Any], parent_pid: int) -> None:
    import tensorflow as tf

    from search._worker import watch_parent

    watch_parent(parent_pid)  # a recorder killed with -9 cannot shut its pool down

    # K workers fill the cores and no more, as the search's workers do (None: one worker
    # keeps TensorFlow's own default).
    threads = settings["tf_threads"]
    if threads is not None:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    _WORKER["settings"] = settings
    _WORKER["data"] = _load(settings)


def _load(settings: dict[str, Any]) -> Any:
    from benchmarks.datasets import load_dataset

    return load_dataset(settings["dataset"], **settings["loader_kwargs"])


def _train(index: int, params: dict[str, Any]) -> dict[str, Any]:
    """Train configuration ``index`` to the table's epochs; every epoch's scores and times."""
    import keras
    from sklearn.metrics import get_scorer

    from benchmarks.profiles import get_profile
    from models import make_estimator
    from search import DEFAULT_SCORING
    from search._fit import _score_now

    settings, data = _WORKER["settings"], _WORKER["data"]
    plan = get_profile(settings["profile"]).plans[settings["dataset"]]
    scorer = get_scorer(DEFAULT_SCORING[data.task])
    rows: list[list[float]] = []

    class Recorder(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.score_seconds: list[float] = []

        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self.began = time.perf_counter()
            if epoch == 0:
                self.first = self.began

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            seconds = time.perf_counter() - self.began
            logs = logs or {}
            scored = time.perf_counter()
            val = _score_now(estimator, self.model, scorer, data.X_valid, data.y_valid)
            self.score_seconds.append(time.perf_counter() - scored)
            test = _score_now(estimator, self.model, scorer, data.X_test, data.y_test)
            rows.append(
                [
                    index,
                    epoch + 1,
                    val,
                    test,
                    float(logs.get("loss", math.nan)),
                    float(logs.get("val_loss", math.nan)),
                    seconds,
                ]
            )
            self.last = time.perf_counter()

    recorder = Recorder()
    estimator = make_estimator(
        plan.build_model,
        data.task,
        epochs=settings["max_epochs"],
        batch_size=plan.batch_size,
        early_stopping=False,
        seed=settings["seed"],
        **get_preset(settings["space"]).defaults(),
    ).set_params(**params)
    estimator.set_params(callbacks=[*estimator.callbacks, recorder])
    start = time.perf_counter()
    error = None
    try:
        estimator.fit(data.X_train, data.y_train)
    except Exception as exc:  # a configuration that fails is a row of the table too
        error = f"{type(exc).__name__}: {exc}"
    end = time.perf_counter()
    first = getattr(recorder, "first", end)
    last = getattr(recorder, "last", end)
    return {
        "config": index,
        "params": params,
        # Before the first epoch (clone, build, compile, the data pipeline) and after the
        # last (the fit's end): what a new model costs besides its epochs.
        "fixed_seconds": (first - start) + (end - last),
        "score_seconds": statistics.median(recorder.score_seconds)
        if recorder.score_seconds
        else 0.0,
        "epochs": len(rows),
        "error": error,
        "rows": rows,
    }


# ------------------------------------------------------------------------------------------
# Recording a table
# ------------------------------------------------------------------------------------------
def record(
    dataset: str,
    *,
    space: str | None = None,
    configs: int = 256,
    max_epochs: int = 27,
    seed: int = 0,
    profile: str = "standard",
    n_train: int | None = None,
    workers: int = 2,
    name: str | None = None,
    out: str | os.PathLike[str] | None = None,
    data_dir: str | None = None,
    limit: int | None = None,
) -> Path:
    """Record the table ``name`` (default: ``dataset``) and return its ``.csv.gz`` path.

    ``limit`` trains at most that many new configurations in this call (a long recording
    in parts); the table is written once all ``configs`` are in.
    """
    from benchmarks.profiles import get_profile

    plan = get_profile(profile).plans.get(dataset)
    if plan is None:
        raise ValueError(f"dataset must be 'california' or 'fashion_mnist', got {dataset!r}.")
    space_name = space or _preset_name(plan.space)
    space_obj = get_preset(space_name)
    if "epochs" in space_obj:
        raise ValueError(f"space {space_name!r} varies 'epochs', the table's fidelity.")
    loader_kwargs = dict(plan.loader_kwargs)
    if n_train is not None:
        loader_kwargs["n_train"] = n_train
    if data_dir is not None:
        loader_kwargs["data_dir"] = data_dir
    settings = {
        "dataset": dataset,
        "profile": profile,
        "space": space_name,
        "configs": configs,
        "max_epochs": max_epochs,
        "seed": seed,
        "loader_kwargs": loader_kwargs,
        "batch_size": plan.batch_size,
        "patience": plan.patience,
        # What the recorded models trained with (make_estimator's defaults), which the
        # replay's early stopping and simulate_validate's real runs use in turn.
        **{k: _trained_default(k) for k in ("validation_split", "min_delta", "min_delta_mode")},
        "workers": workers,
        "tf_threads": default_tf_threads(workers, None),
    }
    folder = Path(out) if out is not None else CURVES
    folder.mkdir(parents=True, exist_ok=True)
    name = name or dataset
    partial = folder / f"{name}.partial.jsonl"
    points = design(space_obj, configs, seed)
    done = _finished(partial, settings)
    todo = [i for i in range(configs) if i not in done]
    if limit is not None:
        todo = todo[:limit]
    print(
        f"{name}: {len(done)} of {configs} configurations recorded; training {len(todo)} "
        f"({max_epochs} epochs each, {workers} workers)",
        flush=True,
    )
    # A run killed while writing may have left half a line: the rows that parse are written
    # back (atomically) so the next row starts on a line of its own.
    rows = [{"settings": settings}, *(done[i] for i in sorted(done))]
    scratch = partial.with_name(partial.name + ".tmp")
    scratch.write_text("".join(json.dumps(row) + "\n" for row in rows))
    os.replace(scratch, partial)
    start = time.perf_counter()
    if todo:
        with ProcessPoolExecutor(
            workers,
            mp_context=get_context("spawn"),
            initializer=_init_worker,
            initargs=(settings, os.getpid()),
        ) as pool:
            queue = list(todo)
            running = {pool.submit(_train, i, points[i]) for i in queue[:workers]}
            queue = queue[workers:]
            finished = 0
            while running:
                ended, running = wait(running, return_when=FIRST_COMPLETED)
                for future in ended:
                    row = future.result()
                    with partial.open("a") as fh:
                        fh.write(json.dumps(row) + "\n")
                    done[row["config"]] = row
                    finished += 1
                    if queue:
                        running.add(pool.submit(_train, queue[0], points[queue[0]]))
                        queue = queue[1:]
                if finished % 8 == 0 or not running:
                    rate = (time.perf_counter() - start) / max(finished, 1)
                    print(
                        f"  {len(done)}/{configs} configurations, {rate:.1f} s each",
                        flush=True,
                    )
    path = folder / f"{name}.csv.gz"
    if len(done) < configs:
        print(f"{name}: {configs - len(done)} configurations still to train; run again.")
        return path
    _write_table(folder, name, settings, space_obj, [done[i] for i in range(configs)])
    partial.unlink()
    return path


def _trained_default(name: str) -> Any:
    import inspect

    from models import make_estimator

    return inspect.signature(make_estimator).parameters[name].default


def _preset_name(factory: Any) -> str:
    for key, made in PRESETS.items():
        if made is factory:
            return key
    raise ValueError(f"the profile's space {factory!r} is not a named preset; pass --space.")


def _finished(partial: Path, settings: dict[str, Any]) -> dict[int, dict[str, Any]]:
    if not partial.exists():
        return {}
    lines = partial.read_text().splitlines()
    if not lines:
        return {}
    header = json.loads(lines[0])
    if header.get("settings") != json.loads(json.dumps(settings)):
        raise ValueError(
            f"{partial} was started with other settings ({header.get('settings')}); resume "
            "with those options, or remove the file to start again."
        )
    done: dict[int, dict[str, Any]] = {}
    for line in lines[1:]:
        try:
            row = json.loads(line)
        except json.JSONDecodeError:  # the last line of a run killed while writing it
            continue
        done[int(row["config"])] = row
    return done


def _write_table(
    folder: Path,
    name: str,
    settings: dict[str, Any],
    space: Space,
    results: list[dict[str, Any]],
) -> None:
    rows = [r for result in results for r in result["rows"]]
    frame = pd.DataFrame(rows, columns=_COLUMNS)
    frame["config"] = frame["config"].astype(int)
    frame["epoch"] = frame["epoch"].astype(int)
    frame.to_csv(folder / f"{name}.csv.gz", index=False, float_format="%.6g")
    meta = {
        "settings": settings,
        "space": repr(space),
        "configs": [
            {
                "config": r["config"],
                "params": r["params"],
                "fixed_seconds": r["fixed_seconds"],
                "score_seconds": r["score_seconds"],
                "epochs": r["epochs"],
                "error": r["error"],
            }
            for r in results
        ],
    }
    (folder / f"{name}.json").write_text(json.dumps(meta, indent=1))


# ------------------------------------------------------------------------------------------
# Reading a table
# ------------------------------------------------------------------------------------------
@dataclass
class CurveTable:
    """A recorded table as arrays: ``val[c, e]`` is configuration c's validation score after
    epoch ``e + 1`` (NaN past a diverged fit), likewise ``test``, ``val_loss`` and
    ``seconds``; ``fixed[c]`` its fixed cost, ``score_seconds[c]`` the time one
    validation scoring took.

    Examples:
        >>> table = CurveTable.synthetic(n=5, epochs=4, seed=0)
        >>> table.val.shape, table.nearest(table.params[3])
        ((5, 4), 3)
    """

    name: str
    space: Space
    params: list[dict[str, Any]]
    val: np.ndarray
    test: np.ndarray
    val_loss: np.ndarray
    seconds: np.ndarray
    fixed: np.ndarray
    score_seconds: np.ndarray
    settings: dict[str, Any]

    def __post_init__(self) -> None:
        self._codes = np.array([self.space.encode(p) for p in self.params], dtype=float)

    @property
    def max_epochs(self) -> int:
        return int(self.val.shape[1])

    def nearest(self, params: dict[str, Any]) -> int:
        """The tabulated configuration nearest to ``params`` in the space's [0, 1]^d
        encoding (Euclidean; ties: the lower index)."""
        code = np.array(self.space.encode(params), dtype=float)
        return int(np.argmin(((self._codes - code) ** 2).sum(axis=1)))

    def trace_seconds(self, config: int) -> float:
        """What the first epoch costs more than a later one (tracing the train function),
        which a continued model pays again."""
        later = self.seconds[config, 1:]
        later = later[np.isfinite(later)]
        if len(later) == 0:
            return 0.0
        return max(0.0, float(self.seconds[config, 0] - np.median(later)))

    @classmethod
    def synthetic(cls, n: int = 16, epochs: int = 9, seed: int = 0) -> CurveTable:
        """A small made-up table (saturating curves, noisy; for tests and examples)."""
        from spaces import Float, Int

        space = Space(x=Float(0.0, 1.0), n=Int(1, 4))
        rng = np.random.default_rng(seed)
        params = design(space, n, seed)
        quality = np.array([1 - (p["x"] - 0.3) ** 2 - 0.05 * p["n"] for p in params])
        rate = rng.uniform(0.2, 0.8, size=n)
        grid = np.arange(1, epochs + 1)
        val = quality[:, None] * (1 - np.exp(-rate[:, None] * grid)) + rng.normal(
            0, 0.01, size=(n, epochs)
        )
        test = val + rng.normal(0, 0.01, size=(n, epochs))
        return cls(
            name="synthetic",
            space=space,
            params=params,
            val=val,
            test=test,
            val_loss=-val,
            seconds=np.full((n, epochs), 1.0),
            fixed=np.full(n, 0.5),
            score_seconds=np.zeros(n),
            settings={"patience": None, "min_delta": 0.0, "min_delta_mode": "absolute"},
        )


def load_table(name: str | os.PathLike[str]) -> CurveTable:
    """The table ``name``: a committed one (``"california"``, ``"fashion_mnist"``) or the
    path of a ``.csv.gz`` written by ``record``."""
    path = Path(name)
    if path.suffix != ".gz":
        path = CURVES / f"{name}.csv.gz"
    meta_path = path.with_name(path.name.replace(".csv.gz", ".json"))
    if not path.exists() or not meta_path.exists():
        known = sorted(p.name.replace(".csv.gz", "") for p in CURVES.glob("*.csv.gz"))
        raise ValueError(
            f"table {str(name)!r}: {path} or {meta_path} is missing; record it with "
            f"`python -m benchmarks.curves record --dataset ...`, or name one of {known}."
        )
    meta = json.loads(meta_path.read_text())
    frame = pd.read_csv(path)
    configs = meta["configs"]
    n, epochs = len(configs), int(meta["settings"]["max_epochs"])
    arrays = {c: np.full((n, epochs), np.nan) for c in _COLUMNS[2:]}
    rows = frame["config"].to_numpy(int)
    cols = frame["epoch"].to_numpy(int) - 1
    for column, array in arrays.items():
        array[rows, cols] = frame[column].to_numpy(float)
    return CurveTable(
        name=path.name.replace(".csv.gz", ""),
        space=get_preset(meta["settings"]["space"]),
        params=[c["params"] for c in configs],
        val=arrays["val_score"],
        test=arrays["test_score"],
        val_loss=arrays["val_loss"],
        seconds=arrays["seconds"],
        fixed=np.array([c["fixed_seconds"] for c in configs], dtype=float),
        score_seconds=np.array([c["score_seconds"] for c in configs], dtype=float),
        settings=meta["settings"],
    )


# ------------------------------------------------------------------------------------------
# Command line
# ------------------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.curves", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record", help="train a fixed design and store its learning curves")
    rec.add_argument("--dataset", required=True, choices=["california", "fashion_mnist"])
    rec.add_argument("--space", default=None, help="a preset name (default: the profile's)")
    rec.add_argument("--configs", type=int, default=256)
    rec.add_argument("--max-epochs", type=int, default=27)
    rec.add_argument("--seed", type=int, default=0)
    rec.add_argument("--profile", default="standard", help="data, model and batch size from it")
    rec.add_argument("--n-train", type=int, default=None, help="a slice of the training part")
    rec.add_argument("--workers", type=int, default=2)
    rec.add_argument("--limit", type=int, default=None, help="train at most this many now")
    rec.add_argument("--data-dir", default=None)
    add_output_arguments(rec, "the dataset's name")
    args = parser.parse_args(argv)
    name = args.name or args.dataset
    folder = args.out or str(CURVES)
    try:
        with recorded("curves", name, folder, argv, module="benchmarks.curves"):
            path = record(
                args.dataset,
                space=args.space,
                configs=args.configs,
                max_epochs=args.max_epochs,
                seed=args.seed,
                profile=args.profile,
                n_train=args.n_train,
                workers=args.workers,
                name=name,
                out=folder,
                data_dir=args.data_dir,
                limit=args.limit,
            )
    except KeyboardInterrupt:  # Ctrl-C: what finished is in the partial file
        print(
            f"{name}: stopped; the configurations finished so far are kept in "
            f"{Path(folder) / (name + '.partial.jsonl')}: run the same command again to resume.",
            file=sys.stderr,
        )
        return 130
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
