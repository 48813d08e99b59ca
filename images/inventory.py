"""What storage holds under a prefix, for either back end: S3 lists a prefix in one paginated
call, the local disk walks its directories. Used by the deletion outbox (a deleted photo's
whole rendition prefix) and the reconciliation sweep.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError
from django.core.files.storage import Storage, default_storage
from storages.backends.s3 import S3Storage

# What a storage call raises when the object store, not our data, is at fault.
OBJECT_STORE_ERRORS = (OSError, BotoCoreError, ClientError)


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    modified: datetime.datetime


def stored_objects(prefix: str, storage: Storage | None = None) -> Iterator[StoredObject]:
    """Every object whose key starts with ``prefix`` (a folder, ending in ``/``), in no
    promised order."""
    storage = storage or default_storage
    if isinstance(storage, S3Storage):
        yield from _s3_objects(storage, prefix)
    else:
        yield from _local_objects(Path(storage.location), prefix)


def storage_keys_under(prefix: str, storage: Storage | None = None) -> list[str]:
    return [stored.key for stored in stored_objects(prefix, storage)]


def _s3_objects(storage: S3Storage, prefix: str) -> Iterator[StoredObject]:
    client = storage.connection.meta.client
    pages = client.get_paginator("list_objects_v2").paginate(
        Bucket=storage.bucket_name, Prefix=prefix
    )
    for page in pages:
        for entry in page.get("Contents", ()):
            yield StoredObject(entry["Key"], entry["Size"], entry["LastModified"])


def _local_objects(root: Path, prefix: str) -> Iterator[StoredObject]:
    top = root / prefix
    if not top.is_dir():
        return
    for directory, _subdirectories, files in os.walk(top):
        for name in files:
            path = Path(directory, name)
            try:
                status = path.stat()
            except FileNotFoundError:  # deleted while we walked
                continue
            modified = datetime.datetime.fromtimestamp(status.st_mtime, tz=datetime.UTC)
            yield StoredObject(path.relative_to(root).as_posix(), status.st_size, modified)
