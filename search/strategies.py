"""Strategies: objects that propose candidates (``ask``) and learn from scores (``tell``).

A strategy trains nothing. The search estimator binds it to a space, a trial budget and a
seed, asks for a batch, evaluates the batch through scikit-learn's one evaluation path and
tells the scores back. Scores follow scikit-learn's convention (greater is better); a
failed trial is told as ``None`` and ranked worst, so NaN never reaches DEAP or Optuna.

>>> from spaces import Space, Int
>>> s = RandomStrategy()
>>> s.bind(Space(n=Int(1, 9)), n_trials=3, seed=0)
>>> batch = s.ask(2)
>>> s.tell(batch, [1.0, None])
"""

from __future__ import annotations

import math
import random
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import optuna
from deap import base, tools
from sklearn.model_selection import ParameterGrid, ParameterSampler

from search._optuna_util import quiet_optuna
from spaces import Space

__all__ = [
    "STRATEGIES",
    "GeneticStrategy",
    "GridStrategy",
    "RandomStrategy",
    "Strategy",
    "TPEStrategy",
    "make_strategy",
]

Params = dict[str, Any]


class Strategy(ABC):
    """Base class: ``bind`` once, then alternate ``ask`` and ``tell``.

    Subclasses set ``name`` and implement ``_start``, ``ask`` and ``tell``. ``info`` holds
    extras recorded with every trial of the last batch (e.g. the GA generation).
    """

    name: str = ""
    # False where proposals never depend on scores (grid, random): the search loop may then
    # ask for several rounds of parallel trials at once.
    adaptive: bool = True

    def __init__(self) -> None:
        self.info: dict[str, Any] = {}
        self._space: Space | None = None

    @property
    def space(self) -> Space:
        if self._space is None:
            raise RuntimeError(f"{type(self).__name__}: call bind(space, n_trials, seed) first.")
        return self._space

    def bind(self, space: Space, n_trials: int, seed: int) -> None:
        """Attach the space, the trial budget and the seed; resets any earlier state."""
        if not isinstance(space, Space) or len(space) == 0:
            raise ValueError(f"space must be a non-empty spaces.Space, got {space!r}.")
        if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 1:
            raise ValueError(f"n_trials must be an int >= 1, got {n_trials!r}.")
        self._space = space
        self.info = {}
        self._start(n_trials, int(seed))

    @abstractmethod
    def _start(self, n_trials: int, seed: int) -> None: ...

    @abstractmethod
    def ask(self, n: int) -> list[Params]:
        """Up to ``n`` candidates (a hint: a GA returns a whole generation); ``[]`` = done."""

    @abstractmethod
    def tell(self, candidates: Sequence[Params], scores: Sequence[float | None]) -> None:
        """Scores of the candidates of the last ``ask``, in order; ``None`` = failed."""

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"

    def get_config(self) -> dict[str, Any]:
        """The options this strategy was made with (for reports)."""
        return {}


class _ListStrategy(Strategy):
    """Proposes a precomputed list in order (grid and random search)."""

    adaptive = False

    def _start(self, n_trials: int, seed: int) -> None:
        self._queue = self._candidates(n_trials, seed)
        self._next = 0

    @abstractmethod
    def _candidates(self, n_trials: int, seed: int) -> list[Params]: ...

    def ask(self, n: int) -> list[Params]:
        batch = self._queue[self._next : self._next + max(int(n), 1)]
        self._next += len(batch)
        return [self.space.cast(p) for p in batch]

    def tell(self, candidates: Sequence[Params], scores: Sequence[float | None]) -> None:
        # Non-adaptive: the list is fixed in advance.
        return None


