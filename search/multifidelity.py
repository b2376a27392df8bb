"""Multi-fidelity building blocks: Hyperband's brackets (Li et al., JMLR 2018, Algorithm 1).

The strategies that use them (``hyperband``, ``asha``) come with warm-started promotions;
this module already lets a user see a run's rungs before running it.
"""

from __future__ import annotations

import math
import numbers

__all__ = ["Rung", "format_brackets", "hyperband_brackets"]

Rung = tuple[int, int]  # (candidates, epochs each)


def hyperband_brackets(max_epochs: int, eta: int = 3) -> list[list[Rung]]:
    """Hyperband's brackets for ``max_epochs`` = R and ``eta``: one list of rungs per bracket.

    ``s_max`` is the largest s with ``eta**s <= R`` (integer arithmetic: ``log(81, 3)`` is
    3.9999... in floating point); bracket ``s`` starts ``ceil((s_max + 1) / (s + 1) *
    eta**s)`` candidates at ``R * eta**-s`` epochs and keeps the top ``floor(n_i / eta)``
    at each rung. Epochs are rounded to whole epochs (at least 1) when R is not a power of
    eta.

    Examples:
        >>> hyperband_brackets(9, 3)
        [[(9, 1), (3, 3), (1, 9)], [(5, 3), (1, 9)], [(3, 9)]]
    """
    if isinstance(eta, bool) or not isinstance(eta, numbers.Integral) or eta < 2:
        raise ValueError(f"eta must be an int >= 2 (the halving rate), got {eta!r}.")
    if isinstance(max_epochs, bool) or not isinstance(max_epochs, numbers.Integral):
        raise ValueError(f"max_epochs must be an int, got {max_epochs!r}.")
    if max_epochs < eta:
        raise ValueError(
            f"max_epochs={max_epochs} must be at least eta={eta}: with fewer epochs there is "
            "no rung to promote to; raise max_epochs or lower eta."
        )
    s_max = 0
    while eta ** (s_max + 1) <= max_epochs:
        s_max += 1
    brackets = []
    for s in range(s_max, -1, -1):
        n = math.ceil((s_max + 1) * eta**s / (s + 1))
        rungs = []
        for i in range(s + 1):
            n_i = n // eta**i  # floor(n * eta^-i)
            r_i = max(1, round(max_epochs * eta ** (i - s)))
            rungs.append((n_i, r_i))
        brackets.append(rungs)
    return brackets


def format_brackets(brackets: list[list[Rung]]) -> str:
    """The brackets as a text table: one row per bracket, ``n@epochs`` per rung, and the
    epochs the bracket costs (candidates x epochs, promotions counted from scratch).

    Examples:
        >>> print(format_brackets(hyperband_brackets(9, 3)))
        bracket  rungs (candidates@epochs)  epochs (upper bound)
        s=2      9@1, 3@3, 1@9              27
        s=1      5@3, 1@9                   24
        s=0      3@9                        27
    """
    rows = [("bracket", "rungs (candidates@epochs)", "epochs (upper bound)")]
    top = len(brackets) - 1
    for k, rungs in enumerate(brackets):
        text = ", ".join(f"{n}@{r}" for n, r in rungs)
        rows.append((f"s={top - k}", text, str(sum(n * r for n, r in rungs))))
    widths = [max(len(row[c]) for row in rows) for c in range(2)]
    return "\n".join(
        f"{a.ljust(widths[0])}  {b.ljust(widths[1])}  {c}".rstrip() for a, b, c in rows
    )
