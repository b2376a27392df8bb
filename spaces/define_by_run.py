"""Spaces written as code: KerasTuner's ``build(hp)`` and Optuna's ``build(trial)``.

KerasTuner users write ``def build(hp): ... hp.Int("units", 32, 512, step=32) ...`` and
Optuna users ``def build(trial): ... trial.suggest_float("lr", 1e-4, 1e-2, log=True)``:
the space is whatever the function asks for. ``discover(build)`` runs it with a recording
``HyperParameters`` (defaults first, then random draws until no new name appears) and
returns a ``spaces.Space`` and a ``build_model(**params)`` (``play``) that plays a
candidate's values back into ``build``, so every strategy (grid, random, genetic, TPE,
Hyperband, ASHA, the controller) searches it. ``HyperParameters`` carries both
vocabularies, so neither keras-tuner nor optuna is needed to run such a function.

Conditions: KerasTuner's ``conditional_scope(parent, values)`` (and ``parent_name=`` /
``parent_values=``) become ``when(parent, "in", values)``. A name that only some runs ask
for without a scope (an ``if`` on an earlier choice, a loop over ``num_layers``) is made
conditional on the latest earlier parameter whose value decides it in every run seen:
``>=`` a threshold for a number (layer ``i`` exists when ``num_layers >= i``), ``in`` the
values seen for a choice. A name no earlier value explains stays unconditional (it is
searched in every trial, and used when the function asks for it).

Differences from KerasTuner, by design: ``Float(step=...)`` and ``Int(step > 1)`` are
choices among their grid points; ``sampling="reverse_log"`` is searched as ``"log"``;
``hp.Fixed`` values are passed as they are and not searched.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from spaces._conditions import Condition, Conditional
from spaces._params import Categorical, Float, Int, Param
from spaces._space import Space

__all__ = ["HyperParameters", "discover", "play"]

_DEFAULT_RUNS = 24  # random runs at most, after the defaults' run
_QUIET_RUNS = 8  # ... ending after this many in a row that found no new name
_SCIKERAS_EXTRAS = ("meta", "compile_kwargs", "params")


class HyperParameters:
    """The ``hp`` (KerasTuner) or ``trial`` (Optuna) a define-by-run ``build`` receives.

    In a trial it answers with the candidate's ``values``; in discovery it records every
    definition and answers with defaults or random draws. ``values`` holds what this run
    asked for; parameters inside an inactive ``conditional_scope`` answer ``None``.

    Examples:
        >>> hp = HyperParameters({"units": 64})
        >>> hp.Int("units", 32, 512, step=32), hp.Float("lr", 1e-4, 1e-2, sampling="log")
        (64, 0.001)
        >>> hp.suggest_categorical("act", ["relu", "tanh"]), hp.values
        ('relu', {'units': 64, 'lr': 0.001, 'act': 'relu'})
    """

    def __init__(
        self, values: Mapping[str, Any] | None = None, *, rng: np.random.Generator | None = None
    ) -> None:
        self._given = {k: v for k, v in (values or {}).items() if v is not None}
        self._rng = rng
        self._scopes: list[Condition] = []
        self.values: dict[str, Any] = {}
        self.defined: dict[str, tuple[Param | None, Condition | None]] = {}
        self.asked: list[str] = []  # names in the order this run asked for them
        self.number = 0  # Optuna's trial.number, for code that logs it

    # -- KerasTuner ------------------------------------------------------------------
    def Int(  # noqa: N802 - KerasTuner's names
        self,
        name: str,
        min_value: int,
        max_value: int,
        step: int | None = None,
        sampling: str = "linear",
        default: int | None = None,
        parent_name: str | None = None,
        parent_values: Any = None,
    ) -> Any:
        param: Param
        if step is not None and step > 1:
            param = Categorical(list(range(int(min_value), int(max_value) + 1, int(step))))
        else:
            param = Int(min_value, max_value, log=_log(sampling, name))
        return self._ask(name, param, default, parent_name, parent_values)

    def Float(  # noqa: N802
        self,
        name: str,
        min_value: float,
        max_value: float,
        step: float | None = None,
        sampling: str = "linear",
        default: float | None = None,
        parent_name: str | None = None,
        parent_values: Any = None,
    ) -> Any:
        param: Param
        if step is not None:
            count = int(math.floor((max_value - min_value) / step + 1e-9)) + 1
            param = Categorical([float(min_value + i * step) for i in range(count)])
        else:
            param = Float(min_value, max_value, log=_log(sampling, name))
        return self._ask(name, param, default, parent_name, parent_values)

    def Choice(  # noqa: N802
        self,
        name: str,
        values: Sequence[Any],
        ordered: bool | None = None,
        default: Any = None,
        parent_name: str | None = None,
        parent_values: Any = None,
    ) -> Any:
        return self._ask(name, Categorical(list(values)), default, parent_name, parent_values)

    def Boolean(  # noqa: N802
        self,
        name: str,
        default: bool = False,
        parent_name: str | None = None,
        parent_values: Any = None,
    ) -> Any:
        return self._ask(name, Categorical([False, True]), default, parent_name, parent_values)

    def Fixed(  # noqa: N802
        self, name: str, value: Any, parent_name: str | None = None, parent_values: Any = None
    ) -> Any:
        condition = self._condition(parent_name, parent_values)
        self.defined.setdefault(name, (None, condition))
        if not self._active(condition):
            return None
        self.values[name] = value
        return value

    @contextlib.contextmanager
    def conditional_scope(self, parent_name: str, parent_values: Any) -> Iterator[None]:
        """The parameters defined inside exist only when ``parent_name`` is one of
        ``parent_values`` (KerasTuner's ``hp.conditional_scope``)."""
        self._scopes.append(_in(parent_name, parent_values))
        try:
            yield
        finally:
            self._scopes.pop()

    def get(self, name: str) -> Any:
        """The value this run gave ``name`` (KerasTuner's ``hp.get``)."""
        if name not in self.values:
            raise KeyError(f"hyperparameter {name!r} has not been defined in this build yet.")
        return self.values[name]

    def __getitem__(self, name: str) -> Any:
        return self.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self.values

    # -- Optuna ------------------------------------------------------------------------
    def suggest_int(self, name: str, low: int, high: int, step: int = 1, log: bool = False) -> Any:
        return self.Int(name, low, high, step=step, sampling="log" if log else "linear")

    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False
    ) -> Any:
        return self.Float(name, low, high, step=step, sampling="log" if log else "linear")

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any:
        return self.Choice(name, choices)

    @property
    def params(self) -> dict[str, Any]:
        """Optuna's ``trial.params``: the values asked so far."""
        return dict(self.values)

    # -- recording -------------------------------------------------------------------
    def _condition(self, parent_name: str | None, parent_values: Any) -> Condition | None:
        if parent_name is not None:
            return _in(parent_name, parent_values)
        return self._scopes[-1] if self._scopes else None

    def _active(self, condition: Condition | None) -> bool:
        if condition is None:
            return True
        return condition.parent in self.values and condition.holds(self.values[condition.parent])

    def _ask(
        self,
        name: str,
        param: Param,
        default: Any,
        parent_name: str | None,
        parent_values: Any,
    ) -> Any:
        if not isinstance(name, str) or not name:
            raise ValueError(f"a hyperparameter needs a name (a non-empty str), got {name!r}.")
        condition = self._condition(parent_name, parent_values)
        known = self.defined.get(name)
        if known is not None and known[0] is not None and known[0] != param:
            raise ValueError(
                f"hyperparameter {name!r} is defined twice with different ranges "
                f"({known[0]!r} and {param!r}); give each its own name."
            )
        self.defined[name] = (param, condition)
        if not self._active(condition):
            return None
        if name in self.values:
            return self.values[name]  # asked again in the same run: the same value
        if name in self._given:
            value = param.cast(self._given[name])
        elif self._rng is not None:
            value = param.sample(self._rng)
        elif default is not None:
            value = param.cast(default)
        else:
            value = param.default()
        self.values[name] = value
        self.asked.append(name)
        return value


