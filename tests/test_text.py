"""Cleaning a stranger's text for the terminal."""

from __future__ import annotations

from compelling_cli.text import clean_text, sanitize


def test_escape_sequences_controls_and_bidi_marks_are_removed():
    hostile = "a\x1b[31mred\x1b[0m \x1b]0;title\x07b\x9b2Jc\u202ed\x00e\u200bf"
    assert clean_text(hostile) == "ared bcdef"


def test_line_ends_become_newlines_and_single_line_folds_them():
    assert clean_text("one\r\ntwo\rthree\u2028four") == "one\ntwo\nthree\nfour"
    assert sanitize("one\n two\tthree", single_line=True) == "one two three"
    assert sanitize(None) == ""


def test_the_printable_fast_path_changes_nothing_the_patterns_would_keep():
    from compelling_cli import text

    for code in range(0x10000):
        sample = f"a{chr(code)}b"
        if sample.isprintable():
            slow = text._CONTROLS.sub("", text.NEWLINES.sub("\n", sample))
            assert slow == sample, hex(code)
