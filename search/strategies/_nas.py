"""Neural architecture search: an RNN controller trained with REINFORCE (Zoph & Le, ICLR
2017; the controller as ENAS writes it, Pham et al., ICML 2018).

The controller is a Keras ``LSTMCell`` that emits one token per decision, in the space's
order, each from its own softmax head, with the previous token's embedding fed back as
the next input. A conditional space decides which decisions exist: a network of 2 layers
never emits layer 3's tokens. The reward of a child is its validation score, standardised
over the scores seen so far (so regression and classification train the controller
alike); the policy gradient uses an exponential-moving-average baseline and an entropy
bonus, with Adam.

Defaults, from ENAS's controller (``enas/src/cifar10/general_controller.py`` and the
paper's appendix): LSTM size 32 (ENAS: 64 for hundreds of decisions), learning rate 3.5e-3,
baseline decay 0.99, entropy weight 1e-4. Measured here on a synthetic reward, ask/tell only:
``python -m benchmarks.studies.architecture controller`` (results in ``benchmarks/results/``).

The controller never uses Keras's global random state (tokens are drawn with this
strategy's own ``numpy`` generator; weights are initialised once from seeded initialisers),
so trials that call ``keras.backend.clear_session()`` and reseed Keras in the same process
neither reset nor reseed it.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import keras
import numpy as np

from search.strategies._base import Params, Strategy, find_pending
from search.trial import Trial
from spaces import Categorical, Float, Int, Space

__all__ = ["NASStrategy"]

_FAILED_REWARD = -2.0  # in standard deviations: a failed child is well below the mean


class NASStrategy(Strategy):
    """Architecture search with an LSTM controller trained by REINFORCE.

    Args:
        buckets: the values the controller may pick for a numeric parameter, by name: an
            int n (n points, log-spaced for log parameters: ``Param.grid(n)``) or a list of
            values. Required for floats and for ints with more than ``max_int_values``
            values; categoricals use their choices.
        hidden_units: the LSTM's size.
        learning_rate: the controller's Adam learning rate.
        baseline_decay: the moving-average baseline's decay.
        entropy_weight: the entropy bonus's weight.
        max_int_values: ints with at most this many values are decided value by value.

    Examples:
        >>> from spaces import Space, Int, Categorical
        >>> s = NASStrategy()
        >>> s.bind(Space(n=Int(1, 3), act=Categorical(["relu", "selu"])), n_trials=4, seed=0)
        >>> p = s.ask(); sorted(p), sorted(s.info)
        (['act', 'n'], ['nas_baseline', 'nas_entropy', 'nas_likely', 'nas_updates'])
    """

    name = "nas"

    def __init__(
        self,
        buckets: Mapping[str, int | Sequence[Any]] | None = None,
        hidden_units: int = 32,
        learning_rate: float = 3.5e-3,
        baseline_decay: float = 0.99,
        entropy_weight: float = 1e-4,
        max_int_values: int = 16,
    ) -> None:
        super().__init__()
        for name, value, low in (
            ("hidden_units", hidden_units, 1),
            ("max_int_values", max_int_values, 2),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"NASStrategy: {name} must be an int >= {low}, got {value!r}.")
        for name, number, ok in (
            ("learning_rate", learning_rate, learning_rate > 0),
            ("baseline_decay", baseline_decay, 0 <= baseline_decay < 1),
            ("entropy_weight", entropy_weight, entropy_weight >= 0),
        ):
            if isinstance(number, bool) or not isinstance(number, (int, float)) or not ok:
                rule = {"learning_rate": "> 0", "baseline_decay": "in [0, 1)"}.get(name, ">= 0")
                raise ValueError(f"NASStrategy: {name} must be a number {rule}, got {number!r}.")
        if buckets is not None and not isinstance(buckets, Mapping):
            raise ValueError(
                f"NASStrategy: buckets must map parameter names to an int or a list of "
                f"values, got {buckets!r}."
            )
        self.buckets = dict(buckets or {})
        self.hidden_units = hidden_units
        self.learning_rate = float(learning_rate)
        self.baseline_decay = float(baseline_decay)
        self.entropy_weight = float(entropy_weight)
        self.max_int_values = max_int_values

    @classmethod
    def for_space(cls, space: Space, points: int = 5, **options: Any) -> NASStrategy:
        """A controller with ``points`` buckets for every parameter that needs them (floats,
        ints with more than ``max_int_values`` values): ``Param.grid(points)``, log-spaced
        for log parameters.

        Examples:
            >>> from spaces import california_mlp
            >>> NASStrategy.for_space(california_mlp()).buckets
            {'layer_size': 5, 'learning_rate': 5}
        """
        limit = options.get("max_int_values", 16)
        buckets = {
            name: points
            for name, p in space.items()
            if isinstance(p, Float) or (isinstance(p, Int) and (p.max_points() or 0) > limit)
        }
        return cls(buckets=buckets, **options)

    def get_config(self) -> dict[str, Any]:
        return {
            "buckets": self.buckets,
            "hidden_units": self.hidden_units,
            "learning_rate": self.learning_rate,
            "baseline_decay": self.baseline_decay,
            "entropy_weight": self.entropy_weight,
            "max_int_values": self.max_int_values,
        }

    # ----------------------------------------------------------------------------------
    # Decisions
    # ----------------------------------------------------------------------------------
    def _choices(self, name: str) -> list[Any]:
        """The values the controller picks from for parameter ``name``."""
        param = self.space[name]
        if isinstance(param, Categorical):
            return list(param.choices)
        given = self.buckets.get(name)
        if given is None:
            if isinstance(param, Int) and (param.max_points() or 0) <= self.max_int_values:
                return param.grid(param.max_points() or 1)
            kind = "continuous" if isinstance(param, Float) else "an int with many values"
            raise ValueError(
                f"NASStrategy: parameter {name!r} ({param!r}) is {kind}; the controller "
                f"picks from a list: give buckets={{{name!r}: 5}} (5 values, log-spaced "
                f"for log parameters) or buckets={{{name!r}: [v1, v2, ...]}}."
            )
        if isinstance(given, bool) or not isinstance(given, (int, Sequence)):
            raise ValueError(
                f"NASStrategy: buckets[{name!r}] must be an int or a list of values, got {given!r}."
            )
        if isinstance(given, int):
            if given < 2:
                raise ValueError(f"NASStrategy: buckets[{name!r}] must be >= 2, got {given!r}.")
            return param.grid(given)
        values = [param.cast(v) for v in given]
        outside = [v for v in values if not param.contains(v)]
        if len(values) < 2 or outside:
            raise ValueError(
                f"NASStrategy: buckets[{name!r}] must list at least 2 values inside "
                f"{param!r}; got {list(given)!r}."
            )
        return values

    def _start(self, n_trials: int, seed: int) -> None:
        unknown = sorted(set(self.buckets) - set(self.space))
        if unknown:
            # One strategy object may serve several spaces; a typo still shows.
            warnings.warn(
                f"NASStrategy: buckets name {unknown}, which are not parameters of the space "
                f"{list(self.space)}; they are ignored.",
                UserWarning,
                stacklevel=3,
            )
        self.decisions_ = {name: self._choices(name) for name in self.space}
        self._rng = np.random.default_rng(seed)
        self._build_controller(seed)
        self.baseline_ = 0.0
        self.updates_ = 0
        self._scores: list[float] = []
        self.history_: list[dict[str, Any]] = []
        self._pending: list[tuple[Params, list[tuple[str, int]]]] = []
        self._likely: Params | None = None  # the argmax architecture after the last update

    def _build_controller(self, seed: int) -> None:
        units = self.hidden_units
        init = keras.initializers.RandomUniform(-0.1, 0.1, seed=seed)  # ENAS: uniform(-0.1, 0.1)
        # ``seed``: Keras would otherwise seed the cell's dropout generator from Python's
        # global random state (the controller uses no dropout; the draw alone is a side effect).
        self._cell = keras.layers.LSTMCell(
            units, kernel_initializer=init, recurrent_initializer=init, seed=seed
        )
        self._cell.build((None, units))
        self._start_input = keras.Variable(np.zeros((1, units), dtype="float32"), name="go")
        self._heads: dict[str, keras.layers.Dense] = {}
        self._embeddings: dict[str, keras.layers.Embedding] = {}
        for k, (name, choices) in enumerate(self.decisions_.items()):
            head_init = keras.initializers.RandomUniform(-0.1, 0.1, seed=seed + 1 + 2 * k)
            head = keras.layers.Dense(len(choices), kernel_initializer=head_init)
            head.build((None, units))
            emb_init = keras.initializers.RandomUniform(-0.1, 0.1, seed=seed + 2 + 2 * k)
            embedding = keras.layers.Embedding(len(choices), units, embeddings_initializer=emb_init)
            embedding.build((None,))
            self._heads[name], self._embeddings[name] = head, embedding
        self._optimizer = keras.optimizers.Adam(self.learning_rate)
        self._optimizer.build(self.controller_weights)

    @property
    def controller_weights(self) -> list[Any]:
        """The controller's trainable variables (LSTM, heads, embeddings, start input)."""
        out = [*self._cell.trainable_variables, self._start_input]
        for name in self.decisions_:
            out += [*self._heads[name].trainable_variables]
            out += [*self._embeddings[name].trainable_variables]
        return out

    def _run(
        self, tokens: list[tuple[str, int]] | None, greedy: bool = False
    ) -> tuple[list[tuple[str, int]], Any, Any]:
        """Walk the decisions: sample (``tokens`` None), take the argmax (``greedy``) or
        replay ``tokens``. Returns the tokens, the sum of their log-probabilities and the
        sum of the policies' entropies (tensors, for the gradient)."""
        import tensorflow as tf

        units = self.hidden_units
        state = [tf.zeros((1, units)), tf.zeros((1, units))]
        x = self._start_input
        chosen: dict[str, Any] = {}
        out: list[tuple[str, int]] = []
        replay = iter(tokens or [])
        log_prob = tf.constant(0.0)
        entropy = tf.constant(0.0)
        for name, choices in self.decisions_.items():
            if not self.space.is_active(name, chosen):
                continue  # the tokens so far make this decision not exist
            h, state = self._cell(x, state)
            logits = self._heads[name](h)[0]
            log_p = tf.nn.log_softmax(logits)
            p = tf.exp(log_p)
            if tokens is not None:
                _, token = next(replay)
            elif greedy:
                token = int(np.argmax(p.numpy()))
            else:
                probs = p.numpy().astype("float64")
                token = int(self._rng.choice(len(choices), p=probs / probs.sum()))
            log_prob += log_p[token]
            entropy += -tf.reduce_sum(p * log_p)
            chosen[name] = choices[token]
            out.append((name, token))
            x = self._embeddings[name](tf.constant([token]))
        return out, log_prob, entropy

    def probability(self, params: Params) -> float:
        """The controller's probability of proposing ``params`` now.

        Examples:
            >>> from spaces import Space, Categorical
            >>> s = NASStrategy(); s.bind(Space(a=Categorical(["x", "y"])), n_trials=1, seed=0)
            >>> round(s.probability({"a": "x"}) + s.probability({"a": "y"}), 6)
            1.0
        """
        checked = self.space.cast(params)
        tokens = [(name, self.decisions_[name].index(value)) for name, value in checked.items()]
        _, log_prob, _ = self._run(tokens)
        return float(math.exp(float(log_prob)))

    def _params(self, tokens: list[tuple[str, int]]) -> Params:
        return self.space.cast({name: self.decisions_[name][t] for name, t in tokens})

    # ----------------------------------------------------------------------------------
    # ask / tell
    # ----------------------------------------------------------------------------------
    def ask(self) -> Params:
        tokens, _, entropy = self._run(None)
        params = self._params(tokens)
        if self._likely is None:
            self._likely = self._params(self._run(None, greedy=True)[0])
        self._pending.append((params, tokens))
        self.info = {
            "nas_updates": self.updates_,
            "nas_baseline": round(self.baseline_, 6),
            "nas_entropy": round(float(entropy), 6),
            "nas_likely": json.dumps(self._likely, sort_keys=True),
        }
        return params

    def _reward(self, trial: Trial) -> float:
        """The score standardised over the scores seen so far (0 for the first)."""
        if not trial.complete:
            return _FAILED_REWARD
        self._scores.append(trial.score)
        if len(self._scores) < 2:
            return 0.0
        mean, std = float(np.mean(self._scores)), float(np.std(self._scores))
        return 0.0 if std == 0 else float(np.clip((trial.score - mean) / std, -3.0, 3.0))

    def tell(self, trial: Trial) -> None:
        import tensorflow as tf

        _, tokens = self._pending.pop(find_pending(self._pending, trial, "NASStrategy"))
        reward = self._reward(trial)
        # ENAS moves the baseline first, then weighs the log-probability by reward - baseline.
        self.baseline_ -= (1 - self.baseline_decay) * (self.baseline_ - reward)
        advantage = reward - self.baseline_
        weights = self.controller_weights
        with tf.GradientTape() as tape:
            _, log_prob, entropy = self._run(tokens)
            loss = -advantage * log_prob - self.entropy_weight * entropy
        grads = tape.gradient(loss, weights)
        pairs = [(g, w) for g, w in zip(grads, weights, strict=True) if g is not None]
        self._optimizer.apply_gradients(pairs)
        self.updates_ += 1
        self._likely = self._params(self._run(None, greedy=True)[0])
        self.history_.append(
            {
                "trial": trial.number,
                "score": trial.score if trial.complete else math.nan,
                "reward": reward,
                "baseline": self.baseline_,
                "entropy": float(entropy),
                "likely": self._likely,
            }
        )