def _log(sampling: str, name: str) -> bool:
    if sampling in ("linear", None):
        return False
    if sampling in ("log", "reverse_log"):
        return True
    raise ValueError(
        f"hyperparameter {name!r}: sampling must be 'linear', 'log' or 'reverse_log', got "
        f"{sampling!r}."
    )


def _in(parent_name: str, parent_values: Any) -> Condition:
    values = parent_values
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        values = [values]
    return Condition(parent_name, "in", tuple(values))


def play(build: Callable[[HyperParameters], Any], **params: Any) -> Any:
    """``build`` run with ``params`` as its hyperparameters' values (scikeras's ``meta``
    and the like are dropped). ``discover`` returns it bound to ``build``
    (``functools.partial``: scikeras takes functions and partials as build functions).

    Examples:
        >>> def build(hp):
        ...     return hp.Int("units", 1, 8) * 10
        >>> play(build, units=3, meta={})
        30
    """
    for extra in _SCIKERAS_EXTRAS:
        params.pop(extra, None)
    return build(HyperParameters(params))


def _build_function(hypermodel: Any) -> Callable[[HyperParameters], Any]:
    """The ``build(hp)`` of a function or of a ``keras_tuner.HyperModel``-like object."""
    if inspect.isfunction(hypermodel) or inspect.ismethod(hypermodel):
        return hypermodel
    method = getattr(hypermodel, "build", None)
    is_model = type(hypermodel).__module__.startswith("keras")
    if callable(method) and not is_model:
        return method
    if callable(hypermodel) and not is_model:
        return hypermodel
    raise TypeError(
        f"hypermodel must be a function build(hp) / build(trial) returning a compiled Keras "
        f"model, or a keras_tuner.HyperModel, got {type(hypermodel).__name__}."
    )


