"""README.md's result tables equal what the committed results in benchmarks/results give."""

from __future__ import annotations

import pytest

from benchmarks.readme import ROOT, TABLES, render


def test_every_generated_readme_table_matches_the_committed_results() -> None:
    text = (ROOT / "README.md").read_text()
    for name in TABLES:
        assert f"<!-- generated: {name} -->" in text, f"README has no {name} table"
    assert render(text) == text, "run: python -m benchmarks.readme write"


def test_a_changed_number_is_caught_and_an_unknown_block_named() -> None:
    text = (ROOT / "README.md").read_text()
    start = text.index("<!-- generated: architecture -->")
    edited = text[:start] + text[start:].replace("0.", "9.", 1)
    assert render(edited) != edited
    with pytest.raises(ValueError, match="'nope' has no generator"):
        render("<!-- generated: nope -->\n| x |\n<!-- end: nope -->")


def test_an_empty_block_is_filled_not_passed_over() -> None:
    empty = "x\n<!-- generated: architecture -->\n<!-- end: architecture -->\ny\n"
    filled = render(empty)
    assert filled == (
        "x\n<!-- generated: architecture -->\n"
        + TABLES["architecture"]()
        + "\n<!-- end: architecture -->\ny\n"
    )
    assert render(filled) == filled
