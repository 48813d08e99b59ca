"""Object storage glue: the S3 back end with per-object headers, and small helpers."""

from __future__ import annotations

import contextlib
import os
import secrets

from django.core.files.move import file_move_safe
from django.core.files.storage import FileSystemStorage
from django.utils._os import safe_makedirs
from django.utils.deconstruct import deconstructible
from storages.backends.s3 import S3Storage

from images.keys import object_headers


class PhotoS3Storage(S3Storage):
    """S3Storage that stores each object with the Content-Type and Cache-Control its key calls
    for (immutable renditions, private originals)."""

    def get_object_parameters(self, name: str) -> dict:
        return {**super().get_object_parameters(name), **object_headers(name)}


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
