"""A DEAP genetic algorithm over genomes in [0, 1]^d, one individual per ``ask``."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from deap import base, tools

from search.strategies._base import Params, Strategy, find_pending
from search.trial import Trial

__all__ = ["GeneticStrategy"]

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
    Only changed individuals are proposed, one per ``ask``; once a generation is all asked,
    ``ask`` answers ``None`` until all of it is told, then breeds the next.

    ``population_size`` defaults to ``clip(round(sqrt(2 * n_trials)), 4, 20)``;
    ``generations`` defaults to as many as the trial budget allows. DEAP draws from Python's
    global ``random``; this class swaps in its own seeded state around every DEAP call.
    Defaults ``eta=2, mutpb=0.5`` explore more than DEAP's examples (``eta=20``): on tens of
    trials a tight mutation made the population converge early.

    >>> from spaces import Space, Int
    >>> s = GeneticStrategy(population_size=4)
    >>> s.bind(Space(n=Int(1, 99)), n_trials=8, seed=0)
    >>> first = [s.ask() for _ in range(4)]
    >>> s.ask() is None, s.info
    (True, {'generation': 0})
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
        self._to_ask = [ind for ind in self._population if not ind.fitness.valid]
        self._pending: list[tuple[Params, _Individual]] = []  # asked, not yet told
        self._exhausted = False

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

    def _next_generation(self) -> bool:
        """Breed until a generation has someone new to evaluate; False when none will."""
        self._hof.update(self._population)
        # A generation in which selection, crossover and mutation changed nobody has nothing
        # to evaluate: breed on (an empty generation would read as "search finished").
        for _ in range(_MAX_EMPTY_GENERATIONS):
            if self.generations is not None and self.generation + 1 >= self.generations:
                return False
            self._population = self._breed()
            self.generation += 1
            self._to_ask = [ind for ind in self._population if not ind.fitness.valid]
            if self._to_ask:
                return True
        return False

    def ask(self) -> Params | None:
        if self._exhausted:
            return None
        if not self._to_ask:
            if self._pending:
                return None  # the rest of this generation is still being evaluated
            if not self._next_generation():
                self._exhausted = True
                return None
        ind = self._to_ask.pop(0)
        params = self.space.decode(ind)
        self._pending.append((params, ind))
        self.info = {"generation": self.generation}
        return params

    def tell(self, trial: Trial) -> None:
        index = find_pending(self._pending, trial, "GeneticStrategy")
        _, ind = self._pending.pop(index)
        # -inf ranks a failed trial below every real score; NaN would break comparisons.
        ind.fitness.values = (trial.score if trial.complete else -math.inf,)


def _copy(ind: _Individual) -> _Individual:
    clone = _Individual(ind)
    if ind.fitness.valid:
        clone.fitness.values = ind.fitness.values
    return clone
