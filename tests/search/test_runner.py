"""The trial runner: asynchronous trials, claims, per-epoch stops and every fault path."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import optuna
import pytest

from search import search
from search.strategies import RandomStrategy, TPEStrategy
from search.testing import TINY_SPACE, tiny_regressor

ROOT = str(Path(__file__).resolve().parents[2])
FAST = {"epochs": 1, "cv": 2, "progress": False, "refit": False}


def worker_pids(parent: int) -> list[int]:
    """Live trial worker processes started by process ``parent``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().split()[2]
        except OSError:
            continue
        if b"search._worker" in argv and str(parent).encode() in argv and state != "Z":
            found.append(int(entry.name))
    return found


def wait_for_no_workers(parent: int, seconds: float = 10.0) -> list[int]:
    deadline = time.time() + seconds
    while (left := worker_pids(parent)) and time.time() < deadline:
        time.sleep(0.2)
    return left


class StopAfterTwoEpochs(RandomStrategy):
    """A trivial per-epoch rule: every trial is stopped after its second epoch."""

    def should_stop(self, trial, fold, epoch, score) -> bool:
        return epoch >= 2


class StopOddTrialsAfterTwoEpochs(RandomStrategy):
    """A trivial per-epoch rule: odd-numbered trials are stopped after their second epoch."""

    def should_stop(self, trial, fold, epoch, score) -> bool:
        return trial.number % 2 == 1 and epoch >= 2


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_a_running_trial_is_stopped_after_the_epoch_the_strategy_says(
    n_jobs, reg_data, tmp_path, by_value
) -> None:
    X, y = reg_data
    storage = f"sqlite:///{tmp_path / 'stop.db'}"
    result = search(
        StopOddTrialsAfterTwoEpochs(),
        TINY_SPACE,
        tiny_regressor,
        X,
        y,
        n_trials=4,
        storage=storage,
        study_name="stop",
        n_jobs=n_jobs,
        **{**FAST, "epochs": 5, "early_stopping": False},
    )
    trials = result.search_.records_
    assert [t.state for t in trials] == ["complete", "pruned", "complete", "pruned"]
    for t in trials:
        if t.state == "pruned":
            assert t.fold_epochs == [2] and len(t.curve) == 1 and len(t.curve[0]) == 2
        else:
            assert t.fold_epochs == [5, 5] and [len(c) for c in t.curve] == [5, 5]
    assert result.best_params_ in (trials[0].params, trials[2].params)  # complete ones only
    study = optuna.load_study(study_name="stop", storage=storage)
    assert [t.state.name for t in study.trials] == ["COMPLETE", "PRUNED", "COMPLETE", "PRUNED"]
    assert sorted(study.trials[1].intermediate_values) == [1, 2]
    assert list(result.cv_results_["state"]) == ["complete", "pruned", "complete", "pruned"]
    assert list(result.cv_results_["epochs_trained"]) == [10, 2, 10, 2]


def test_n_jobs_above_the_cores_is_clamped_with_a_warning(reg_data, by_value) -> None:
    X, y = reg_data
    with pytest.warns(UserWarning, match="n_jobs=1000 is more than this machine's"):
        result = search("random", TINY_SPACE, tiny_regressor, X, y, n_trials=2, n_jobs=1000, **FAST)
    assert (result.trials_["status"] == "complete").all()
    assert result.settings["n_jobs"] == 1000


def test_n_jobs_minus_two_means_all_cores_but_one(reg_data, by_value) -> None:
    X, y = reg_data
    result = search("random", TINY_SPACE, tiny_regressor, X, y, n_trials=2, n_jobs=-2, **FAST)
    assert len(result.trials_) == 2


@pytest.mark.slow  # ~27 s: the same search through both loops
def test_same_seed_n_jobs_1_proposes_what_the_batch_loop_proposed(reg_data) -> None:
    # Pinned from the scikit-learn batch loop this runner replaced (hpsearch 0.1, seed 0).
    X, y = reg_data
    got = {
        name: [
            (p["units"], round(p["learning_rate"], 6))
            for p in search(name, TINY_SPACE, tiny_regressor, X, y, n_trials=4, **FAST).trials_[
                "params"
            ]
        ]
        for name in ("grid", "random", "tpe")
    }
    assert got == PINNED


def test_search_does_not_import_the_benchmarks() -> None:
    code = "import sys, search, search.estimators; print('benchmarks' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.stdout.strip() == "False", done.stderr[-2000:]


