"""Small Optuna helpers shared by the TPE strategy and the ledger."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import optuna

__all__ = ["quiet_optuna"]


@contextmanager
def quiet_optuna() -> Iterator[None]:
    """Silence Optuna's INFO lines ("A new study created...") and restore the caller's level."""
    before = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        yield
    finally:
        optuna.logging.set_verbosity(before)
