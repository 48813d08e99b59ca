"""The local storage: atomic saves (no partial, empty or stray temporary file, whatever fails)
and deletions that leave no empty directories behind."""

from __future__ import annotations

import errno
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage, storages
from django.core.files.uploadedfile import TemporaryUploadedFile

from images.storage import PhotoFileSystemStorage
from tests.images.helpers import directories_under, files_under, tmpfs, use_location

KEY = "originals/7/2026/05/0b6d1c2e-55e4-4d6a-9a53-2b1f0c2d9e10.jpg"
RENDITION = (
    "renditions/3f1c9a4e-2d7b-4f0e-8a51-6c2e9b7d0a13/"
    "0b6d1c2e-55e4-4d6a-9a53-2b1f0c2d9e10/thumb-5d41402abc4b2a76.webp"
)


def media(settings) -> Path:
    return Path(settings.STORAGES["default"]["OPTIONS"]["location"])


class FailingContent(File):
    """A file whose reading stops with ``OSError(code)`` after its first chunk, as a write
    stops when the disk fills up half-way."""

    def __init__(self, first_chunk: bytes, code: int = errno.ENOSPC):
        super().__init__(None, name="failing.jpg")
        self.first_chunk, self.code = first_chunk, code

    @property
    def size(self) -> int:
        return len(self.first_chunk) * 2

    def chunks(self, chunk_size=None) -> Iterator[bytes]:
        yield self.first_chunk
        raise OSError(self.code, os.strerror(self.code))

    def open(self, mode=None):
        return self

    def close(self):
        pass


# --- Atomic saves --------------------------------------------------------------------------


def test_the_local_storage_is_the_atomic_one(settings):
    assert isinstance(default_storage, PhotoFileSystemStorage)


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT, errno.EIO])
def test_a_write_failing_midway_leaves_no_file_and_no_temporary_file(settings, code):
    with pytest.raises(OSError, match=os.strerror(code)) as failure:
        default_storage.save(KEY, FailingContent(b"x" * 4096, code))
    assert failure.value.errno == code
    assert not default_storage.exists(KEY)
    assert files_under(media(settings)) == []


def test_a_failed_rewrite_keeps_the_previous_file_whole(settings):
    default_storage.save(KEY, ContentFile(b"old" * 1000))
    with pytest.raises(OSError, match="No space left"):
        default_storage.save(KEY, FailingContent(b"new" * 500))
    with default_storage.open(KEY) as stored:
        assert stored.read() == b"old" * 1000
    assert files_under(media(settings)) == [KEY]


def test_a_full_disk_leaves_no_partial_file(settings, tmp_path):
    with tmpfs(tmp_path / "disk", size="256k") as disk:
        use_location(settings, disk)
        with pytest.raises(OSError, match="No space left") as failure:
            default_storage.save(KEY, ContentFile(os.urandom(1024 * 1024)))
        assert failure.value.errno == errno.ENOSPC
        assert files_under(disk) == []
        assert shutil.disk_usage(disk).used < 64 * 1024  # the partial bytes were freed
        # ... and a file that fits is stored as usual.
        assert default_storage.save(KEY, ContentFile(b"fits")) == KEY
        assert files_under(disk) == [KEY]


def test_a_read_only_disk_raises_and_stores_nothing(settings, tmp_path):
    with tmpfs(tmp_path / "ro", size="256k", read_only=True) as disk:
        use_location(settings, disk)
        with pytest.raises(OSError, match="Read-only") as failure:
            default_storage.save(KEY, ContentFile(b"data"))
        assert failure.value.errno == errno.EROFS
        assert files_under(disk) == []


@pytest.mark.slow  # 150 rewrites under four readers: over a second
def test_readers_never_see_a_short_or_empty_file_while_it_is_written_again(settings):
    versions = [bytes([65 + n]) * (150_000 + 70_000 * n) for n in range(3)]
    default_storage.save(KEY, ContentFile(versions[0]))
    writing = threading.Event()
    writing.set()
    seen: list[int] = []
    bad: list[int] = []

    def read_until_done():
        while writing.is_set():
            with default_storage.open(KEY) as stored:
                body = stored.read()
            (seen if body in versions else bad).append(len(body))

    readers = [threading.Thread(target=read_until_done) for _ in range(4)]
    for reader in readers:
        reader.start()
    try:
        for n in range(150):
            default_storage.save(KEY, ContentFile(versions[n % len(versions)]))
    finally:
        writing.clear()
        for reader in readers:
            reader.join(timeout=30)
    assert not bad, f"{len(bad)} of {len(bad) + len(seen)} reads were partial: {bad[:10]}"
    assert seen
    assert files_under(media(settings)) == [KEY]  # no temporary file left behind


