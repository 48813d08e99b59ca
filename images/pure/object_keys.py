"""Object keys, made only from ids and hashes: no user-supplied string ever reaches a key.

The prefixes, and why originals and renditions are kept apart, are the CDN's
(``cdn.objects``).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from cdn.objects import EXTENSIONS, ORIGINALS_PREFIX, RENDITIONS_PREFIX, renditions_prefix


def original_key(*, owner_id: int, photo_id: uuid.UUID, when: datetime, content_type: str) -> str:
    """``originals/<owner-id>/<yyyy>/<mm>/<photo-id>.<ext>``."""
    extension = EXTENSIONS[content_type]
    return f"{ORIGINALS_PREFIX}{int(owner_id)}/{when:%Y/%m}/{photo_id}.{extension}"


def rendition_key(
    *,
    pet_id: uuid.UUID,
    photo_id: uuid.UUID,
    name: str,
    content_hash: str,
    content_type: str = "image/webp",
) -> str:
    """``renditions/<pet-id>/<photo-id>/<name>-<content-hash>.<ext>`` (``.webp``, but the
    ``full`` rendition's ``.jpg`` or ``.png``): immutable once written."""
    if not name.isalnum() or not content_hash.isalnum():
        raise ValueError("rendition names and hashes are alphanumeric")
    extension = EXTENSIONS[content_type]
    return (
        f"{renditions_prefix(pet_id)}{uuid.UUID(str(photo_id))}/{name}-{content_hash}.{extension}"
    )


def photo_id_of_rendition_key(key: str) -> str | None:
    """The photo id in a rendition key (or a photo's rendition prefix), else ``None``."""
    parts = key.split("/")
    if len(parts) < 3 or f"{parts[0]}/" != RENDITIONS_PREFIX:
        return None
    try:
        return str(uuid.UUID(parts[2]))
    except ValueError:
        return None


def photo_renditions_prefix(*, pet_id: uuid.UUID, photo_id: uuid.UUID) -> str:
    """The prefix under which every rendition of one photo lives."""
    return f"{renditions_prefix(pet_id)}{uuid.UUID(str(photo_id))}/"


def moved_rendition_key(key: str, *, to_pet_id: uuid.UUID) -> str:
    """The key ``key`` (a rendition's) takes when its photo moves to another pet: the same
    photo, name and hash under ``renditions/<to_pet>/``. Refuses any other key."""
    parts = key.split("/")
    if len(parts) != 4 or f"{parts[0]}/" != RENDITIONS_PREFIX or not parts[3]:
        raise ValueError(f"not a rendition key: {key!r}")
    photo_id = uuid.UUID(parts[2])
    return f"{renditions_prefix(to_pet_id)}{photo_id}/{parts[3]}"
