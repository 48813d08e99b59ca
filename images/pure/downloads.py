"""The name a downloaded original is saved under: the name it was uploaded with, made safe
for every file system and for a ``Content-Disposition`` header (pure)."""

from __future__ import annotations

import re
import unicodedata

from cdn.objects import EXTENSIONS

MAX_LENGTH = 150
# What the stored type's extension may also be written as (a HEIC photo keeps its .HEIC).
_SAME_TYPE = {"jpg": {"jpeg", "jpe"}, "heif": {"heic", "hif"}, "heic": {"heif", "hif"}}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")  # line breaks and the like: a space
_RESERVED = re.compile(r'["*:<>?|\\/]+')  # refused by some file system: dropped


def download_name(original: str, content_type: str, *, fallback: str) -> str:
    """``original``'s last path part without control or reserved characters, cut to
    ``MAX_LENGTH``, with an extension of its stored type (its own if it is one, else the
    type's added); ``fallback`` (plus the extension) when nothing is left of it."""
    extension = EXTENSIONS.get(content_type, "bin")
    name = _clean(re.split(r"[\\/]", original or "")[-1])
    stem, dot, own = name.rpartition(".")
    if dot and _same_type(own, extension):
        extension = own
    else:
        stem = name
    stem = stem.strip(" .") or fallback
    return f"{stem[: MAX_LENGTH - len(extension) - 1].rstrip(' .')}.{extension}"


def _clean(name: str) -> str:
    name = unicodedata.normalize("NFC", name)
    name = _RESERVED.sub("", _CONTROL.sub(" ", name))
    return re.sub(r"\s+", " ", name).strip()


def _same_type(own: str, extension: str) -> bool:
    own = own.lower()
    return own == extension or own in _SAME_TYPE.get(extension, set())