class GridStrategy(_ListStrategy):
    """Every point of ``Space.to_grid(points)``, in ``ParameterGrid`` order.

    ``points`` (per numeric parameter, an int or a mapping) may be given; by default the
    largest grid with at most ``n_trials`` points is chosen (numeric parameters get points
    in turn, starting from their two bounds).
    """

    name = "grid"

    def __init__(self, points: int | dict[str, int] | None = None) -> None:
        super().__init__()
        self.points = points

    def get_config(self) -> dict[str, Any]:
        return {"points": self.points}

    def _candidates(self, n_trials: int, seed: int) -> list[Params]:
        points = self.points if self.points is not None else fit_grid_points(self.space, n_trials)
        size = self.space.grid_size(points)
        if size > n_trials:
            raise ValueError(
                f"grid: the grid has {size} points but n_trials={n_trials}; raise n_trials to "
                f"{size} or give fewer points (points={points!r})."
            )
        self.points_ = points
        return list(ParameterGrid(self.space.to_grid(points)))


def fit_grid_points(space: Space, n_trials: int) -> dict[str, int]:
    """The per-parameter point counts of the largest grid with at most ``n_trials`` points.

    >>> from spaces import california_mlp
    >>> fit_grid_points(california_mlp(), 10)
    {'hidden_layers': 2, 'layer_size': 2, 'learning_rate': 2}
    """
    points = {name: 2 for name in space}
    smallest = space.grid_size(points)
    if smallest > n_trials:
        raise ValueError(
            f"grid: even the smallest grid (categoricals x 2 values per numeric parameter) "
            f"has {smallest} points, more than n_trials={n_trials}; raise n_trials to "
            f"{smallest}, or use strategy='random', 'genetic' or 'tpe'."
        )
    growable = [n for n, p in space.items() if (m := p.max_points()) is None or m > 2]
    grown = True
    while grown:
        grown = False
        for name in growable:
            limit = space[name].max_points()
            if limit is not None and points[name] >= limit:
                continue
            trial = {**points, name: points[name] + 1}
            if space.grid_size(trial) <= n_trials:
                points, grown = trial, True
    return points


class RandomStrategy(_ListStrategy):
    """scikit-learn's ``ParameterSampler`` over ``Space.to_sklearn()`` (log floats drawn
    from ``scipy.stats.reciprocal``), ``n_iter = n_trials``, seeded."""

    name = "random"

    def _candidates(self, n_trials: int, seed: int) -> list[Params]:
        return list(ParameterSampler(self.space.to_sklearn(), n_iter=n_trials, random_state=seed))


_MAX_EMPTY_GENERATIONS = 1000  # then the population has converged: the search ends


class _MaxFitness(base.Fitness):
    weights = (1.0,)


class _Individual(list[float]):
    """A genome in [0, 1]^d with a DEAP fitness (no global ``creator`` classes)."""

    def __init__(self, genes: Sequence[float] = ()) -> None:
        super().__init__(genes)
        self.fitness = _MaxFitness()


