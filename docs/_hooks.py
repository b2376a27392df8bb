"""MkDocs hook: the committed benchmark figures become part of the site.

The figures live beside the results that made them (``benchmarks/results/<name>/<date>/
figures/*.png``); pages link them as ``results/<name>/<date>/figures/<file>.png`` from the
docs root, and ``mkdocs build --strict`` fails if a linked figure is missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

_ROOT = Path(__file__).resolve().parents[1]
_RESULTS = _ROOT / "benchmarks" / "results"


def on_files(files: Files, config: Any) -> Files:
    for png in sorted(_RESULTS.rglob("*.png")):
        files.append(
            File(
                str(Path("results") / png.relative_to(_RESULTS)),
                src_dir=str(_RESULTS.parent),
                dest_dir=config["site_dir"],
                use_directory_urls=config["use_directory_urls"],
            )
        )
    return files
