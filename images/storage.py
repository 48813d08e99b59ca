"""Object storage: the two back ends photos are kept in, S3 and the local disk.

Each offers the same interface beyond Django's ``Storage``, so no caller asks which it has:

- ``takes_local_uploads`` and ``upload_ticket(policy, local_url=...)``: where and how a browser
  sends an original (S3's presigned POST, or our own endpoint that checks the same policy);
- ``stored_objects(prefix)``: what is stored under a prefix, with sizes and times, and
  ``keeps_directories``: whether folders are real (and can be left empty);
- ``copy_object(source, target)``: a copy made by the store itself (a photo moved to another
  pet; its rendition keys name the pet);
- ``stored_version(key)`` and ``open_version(key, etag)``: an original as it was when its
  upload completed. An upload ticket stays valid for minutes after the upload and cannot be
  made single-use, so completion records the object's version (S3's ETag; locally inode, size
  and time) and processing reads that version or none (``OriginalReplaced``).
"""

from __future__ import annotations

import contextlib
import datetime
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.files.move import file_move_safe
from django.core.files.storage import FileSystemStorage
from django.utils import timezone
from django.utils._os import safe_makedirs
from django.utils.deconstruct import deconstructible
from storages.backends.s3 import S3Storage

from cdn.objects import object_headers
from images.pure.upload_tickets import Ticket, UploadPolicy, local_ticket, signing_key

# What a storage call raises when the object store, not our data, is at fault.
OBJECT_STORE_ERRORS = (OSError, BotoCoreError, ClientError)
SPOOL_IN_MEMORY_BYTES = 8 * 1024 * 1024
# What a streamed read (a ZIP's members) holds of an object at a time.
READ_CHUNK_BYTES = 256 * 1024


class OriginalReplaced(Exception):
    """The stored original is no longer the object whose upload completed."""


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    modified: datetime.datetime


@dataclass(frozen=True)
class StoredVersion:
    size: int
    etag: str  # S3's ETag; on the local disk, inode, size and modification time


class PhotoS3Storage(S3Storage):
    """S3Storage that stores each object with the Content-Type and Cache-Control its key calls
    for (immutable renditions, private originals), and the interface above."""

    takes_local_uploads = False  # browsers POST originals to the bucket itself
    keeps_directories = False  # "folders" are only prefixes of keys

    def get_object_parameters(self, name: str) -> dict:
        return {**super().get_object_parameters(name), **object_headers(name)}

    def upload_ticket(self, policy: UploadPolicy, *, local_url: str) -> Ticket:
        """A presigned POST whose policy S3 enforces: the exact key, the announced type, 1 byte
        to the announced size, a few minutes of validity."""
        expires_in = max(1, int((policy.expires_at - timezone.now()).total_seconds()))
        post = self._client.generate_presigned_post(
            Bucket=self.bucket_name,
            Key=policy.key,  # boto adds the exact-key condition itself
            Fields={"Content-Type": policy.content_type},
            Conditions=[
                {"Content-Type": policy.content_type},
                ["content-length-range", 1, policy.max_bytes],
            ],
            ExpiresIn=expires_in,
        )
        return Ticket(url=post["url"], fields=post["fields"], expires_at=policy.expires_at)

    def stored_objects(self, prefix: str) -> Iterator[StoredObject]:
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket_name, Prefix=prefix
        )
        for page in pages:
            for entry in page.get("Contents", ()):
                yield StoredObject(entry["Key"], entry["Size"], entry["LastModified"])

    def stored_version(self, key: str) -> StoredVersion | None:
        try:
            head = self._client.head_object(Bucket=self.bucket_name, Key=key)
        except ClientError as error:
            if _status(error) == 404:
                return None
            raise
        return StoredVersion(size=head["ContentLength"], etag=head["ETag"])

    @contextmanager
    def open_version(self, key: str, etag: str) -> Iterator[IO[bytes]]:
        if not etag:  # completed before versions were recorded
            with self.open(key, "rb") as stream:
                yield stream
            return
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES) as spool:
            try:
                answer = self._client.get_object(Bucket=self.bucket_name, Key=key, IfMatch=etag)
            except ClientError as error:
                if _status(error) == 404:
                    raise FileNotFoundError(key) from error
                if _status(error) == 412:
                    raise OriginalReplaced(key) from error
                raise
            with answer["Body"] as body:
                shutil.copyfileobj(body, spool, length=1024 * 1024)
            spool.seek(0)
            yield spool

    def copy_object(self, source: str, target: str) -> None:
        """Copy ``source`` to ``target`` inside the bucket (no bytes through us); both keys are
        of the same kind, so the stored headers are copied with it. ``FileNotFoundError`` when
        ``source`` is missing."""
        try:
            self._client.copy_object(
                Bucket=self.bucket_name,
                Key=target,
                CopySource={"Bucket": self.bucket_name, "Key": source},
                MetadataDirective="COPY",
            )
        except ClientError as error:
            if _status(error) == 404:
                raise FileNotFoundError(source) from error
            raise

    def read_chunks(self, key: str, chunk_size: int = READ_CHUNK_BYTES) -> Iterator[bytes]:
        """The object's bytes, ``chunk_size`` at a time as S3 sends them: never whole in memory
        nor spooled (a ZIP of hundreds of photos streams through). Raises
        ``FileNotFoundError`` at the first chunk when the object is gone."""
        try:
            answer = self._client.get_object(Bucket=self.bucket_name, Key=key)
        except ClientError as error:
            if _status(error) == 404:
                raise FileNotFoundError(key) from error
            raise
        body = answer["Body"]  # (entering it as a context gives the raw stream instead)
        try:
            yield from body.iter_chunks(chunk_size)
        finally:
            body.close()

    @property
    def _client(self):
        return self.connection.meta.client