class GeneticStrategy(Strategy):
    """A DEAP genetic algorithm over genomes in [0, 1]^d (see ``Space.encode``/``decode``).

    Each generation: tournament selection (``tools.selTournament``), simulated binary
    crossover (``tools.cxSimulatedBinaryBounded``) with probability ``cxpb``, polynomial
    mutation (``tools.mutPolynomialBounded``, one gene in d on average) with probability
    ``mutpb``; the ``n_elite`` best individuals so far (a ``HallOfFame``) pass unchanged.
    Only changed individuals are proposed, so one generation is one batch.

    ``population_size`` defaults to ``clip(round(sqrt(2 * n_trials)), 4, 20)``;
    ``generations`` defaults to as many as the trial budget allows. DEAP draws from Python's
    global ``random``; this class swaps in its own seeded state around every DEAP call.

    Defaults (``eta=2``, ``mutpb=0.5``) explore more than DEAP's examples (``eta=20``): on
    small budgets (tens of trials) a tight mutation made the population converge early.
    Measured on a 3-parameter test function, 80 trials, median best of 10 seeds: -0.011
    with these defaults, -0.23 with ``eta=20, mutpb=0.3``, -0.087 for random search.
    """

    name = "genetic"
    _random_state: tuple[Any, ...]

    def __init__(
        self,
        population_size: int | None = None,
        generations: int | None = None,
        cxpb: float = 0.7,
        mutpb: float = 0.5,
        tournament_size: int = 3,
        n_elite: int = 1,
        eta: float = 2.0,
    ) -> None:
        super().__init__()
        for name, rate in (("cxpb", cxpb), ("mutpb", mutpb)):
            if not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
                raise ValueError(f"GeneticStrategy: {name} must be in [0, 1], got {rate!r}.")
        int_options: list[tuple[str, int | None, int]] = [
            ("population_size", population_size, 2),
            ("generations", generations, 1),
            ("tournament_size", tournament_size, 1),
            ("n_elite", n_elite, 0),
        ]
        for name, value, low in int_options:
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < low
            ):
                raise ValueError(f"GeneticStrategy: {name} must be an int >= {low}, got {value!r}.")
        if not isinstance(eta, (int, float)) or eta <= 0:
            raise ValueError(f"GeneticStrategy: eta must be a number > 0, got {eta!r}.")
        self.population_size = population_size
        self.generations = generations
        self.cxpb = float(cxpb)
        self.mutpb = float(mutpb)
        self.tournament_size = tournament_size
        self.n_elite = n_elite
        self.eta = float(eta)

    def get_config(self) -> dict[str, Any]:
        return {
            "population_size": self.population_size,
            "generations": self.generations,
            "cxpb": self.cxpb,
            "mutpb": self.mutpb,
            "tournament_size": self.tournament_size,
            "n_elite": self.n_elite,
            "eta": self.eta,
        }

    @contextmanager
    def _deap_random(self) -> Iterator[None]:
        outer = random.getstate()
        random.setstate(self._random_state)
        try:
            yield
        finally:
            self._random_state = random.getstate()
            random.setstate(outer)

    def _start(self, n_trials: int, seed: int) -> None:
        size = self.population_size or int(min(20, max(4, round(math.sqrt(2 * n_trials)))))
        if self.n_elite >= size:
            raise ValueError(
                f"GeneticStrategy: n_elite={self.n_elite} must be smaller than the population "
                f"size {size}."
            )
        self.population_size_ = size
        self._random_state = random.Random(seed).getstate()
        self._hof = tools.HallOfFame(max(self.n_elite, 1))
        dims = len(self.space)
        with self._deap_random():
            self._population = [
                _Individual([random.random() for _ in range(dims)]) for _ in range(size)
            ]
        self.generation = 0
        self._pending: list[_Individual] = []

    def _breed(self) -> list[_Individual]:
        """The next generation from the evaluated population (DEAP's ``varAnd`` + elitism)."""
        dims = len(self.space)
        with self._deap_random():
            elites = [_copy(ind) for ind in self._hof[: self.n_elite]]
            chosen = tools.selTournament(
                self._population, self.population_size_ - len(elites), self.tournament_size
            )
            offspring = [_copy(ind) for ind in chosen]
            for i in range(1, len(offspring), 2):
                if random.random() < self.cxpb:
                    tools.cxSimulatedBinaryBounded(
                        offspring[i - 1], offspring[i], eta=self.eta, low=0.0, up=1.0
                    )
                    del offspring[i - 1].fitness.values, offspring[i].fitness.values
            for ind in offspring:
                if random.random() < self.mutpb:
                    tools.mutPolynomialBounded(ind, eta=self.eta, low=0.0, up=1.0, indpb=1 / dims)
                    del ind.fitness.values
        return elites + offspring

    def ask(self, n: int) -> list[Params]:
        self._pending = [ind for ind in self._population if not ind.fitness.valid]
        # A generation in which selection, crossover and mutation changed nobody has nothing
        # to evaluate: breed on (an empty batch would read as "search finished").
        for _ in range(_MAX_EMPTY_GENERATIONS):
            if self._pending:
                break
            if self.generations is not None and self.generation + 1 >= self.generations:
                return []
            self._population = self._breed()
            self.generation += 1
            self._pending = [ind for ind in self._population if not ind.fitness.valid]
        self.info = {"generation": self.generation}
        return [self.space.decode(ind) for ind in self._pending]

    def tell(self, candidates: Sequence[Params], scores: Sequence[float | None]) -> None:
        if len(candidates) != len(scores) or len(candidates) > len(self._pending):
            raise ValueError(
                f"GeneticStrategy.tell: got {len(candidates)} candidates and {len(scores)} "
                f"scores for {len(self._pending)} pending individuals."
            )
        for ind, score in zip(self._pending, scores, strict=False):
            # -inf ranks a failed trial below every real score; NaN would break comparisons.
            ind.fitness.values = (-math.inf if score is None else float(score),)
        self._pending = self._pending[len(scores) :]
        if not self._pending:
            self._hof.update(self._population)


