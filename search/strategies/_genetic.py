"""A DEAP genetic algorithm over genomes in [0, 1]^d, one individual per ``ask``."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
from deap import base, tools
from scipy.stats import qmc

from search.strategies._base import Params, Strategy, find_pending
from search.trial import Trial
from spaces import Categorical

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

    The first generation is a Latin hypercube (``init="lhs"``, ``scipy.stats.qmc``; or
    ``"random"``). Each next generation: tournament selection (``tools.selTournament``),
    simulated binary crossover (``tools.cxSimulatedBinaryBounded``) with probability
    ``cxpb``, and with probability ``mutpb`` polynomial mutation
    (``tools.mutPolynomialBounded``, one gene in d on average) whose ``eta`` grows by
    ``eta_growth`` per generation (mutation narrows as the search goes on); a mutated
    categorical gene is drawn anew (``reset_categoricals``: its values have no order).
    Survival is ``"plus"`` (mu + lambda: the best of parents and children, DEAP's
    ``eaMuPlusLambda`` idea) or ``"generational"`` (children replace parents; the
    ``n_elite`` best so far pass unchanged). Only changed individuals are proposed, one per
    ``ask``; once a generation is all asked, ``ask`` answers ``None`` until all of it is
    told, then breeds the next.

    ``population_size`` defaults to ``clip(round(sqrt(2 * n_trials)), 4, 20)``;
    ``generations`` defaults to as many as the trial budget allows. DEAP draws from Python's
    global ``random``; this class swaps in its own seeded state around every DEAP call.
    The defaults (``eta=5, eta_growth=0.5, mutpb=1.0`` with the Latin-hypercube start,
    (mu + lambda) survival and categorical resets) were chosen on the synthetic suite's
    seeds 0-9 (``python -m benchmarks.studies.synthetic --tune-genetic`` reruns the choice) and
    checked on seeds 10-29, which took no part in it; docs: "Studies / Synthetic objectives".

    Examples:
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
        mutpb: float = 1.0,
        tournament_size: int = 3,
        n_elite: int = 1,
        eta: float = 5.0,
        init: str = "lhs",
        survival: str = "plus",
        eta_growth: float = 0.5,
        reset_categoricals: bool = True,
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
        if init not in ("random", "lhs"):
            raise ValueError(f"GeneticStrategy: init must be 'random' or 'lhs', got {init!r}.")
        if survival not in ("generational", "plus"):
            raise ValueError(
                f"GeneticStrategy: survival must be 'generational' or 'plus', got {survival!r}."
            )
        if not isinstance(eta_growth, (int, float)) or eta_growth < 0:
            raise ValueError(f"GeneticStrategy: eta_growth must be >= 0, got {eta_growth!r}.")
        self.init = init
        self.survival = survival
        self.eta_growth = float(eta_growth)
        self.reset_categoricals = bool(reset_categoricals)
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
            "init": self.init,
            "survival": self.survival,
            "eta_growth": self.eta_growth,
            "reset_categoricals": self.reset_categoricals,
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
        size = self.population_size or _default_population(n_trials)
        if self.n_elite >= size:
            raise ValueError(
                f"GeneticStrategy: n_elite={self.n_elite} must be smaller than the population "
                f"size {size}."
            )
        self.population_size_ = size
        self._random_state = random.Random(seed).getstate()
        self._hof = tools.HallOfFame(max(self.n_elite, 1))
        dims = len(self.space)
        if self.init == "lhs":
            # A space-filling first generation: every gene's range cut into `size` strata,
            # each stratum used once (scipy's Latin hypercube, seeded).
            design = qmc.LatinHypercube(d=dims, seed=np.random.default_rng(seed)).random(size)
            self._population = [_Individual([float(g) for g in row]) for row in design]
        else:
            with self._deap_random():
                self._population = [
                    _Individual([random.random() for _ in range(dims)]) for _ in range(size)
                ]
        self._categorical = [
            i for i, param in enumerate(self.space.values()) if isinstance(param, Categorical)
        ]
        self._parents: list[_Individual] = []
        self.generation = 0
        self._to_ask = [ind for ind in self._population if not ind.fitness.valid]
        self._pending: list[tuple[Params, _Individual]] = []  # asked, not yet told
        self._exhausted = False

    def _breed(self, parents: list[_Individual]) -> list[_Individual]:
        """Offspring of ``parents`` (DEAP's ``varAnd``), with the elites when generational."""
        dims = len(self.space)
        # Mutation narrows as generations pass: a larger eta keeps children nearer parents.
        eta_m = self.eta * (1.0 + self.eta_growth * self.generation)
        with self._deap_random():
            elites = []
            if self.survival == "generational":
                elites = [_copy(ind) for ind in self._hof[: self.n_elite]]
            chosen = tools.selTournament(
                parents, self.population_size_ - len(elites), self.tournament_size
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
                    before = list(ind)
                    tools.mutPolynomialBounded(ind, eta=eta_m, low=0.0, up=1.0, indpb=1 / dims)
                    if self.reset_categoricals:
                        # A categorical's genes have no order: a mutated one is drawn anew.
                        for i in self._categorical:
                            ind[i] = random.random() if ind[i] != before[i] else ind[i]
                    del ind.fitness.values
        return elites + offspring

    def _next_generation(self) -> bool:
        """Breed until a generation has someone new to evaluate; False when none will."""
        evaluated = [ind for ind in self._population if ind.fitness.valid]
        self._hof.update(evaluated)
        if self.survival == "plus" and self._parents:
            # (mu + lambda): the best of parents and children survive, each genome once (an
            # unchanged child is a copy of its parent).
            unique = {tuple(ind): ind for ind in self._parents + evaluated}
            self._parents = tools.selBest(list(unique.values()), self.population_size_)
        else:
            self._parents = evaluated
        # A generation in which selection, crossover and mutation changed nobody has nothing
        # to evaluate: breed on (an empty generation would read as "search finished").
        for _ in range(_MAX_EMPTY_GENERATIONS):
            if self.generations is not None and self.generation + 1 >= self.generations:
                return False
            self._population = self._breed(self._parents)
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


def _default_population(n_trials: int) -> int:
    return int(min(20, max(4, round(math.sqrt(2 * n_trials)))))


def _copy(ind: _Individual) -> _Individual:
    clone = _Individual(ind)
    if ind.fitness.valid:
        clone.fitness.values = ind.fitness.values
    return clone
