"""A comment's text as it is kept: plain text, made tidy and harmless before it is stored.

No Django here (pyproject.toml's contracts): the longest a comment may be is passed in. What
is removed is what a person cannot see or did not mean, and what would let a comment disguise
itself or its neighbours: control characters (NUL among them) but the newline, and the bidi
overrides and isolates that make text read in another order than it is stored ("Trojan
Source"). The text is kept in NFC, so that the same words typed on two keyboards are the same
characters and count the same against the limit.
"""

from __future__ import annotations

import re
import unicodedata

# LRE, RLE, PDF, LRO, RLO, and LRI, RLI, FSI, PDI: the embeddings, overrides and isolates.
# The marks (LRM, RLM, ALM) stay: they change no order, and right-to-left writers need them.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

# Every way of ending a line becomes "\n": Windows' and old Macs' ends, and Unicode's line and
# paragraph separators (which would otherwise be kept as invisible, un-rendered breaks).
_LINE_ENDS = re.compile("\r\n|\r|\u2028|\u2029|\x85")
_BLANK_LINES = re.compile(r"\n{3,}")


class CommentRefused(ValueError):
    """A comment that cannot be kept; the message says why and what to do."""


class EmptyComment(CommentRefused):
    pass


class CommentTooLong(CommentRefused):
    def __init__(self, message: str, *, length: int, over: int):
        super().__init__(message)
        self.length = length
        self.over = over


def _kept(character: str) -> str:
    if character == "\n":
        return character
    if character == "\t":
        return " "  # a tab typed or pasted is a space to the reader, not nothing
    category = unicodedata.category(character)
    if category in ("Cc", "Cs") or character in BIDI_CONTROLS:
        return ""  # controls, lone surrogates (not storable as UTF-8), bidi controls
    return character


def clean_comment(text: str) -> str:
    """``text`` tidied: one kind of newline, no controls or bidi controls, NFC, no spaces at
    the ends of lines, at most one blank line in a row, nothing blank at either end."""
    text = _LINE_ENDS.sub("\n", text)
    text = "".join(_kept(character) for character in text)
    text = unicodedata.normalize("NFC", text)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


def normalise_comment(text: str, *, max_length: int) -> str:
    """The text to keep for a comment typed as ``text``, or ``CommentRefused`` saying why
    not: nothing left once tidied (``EmptyComment``), or longer than ``max_length``
    characters once tidied (``CommentTooLong``, saying the limit and how far over)."""
    kept = clean_comment(text)
    if not kept:
        raise EmptyComment("Write something before posting: the comment is empty.")
    if len(kept) > max_length:
        over = len(kept) - max_length
        raise CommentTooLong(
            f"A comment may be at most {max_length:,} characters; this one is {len(kept):,}, "
            f"{over:,} too many. Shorten it and post it again.",
            length=len(kept),
            over=over,
        )
    return kept
