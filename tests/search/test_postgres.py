"""The ledger on a real PostgreSQL server (``postgres_url`` in ``tests/conftest.py``: a
throwaway cluster on 127.0.0.1 in a temp folder, skipped only where no PostgreSQL binaries
exist; ``.ci/run`` installs them)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import optuna
import pytest

from search import search
from spaces import Float, Int, Space
from tests.conftest import PG_PASSWORD as PASSWORD
from tests.conftest import tiny_regressor

SPACE = Space(units=Int(2, 6), learning_rate=Float(1e-3, 1e-1, log=True))


def test_search_writes_resumes_and_masks_the_password(postgres_url, reg_data, tmp_path) -> None:
    X, y = reg_data
    kw = {"n_trials": 3, "cv": 2, "epochs": 1, "progress": False, "storage": postgres_url}
    first = search("tpe", SPACE, tiny_regressor, X, y, study_name="pg-resume", **kw)
    study = optuna.load_study(study_name="pg-resume", storage=postgres_url)
    assert len(study.trials) == 3 and study.trials[0].user_attrs["strategy"] == "tpe"
    again = search(
        "tpe", SPACE, tiny_regressor, X, y, study_name="pg-resume", **{**kw, "n_trials": 5}
    )
    assert int(again.trials_["resumed"].sum()) == 3 and len(again.trials_) == 5
    assert list(again.trials_["params"][:3]) == list(first.trials_["params"])
    report = again.report(tmp_path / "rep").read_text()
    report += (tmp_path / "rep" / "report.json").read_text()
    assert PASSWORD not in report and "hp:***@127.0.0.1" in report


WRITER = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, {root!r})
    import numpy as np
    from search import search
    from spaces import Space, Int, Float
    from tests.conftest import tiny_regressor
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4)).astype("float32"); y = X.sum(1)
    space = Space(units=Int(2, 6), learning_rate=Float(1e-3, 1e-1, log=True))
    r = search("random", space, tiny_regressor, X, y, n_trials=4, cv=2, epochs=1,
               progress=False, seed={seed}, storage={url!r}, study_name="pg-shared")
    print(json.dumps({{"new": int((~r.trials_["resumed"]).sum())}}))
    """
)


def test_two_processes_share_a_study_without_losing_or_duplicating(postgres_url, tmp_path) -> None:
    root = str(Path(__file__).resolve().parents[2])
    procs = []
    # The same call twice (a seed of its own would make other splits: a ledger refuses
    # to mix trials scored on other folds).
    for worker in (1, 2):
        script = tmp_path / f"w{worker}.py"
        script.write_text(WRITER.format(root=root, seed=0, url=postgres_url))
        procs.append(
            subprocess.Popen(
                [sys.executable, str(script)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    written = 0
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-2000:]
        assert PASSWORD not in out + err
        written += json.loads(out.strip().splitlines()[-1])["new"]
    trials = optuna.load_study(study_name="pg-shared", storage=postgres_url).trials
    complete = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(complete) == written == 4  # each candidate trained once, by one of the two
    assert len({json.dumps(t.params, sort_keys=True) for t in complete}) == 4


def test_the_password_reaches_no_output_of_any_kind(
    postgres_url, reg_data, tmp_path, caplog, capsys
) -> None:
    import logging
    import pickle

    X, y = reg_data
    caplog.set_level(logging.DEBUG)
    result = search(
        "random",
        SPACE,
        tiny_regressor,
        X,
        y,
        n_trials=2,
        cv=2,
        epochs=1,
        progress=False,
        storage=postgres_url,
        study_name="pg-secret",
    )
    folder = result.report(tmp_path / "rep").parent
    shown = [
        repr(result),
        repr(result.search_),
        repr(result.search_.get_params()),
        repr(result.cv_results_),
        result.trials_.to_string(),
        (folder / "report.md").read_text(),
        (folder / "report.json").read_text(),
        json.dumps(result.settings, default=str),
        caplog.text,
        "".join(capsys.readouterr()),
        pickle.dumps(result).decode("latin-1"),  # the whole result, model included
    ]
    for text in shown:
        assert PASSWORD not in text
    bad = postgres_url.replace("/hpsearch", "/nope")  # a database that does not exist
    with pytest.raises(RuntimeError) as err:
        search(
            "random",
            SPACE,
            tiny_regressor,
            X,
            y,
            n_trials=1,
            cv=2,
            epochs=1,
            progress=False,
            storage=bad,
            study_name="x",
        )
    assert PASSWORD not in str(err.value) and "***" in str(err.value)