SCRIPT_HEAD = textwrap.dedent(
    """
    import json, os, signal, sys, time
    sys.path.insert(0, {root!r})
    import numpy as np
    from search import search
    from search.testing import TINY_SPACE, tiny_regressor
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 4)).astype("float32"); y = X.sum(1)

    def slow(units=4, learning_rate=0.01, meta=None):
        time.sleep(0.3)
        return tiny_regressor(units, learning_rate, meta=meta)

    def building_in(function, when=lambda frame: True):
        # Test-only: whether this model is built inside ``function`` (a frame of the stack).
        import inspect
        return any(f.function == function and when(f.frame) for f in inspect.stack())

    def kill_once(marker):
        # SIGKILL this process the first time only (``marker``, a file, remembers it).
        if not os.path.exists(marker):
            open(marker, "w").close()
            os.kill(os.getpid(), signal.SIGKILL)
    """
)


class Script:
    """A search script in its own process; its output goes to files (its workers write
    there too: a pipe nobody reads would fill and stall them)."""

    def __init__(self, tmp_path: Path, body: str, **fmt) -> None:
        n = len(list(tmp_path.glob("run*.py")))
        script = tmp_path / f"run{n}.py"
        script.write_text(SCRIPT_HEAD.format(root=ROOT) + textwrap.dedent(body).format(**fmt))
        self.out, self.err = tmp_path / f"out{n}.txt", tmp_path / f"err{n}.txt"
        with self.out.open("w") as out, self.err.open("w") as err:
            self.proc = subprocess.Popen([sys.executable, str(script)], stdout=out, stderr=err)
        self.pid = self.proc.pid

    def finish(self, timeout: float = 300) -> tuple[int, str, str]:
        code = self.proc.wait(timeout=timeout)
        return code, self.out.read_text(), self.err.read_text()


def run_script(tmp_path: Path, body: str, **fmt) -> Script:
    return Script(tmp_path, body, **fmt)


def ledger_states(storage: str, name: str) -> list[str]:
    try:
        return [t.state.name for t in optuna.load_study(study_name=name, storage=storage).trials]
    except KeyError:
        return []


@pytest.mark.slow
# SIGKILL is a row of the fault suite (tests/faults); SIGTERM, which a scheduler sends, here.
@pytest.mark.parametrize("sig", [signal.SIGTERM])
def test_a_terminated_parallel_search_loses_only_running_trials_and_leaves_no_worker(
    sig, tmp_path: Path
) -> None:
    storage = f"sqlite:///{tmp_path / 'kill.db'}"
    proc = run_script(
        tmp_path,
        """
        search("random", TINY_SPACE, slow, X, y, n_trials=200, cv=2, epochs=2, n_jobs=2,
               progress=False, storage={storage!r}, study_name="killed")
        """,
        storage=storage,
    )
    try:
        deadline = time.time() + 240
        while time.time() < deadline and ledger_states(storage, "killed").count("COMPLETE") < 4:
            time.sleep(0.5)
        assert worker_pids(proc.pid), "the search runs no worker processes"
    finally:
        os.kill(proc.pid, sig)
        proc.proc.wait()
    states = ledger_states(storage, "killed")
    assert states.count("COMPLETE") >= 4
    assert states.count("RUNNING") <= 2  # only the trials that were training
    assert wait_for_no_workers(proc.pid) == []  # the workers died with their search

    # Resume with the same script (same data, same build_model) and a smaller budget.
    saved = states.count("COMPLETE")
    resumed = run_script(
        tmp_path,
        """
        r = search("random", TINY_SPACE, slow, X, y, n_trials={n}, cv=2, epochs=2, n_jobs=2,
                   progress=False, storage={storage!r}, study_name="killed")
        print(json.dumps([bool(v) for v in r.trials_["resumed"]]))
        """,
        storage=storage,
        n=saved + 3,
    )
    code, out, err = resumed.finish()
    assert code == 0, err[-3000:]
    flags = json.loads(out.splitlines()[-1])
    assert sum(flags) == saved and len(flags) == saved + 3
    # The claims of the dead process were retried, not counted as outcomes.
    assert "RUNNING" not in ledger_states(storage, "killed")


