"""Hyperband's brackets and the epoch budget."""

from __future__ import annotations

import numpy as np
import pytest

from search import search
from search.multifidelity import format_brackets, hyperband_brackets
from search.testing import TINY_SPACE, tiny_regressor
from spaces import Float, Int, Space

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


# ----------------------------------------------------------------------------------------
# Hyperband and ASHA as strategies
# ----------------------------------------------------------------------------------------
def _rung_sizes(trials) -> list[list[tuple[int, int]]]:
    """(candidates, epochs) per rung per bracket, read from the trials' extras."""
    sizes: dict[int, dict[int, list[int]]] = {}
    for t in trials:
        sizes.setdefault(t.extras["bracket"], {}).setdefault(t.extras["rung"], []).append(
            t.fidelity
        )
    return [
        [(len(epochs), epochs[0]) for _, epochs in sorted(rungs.items())]
        for _, rungs in sorted(sizes.items(), reverse=True)
    ]


def _told(strategy, space, n_trials, epochs, score, workers=1):
    """``drive`` that keeps the extras ``ask`` set, as the runner does."""
    from search.strategies import Proposal
    from search.trial import Trial

    strategy.bind(space, n_trials, 0, epochs=epochs)
    trials, in_flight = [], []
    while True:
        while len(trials) + len(in_flight) < n_trials and len(in_flight) < workers:
            asked = strategy.ask()
            if asked is None:
                break
            in_flight.append((asked, dict(strategy.info)))
        if not in_flight:
            return trials
        asked, info = in_flight.pop(0)
        assert isinstance(asked, Proposal)
        trial = Trial(len(trials), strategy.name, asked.params, state="complete", extras=info)
        trial.fidelity, trial.parent = asked.epochs, asked.parent
        trial.fold_scores = [score(asked.params, asked.epochs)]
        strategy.tell(trial)
        trials.append(trial)


def test_a_hyperband_round_runs_the_papers_rungs() -> None:
    from search.strategies import HyperbandStrategy

    space = Space(x=Float(0.0, 1.0))
    strategy = HyperbandStrategy(iterations=1)
    trials = _told(strategy, space, 10_000, 81, lambda p, e: p["x"] * e)
    assert _rung_sizes(trials) == PAPER_81_3
    # A promotion continues a trial of the rung below, at that rung's next epochs.
    by_number = {t.number: t for t in trials}
    for t in trials:
        if t.parent is not None:
            parent = by_number[t.parent]
            assert parent.params == t.params and parent.fidelity < t.fidelity
    assert strategy.needs_models() == set()  # every model let go at the end


def test_hyperband_promotes_the_best_of_each_rung() -> None:
    from search.strategies import HyperbandStrategy

    trials = _told(
        HyperbandStrategy(iterations=1), Space(x=Float(0.0, 1.0)), 100, 9, lambda p, e: p["x"]
    )
    first = [t for t in trials[:9]]  # bracket s=2, rung 0: 9 candidates at 1 epoch
    best3 = sorted(first, key=lambda t: -t.score)[:3]
    promoted = [t for t in trials if t.extras == {"round": 1, "bracket": 2, "rung": 1}]
    assert sorted(t.parent for t in promoted) == sorted(t.number for t in best3)
    top = [t for t in trials if t.extras == {"round": 1, "bracket": 2, "rung": 2}]
    assert [t.params for t in top] == [max(promoted, key=lambda t: t.score).params]


def test_asha_promotion_order_on_scripted_scores() -> None:
    from search.strategies import ASHAStrategy, Proposal
    from search.trial import Trial

    strategy = ASHAStrategy(eta=3)
    strategy.bind(Space(x=Float(0.0, 1.0)), 100, 0, epochs=9)
    assert strategy.rungs_ == [1, 3, 9]
    # Rung-0 scores told in this order; each tell is followed by one ask.
    script = [0.1, 0.5, 0.3, 0.9, 0.2, 0.8, 0.05, 0.7, 0.6]
    number = 0
    log: list[tuple[int, int | None]] = []

    def run(asked: Proposal, score: float) -> None:
        nonlocal number
        trial = Trial(number, "asha", asked.params, state="complete", fold_scores=[score])
        trial.fidelity, trial.parent = asked.epochs, asked.parent
        log.append((asked.epochs, asked.parent))
        number += 1
        strategy.tell(trial)

    scores = iter(script)
    while number < 14:
        asked = strategy.ask()
        # Promotions score their parent's score + 1 (better at more epochs).
        if asked.parent is None:
            run(asked, next(scores))
        else:
            parent_score = {0: 0.1, 1: 0.5, 2: 0.3}.get(asked.parent, 0.0)
            run(asked, parent_score + 1 + 0.01 * number)
    # After 3 rung-0 trials (0.1, 0.5, 0.3) the top third is trial 1: promoted at once.
    assert log[3] == (3, 1)
    # Rung 1 has one trial: floor(1/3) = 0 to promote; rung 0's best is taken: a new one.
    assert log[4] == (1, None)
    # Trial 4 scored 0.9; rung 0 has 4 trials, top 1 = trial 4: promoted.
    assert log[5] == (3, 4)
    assert all(epochs in (1, 3, 9) for epochs, _ in log)
    # Rung 1 reaches 3 trials -> its best goes to 9 epochs before any new candidate.
    nine = [i for i, (epochs, _) in enumerate(log) if epochs == 9]
    assert nine, log


