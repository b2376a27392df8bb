"""Search spaces: one definition, converted for every strategy.

Examples:
    >>> from spaces import Space, Int, Float, Categorical
    >>> space = Space(hidden_layers=Int(1, 4), learning_rate=Float(1e-4, 1e-2, log=True))
    >>> space.to_grid(points=2)
    {'hidden_layers': [1, 4], 'learning_rate': [0.0001, 0.01]}
"""

from spaces._conditions import Condition, Conditional, per_layer, when
from spaces._params import Categorical, Float, Int, Param
from spaces._space import Space
from spaces.define_by_run import HyperParameters, discover
from spaces.presets import (
    PRESETS,
    california_mlp,
    california_per_layer,
    california_tuned,
    california_wide,
    deep_mlp,
    fashion_mlp,
    fashion_per_layer,
    get_preset,
    wide_deep,
)

__all__ = [
    "PRESETS",
    "Categorical",
    "Condition",
    "Conditional",
    "Float",
    "HyperParameters",
    "Int",
    "Param",
    "Space",
    "california_mlp",
    "california_per_layer",
    "california_tuned",
    "california_wide",
    "deep_mlp",
    "discover",
    "fashion_mlp",
    "fashion_per_layer",
    "get_preset",
    "per_layer",
    "when",
    "wide_deep",
]