@pytest.mark.slow
def test_a_hyperband_search_killed_mid_rung_resumes_from_its_ledger(tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path / 'hb.db'}"
    body = """
        r = search("hyperband", TINY_SPACE, slow, X, y, cv=2, epochs=9, n_jobs=2,
                   progress=False, refit=False, storage={storage!r}, study_name="hb")
        rows = [[t.resumed, t.key, t.state] for t in r.search_.records_]
        print(json.dumps({{"rows": rows, "n_trials": r.search_.n_trials_}}))
        """
    proc = run_script(tmp_path, body, storage=storage)
    try:
        deadline = time.time() + 240
        # Killed inside the first bracket's first rung (9 candidates at 1 epoch).
        while time.time() < deadline and ledger_states(storage, "hb").count("COMPLETE") < 4:
            time.sleep(0.2)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.proc.wait()
    saved = ledger_states(storage, "hb").count("COMPLETE")
    assert 4 <= saved < 9
    assert wait_for_no_workers(proc.pid) == []

    code, out, err = run_script(tmp_path, body, storage=storage).finish()
    assert code == 0, err[-3000:]
    done = json.loads(out.splitlines()[-1])
    rows = done["rows"]
    # The round finished: every rung run of it, the saved ones answered by the ledger and
    # never trained again (a candidate at one fidelity appears once).
    assert len(rows) == done["n_trials"]
    assert sum(resumed for resumed, _, _ in rows) == saved
    assert len({key for _, key, _ in rows}) == len(rows)
    assert all(state == "complete" for _, _, state in rows)
    assert "RUNNING" not in ledger_states(storage, "hb")


@pytest.mark.slow
def test_two_processes_on_one_study_never_train_a_candidate_twice(tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path / 'two.db'}"
    body = """
        r = search({strategy!r}, TINY_SPACE, slow, X, y, n_trials=8, cv=2, epochs=1,
                   progress=False, refit=False, storage={storage!r}, study_name="both")
        print(json.dumps([[t.number, t.resumed] for t in r.search_.records_]))
        """
    for strategy in ("random", "tpe"):
        storage = f"sqlite:///{tmp_path / (strategy + '.db')}"
        procs = [run_script(tmp_path, body, storage=storage, strategy=strategy) for _ in range(2)]
        finished = [p.finish() for p in procs]
        for code, _, err in finished:
            assert code == 0, err[-3000:]
        outs = [(out, err) for _, out, err in finished]
        study = optuna.load_study(study_name="both", storage=storage)
        complete = [t for t in study.trials if t.state.name == "COMPLETE"]
        keys = [json.dumps(t.params, sort_keys=True) for t in complete]
        assert len(keys) == len(set(keys)), f"{strategy}: a candidate was trained twice"
        assert 8 <= len(complete) <= 9
        # Both processes trained some of them.
        mine = [
            {n for n, resumed in json.loads(o.splitlines()[-1]) if not resumed} for o, _ in outs
        ]
        assert mine[0] and mine[1] and not mine[0] & mine[1], strategy


@pytest.mark.slow
def test_a_worker_killed_in_a_promoted_trial_fails_that_rung_run_only(tmp_path: Path) -> None:
    marker = tmp_path / "killed"
    proc = run_script(
        tmp_path,
        """
        def dies_in_a_promotion(units=4, learning_rate=0.01, meta=None):
            # A promoted trial is one whose fit_trial continues a parent's model.
            if building_in("fit_trial", lambda f: f.f_locals["spec"].start_epoch > 0):
                kill_once({marker!r})
            return slow(units, learning_rate, meta=meta)

        r = search("hyperband", TINY_SPACE, dies_in_a_promotion, X, y, cv=2, epochs=3,
                   n_jobs=2, progress=False, refit=False)
        rows = [[t.state, t.error, t.parent] for t in r.search_.records_]
        print(json.dumps({{"rows": rows, "best_fidelity": r.search_.records_[
            r.search_.best_index_].fidelity}}))
        """,
        marker=str(marker),
    )
    code, out, err = proc.finish()
    assert code == 0, err[-3000:]
    done = json.loads(out.splitlines()[-1])
    failed = [row for row in done["rows"] if row[0] == "failed"]
    # The one killed trial was a promotion; its rung closed without it and the round
    # went on: every other trial finished, and the best is a full-fidelity one.
    assert marker.exists() and len(failed) == 1
    assert "SIGKILL" in failed[0][1] and failed[0][2] is not None
    assert all(row[0] == "complete" for row in done["rows"] if row is not failed[0])
    assert done["best_fidelity"] == 3
    assert wait_for_no_workers(proc.pid) == []


