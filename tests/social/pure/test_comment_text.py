"""A comment's text is tidied and bounded before it is kept: hostile text comes out plain."""

from __future__ import annotations

import pytest

from social.pure.comment_text import (
    CommentTooLong,
    EmptyComment,
    clean_comment,
    normalise_comment,
)

MOST = 2000


def test_spaces_at_either_end_and_line_ends_are_dropped():
    assert clean_comment("  What a good boy!  \n") == "What a good boy!"
    assert clean_comment("one   \ntwo\t\t") == "one\ntwo"


def test_every_kind_of_line_end_becomes_a_newline():
    assert clean_comment("a\r\nb\rc\u2028d\u2029e\x85f") == "a\nb\nc\nd\ne\nf"


def test_runs_of_blank_lines_collapse_to_one():
    assert clean_comment("first\n\n\n\n\nsecond\n \n\t\n\nthird") == "first\n\nsecond\n\nthird"


def test_control_characters_are_removed_but_newlines_kept():
    assert clean_comment("a\x00b\x07c\x1bd\x7fe\x9bf\ng") == "abcdef\ng"


def test_a_nul_alone_is_an_empty_comment():
    with pytest.raises(EmptyComment):
        normalise_comment("\x00\x00", max_length=MOST)


def test_a_tab_is_a_space():
    assert clean_comment("a\tb") == "a b"


@pytest.mark.parametrize(
    "control",
    ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"],
)
def test_bidi_overrides_and_isolates_are_removed(control):
    assert clean_comment(f"cute {control}god{control} dog") == "cute god dog"


def test_the_trojan_source_reversal_reads_as_stored():
    # RLO would show "txt.exe" as "exe.txt"; removed, the text reads as it is stored.
    assert clean_comment("photo\u202etxt.exe") == "phototxt.exe"


def test_bidi_marks_stay_for_right_to_left_writers():
    assert clean_comment("שלום\u200f!") == "שלום\u200f!"


def test_lone_surrogates_are_removed():
    assert clean_comment("a\ud800b") == "ab"


def test_text_is_kept_in_nfc():
    decomposed = "Cafe\u0301"
    assert clean_comment(decomposed) == "Caf\u00e9"


def test_markup_is_kept_as_typed_text():
    # Made inert when shown (escaped), not by changing what was written.
    assert clean_comment("<script>alert(1)</script>") == "<script>alert(1)</script>"


@pytest.mark.parametrize("blank", ["", "   ", "\n\n\t", "\u202e\u2066", "\x00\x01\x02"])
def test_nothing_but_blank_or_invisible_characters_is_refused(blank):
    with pytest.raises(EmptyComment) as refused:
        normalise_comment(blank, max_length=MOST)
    assert "empty" in str(refused.value)


def test_the_limit_itself_is_allowed():
    assert len(normalise_comment("x" * MOST, max_length=MOST)) == MOST


def test_one_over_the_limit_is_refused_saying_the_limit_and_how_far_over():
    with pytest.raises(CommentTooLong) as refused:
        normalise_comment("x" * (MOST + 345), max_length=MOST)
    assert refused.value.over == 345
    message = str(refused.value)
    assert "at most 2,000 characters" in message
    assert "2,345" in message
    assert "345 too many" in message


def test_the_limit_counts_the_tidied_text():
    padded = "  " + "x" * MOST + "\n\n\n\n  " + "\x00" * 50
    assert normalise_comment(padded, max_length=MOST) == "x" * MOST


def test_a_very_long_text_is_refused_quickly_without_being_cut():
    with pytest.raises(CommentTooLong) as refused:
        normalise_comment("word " * 20_000, max_length=MOST)
    assert refused.value.length == 99_999
