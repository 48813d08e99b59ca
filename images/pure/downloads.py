"""The name a downloaded original is saved under: the name it was uploaded with, made safe
for every file system and for a ``Content-Disposition`` header (pure)."""

from __future__ import annotations

import re

from cdn.objects import EXTENSIONS
from images.pure.filenames import safe_part

MAX_LENGTH = 150
# What the stored type's extension may also be written as (a HEIC photo keeps its .HEIC).
_SAME_TYPE = {"jpg": {"jpeg", "jpe"}, "heif": {"heic", "hif"}, "heic": {"heif", "hif"}}


def download_name(original: str, content_type: str, *, fallback: str) -> str:
    """``original``'s last path part made safe (``safe_part``), cut to
    ``MAX_LENGTH``, with an extension of its stored type (its own if it is one, else the
    type's added); ``fallback`` (plus the extension) when nothing is left of it."""
    extension = EXTENSIONS.get(content_type, "bin")
    last = re.split(r"[\\/]", original or "")[-1]
    stem, dot, own = last.rpartition(".")
    if dot and _same_type(own.strip(), extension):
        extension = own.strip()
    else:
        stem = last
    stem = safe_part(stem, fallback=fallback, limit=MAX_LENGTH - len(extension) - 1)
    return f"{stem}.{extension}"


def _same_type(own: str, extension: str) -> bool:
    own = own.lower()
    return own == extension or own in _SAME_TYPE.get(extension, set())