@pytest.mark.slow
def test_a_worker_killed_in_a_refit_member_has_that_member_trained_here(tmp_path: Path) -> None:
    marker = tmp_path / "killed"
    proc = run_script(
        tmp_path,
        """
        def dies_in_a_refit(units=4, learning_rate=0.01, meta=None):
            if building_in("_fit_refit_member"):
                kill_once({marker!r})
            return tiny_regressor(units, learning_rate, meta=meta)

        r = search("random", TINY_SPACE, dies_in_a_refit, X, y, n_trials=2, cv=2, epochs=2,
                   n_jobs=2, progress=False, refit_models=2)
        members = [m.estimator for m in r.best_estimator_.estimators_]
        print(json.dumps({{"seeds": [m.get_params()["seed"] for m in members],
                          "epochs": [len(m.history_["loss"]) for m in members],
                          "score": r.search_.score(X, y)}}))
        """,
        marker=str(marker),
    )
    code, out, err = proc.finish()
    assert code == 0, err[-3000:]
    done = json.loads(out.splitlines()[-1])
    # One member's worker died; that member was trained in the search's process instead.
    assert marker.exists()
    assert done["seeds"] == [0, 100] and done["epochs"] == [2, 2]
    assert math.isfinite(done["score"])
    assert wait_for_no_workers(proc.pid) == []


@pytest.mark.slow
# Random search's Ctrl-C is a row of the fault suite (tests/faults); hyperband's is here.
@pytest.mark.parametrize(("strategy", "epochs"), [("hyperband", 3)])
def test_ctrl_c_keeps_finished_trials_marks_running_ones_and_stops_the_workers(
    strategy: str, epochs: int, tmp_path: Path
) -> None:
    # Hyperband: the interrupt lands while rungs wait on running trials and promotions.
    storage = f"sqlite:///{tmp_path / 'int.db'}"
    proc = run_script(
        tmp_path,
        """
        search({strategy!r}, TINY_SPACE, slow, X, y, n_trials=200, cv=2, epochs={epochs},
               n_jobs=2, progress=False, storage={storage!r}, study_name="int")
        """,
        storage=storage,
        strategy=strategy,
        epochs=epochs,
    )
    deadline = time.time() + 240
    while time.time() < deadline and ledger_states(storage, "int").count("COMPLETE") < 3:
        time.sleep(0.3)
    while not worker_pids(proc.pid):
        time.sleep(0.1)
    time.sleep(0.5)  # trials are training now
    proc.proc.send_signal(signal.SIGINT)
    code, _, err = proc.finish(timeout=120)
    assert code != 0 and "KeyboardInterrupt" in err
    states = ledger_states(storage, "int")
    assert "RUNNING" not in states and states.count("COMPLETE") >= 3
    study = optuna.load_study(study_name="int", storage=storage)
    interrupted = [t for t in study.trials if t.state.name == "FAIL"]
    assert interrupted and all(
        t.user_attrs["hpsearch"]["error"] == "interrupted" for t in interrupted
    )
    assert wait_for_no_workers(proc.pid, 2.0) == []


@pytest.mark.slow
def test_ctrl_c_during_the_parallel_refit_keeps_the_trials_and_leaves_no_worker(
    tmp_path: Path,
) -> None:
    storage = f"sqlite:///{tmp_path / 'refit.db'}"
    marker = tmp_path / "refitting"
    proc = run_script(
        tmp_path,
        """
        def slow_refit(units=4, learning_rate=0.01, meta=None):
            if building_in("_fit_refit_member"):
                open({marker!r}, "w").close()
                time.sleep(120)
            return tiny_regressor(units, learning_rate, meta=meta)

        search("random", TINY_SPACE, slow_refit, X, y, n_trials=4, cv=2, epochs=1, n_jobs=2,
               progress=False, refit_models=2, storage={storage!r}, study_name="refit")
        """,
        marker=str(marker),
        storage=storage,
    )
    deadline = time.time() + 240
    while time.time() < deadline and not marker.exists():
        time.sleep(0.2)
    assert marker.exists(), "no refit member started"
    proc.proc.send_signal(signal.SIGINT)
    code, _, err = proc.finish(timeout=60)
    assert code != 0 and "KeyboardInterrupt" in err
    # The search had ended: every trial is in the ledger, complete; no worker is left.
    assert ledger_states(storage, "refit") == ["COMPLETE"] * 4
    assert wait_for_no_workers(proc.pid, 2.0) == []


def test_a_timeout_shorter_than_one_trial_still_runs_one(reg_data) -> None:
    X, y = reg_data
    result = search("random", TINY_SPACE, tiny_regressor, X, y, n_trials=5, timeout=1e-9, **FAST)
    assert len(result.trials_) == 1 and result.best_params_ == result.trials_["params"][0]