def test_a_directory_pruned_between_making_and_writing_is_made_again(settings, monkeypatch):
    # Another process deletes the last file of a directory, and prunes it, just as this
    # save has made it.
    real_makedirs = os.makedirs
    directory = str(media(settings) / KEY.rsplit("/", 1)[0])
    pruned = []

    def makedirs_then_pruned(name, *args, **kwargs):
        real_makedirs(name, *args, **kwargs)
        if os.fspath(name) == directory and not pruned:  # os.makedirs calls itself
            pruned.append(name)
            os.rmdir(name)

    monkeypatch.setattr(os, "makedirs", makedirs_then_pruned)
    assert default_storage.save(KEY, ContentFile(b"data")) == KEY
    assert pruned
    with default_storage.open(KEY) as stored:
        assert stored.read() == b"data"


def test_django_behaviour_is_kept_permissions_new_names_and_moved_temporary_files(
    settings, tmp_path
):
    """Guards (they pass with Django's storage too): what the atomic saves must not change."""
    settings.FILE_UPLOAD_PERMISSIONS = 0o640
    default_storage.save(KEY, ContentFile(b"data"))
    assert (media(settings) / KEY).stat().st_mode & 0o777 == 0o640

    settings.FILE_UPLOAD_PERMISSIONS = 0o644
    upload = TemporaryUploadedFile("big.jpg", "image/jpeg", 5, None)
    upload.write(b"large")
    upload.flush()
    assert default_storage.save(RENDITION, upload) == RENDITION
    upload.close()  # moved away: as Django does, closing ignores that it is gone
    with default_storage.open(RENDITION) as stored:
        assert stored.read() == b"large"
    assert (media(settings) / RENDITION).stat().st_mode & 0o777 == 0o644

    keeping = storages.create_storage(
        {
            "BACKEND": settings.STORAGES["default"]["BACKEND"],
            "OPTIONS": {"location": str(tmp_path / "keeping")},
        }
    )
    first = keeping.save("originals/a.jpg", ContentFile(b"one"))
    second = keeping.save("originals/a.jpg", ContentFile(b"two"))
    assert first == "originals/a.jpg" != second
    assert second.startswith("originals/a_")
    assert second.endswith(".jpg")
    with keeping.open(first) as stored:
        assert stored.read() == b"one"
    assert files_under(tmp_path / "keeping") == sorted([first, second])


# --- Deletions leave no empty directories ------------------------------------------------


def test_deleting_removes_the_directories_left_empty_but_not_the_top_level_ones(settings):
    other_original = KEY.replace("0b6d1c2e", "1c7e2d3f")
    other_rendition = RENDITION.replace("thumb", "medium")
    for key in (KEY, other_original, RENDITION, other_rendition):
        default_storage.save(key, ContentFile(b"data"))

    default_storage.delete(KEY)
    assert directories_under(media(settings))[:4] == [
        "originals",
        "originals/7",
        "originals/7/2026",
        "originals/7/2026/05",
    ]  # the month still holds another photo
    default_storage.delete(other_original)
    default_storage.delete(RENDITION)
    assert default_storage.exists(other_rendition)  # its directory still holds a file
    default_storage.delete(other_rendition)

    assert directories_under(media(settings)) == ["originals", "renditions"]
    assert files_under(media(settings)) == []


def test_deleting_a_missing_file_still_prunes_and_never_climbs_past_the_prefix(settings):
    root = media(settings)
    (root / "originals" / "7" / "2026" / "05").mkdir(parents=True)
    (root / "renditions").mkdir()
    default_storage.delete(KEY)  # gone already: nothing to delete, empty directories to prune
    default_storage.delete("renditions/nothing.webp")
    assert directories_under(root) == ["originals", "renditions"]


def test_deleting_keeps_a_directory_a_concurrent_save_is_writing_into(settings):
    # A save in progress holds its temporary file in the directory: rmdir must fail there,
    # and the deletion stop without error.
    default_storage.save(KEY, ContentFile(b"data"))
    directory = media(settings) / KEY.rsplit("/", 1)[0]
    (directory / ".in-progress.partial").write_bytes(b"half")
    default_storage.delete(KEY)
    assert directory.is_dir()
    assert files_under(media(settings)) == [f"{KEY.rsplit('/', 1)[0]}/.in-progress.partial"]
