"""Every Python code block of README.md and docs/ runs, as written.

The blocks of one page run in order in one namespace (a later block may use what an
earlier one defined), in a fresh temporary folder so that the reports they write land
there. A page that holds ``<!-- docs-test: slow -->`` runs with the slow tests.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
_SLOW = "<!-- docs-test: slow -->"


def _pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def _params() -> list[object]:
    params = []
    for page in _pages():
        text = page.read_text()
        if not _BLOCK.search(text):
            continue
        marks = [pytest.mark.slow] if _SLOW in text else []
        params.append(pytest.param(page, id=str(page.relative_to(ROOT)), marks=marks))
    return params


def test_the_pages_have_code_to_run() -> None:
    ids = [p.id for p in _params()]  # type: ignore[attr-defined]
    assert "README.md" in ids and "docs/getting-started.md" in ids


@pytest.mark.parametrize("page", _params())
def test_every_python_block_of_the_page_runs(page: Path, tmp_path, monkeypatch, data_dir) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem.replace('-', '_')}"}
    for number, block in enumerate(_BLOCK.findall(page.read_text()), 1):
        code = compile(block, f"{page.relative_to(ROOT)} (block {number})", "exec")
        exec(code, namespace)