def test_tpe_told_pruned_trials_as_optuna_does() -> None:
    from search.testing import MIXED_SPACE
    from search.trial import Trial

    s = TPEStrategy()
    s.bind(MIXED_SPACE, 5, 0)
    p = s.ask()
    s.tell(Trial(0, "tpe", p, state="pruned", curve=[[-1.0, -0.5]]))
    (frozen,) = s.study.trials
    assert frozen.state.name == "PRUNED" and frozen.intermediate_values == {2: -0.5}


PINNED = {
    "grid": [(2, 0.001), (6, 0.001), (2, 0.1), (6, 0.1)],
    "random": [(2, 0.012521), (5, 0.016052), (5, 0.049488), (6, 0.019579)],
    "tpe": [(4, 0.026939), (5, 0.012296), (4, 0.019579), (6, 0.001281)],
}


def test_a_finished_study_rerun_without_refit_still_has_a_best(reg_data, tmp_path) -> None:
    X, y = reg_data
    kw = {**FAST, "storage": f"sqlite:///{tmp_path / 'done.db'}", "study_name": "done"}
    first = search("random", TINY_SPACE, tiny_regressor, X, y, n_trials=2, **kw)
    again = search("random", TINY_SPACE, tiny_regressor, X, y, n_trials=2, **kw)
    assert again.trials_["resumed"].all()
    assert again.best_params_ == first.best_params_ and "best_score_" in repr(again)
    assert again.report(tmp_path / "report").exists()


@pytest.mark.slow  # ~25 s
def test_tpe_with_a_pruner_prunes_during_the_first_fold(reg_data, tmp_path) -> None:
    X, y = reg_data
    storage = f"sqlite:///{tmp_path / 'prune.db'}"
    result = search(
        "tpe",
        TINY_SPACE,
        tiny_regressor,
        X,
        y,
        n_trials=10,
        pruner="median",
        storage=storage,
        study_name="prune",
        **{**FAST, "epochs": 6, "early_stopping": False},
    )
    trials = result.search_.records_
    pruned = [t for t in trials if t.state == "pruned"]
    assert pruned, [t.state for t in trials]
    for t in pruned:
        assert len(t.curve) == 1 and t.fold_epochs[0] < 6  # stopped inside fold 0
    assert result.best_params_ in [t.params for t in trials if t.state == "complete"]
    states = [t.state.name for t in optuna.load_study(study_name="prune", storage=storage).trials]
    assert states.count("PRUNED") == len(pruned)
    assert result.settings["strategy_config"]["pruner"] == "median"


def test_a_pruner_needs_tpe(reg_data) -> None:
    X, y = reg_data
    with pytest.raises(ValueError, match="works with strategy='tpe'"):
        search("grid", TINY_SPACE, tiny_regressor, X, y, n_trials=4, pruner="median", **FAST)
    with pytest.raises(ValueError, match="give the pruner to the strategy object"):
        search(TPEStrategy(), TINY_SPACE, tiny_regressor, X, y, pruner="median", **FAST)


class StopEverything(RandomStrategy):
    def should_stop(self, trial, fold, epoch, score) -> bool:
        return True


def test_a_search_whose_trials_were_all_pruned_says_so(reg_data) -> None:
    from search import AllTrialsFailedError

    X, y = reg_data
    with pytest.raises(AllTrialsFailedError, match=r"no trial completed \(3 pruned, 0 failed\)"):
        search(StopEverything(), TINY_SPACE, tiny_regressor, X, y, n_trials=3, **FAST)


def test_ctrl_c_while_an_outcome_is_written_keeps_that_trial(
    reg_data, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from search.ledger import Ledger

    X, y = reg_data
    storage = f"sqlite:///{tmp_path / 'w.db'}"
    real_finish = Ledger.finish
    calls = []

    def finish_interrupted_once(self: Ledger, trial) -> bool:
        calls.append(trial.number)
        if len(calls) == 2:  # the second trial's outcome: Ctrl-C lands in its write
            raise KeyboardInterrupt
        return real_finish(self, trial)

    monkeypatch.setattr(Ledger, "finish", finish_interrupted_once)
    with pytest.raises(KeyboardInterrupt):
        search("random", TINY_SPACE, tiny_regressor, X, y, n_trials=4, storage=storage,
               study_name="w", **FAST)  # fmt: skip
    trials = optuna.load_study(study_name="w", storage=storage).trials
    # Both finished trials are in the ledger (the second written by the abort), none RUNNING.
    assert [t.state.name for t in trials] == ["COMPLETE", "COMPLETE"]
    assert calls == [0, 1, 1]
