"""Object keys, made only from ids and hashes: no user-supplied string ever reaches a key.

Originals and renditions live under different prefixes so that a CDN policy granting a
pet's renditions (``renditions/<pet>/*``) can never reach an original, which may carry GPS.
"""

from __future__ import annotations

import uuid
from datetime import datetime

ORIGINALS_PREFIX = "originals/"
RENDITIONS_PREFIX = "renditions/"

# The image types we accept, with the extension their originals are stored under.
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/gif": "gif",
    "image/heic": "heic",
    "image/heif": "heif",
}


def original_key(*, owner_id: int, photo_id: uuid.UUID, when: datetime, content_type: str) -> str:
    """``originals/<owner-id>/<yyyy>/<mm>/<photo-id>.<ext>``."""
    extension = EXTENSIONS[content_type]
    return f"{ORIGINALS_PREFIX}{int(owner_id)}/{when:%Y/%m}/{photo_id}.{extension}"


def renditions_prefix(pet_id: uuid.UUID) -> str:
    """The prefix under which every rendition of one pet lives."""
    return f"{RENDITIONS_PREFIX}{uuid.UUID(str(pet_id))}/"


def rendition_key(*, pet_id: uuid.UUID, photo_id: uuid.UUID, name: str, content_hash: str) -> str:
    """``renditions/<pet-id>/<photo-id>/<name>-<content-hash>.webp``: immutable once written."""
    if not name.isalnum() or not content_hash.isalnum():
        raise ValueError("rendition names and hashes are alphanumeric")
    return f"{renditions_prefix(pet_id)}{uuid.UUID(str(photo_id))}/{name}-{content_hash}.webp"


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


_CONTENT_TYPES = {extension: content_type for content_type, extension in EXTENSIONS.items()}
IMMUTABLE = "public, max-age=31536000, immutable"
# Originals may carry GPS: no shared cache keeps them beyond a signed URL's life.
PRIVATE = "private, max-age=3600"


def object_headers(key: str) -> dict[str, str]:
    """``Content-Type`` and ``Cache-Control`` an object is stored and served with, from its key
    alone: the S3 storage writes them, the local edge serves them."""
    extension = key.rsplit(".", 1)[-1].lower()
    content_type = _CONTENT_TYPES.get(extension, "application/octet-stream")
    cache_control = IMMUTABLE if key.startswith(RENDITIONS_PREFIX) else PRIVATE
    return {"ContentType": content_type, "CacheControl": cache_control}


# What the CDN adds to every answer: the seed's viewer-response function (CloudFront, made by
# ``manage.py cloudfront_stack``), and the local edge itself.
SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=31536000; includeSubdomains",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
