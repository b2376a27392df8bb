"""Hyperband's brackets and the epoch budget."""

from __future__ import annotations

import pytest

from search import search
from search.multifidelity import format_brackets, hyperband_brackets
from search.testing import TINY_SPACE, tiny_regressor

# Li et al., JMLR 2018, Table 1 (R = 81, eta = 3): n_i @ r_i per bracket, as printed there.
PAPER_81_3 = [
    [(81, 1), (27, 3), (9, 9), (3, 27), (1, 81)],
    [(34, 3), (11, 9), (3, 27), (1, 81)],
    [(15, 9), (5, 27), (1, 81)],
    [(8, 27), (2, 81)],
    [(5, 81)],
]


def test_brackets_equal_the_papers_table() -> None:
    assert hyperband_brackets(81, 3) == PAPER_81_3


def test_brackets_for_a_budget_that_is_not_a_power_of_eta() -> None:
    brackets = hyperband_brackets(100, 3)
    assert len(brackets) == 5  # 3^4 = 81 <= 100 < 243
    assert [r for _, r in brackets[0]] == [1, 4, 11, 33, 100]
    assert all(r >= 1 for rungs in brackets for _, r in rungs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_epochs": 2, "eta": 3}, "must be at least eta=3"),
        ({"max_epochs": 81, "eta": 1}, "eta must be an int >= 2"),
        ({"max_epochs": 81.0, "eta": 3}, "max_epochs must be an int"),
    ],
)
def test_bad_brackets_are_named(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        hyperband_brackets(**kwargs)


def test_the_bracket_table_reads_as_rungs() -> None:
    table = format_brackets(PAPER_81_3).splitlines()
    assert table[1].split()[:2] == ["s=4", "81@1,"] and table[-1].endswith("405")


def test_the_command_line_shows_the_brackets(capsys) -> None:
    from benchmarks.cli import main

    assert main(["brackets", "--max-epochs", "81", "--eta", "3"]) == 0
    assert "34@3, 11@9, 3@27, 1@81" in capsys.readouterr().out


def test_an_epoch_budget_stops_starting_trials(reg_data) -> None:
    X, y = reg_data
    kw = {"cv": 2, "epochs": 2, "early_stopping": False, "progress": False, "refit": False}
    result = search(
        "random", TINY_SPACE, tiny_regressor, X, y, n_trials=10, max_epochs_total=10, **kw
    )
    # 4 epochs a trial (2 folds x 2): after 2 trials 8 < 10, the third brings it to 12.
    assert list(result.trials_["epochs_trained"]) == [4, 4, 4]
    with pytest.raises(ValueError, match="max_epochs_total must be an int >= 1"):
        search("random", TINY_SPACE, tiny_regressor, X, y, max_epochs_total=0, **kw)