def test_asha_keeps_only_models_it_can_still_promote() -> None:
    from search.strategies import ASHAStrategy

    strategy = ASHAStrategy(eta=3)
    trials = _told(strategy, Space(x=Float(0.0, 1.0)), 30, 9, lambda p, e: p["x"])
    rung0 = sorted((t for t in trials if t.fidelity == 1), key=lambda t: -t.score)
    needed = strategy.needs_models()
    # At most n_trials / eta of rung 0 and n_trials / eta^2 of rung 1 can ever go on.
    assert {t.number for t in rung0[10:]}.isdisjoint(needed)
    assert len(needed) <= 30 // 3 + 30 // 9


def test_a_promoted_trial_continues_its_parents_weights_and_optimizer() -> None:
    from sklearn.metrics import check_scoring
    from sklearn.model_selection import KFold

    from models import make_estimator
    from search._fit import TrialData, TrialSpec, fit_trial
    from search.testing import tiny_classifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4)).astype("float32")
    y = (X[:, 0] + X[:, 1] > 0).astype("int64")
    est = make_estimator(
        tiny_classifier,
        "classification",
        epochs=9,
        early_stopping=False,
        units=8,
        learning_rate=0.01,
    )
    scorer = check_scoring(est, "neg_log_loss")
    data = TrialData(X, y, list(KFold(2).split(X)))
    params = {"units": 8, "learning_rate": 0.01}
    parent = fit_trial(TrialSpec(0, params, est, scorer, epochs=3, keep_model=True), data)
    child = fit_trial(
        TrialSpec(1, params, est, scorer, epochs=9, start_epoch=3, models=parent.models), data
    )
    scratch = fit_trial(TrialSpec(2, params, est, scorer, epochs=9), data)
    assert parent.fold_epochs == [3, 3] and child.fold_epochs == [6, 6]  # counted once
    for fold in range(2):
        # The child's first epoch (epoch 4) starts where its parent stopped: it equals
        # epoch 4 of one uninterrupted fit, far from a fresh model's first epoch.
        assert child.curve[fold][0] == pytest.approx(scratch.curve[fold][3], abs=1e-3)
        assert child.curve[fold][-1] == pytest.approx(scratch.curve[fold][-1], abs=1e-3)
        assert abs(child.curve[fold][0] - scratch.curve[fold][0]) > 0.01


def test_hyperband_search_end_to_end(reg_data) -> None:
    X, y = reg_data
    result = search(
        "hyperband",
        TINY_SPACE,
        tiny_regressor,
        X,
        y,
        cv=2,
        epochs=3,
        early_stopping=False,
        progress=False,
    )
    trials = result.trials_
    # One round for R=3, eta=3: 3@1, 1@3 and 2@3: six trials by default.
    assert len(trials) == 6 and (trials["status"] == "complete").all()
    promoted = trials[trials["parent"].notna()].iloc[0]
    assert promoted["start_epoch"] == 1 and promoted["epochs_trained"] == 2 * 2
    # The best comes from the full 3 epochs, never from a 1-epoch score.
    best = trials.loc[result.search_.best_index_]
    assert best["fidelity"] == 3
    assert result.cv_results_["epochs_trained"].sum() == trials["epochs_trained"].sum()


@pytest.mark.parametrize(
    ("strategy", "kwargs", "message"),
    [
        ("hyperband", {"epochs": 2}, "must be at least eta"),
        ("asha", {"epochs": 2}, "must be at least eta"),
        ("hyperband", {"space": Space(epochs=Int(1, 9), units=Int(2, 4))}, "varies 'epochs'"),
        ("hyperband", {"pruner": "median"}, "works with strategy='tpe'"),
    ],
)
def test_bad_multi_fidelity_input_fails_before_training(reg_data, strategy, kwargs, message):
    X, y = reg_data
    settings = {"cv": 2, "epochs": 3, "progress": False, "space": TINY_SPACE, **kwargs}
    space = settings.pop("space")
    with pytest.raises(ValueError, match=message):
        search(strategy, space, tiny_regressor, X, y, **settings)


def test_bad_strategy_options_are_named() -> None:
    from search.strategies import ASHAStrategy, HyperbandStrategy

    with pytest.raises(ValueError, match="eta must be an int >= 2"):
        HyperbandStrategy(eta=1)
    with pytest.raises(ValueError, match="sampler must be one of"):
        HyperbandStrategy(sampler="grid")
    with pytest.raises(ValueError, match="sampler must be one of \\['random'\\]"):
        ASHAStrategy(sampler="tpe")
    with pytest.raises(ValueError, match="min_epochs=5 is larger than the search's epochs=3"):
        ASHAStrategy(min_epochs=5).bind(TINY_SPACE, 10, 0, epochs=3)
