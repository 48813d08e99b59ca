"""Where photos' objects live and how they are served: the key prefixes, the image types stored,
the headers of each object and of every CDN answer.

Originals and renditions live under different prefixes so that a CDN policy granting a pet's
renditions (``renditions/<pet>/*``) can never reach an original, which may carry GPS. The keys
themselves are made by ``images.pure.object_keys`` from ids and hashes only.
"""

from __future__ import annotations

import uuid

ORIGINALS_PREFIX = "originals/"

RENDITIONS_PREFIX = "renditions/"

# The query parameter naming an original's download (S3's own: it answers a signed request
# carrying it with that Content-Disposition; the local edge does the same).
DISPOSITION_PARAMETER = "response-content-disposition"

# The image types we accept, with the extension their originals are stored under.
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/gif": "gif",
    "image/heic": "heic",
    "image/heif": "heif",
}


def renditions_prefix(pet_id: uuid.UUID) -> str:
    """The prefix under which every rendition of one pet lives."""
    return f"{RENDITIONS_PREFIX}{uuid.UUID(str(pet_id))}/"


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
