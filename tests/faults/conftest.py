"""The fault suite's table: one row per injected fault, printed at the end of the run.

``HPSEARCH_FAULTS_JSON=PATH`` also writes the rows as JSON (what
``benchmarks/results/faults/`` keeps and the docs' "Resume and faults" page shows).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

ROWS: list[dict[str, Any]] = []
_HEADER = ("fault", "outcome", "trials lost", "duplicates", "orphans")


@pytest.fixture
def record():
    """``record(fault, outcome, lost, duplicates, orphans)``: a row of the table."""

    def add(fault: str, outcome: str, lost: int, duplicates: int, orphans: int) -> None:
        ROWS.append(dict(zip(_HEADER, (fault, outcome, lost, duplicates, orphans), strict=True)))

    return add


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not ROWS:
        return
    write = terminalreporter.write_line
    write("")
    write("| " + " | ".join(_HEADER) + " |")
    write("| " + " | ".join("---" for _ in _HEADER) + " |")
    for row in ROWS:
        write("| " + " | ".join(str(row[k]) for k in _HEADER) + " |")
    path = os.environ.get("HPSEARCH_FAULTS_JSON")
    if path:
        Path(path).write_text(json.dumps(ROWS, indent=1))
