"""The docs' result tables (README.md and docs/) equal what benchmarks/results gives."""

from __future__ import annotations

import pytest

from benchmarks.tables import ROOT, all_tables, blocks, pages, render


def test_every_generated_table_on_every_page_matches_the_committed_results() -> None:
    tables = all_tables()
    shown = set()
    for page in pages():
        text = page.read_text()
        shown.update(blocks(text))
        assert render(text, tables) == text, f"{page}: run python -m benchmarks.tables write"
    assert shown == set(tables), f"tables no page shows: {sorted(set(tables) - shown)}"
    assert "standard" in blocks((ROOT / "README.md").read_text())


def test_a_changed_number_is_caught_and_an_unknown_block_named() -> None:
    text = (ROOT / "docs" / "studies" / "architecture.md").read_text()
    start = text.index("<!-- generated: architecture -->")
    edited = text[:start] + text[start:].replace("0.", "9.", 1)
    assert render(edited) != edited
    with pytest.raises(ValueError, match="'nope' has no generator"):
        render("<!-- generated: nope -->\n| x |\n<!-- end: nope -->")


def test_an_empty_block_is_filled_not_passed_over() -> None:
    tables = all_tables()
    empty = "x\n<!-- generated: architecture -->\n<!-- end: architecture -->\ny\n"
    filled = render(empty, tables)
    assert filled == (
        "x\n<!-- generated: architecture -->\n"
        + tables["architecture"]()
        + "\n<!-- end: architecture -->\ny\n"
    )
    assert render(filled, tables) == filled


def test_check_fails_on_a_stale_page_and_write_mends_it(tmp_path, monkeypatch) -> None:
    from benchmarks import tables as module

    page = tmp_path / "page.md"
    page.write_text("<!-- generated: architecture -->\nold\n<!-- end: architecture -->\n")
    monkeypatch.setattr(module, "pages", lambda: iter([page]))
    monkeypatch.setattr(module, "ROOT", tmp_path)
    assert module.main(["check"]) == 1
    assert module.main(["write"]) == 0
    assert module.main(["check"]) == 0
