"""The exceptions ``search`` raises on purpose, in one place."""

from __future__ import annotations

__all__ = ["AllTrialsFailedError"]


class AllTrialsFailedError(RuntimeError):
    """Every trial of a search failed; the message quotes the first failure."""
