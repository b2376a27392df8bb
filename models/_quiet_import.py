"""Import TensorFlow without its start-up noise, unless the user asks for it.

TensorFlow writes to file descriptor 2 from C++ while it loads: the absl line "All log
messages before absl::InitializeLog() is called are written to STDERR", then INFO lines
(no CUDA driver, CPU instructions) that ignore ``TF_CPP_MIN_LOG_LEVEL`` because absl is
not yet initialised, and later a ``cuInit`` ERROR on a machine without a GPU. A Python
``warnings`` filter or ``sys.stderr`` swap cannot reach C++ writes, so while TensorFlow
is imported the descriptor itself is pointed at a file; afterwards the lines at or above
the log level are written back and the rest dropped.

The level is the user's ``TF_CPP_MIN_LOG_LEVEL`` when set (0 INFO ... 3 FATAL), else 3;
it is set in the environment so that TensorFlow, and every worker process that inherits
it, log by the same rule. ``HPSEARCH_VERBOSE=1``, or ``--verbose`` on the ``hpsearch``
command line, turns all of this off: the import then prints what TensorFlow prints. The
command's flag is read here, from ``sys.argv``, because the package imports TensorFlow as
it loads, before the command parses its arguments.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from collections.abc import Iterator

__all__ = ["VERBOSE_ENV", "import_tensorflow", "log_level", "verbose"]

VERBOSE_ENV = "HPSEARCH_VERBOSE"
_LEVEL_ENV = "TF_CPP_MIN_LOG_LEVEL"
_QUIET_LEVEL = 3
# absl's prefix: severity letter, MMDD, time... ("I0000 00:00:1796621711.475195 2910 ...").
_SEVERITY = re.compile(r"^([IWEF])\d{4} ")
_RANKS = {"I": 0, "W": 1, "E": 2, "F": 3}
_PREAMBLE = "WARNING: All log messages before absl::InitializeLog()"


def verbose() -> bool:
    """Whether the user asked for TensorFlow's own output: ``HPSEARCH_VERBOSE`` set (not 0),
    or ``hpsearch ... --verbose``."""
    if os.path.basename(sys.argv[0] if sys.argv else "") == "hpsearch" and "--verbose" in sys.argv:
        return True
    return os.environ.get(VERBOSE_ENV, "").strip() not in ("", "0")


def log_level() -> int:
    """TensorFlow's C++ log level in effect: the user's ``TF_CPP_MIN_LOG_LEVEL``, else 3."""
    given = os.environ.get(_LEVEL_ENV, "").strip()
    return int(given) if given.isdigit() else _QUIET_LEVEL


def import_tensorflow() -> None:
    """Import TensorFlow once, keeping only its start-up lines at or above ``log_level()``.

    Runs when this module is first imported (``models`` imports it before anything that
    imports Keras); later calls do nothing.
    """
    if "tensorflow" in sys.modules:
        return
    if verbose():
        import tensorflow

        return
    level = log_level()
    os.environ.setdefault(_LEVEL_ENV, str(level))
    with _stderr_captured() as captured:
        try:
            import tensorflow  # noqa: F401
        except BaseException:
            # A failed import's reason may be among the lines: show them all.
            level = 0
            raise
        finally:
            captured.keep_from = level


class _Captured:
    keep_from: int = _QUIET_LEVEL


@contextlib.contextmanager
def _stderr_captured() -> Iterator[_Captured]:
    captured = _Captured()
    try:
        fd = sys.__stderr__.fileno() if sys.__stderr__ is not None else 2
        saved = os.dup(fd)
    except (OSError, ValueError, AttributeError):
        # No real descriptor (an embedded interpreter, a notebook kernel's pipe swapped
        # out): nothing to capture at that level.
        yield captured
        return
    with tempfile.TemporaryFile(mode="w+b") as sink:
        with contextlib.suppress(Exception):
            sys.__stderr__.flush()  # type: ignore[union-attr]
        os.dup2(sink.fileno(), fd)
        try:
            yield captured
        finally:
            os.dup2(saved, fd)
            os.close(saved)
            sink.seek(0)
            kept = _lines_to_keep(sink.read().decode(errors="replace"), captured.keep_from)
            if kept:
                os.write(fd, kept.encode())


def _lines_to_keep(text: str, level: int) -> str:
    """The lines of ``text`` that a log level of ``level`` shows: absl lines by severity
    (with their continuation lines), absl's preamble only before a kept line, anything
    else (a Python traceback, a print) always.

    Examples:
        >>> _lines_to_keep("I0000 00:00 x] info\\nmore info\\nE0000 00:00 y] bad\\n", 2)
        'E0000 00:00 y] bad\\n'
        >>> _lines_to_keep("plain line\\n", 3)
        'plain line\\n'
    """
    kept: list[str] = []
    preamble: str | None = None
    keeping = True
    for line in text.splitlines(keepends=True):
        if line.startswith(_PREAMBLE):
            preamble = line
            continue
        match = _SEVERITY.match(line)
        if match:
            keeping = _RANKS[match.group(1)] >= level
            if keeping and preamble is not None:
                kept.append(preamble)
                preamble = None
        if keeping:
            kept.append(line)
    return "".join(kept)


import_tensorflow()