def discover(
    hypermodel: Any, *, seed: int = 0, runs: int = _DEFAULT_RUNS
) -> tuple[Space, Callable[..., Any]]:
    """The space a define-by-run ``hypermodel`` asks for, and its ``build_model``.

    ``hypermodel`` runs once with defaults and then with random draws (seeded ``seed``)
    until ``_QUIET_RUNS`` runs in a row add no name, at most ``runs``; each run builds a
    model (the Keras session is cleared after each).

    Examples:
        >>> def build(hp):
        ...     layers = hp.Int("num_layers", 1, 3)
        ...     return [hp.Int(f"units_{i}", 8, 64) for i in range(layers)]
        >>> space, build_model = discover(build)
        >>> list(space), space.conditions["units_2"]
        (['num_layers', 'units_0', 'units_1', 'units_2'], when('num_layers', '>=', 3))
    """
    build = _build_function(hypermodel)
    rng = np.random.default_rng(seed)
    order: list[str] = []
    params: dict[str, Param] = {}
    scoped: dict[str, Condition | None] = {}
    seen: list[dict[str, Any]] = []
    quiet = 0
    for run in range(runs + 1):
        hp = HyperParameters(rng=None if run == 0 else rng)
        _run_once(build, hp)
        new = False
        previous: str | None = None
        for name, (param, condition) in hp.defined.items():
            if param is None:
                continue
            if name not in params:
                # Right after the name this run defined before it: the order of the code.
                at = 0 if previous is None else order.index(previous) + 1
                order.insert(at, name)
                params[name], scoped[name], new = param, condition, True
            previous = name
        seen.append(dict(hp.values))
        quiet = 0 if new else quiet + 1
        if run > 0 and quiet >= _QUIET_RUNS:
            break
    if not params:
        raise ValueError(
            f"hypermodel {getattr(build, '__qualname__', build)!r} asked for no hyperparameter "
            "(hp.Int / hp.Float / hp.Choice / trial.suggest_*); there is nothing to search."
        )
    # ``order`` is the order of first asking, so a parent (asked before its children in
    # the run that first asked them) comes before them, as Space requires.
    entries: dict[str, Param | Conditional] = {}
    for name in order:
        condition = scoped[name] or _implied_condition(name, order, params, seen)
        entries[name] = params[name] if condition is None else Conditional(params[name], condition)
    return Space(entries), functools.partial(play, build)


def _run_once(build: Callable[[HyperParameters], Any], hp: HyperParameters) -> None:
    import keras

    try:
        build(hp)
    except Exception as exc:
        raise type(exc)(
            f"hypermodel raised while its space was discovered (values {hp.values}): {exc}"
        ) from exc
    finally:
        keras.backend.clear_session(free_memory=False)  # gc.collect per run: ~0.1 s


def _implied_condition(
    name: str, order: list[str], params: Mapping[str, Param], seen: list[dict[str, Any]]
) -> Condition | None:
    """The condition under which ``name`` was asked in every run seen (None when it was
    always asked, or no earlier value explains it).

    Candidates are the earlier integers (``>=`` a threshold: layer ``i`` of a loop) and
    choices (``in`` the values seen with it) whose value decided, in every run that asked
    for them, whether ``name`` was asked, and that were asked whenever ``name`` was. A rule
    that splits the parent's values wins over one that holds for all of them (which only
    says "asked with the parent"), then the simplest (a threshold, else the fewest
    values), then the latest parent.
    """
    if all(name in run for run in seen):
        return None
    found: list[tuple[bool, int, int, Condition]] = []
    for position, parent in enumerate(order[: order.index(name)]):
        param = params[parent]
        if not isinstance(param, (Int, Categorical)):
            continue  # a continuous value cannot decide a branch seen only a few times
        if any(name in run and parent not in run for run in seen):
            continue
        runs = [run for run in seen if parent in run]
        with_it = [run[parent] for run in runs if name in run]
        without = [run[parent] for run in runs if name not in run]
        if not with_it or {_key(v) for v in with_it} & {_key(v) for v in without}:
            continue
        if isinstance(param, Int):
            low = min(with_it)
            if all(v < low for v in without):
                trivial = low <= param.low
                found.append((trivial, 1, -position, Condition(parent, ">=", low)))
            continue
        values = tuple(dict.fromkeys(with_it))
        trivial = len(values) == len(param.choices)
        found.append((trivial, len(values), -position, Condition(parent, "in", values)))
    return min(found, key=lambda f: f[:3])[3] if found else None


def _key(value: Any) -> Any:
    return (type(value).__name__, repr(value))
