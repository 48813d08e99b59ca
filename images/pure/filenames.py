"""A file name's part made safe for every file system and for a ``Content-Disposition``
header (pure): the one escaper of single downloads' names and ZIP members' names."""

from __future__ import annotations

import re
import unicodedata

# Line breaks and the like, C0 and C1: a space.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
# Refused by some file system: dropped.
_RESERVED = re.compile(r'["*:<>?|\\/]+')
# Kept among the invisible format characters (Unicode's Cf): the joiners that emoji
# sequences and several scripts (Persian, the Indic ones) need, which reorder nothing.
_JOINERS = {"\u200c", "\u200d"}
# Names Windows refuses for a file, whatever its extension.
_DEVICES = re.compile(r"(?i)(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?")


def safe_part(text: str, *, fallback: str, limit: int) -> str:
    """``text`` as one path part: NFC; control characters a space; no reserved characters,
    nor invisible format ones (bidi overrides that would show ``gpj.exe`` as ``exe.jpg``,
    zero-width spaces, byte-order marks); runs of spaces one; no leading or trailing dots or
    spaces; not a Windows device name; at most ``limit`` characters; ``fallback`` when nothing
    is left."""
    text = unicodedata.normalize("NFC", text or "")
    text = "".join(char for char in text if unicodedata.category(char) != "Cf" or char in _JOINERS)
    text = _RESERVED.sub("", _CONTROL.sub(" ", text))
    text = re.sub(r"\s+", " ", text).strip(" .")[:limit].rstrip(" .")
    if _DEVICES.fullmatch(text):
        text = f"_{text}"
    return text or fallback
