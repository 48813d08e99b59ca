"""Reading an uploaded original as it was when its upload completed.

With S3 the upload ticket (a presigned POST) stays valid for minutes after the upload and
cannot be made single-use, so the same ticket could write other bytes under the same key.
The completion records the object's ETag; processing reads the object only if it still has
that ETag (``If-Match``), so a replay cannot put other bytes behind a photo's renditions.
Locally the upload endpoint refuses a second upload once the photo is no longer pending; a
racing one would be written under a new inode (saves rename a finished file into place), and
the version recorded there is the file's inode, size and modification time.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

from botocore.exceptions import ClientError
from django.core.files.storage import Storage, default_storage
from storages.backends.s3 import S3Storage

SPOOL_IN_MEMORY_BYTES = 8 * 1024 * 1024


class OriginalReplaced(Exception):
    """The stored original is no longer the object whose upload completed."""


@dataclass(frozen=True)
class StoredVersion:
    size: int
    etag: str  # S3's ETag; on the local disk, inode, size and modification time


def stored_version(key: str, storage: Storage | None = None) -> StoredVersion | None:
    """The size and ETag of the object at ``key``, or ``None`` when there is none."""
    storage = storage or default_storage
    if not isinstance(storage, S3Storage):
        try:
            status = os.stat(storage.path(key))
        except FileNotFoundError:
            return None
        return StoredVersion(size=status.st_size, etag=_local_version(status))
    try:
        head = storage.connection.meta.client.head_object(Bucket=storage.bucket_name, Key=key)
    except ClientError as error:
        if _status(error) == 404:
            return None
        raise
    return StoredVersion(size=head["ContentLength"], etag=head["ETag"])


@contextmanager
def open_original(key: str, *, etag: str, storage: Storage | None = None):
    """A seekable binary stream of the object at ``key``; with an ``etag``, only of that
    version (``OriginalReplaced`` otherwise). ``FileNotFoundError`` when it is gone."""
    storage = storage or default_storage
    if not etag or not isinstance(storage, S3Storage):
        with storage.open(key, "rb") as stream:
            if etag and _local_version(os.fstat(stream.fileno())) != etag:
                raise OriginalReplaced(key)
            yield stream
        return
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES) as spool:
        _download_version(storage, key, etag, spool)
        spool.seek(0)
        yield spool


def _download_version(storage: S3Storage, key: str, etag: str, into: IO[bytes]) -> None:
    client = storage.connection.meta.client
    try:
        answer = client.get_object(Bucket=storage.bucket_name, Key=key, IfMatch=etag)
    except ClientError as error:
        if _status(error) == 404:
            raise FileNotFoundError(key) from error
        if _status(error) == 412:
            raise OriginalReplaced(key) from error
        raise
    with answer["Body"] as body:
        shutil.copyfileobj(body, into, length=1024 * 1024)


def _local_version(status: os.stat_result) -> str:
    return f"{status.st_ino}-{status.st_size}-{status.st_mtime_ns}"


def _status(error: ClientError) -> int | None:
    return error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
