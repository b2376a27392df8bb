"""The ledger: masking, space checks, and surviving ``kill -9``."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest

from search import Ledger, mask_url
from search.trial import Trial
from spaces import Float, Int, Space

# Four one-epoch trials, no refit: what the ledger fault tests search.
FOUR_TRIALS = {"n_trials": 4, "cv": 2, "epochs": 1, "progress": False, "refit": False}


def finished(ledger: Ledger, trial: Trial) -> Trial:
    claim = ledger.claim(trial.params, trial.strategy)
    trial.number = claim.number
    assert ledger.finish(trial)
    return trial


def test_mask_url_hides_passwords() -> None:
    assert mask_url("postgresql://u:pw@h:5432/db") == "postgresql://u:***@h:5432/db"
    assert mask_url("sqlite:///x.db") == "sqlite:///x.db"
    assert "secret" not in mask_url("weird://u:secret@host")


def test_unreachable_storage_error_never_shows_the_password() -> None:
    with pytest.raises(RuntimeError) as err:
        Ledger("postgresql+psycopg2://u:secret@127.0.0.1:1/db", "s", Space(n=Int(1, 2)))
    assert "secret" not in str(err.value) and "***" in str(err.value)


def test_write_and_read_back(tmp_path: Path) -> None:
    space = Space(n=Int(1, 5), lr=Float(1e-3, 1e-1, log=True))
    ledger = Ledger(f"sqlite:///{tmp_path / 'l.db'}", "s", space)
    ok = Trial(
        0,
        "tpe",
        {"n": 2, "lr": 0.01},
        state="complete",
        fold_scores=[-1.0, -2.0],
        fold_epochs=[2, 1],
        curve=[[-3.0, -1.0], [-2.0]],
        extras={"g": 1},
    )
    bad = Trial(1, "tpe", {"n": 3, "lr": 0.02}, state="failed", error="boom")
    pruned = Trial(2, "tpe", {"n": 4, "lr": 0.02}, state="pruned", curve=[[-9.0]])
    for trial in (ok, bad, pruned):
        finished(ledger, trial)
    back = Ledger(f"sqlite:///{tmp_path / 'l.db'}", "s", space).trials()
    assert [r.params for r in back] == [ok.params, bad.params, pruned.params]
    assert back[0].fold_scores == [-1.0, -2.0] and back[0].extras == {"g": 1}
    assert back[0].curve == [[-3.0, -1.0], [-2.0]] and back[0].epochs_trained == 3
    assert back[1].status == "failed" and back[1].error == "boom"
    assert back[2].state == "pruned"
    study = optuna.load_study(study_name="s", storage=f"sqlite:///{tmp_path / 'l.db'}")
    states = [t.state for t in study.trials]
    assert states == [
        optuna.trial.TrialState.COMPLETE,
        optuna.trial.TrialState.FAIL,
        optuna.trial.TrialState.PRUNED,
    ]
    # The mean curve over folds that reached each epoch, for optuna-dashboard.
    assert study.trials[0].intermediate_values == {1: -2.5, 2: -1.0}


def test_a_study_of_another_space_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    finished(
        Ledger(url, "s", Space(n=Int(1, 5))),
        Trial(0, "random", {"n": 2}, state="complete", fold_scores=[1.0]),
    )
    with pytest.raises(ValueError, match="holds trials over parameters"):
        Ledger(url, "s", Space(m=Int(1, 5))).trials()


def test_a_second_claim_of_a_candidate_loses_to_the_first(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    space = Space(n=Int(1, 5))
    mine, theirs = Ledger(url, "s", space), Ledger(url, "s", space)
    first = mine.claim({"n": 2}, "random")
    second = theirs.claim({"n": 2}, "random")
    assert not first.taken and second.taken and second.number == first.number
    assert second.finished is None  # still running: the loser waits for it
    assert theirs.lookup(first.number) is None
    finished_trial = Trial(first.number, "random", {"n": 2}, state="complete", fold_scores=[1.0])
    assert mine.finish(finished_trial)
    assert theirs.lookup(first.number).score == 1.0
    assert theirs.claim({"n": 2}, "random").finished.score == 1.0
    assert theirs.count() == 1  # the losing claims hold nothing


def test_claims_of_a_dead_process_are_retried_and_interrupted_ones_too(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    space = Space(n=Int(1, 5))
    ledger = Ledger(url, "s", space)
    ledger.claim({"n": 1}, "random")
    ledger.abandon(ledger.claim({"n": 2}, "random").number, "interrupted")
    # A claim whose owner process is gone on this host.
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    ).stdout.strip()
    storage = optuna.storages.RDBStorage(url)
    study = optuna.load_study(study_name="s", storage=storage)
    orphan = ledger.claim({"n": 3}, "random")
    storage.set_trial_user_attr(
        ledger._ids[orphan.number],
        "owner",
        {"host": __import__("socket").gethostname(), "pid": int(dead)},
    )
    assert Ledger(url, "s", space).fail_stale() == 1
    assert Ledger(url, "s", space).trials() == []  # nothing ran to an outcome
    assert [t.state.name for t in study.get_trials()] == ["RUNNING", "FAIL", "FAIL"]
    assert Ledger(url, "s", space).count() == 1  # only the live claim holds its candidate


def test_a_failed_write_is_retried_then_the_search_goes_on(tmp_path: Path, monkeypatch) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    ledger = Ledger(url, "s", Space(n=Int(1, 5)))
    claim = ledger.claim({"n": 2}, "random")
    monkeypatch.setattr("search.ledger._RETRIES", (0.0, 0.0))
    calls = []

    def locked(*args, **kwargs):
        calls.append(1)
        raise RuntimeError("database is locked")

    monkeypatch.setattr(ledger._storage, "set_trial_user_attr", locked)
    with pytest.warns(RuntimeWarning, match="database is locked.*missing from the ledger"):
        ok = ledger.finish(
            Trial(claim.number, "random", {"n": 2}, state="complete", fold_scores=[1.0])
        )
    assert not ok and ledger.missing == 1 and len(calls) == 3


def test_resume_with_other_folds_is_refused(tmp_path: Path, reg_data) -> None:
    from search import search
    from tests.conftest import tiny_regressor

    X, y = reg_data
    space = Space(units=Int(2, 6), learning_rate=Float(1e-3, 1e-1, log=True))
    kw = {
        "n_trials": 2,
        "epochs": 1,
        "progress": False,
        "storage": f"sqlite:///{tmp_path / 'f.db'}",
    }
    search("random", space, tiny_regressor, X, y, cv=2, study_name="folds", **kw)
    with pytest.raises(ValueError, match="holds trials of a search with other splits"):
        search("random", space, tiny_regressor, X, y, cv=3, study_name="folds", **kw)


@pytest.mark.slow
def test_a_locked_sqlite_ledger_mid_search_loses_nothing_in_memory(
    tmp_path: Path, reg_data, monkeypatch
) -> None:
    import sqlite3
    import threading

    from search import search
    from search.testing import TINY_SPACE, tiny_regressor

    monkeypatch.setattr("search.ledger._RETRIES", (0.05, 0.05))
    monkeypatch.setattr("search.ledger.SQLITE_BUSY_SECONDS", 0.2)
    path = tmp_path / "locked.db"
    release = threading.Event()
    built: list[int] = []

    def hold_lock() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")  # another process's long write, say
        release.wait(60)
        conn.execute("ROLLBACK")
        conn.close()

    def locks_on_the_second(units=4, learning_rate=0.01, meta=None):
        built.append(1)
        # A trial builds one model for all its folds: the second build is the second trial.
        if len(built) == 2:  # lock the ledger from now on
            threading.Thread(target=hold_lock, daemon=True).start()
            time.sleep(0.3)
        return tiny_regressor(units, learning_rate, meta=meta)

    X, y = reg_data
    try:
        with pytest.warns(RuntimeWarning, match="OperationalError: database is locked"):
            result = search(
                "random", TINY_SPACE, locks_on_the_second, X, y, storage=f"sqlite:///{path}",
                study_name="locked", **FOUR_TRIALS,
            )  # fmt: skip
    finally:
        release.set()
    assert len(result.trials_) == 4 and (result.trials_["status"] == "complete").all()
    # The second trial's final write and the claims of the last two failed.
    assert result.search_.ledger_missing_ == 3
    report = result.report(tmp_path / "report").read_text()
    assert "ledger: 3 trial write(s) failed" in report
    study = optuna.load_study(study_name="locked", storage=f"sqlite:///{path}")
    assert [t.state.name for t in study.trials] == ["COMPLETE", "RUNNING"]


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        ("postgresql://u:s3cret@h:5432/db", "s3cret"),
        ("postgresql://u@h/db?password=s3cret", "s3cret"),
        ("postgresql://u@h/db?sslmode=require&pw=s3cret", "s3cret"),
        ("postgresql://u:p@ss@h/db", "p@ss"),
        ("u:s3cret@host", "s3cret"),
        ("mysql+pymysql://u:s3c:ret@h/db", "s3c:ret"),
        ("weird://u:s3cret@host", "s3cret"),
    ],
)
def test_every_url_form_is_masked_and_never_leaves_a_storage_url(url: str, secret: str) -> None:
    import pickle

    from search import StorageURL
    from search.ledger import redact

    assert secret not in mask_url(url) and "***" in mask_url(url)
    wrapped = StorageURL(url)
    for shown in (repr(wrapped), str(wrapped), pickle.dumps(wrapped).decode("latin-1")):
        assert secret not in shown
    assert wrapped.reveal() == url
    assert secret not in redact(f"could not connect to {url}: password {secret} rejected", url)


def test_a_resume_with_other_settings_is_refused_naming_what_differs(
    tmp_path: Path, reg_data
) -> None:
    from search import search
    from search.testing import TINY_SPACE, tiny_regressor

    X, y = reg_data
    kw = {"n_trials": 2, "cv": 2, "epochs": 1, "progress": False, "refit": False}
    storage = f"sqlite:///{tmp_path / 'fp.db'}"
    search("random", TINY_SPACE, tiny_regressor, X, y, storage=storage, study_name="s", **kw)
    cases = [
        ({"X": X + 1.0}, "other data"),
        ({"epochs": 2}, "other training"),
        ({"strategy": "tpe"}, "other strategy"),
        ({"space": Space(units=Int(2, 9), learning_rate=Float(1e-3, 1e-1, log=True))}, "space"),
    ]
    for change, message in cases:
        args = {"strategy": "random", "space": TINY_SPACE, "X": X, "y": y, **kw, **change}
        with pytest.raises(ValueError, match=message):
            search(build_model=tiny_regressor, storage=storage, study_name="s", **args)
    # Without a study name the name comes from the settings: other data, another study.
    a = search("random", TINY_SPACE, tiny_regressor, X, y, storage=storage, **kw)
    b = search("random", TINY_SPACE, tiny_regressor, X + 1.0, y, storage=storage, **kw)
    assert a.search_.ledger_.study_name != b.search_.ledger_.study_name
    assert not b.trials_["resumed"].any()


@pytest.mark.slow
def test_a_long_trial_keeps_its_claim_alive_by_heartbeat(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("search.ledger.HEARTBEAT_SECONDS", 0.3)
    monkeypatch.setattr("search.ledger.GRACE_SECONDS", 2)
    url = f"sqlite:///{tmp_path / 'beat.db'}"
    space = Space(n=Int(1, 5))
    mine = Ledger(url, "s", space)
    alive = mine.claim({"n": 1}, "random")  # a fit in this process: no loop runs meanwhile
    time.sleep(4)
    other = Ledger(url, "s", space)  # another process's view (heartbeats only: same pid)
    other.fail_stale()
    assert other.count() == 1 and other.lookup(alive.number) is None  # still running
    mine.close()  # the process "dies": no more heartbeats
    time.sleep(4)
    Ledger(url, "s", space).fail_stale()
    assert Ledger(url, "s", space).count() == 0  # stale: its candidate is free again


def test_ctrl_c_while_a_claim_is_made_or_an_outcome_written_leaves_no_running_trial(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    ledger = Ledger(url, "s", Space(n=Int(1, 5)))
    storage = ledger._storage

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    # A claim created in the storage whose number was not read back yet.
    with monkeypatch.context() as m:
        m.setattr(storage, "get_trial_number_from_id", interrupted)
        with pytest.raises(KeyboardInterrupt):
            ledger.claim({"n": 1}, "random")
    # An outcome whose write was cut short.
    trial = Trial(0, "random", {"n": 2}, state="complete", fold_scores=[-1.0], fold_epochs=[1])
    trial.number = ledger.claim(trial.params, trial.strategy).number
    with monkeypatch.context() as m:
        m.setattr(storage, "set_trial_user_attr", interrupted)
        with pytest.raises(KeyboardInterrupt):
            ledger.finish(trial)
    study = optuna.load_study(study_name="s", storage=url)
    assert [t.state.name for t in study.get_trials()] == ["RUNNING", "RUNNING"]
    assert ledger.abandon_open("interrupted") == 2
    states = [t.state.name for t in optuna.load_study(study_name="s", storage=url).get_trials()]
    assert states == ["FAIL", "FAIL"]
    assert Ledger(url, "s", Space(n=Int(1, 5))).count() == 0  # both candidates free again
    assert ledger.abandon_open("interrupted") == 0


def test_two_processes_resuming_fail_a_dead_claim_exactly_once(tmp_path: Path) -> None:
    import threading

    url = f"sqlite:///{tmp_path / 'l.db'}"
    space = Space(n=Int(1, 5))
    ledger = Ledger(url, "s", space)
    orphan = ledger.claim({"n": 3}, "random")
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    ).stdout.strip()
    storage = optuna.storages.RDBStorage(url)
    storage.set_trial_user_attr(
        ledger._ids[orphan.number],
        "owner",
        {"host": __import__("socket").gethostname(), "pid": int(dead)},
    )
    resumers = [Ledger(url, "s", space) for _ in range(2)]
    failed: list[int] = []
    threads = [threading.Thread(target=lambda r=r: failed.append(r.fail_stale())) for r in resumers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(failed) == [0, 1]  # one of the two ended it, the other found it ended
    frozen = optuna.load_study(study_name="s", storage=url).trials
    assert [t.state.name for t in frozen] == ["FAIL"]
    assert frozen[0].user_attrs["hpsearch"] == {
        "state": "failed",
        "error": "its process died",
        "retry": True,
    }


@pytest.mark.parametrize(
    "payload",
    [
        "\"__import__('os').system('touch PWNED')\"",  # code as text
        json.dumps({"py/object": "os.system", "py/args": ["touch PWNED"]}),  # jsonpickle's form
        json.dumps("gASVIAAAAAAAAACMAm9zlIwGc3lzdGVtlJOUjAt0b3VjaCBQV05FRJSFlFKULg=="),  # a pickle
        '{"state": "complete", "fold_scores": "touch PWNED"}',
    ],
    ids=["code", "jsonpickle", "pickle", "wrong-types"],
)
def test_a_tampered_ledger_is_an_error_never_code_that_runs(
    payload: str, tmp_path: Path, monkeypatch
) -> None:
    import sqlite3

    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'l.db'}"
    space = Space(n=Int(1, 5))
    finished(Ledger(url, "s", space), Trial(0, "random", {"n": 2}, state="complete",
                                             fold_scores=[1.0]))  # fmt: skip
    with sqlite3.connect(tmp_path / "l.db") as db:
        changed = db.execute(
            "UPDATE trial_user_attributes SET value_json = ? WHERE key = 'hpsearch'", (payload,)
        ).rowcount
    assert changed == 1
    with pytest.raises(ValueError, match="trial 0 holds a record hpsearch did not write"):
        Ledger(url, "s", space).trials()
    assert not (tmp_path / "PWNED").exists()
