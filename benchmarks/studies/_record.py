"""Where a study writes, and the record of how it ran.

A study's run writes into ``benchmarks/results/<study>/<date>/`` (or ``--out DIR``):
``<part>.json`` (every number it printed), ``<part>.txt`` (what it printed) and a line
block appended to ``COMMAND.txt`` (the command, the commit, the start and end times in
UTC) — what ``benchmarks/results/README.md`` indexes and the docs pages quote.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

__all__ = ["RESULTS", "Record", "add_output_arguments", "output_folder", "recorded", "results_path"]

RESULTS = Path(__file__).resolve().parents[1] / "results"
_ROOT = RESULTS.parents[1]


def add_output_arguments(parser: argparse.ArgumentParser, part: str) -> None:
    """``--out DIR`` and ``--name PART``, the same for every study."""
    parser.add_argument(
        "--out",
        default=None,
        help="folder for the results (default: benchmarks/results/<study>/<today, UTC>/)",
    )
    parser.add_argument(
        "--name", default=None, help=f"file name of this run's results (default: {part})"
    )


def output_folder(study: str, out: str | None) -> Path:
    """``out``, or the study's folder of today (UTC): ``benchmarks/results/<study>/<date>/``."""
    return Path(out) if out else RESULTS / study / dt.datetime.now(dt.UTC).date().isoformat()


def results_path(study: str, name: str | Path) -> Path:
    """A results file of ``study``: ``name`` relative to ``benchmarks/results/<study>/``, or an
    absolute path (a run's own ``--out``).

    Examples:
        >>> results_path("speed", "2026-12-01/fold.json").parts[-3:]
        ('speed', '2026-12-01', 'fold.json')
    """
    path = Path(name)
    return path if path.is_absolute() else RESULTS / study / path


class Record:
    """A running study's output folder: ``json(numbers)`` writes ``<part>.json``."""

    def __init__(self, folder: Path, part: str) -> None:
        self.folder = folder
        self.part = part

    @property
    def json_path(self) -> Path:
        return self.folder / f"{self.part}.json"

    def json(self, numbers: Any, indent: int | None = 1) -> Path:
        """Write ``numbers`` to ``<part>.json`` (again after every seed: a long run that is
        stopped keeps what it measured)."""
        self.json_path.write_text(json.dumps(numbers, indent=indent, default=str))
        return self.json_path


class _Tee:
    def __init__(self, *streams: IO[str]) -> None:
        self.streams = streams

    def write(self, text: str) -> int:
        for stream in self.streams:
            stream.write(text)
        return len(text)

    def flush(self) -> None:
        for stream in self.streams:
            stream.flush()


def _commit() -> str:
    try:
        done = subprocess.run(
            ["git", "-C", str(_ROOT), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"
    return done.stdout.strip()


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@contextlib.contextmanager
def recorded(
    study: str,
    part: str,
    out: str | None,
    argv: Sequence[str] | None,
    module: str | None = None,
) -> Iterator[Record]:
    """Run a study's body with its output folder ready: what it prints also goes to
    ``<part>.txt``, and ``COMMAND.txt`` gains the command (``python -m <module>``, by
    default ``benchmarks.studies.<study>``), the commit and the times.

    Examples:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     with recorded("demo", "part", tmp, ["--x"]) as record:
        ...         print("a number: 1")
        ...         path = record.json({"a number": 1})
        ...     sorted(p.name for p in Path(tmp).iterdir())
        a number: 1
        ['COMMAND.txt', 'part.json', 'part.txt']
    """
    folder = output_folder(study, out)
    folder.mkdir(parents=True, exist_ok=True)
    args = list(sys.argv[1:] if argv is None else argv)
    command = " ".join([f"python -m {module or f'benchmarks.studies.{study}'}", *args])
    started = _now()
    with (folder / f"{part}.txt").open("w") as printed:
        tee = _Tee(sys.stdout, printed)
        with contextlib.redirect_stdout(tee):
            try:
                yield Record(folder, part)
            finally:
                with (folder / "COMMAND.txt").open("a") as log:
                    log.write(
                        f"# --- {part} ({part}.json, {part}.txt): commit {_commit()}, "
                        f"{started} - {_now()}\n{command}\n\n"
                    )
