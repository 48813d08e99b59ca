"""Object storage glue: the S3 back end with per-object headers, and small helpers."""

from __future__ import annotations

from storages.backends.s3 import S3Storage

from images.keys import object_headers


class PhotoS3Storage(S3Storage):
    """S3Storage that stores each object with the Content-Type and Cache-Control its key calls
    for (immutable renditions, private originals)."""

    def get_object_parameters(self, name: str) -> dict:
        return {**super().get_object_parameters(name), **object_headers(name)}
