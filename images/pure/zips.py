"""ZIP downloads of photos, made as they are sent (pure: no Django, no storage).

``member_names`` names each photo in the archive from its date taken and caption, safe on every
file system and unique within its folder; ``zip_chunks`` yields the archive's bytes while it
reads each member's, chunk by chunk (``stream-zip``), so memory stays flat however many photos
it holds, and becomes ZIP64 when it grows past 4 GiB.

The members are not compressed: JPEG, PNG and WebP are already. A *stored* member must carry
its CRC-32 before its bytes, which would mean reading every photo twice; instead each is
deflated at level 0, which writes the bytes as they are in stored blocks (5 bytes more per
64 KiB), with the CRC-32 after them. Every unzip tool reads it.
"""

from __future__ import annotations

import datetime
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from stream_zip import ZIP_AUTO, stream_zip

from images.pure.filenames import safe_part

# Long enough for a caption's gist; the whole path stays well under every system's limits.
MAX_STEM = 100
# ZIP's own clock (MS-DOS time) starts in 1980.
EARLIEST = datetime.datetime(1980, 1, 1)
FILE_MODE = stat.S_IFREG | 0o644


@dataclass(frozen=True)
class Entry:
    """What a photo's name in the archive is made of."""

    taken: datetime.date
    caption: str
    extension: str  # "jpg", "png", "webp" ...
    folder: str = ""  # the pet's name, when the archive holds several pets
    stem: str = ""  # the name to give instead of date and caption (an original's upload name)


@dataclass(frozen=True)
class Member:
    name: str  # its path in the archive
    modified: datetime.datetime  # naive: the clock of the place it was taken
    size: int  # announced: chooses ZIP64 for a member past 4 GiB
    chunks: Callable[[], Iterable[bytes]]  # called when its turn comes


def member_names(entries: Iterable[Entry], *, fallback: str = "photo") -> list[str]:
    """``<folder>/<yyyy-mm-dd> <caption>.<ext>`` for each entry (no folder when it has none;
    ``fallback`` stands for an empty caption), or ``<folder>/<stem>.<ext>`` for an entry with
    its own stem, in order; a name already given in its folder
    (compared as case-blind file systems do) gets `` (2)``, `` (3)`` ... before its extension."""
    taken: set[str] = set()
    names = []
    for entry in entries:
        folder = (
            f"{safe_part(entry.folder, fallback='photos', limit=MAX_STEM)}/" if entry.folder else ""
        )
        if entry.stem:
            stem = safe_part(entry.stem, fallback=fallback, limit=MAX_STEM)
        else:
            caption = safe_part(entry.caption, fallback=fallback, limit=MAX_STEM)
            stem = f"{entry.taken:%Y-%m-%d} {caption}"
        extension = safe_part(entry.extension, fallback="bin", limit=8)
        name, copy = f"{folder}{stem}.{extension}", 1
        while name.casefold() in taken:
            copy += 1
            name = f"{folder}{stem} ({copy}).{extension}"
        taken.add(name.casefold())
        names.append(name)
    return names


def archive_name(title: str) -> str:
    """The ZIP's file name: ``<title>.zip``, safe, ``photos.zip`` when nothing is left."""
    return f"{safe_part(title, fallback='photos', limit=MAX_STEM)}.zip"


def zip_chunks(members: Iterable[Member], *, chunk_size: int = 64 * 1024) -> Iterator[bytes]:
    """The bytes of a ZIP of ``members``, made while they are read: each member's
    ``chunks()`` is called in turn and its chunks written as they come."""
    return stream_zip(
        (
            (
                member.name,
                max(member.modified.replace(tzinfo=None), EARLIEST),
                FILE_MODE,
                ZIP_AUTO(member.size, level=0),
                member.chunks(),
            )
            for member in members
        ),
        chunk_size=chunk_size,
        # The DOS time alone, on the clock of the place: a photo taken at 10:00 in Lisbon
        # shows 10:00 wherever it is unzipped, as its page says.
        extended_timestamps=False,
    )
