"""Input checks of search/_validation.py: the rule, the bad value and the fix in the error."""

from __future__ import annotations

import numpy as np
import pytest

from search import search
from search._validation import check_heartbeat_grace, check_trial_timeout
from search.testing import TINY_SPACE, tiny_regressor


@pytest.mark.parametrize("bad", [0, -1, "10", True, float("nan")])
def test_trial_timeout_must_be_positive_seconds_or_none(bad) -> None:
    with pytest.raises(ValueError, match=r"trial_timeout must be a number of seconds > 0"):
        check_trial_timeout(bad)
    assert check_trial_timeout(None) is None and check_trial_timeout(15) == 15.0


@pytest.mark.parametrize("bad", [0, 9.5, "60", None])
def test_heartbeat_grace_must_leave_room_for_several_beats(bad) -> None:
    with pytest.raises(ValueError, match=r"heartbeat_grace must be a number of seconds >= 10"):
        check_heartbeat_grace(bad)
    assert check_heartbeat_grace(10) == 10.0


def test_search_refuses_a_bad_trial_timeout_before_training() -> None:
    X = np.zeros((20, 3), dtype="float32")
    with pytest.raises(ValueError, match="trial_timeout"):
        search("random", TINY_SPACE, tiny_regressor, X, X.sum(1), n_trials=1, trial_timeout=-5)
