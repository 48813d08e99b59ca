"""Steps of the upload flow as a browser takes them, through the real endpoints."""

from __future__ import annotations

import json
from contextlib import contextmanager

from django.core.files.uploadedfile import SimpleUploadedFile


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


def queued_for_deletion(keys) -> bool:
    """Every key is in the deletion outbox, itself or under a queued folder (``…/``)."""
    from images.models import PendingObjectDeletion

    queued = list(PendingObjectDeletion.objects.values_list("key", flat=True))
    return all(
        any(key == q or (q.endswith("/") and key.startswith(q)) for q in queued) for key in keys
    )


@contextmanager
def using_s3_bucket(bucket: str, endpoint: str, *, settings, monkeypatch):
    """Photos stored in a new ``bucket`` of the moto server at ``endpoint`` (emptied and
    removed afterwards); yields a boto3 S3 client."""
    import boto3

    from tests.conftest import CREDENTIALS

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