def _status(error: ClientError) -> int | None:
    return error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")


# A save in progress: a hidden file beside its target, renamed over it once complete.
TEMPORARY_SUFFIX = ".partial"


@deconstructible(path="images.storage.PhotoFileSystemStorage")
class PhotoFileSystemStorage(FileSystemStorage):
    """FileSystemStorage whose saves are atomic and whose deletions leave no empty directories.

    A save writes a temporary file in the target's directory, flushes it to disk and renames
    it into place: readers see the previous file or the whole new one, never a partial or
    empty one, and a failed write (a full disk) leaves nothing behind. A deletion removes the
    directories it leaves empty, up to the top-level ones (``originals/``, ``renditions/``).
    Otherwise as Django's: permissions from the settings, ``allow_overwrite``, new names.
    """

    takes_local_uploads = True  # browsers POST originals to our own endpoint
    keeps_directories = True  # real folders, which deletions can leave empty

    def upload_ticket(self, policy: UploadPolicy, *, local_url: str) -> Ticket:
        return local_ticket(policy, url=local_url, key=local_ticket_key())

    def stored_objects(self, prefix: str) -> Iterator[StoredObject]:
        root = Path(self.location)
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

    def stored_version(self, key: str) -> StoredVersion | None:
        try:
            status = os.stat(self.path(key))
        except FileNotFoundError:
            return None
        return StoredVersion(size=status.st_size, etag=_local_version(status))

    @contextmanager
    def open_version(self, key: str, etag: str) -> Iterator[IO[bytes]]:
        with self.open(key, "rb") as stream:
            if etag and _local_version(os.fstat(stream.fileno())) != etag:
                raise OriginalReplaced(key)
            yield stream

    def copy_object(self, source: str, target: str) -> None:
        """Copy ``source`` to ``target`` (an atomic save). A target already there is kept:
        keys are content-hashed, so it holds the same bytes."""
        if self.exists(target):
            return
        with self.open(source, "rb") as stream:
            saved = self.save(target, stream)
        if saved != target:  # written meanwhile under that name: ours is a spare copy
            self.delete(saved)

    def read_chunks(self, key: str, chunk_size: int = READ_CHUNK_BYTES) -> Iterator[bytes]:
        """The file's bytes, ``chunk_size`` at a time."""
        with self.open(key, "rb") as stream:
            while chunk := stream.read(chunk_size):
                yield chunk

    def _save(self, name, content):
        full_path = self.path(name)
        temporary = self._write_temporary(os.path.dirname(full_path), content)
        try:
            if self.file_permissions_mode is not None:
                os.chmod(temporary, self.file_permissions_mode)
            self._ensure_location_group_id(temporary)
            while True:
                try:
                    self._move_into_place(temporary, full_path)
                    break
                except FileExistsError:
                    name = self.get_available_name(name)
                    full_path = self.path(name)
        except BaseException:
            _remove_quietly(temporary)
            raise
        # Relative to the storage root, with forward slashes even on Windows.
        return os.path.relpath(full_path, self.location).replace("\\", "/")

    def delete(self, name):
        super().delete(name)
        self._remove_empty_parents(self.path(name))

    def _write_temporary(self, directory: str, content) -> str:
        """A complete, flushed copy of ``content`` in ``directory``; its path."""
        for attempt in (1, 2):
            self._make_directory(directory)
            temporary = os.path.join(directory, f".{secrets.token_hex(8)}{TEMPORARY_SUFFIX}")
            try:
                fd = os.open(temporary, _OPEN_FLAGS, 0o666)
                break
            except FileNotFoundError:
                # A concurrent deletion pruned the directory just after it was made.
                if attempt == 2:
                    raise
        try:
            if hasattr(content, "temporary_file_path"):
                os.close(fd)
                file_move_safe(content.temporary_file_path(), temporary, allow_overwrite=True)
                fd = os.open(temporary, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
            else:
                _write_chunks(fd, content)
        except BaseException:
            _remove_quietly(temporary)
            raise
        return temporary

    def _make_directory(self, directory: str) -> None:
        try:
            if self.directory_permissions_mode is not None:
                # os.makedirs() does not apply its mode to intermediate directories.
                safe_makedirs(directory, self.directory_permissions_mode, exist_ok=True)
            else:
                os.makedirs(directory, exist_ok=True)
        except FileExistsError:
            raise FileExistsError(f"{directory} exists and is not a directory.") from None

    def _move_into_place(self, temporary: str, full_path: str) -> None:
        if self._allow_overwrite:
            os.replace(temporary, full_path)
            return
        try:
            os.link(temporary, full_path)  # FileExistsError when taken: never overwrites
        except FileExistsError:
            raise
        except OSError:
            # No hard links on this file system: check, then rename (Django's own race).
            if os.path.lexists(full_path):
                raise FileExistsError(full_path) from None
            os.replace(temporary, full_path)
        else:
            os.unlink(temporary)

    def _remove_empty_parents(self, full_path: str) -> None:
        """Remove the directories above ``full_path`` that are empty, up to the top-level ones.

        rmdir removes only an empty directory, so one a concurrent save has written into (or
        holds its temporary file in) stays; a save that finds its directory gone makes it
        again. Any error (not empty, already gone) ends the climb.
        """
        directory = os.path.dirname(full_path)
        while True:
            relative = os.path.relpath(directory, self.location)
            if os.sep not in relative or relative.startswith(os.pardir):
                return  # the root, a top-level directory, or outside the storage
            try:
                os.rmdir(directory)
            except OSError:
                return
            directory = os.path.dirname(directory)


_OPEN_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


def _write_chunks(fd: int, content) -> None:
    """Write ``content`` to ``fd``, flush it to disk and close it (as text if its chunks are)."""
    file = None
    try:
        for chunk in content.chunks():
            if file is None:
                file = os.fdopen(fd, "wb" if isinstance(chunk, bytes) else "wt")
            file.write(chunk)
        if file is not None:
            file.flush()
        os.fsync(fd)
    finally:
        if file is not None:
            file.close()
        else:
            os.close(fd)


def _remove_quietly(path: str) -> None:
    with contextlib.suppress(OSError):
        os.remove(path)


def _local_version(status: os.stat_result) -> str:
    # Saves rename a finished file into place, so another upload is another inode.
    return f"{status.st_ino}-{status.st_size}-{status.st_mtime_ns}"


def local_ticket_key() -> bytes:
    """The key that signs and checks local upload tickets (from ``SECRET_KEY``)."""
    return signing_key(settings.SECRET_KEY)