def _copy(ind: _Individual) -> _Individual:
    clone = _Individual(ind)
    if ind.fitness.valid:
        clone.fitness.values = ind.fitness.values
    return clone


class TPEStrategy(Strategy):
    """Optuna's ``TPESampler`` (seeded) through ``study.ask(distributions)`` / ``study.tell``.

    Batches of ``n > 1`` are asked at once with the constant liar, so parallel candidates
    spread out. ``n_startup_trials`` random trials come first; by default a quarter of the
    budget, between 3 and 10 (Optuna's own default, 10, would leave a 10-trial search
    entirely random).
    """

    name = "tpe"

    def __init__(self, n_startup_trials: int | None = None, multivariate: bool = False) -> None:
        super().__init__()
        if n_startup_trials is not None and (
            isinstance(n_startup_trials, bool)
            or not isinstance(n_startup_trials, int)
            or n_startup_trials < 0
        ):
            raise ValueError(
                f"TPEStrategy: n_startup_trials must be an int >= 0, got {n_startup_trials!r}."
            )
        self.n_startup_trials = n_startup_trials
        self.multivariate = multivariate

    def get_config(self) -> dict[str, Any]:
        return {"n_startup_trials": self.n_startup_trials, "multivariate": self.multivariate}

    def _start(self, n_trials: int, seed: int) -> None:
        startup = self.n_startup_trials
        if startup is None:
            startup = min(10, max(3, n_trials // 4))
        self.n_startup_trials_ = startup
        sampler = optuna.samplers.TPESampler(
            seed=seed,
            n_startup_trials=startup,
            constant_liar=True,
            multivariate=self.multivariate,
        )
        with quiet_optuna():
            self.study = optuna.create_study(direction="maximize", sampler=sampler)
        self._distributions = self.space.to_optuna()
        self._pending: list[optuna.trial.Trial] = []

    def ask(self, n: int) -> list[Params]:
        self._pending = [self.study.ask(self._distributions) for _ in range(max(int(n), 1))]
        return [self.space.cast(trial.params) for trial in self._pending]

    def tell(self, candidates: Sequence[Params], scores: Sequence[float | None]) -> None:
        if len(candidates) != len(scores) or len(candidates) > len(self._pending):
            raise ValueError(
                f"TPEStrategy.tell: got {len(candidates)} candidates and {len(scores)} scores "
                f"for {len(self._pending)} asked trials."
            )
        with quiet_optuna():
            for trial, score in zip(self._pending, scores, strict=False):
                if score is None or not math.isfinite(score):
                    self.study.tell(trial, state=optuna.trial.TrialState.FAIL)
                else:
                    self.study.tell(trial, float(score))
        self._pending = self._pending[len(scores) :]


STRATEGIES: dict[str, type[Strategy]] = {
    "grid": GridStrategy,
    "random": RandomStrategy,
    "genetic": GeneticStrategy,
    "tpe": TPEStrategy,
}


def make_strategy(strategy: str | Strategy) -> Strategy:
    """A strategy object from a name in ``STRATEGIES`` (or the object itself).

    >>> make_strategy("tpe").name
    'tpe'
    """
    if isinstance(strategy, Strategy):
        return strategy
    if isinstance(strategy, str) and strategy in STRATEGIES:
        return STRATEGIES[strategy]()
    raise ValueError(
        f"strategy must be one of {sorted(STRATEGIES)} or a search.strategies.Strategy "
        f"object, got {strategy!r}."
    )
