"""No password of a storage URL reaches any output: every estimator class (its parameters,
repr, HTML repr, pickles, clones), errors, logs, the ledger's attributes and the command
line, for passwords in the user-info (with ``@``, ``:``, ``%40``), in ``?password=`` and in
a libpq DSN string."""

from __future__ import annotations

import json
import logging
import pickle

import optuna
import pytest
import sqlalchemy
from sklearn.base import clone

import search
from benchmarks.cli import main as cli
from models import make_estimator
from search import StorageURL, mask_url
from search.ledger import redact
from search.testing import TINY_SPACE, tiny_regressor
from tests.conftest import PG_PASSWORD

# (URL, the forms of its password that must never show)
URLS = [
    ("postgresql+psycopg2://hp:pa@ss@127.0.0.1:1/db", ["pa@ss"]),
    ("postgresql+psycopg2://hp:pa:ss@127.0.0.1:1/db", ["pa:ss"]),
    ("postgresql+psycopg2://hp:pa%40ss@127.0.0.1:1/db", ["pa%40ss", "pa@ss"]),
    ("postgresql+psycopg2://hp@127.0.0.1:1/db?password=qs-secret", ["qs-secret"]),
    ("host=127.0.0.1 port=1 user=hp password=dsn-secret dbname=db", ["dsn-secret"]),
]
CLASSES = [
    search.SpaceSearchCV,
    search.SpaceGridSearchCV,
    search.SpaceRandomizedSearchCV,
    search.GeneticSearchCV,
    search.TPESearchCV,
    search.HyperbandSearchCV,
    search.ASHASearchCV,
]


def _clean(text: str, secrets: list[str]) -> bool:
    return not any(secret in text for secret in secrets)


@pytest.mark.parametrize(("url", "secrets"), URLS, ids=["at", "colon", "percent", "query", "dsn"])
def test_no_estimator_class_shows_the_password(url, secrets) -> None:
    estimator = make_estimator(tiny_regressor, "regression", epochs=1, units=2, learning_rate=0.01)
    for cls in CLASSES:
        searcher = cls(estimator, TINY_SPACE, storage=url)
        copied = clone(searcher)
        reset = cls(estimator, TINY_SPACE).set_params(storage=url)
        shown = [
            repr(searcher),
            searcher._repr_html_(),
            repr(searcher.get_params()),
            str(searcher.get_params(deep=True)),
            pickle.dumps(searcher).decode("latin-1"),
            repr(copied),
            repr(reset),
            repr(reset.get_params()),
        ]
        assert all(_clean(text, secrets) for text in shown), cls.__name__
        # Still the real URL for connecting, in a clone too.
        assert copied.storage.reveal() == url == reset.storage.reveal()
    assert _clean(mask_url(url), secrets) and _clean(str(StorageURL(url)), secrets)
    assert _clean(redact(f"driver said: {' '.join(secrets)} at {url}", url), secrets)


@pytest.mark.parametrize(("url", "secrets"), URLS, ids=["at", "colon", "percent", "query", "dsn"])
def test_a_ledger_that_cannot_open_says_so_without_the_password(
    url, secrets, reg_data, caplog
) -> None:
    pytest.importorskip("psycopg2")
    X, y = reg_data
    caplog.set_level(logging.DEBUG)
    with pytest.raises(RuntimeError) as error:
        search.search("random", TINY_SPACE, tiny_regressor, X, y, n_trials=1, cv=2, epochs=1,
                      progress=False, storage=url, study_name="x")  # fmt: skip
    assert "cannot open the ledger" in str(error.value)
    assert _clean(str(error.value), secrets) and _clean(caplog.text, secrets)
    assert _clean(repr(error.value.__cause__) + repr(error.value.__context__), secrets)


@pytest.mark.parametrize(("url", "secrets"), URLS[:3], ids=["at", "colon", "percent"])
def test_the_command_line_does_not_show_the_password(url, secrets, data_dir, capsys) -> None:
    pytest.importorskip("psycopg2")
    code = cli(["search", "--storage", url, "--trials", "1", "--epochs", "1", "--n-train", "60",
                "--data-dir", str(data_dir), "--no-progress"])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 2 and "cannot open the ledger" in err
    assert _clean(out + err, secrets)


def test_the_ledger_on_postgresql_holds_no_password(postgres_url, reg_data) -> None:
    X, y = reg_data
    search.search("random", TINY_SPACE, tiny_regressor, X, y, n_trials=2, cv=2, epochs=1,
                  progress=False, storage=postgres_url, study_name="secrets")  # fmt: skip
    assert len(optuna.load_study(study_name="secrets", storage=postgres_url).trials) == 2
    # Every row of every table Optuna keeps, not only the attributes we know we write.
    engine = sqlalchemy.create_engine(postgres_url)
    try:
        with engine.connect() as connection:
            tables = sqlalchemy.inspect(connection).get_table_names()
            rows = [
                list(r)
                for t in tables
                for r in connection.execute(sqlalchemy.text(f"SELECT * FROM {t}"))
            ]
    finally:
        engine.dispose()
    assert "trial_user_attributes" in tables and rows
    assert PG_PASSWORD not in json.dumps(rows, default=str)
