"""Helpers of the images tests: the upload flow's steps as a browser takes them, photos waiting
in storage, waiting for a worker, the deletion outbox, and storage to fill up or break."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from images.models import PendingObjectDeletion, Photo
from images.services.uploads import photo_create_upload
from tests.factories import PhotoFactory
from tests.fixtures.aws import CREDENTIALS

# --- The upload flow, through the real endpoints --------------------------------------------


def ask_ticket(client, pet, *, data: bytes = b"", content_type="image/jpeg", size=None, **extra):
    body = {
        "filename": "holiday.jpg",
        "content_type": content_type,
        "size": len(data) if size is None else size,
        **extra,
    }
    return client.post(
        f"/api/pets/{pet.pk}/uploads", json.dumps(body), content_type="application/json"
    )


def post_file(client, ticket: dict, data: bytes, content_type="image/jpeg"):
    fields = dict(ticket["upload"]["fields"])
    fields["file"] = SimpleUploadedFile("holiday.jpg", data, content_type=content_type)
    return client.post("/uploads/", fields)


def complete(client, photo_id):
    return client.post(f"/api/photos/{photo_id}/complete")


def upload(client, pet, data: bytes, content_type="image/jpeg") -> str:
    """Ticket, file, completion: the photo's id."""
    ticket = ask_ticket(client, pet, data=data, content_type=content_type).json()
    assert post_file(client, ticket, data, content_type).status_code == 204
    assert complete(client, ticket["photo"]).status_code == 202
    return ticket["photo"]


# --- Photos in storage, and the deletion outbox ---------------------------------------------


def stored_photo(pet, data: bytes, **fields) -> Photo:
    """A photo whose original is in storage and which waits to be processed."""
    photo = PhotoFactory(pet=pet, state=Photo.State.PROCESSING, **fields)
    default_storage.save(photo.original_key, ContentFile(data))
    return photo


def store(key: str, data: bytes = b"x") -> str:
    default_storage.save(key, ContentFile(data))
    return key


def pending_upload(pet, *, size=100_000):
    """A photo waiting for its upload, and its ticket."""
    photo, ticket = photo_create_upload(
        pet=pet,
        uploader=pet.owner,
        filename="late.jpg",
        content_type="image/jpeg",
        size=size,
        local_url="/uploads/",
    )
    return photo, ticket


def stored_files(prefix: str) -> list[str]:
    folder = Path(default_storage.path(prefix))
    return [str(p) for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def queued_for_deletion(keys) -> bool:
    """Every key is in the deletion outbox, itself or under a queued folder (``…/``)."""
    queued = list(PendingObjectDeletion.objects.values_list("key", flat=True))
    return all(
        any(key == q or (q.endswith("/") and key.startswith(q)) for q in queued) for key in keys
    )


# --- Waiting for a worker -------------------------------------------------------------------

FINAL = (Photo.State.READY, Photo.State.FAILED)


def wait_for(predicate, timeout: float = 60.0, every: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(every)
    pytest.fail(f"gave up after {timeout} s waiting for {predicate.__name__}")


def settled(photo_ids, timeout: float = 60.0) -> dict[str, Photo]:
    def all_final():
        photos = {str(p.pk): p for p in Photo.objects.filter(pk__in=photo_ids)}
        return photos if all(p.state in FINAL for p in photos.values()) else None

    return wait_for(all_final, timeout)


# --- The local disk: what is on it, and disks that fill up or are read-only -----------------


def files_under(root: Path) -> list[str]:
    """Every file under ``root`` (hidden ones included), relative to it."""
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if not path.is_dir())


def directories_under(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_dir())


@contextlib.contextmanager
def tmpfs(path: Path, *, size: str, read_only: bool = False) -> Iterator[Path]:
    """A small tmpfs mounted at ``path``: a disk that really fills up, or really is read-only.
    Skips the test where mounting is not allowed."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)],
        capture_output=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        if read_only:
            subprocess.run(["mount", "-o", "remount,ro", str(path)], check=True)
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def use_location(settings, location: Path) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            **settings.STORAGES["default"],
            "OPTIONS": {"location": str(location), "allow_overwrite": True},
        },
    }


# --- S3 (moto) ------------------------------------------------------------------------------


@contextmanager
def using_s3_bucket(bucket: str, endpoint: str, *, settings, monkeypatch):
    """Photos stored in a new ``bucket`` of the moto server at ``endpoint`` (emptied and
    removed afterwards); yields a boto3 S3 client."""
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=bucket)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "images.storage.PhotoS3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": endpoint,
                "region_name": "us-east-1",
                "default_acl": None,
                "file_overwrite": True,
                "signature_version": "s3v4",
            },
        },
    }
    try:
        yield client
    finally:
        for item in client.list_objects_v2(Bucket=bucket).get("Contents", []):
            client.delete_object(Bucket=bucket, Key=item["Key"])
        client.delete_bucket(Bucket=bucket)
