"""The local upload endpoint takes only the file of a photo still waiting for it, and answers a
storage failure as the server's fault, in JSON, leaving nothing behind."""

from __future__ import annotations

import errno
import logging
import os
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import InMemoryUploadedFile, SimpleUploadedFile
from django.test import Client

from images.models import Photo
from images.services.pets import pet_delete
from tests.images import corpus
from tests.images.helpers import ask_ticket, complete, files_under, post_file, tmpfs, use_location

pytestmark = pytest.mark.django_db
JPEG = corpus.jpeg()
OTHER_JPEG = corpus.jpeg(color=(10, 40, 200))
EITHER = max(len(JPEG), len(OTHER_JPEG))  # a ticket's size that lets both in


@pytest.fixture
def _active_signing_key():
    """No signing key: the upload endpoint signs nothing (the pages' tests all get one)."""


@pytest.fixture
def client(owner) -> Client:
    client = Client()
    client.force_login(owner)
    return client


def ticket_for(client, pet, data=JPEG, size=None) -> dict:
    response = ask_ticket(client, pet, data=data, size=size)
    assert response.status_code == 201
    return response.json()


def key_of(ticket: dict) -> str:
    return ticket["upload"]["fields"]["key"]


def media(settings) -> Path:
    return Path(settings.STORAGES["default"]["OPTIONS"]["location"])


# --- Only a pending photo's file -----------------------------------------------------------


def test_a_deleted_photos_upload_is_refused_and_nothing_is_stored(client, pet, settings):
    ticket = ticket_for(client, pet)
    assert client.delete(f"/api/photos/{ticket['photo']}").status_code == 204

    response = post_file(Client(), ticket, JPEG)
    assert response.status_code == 410
    assert "was deleted" in response.json()["error"]
    assert not default_storage.exists(key_of(ticket))
    assert files_under(media(settings)) == []


def test_a_deleted_pets_upload_is_refused_and_nothing_is_stored(client, pet, settings):
    ticket = ticket_for(client, pet)
    pet_delete(pet=pet)

    response = post_file(Client(), ticket, JPEG)
    assert response.status_code == 410
    assert "Start a new upload" in response.json()["error"]
    assert files_under(media(settings)) == []


@pytest.mark.parametrize("state", ["processing", "ready", "failed"])
def test_a_second_file_for_a_photo_past_pending_is_refused_and_the_original_kept(
    client, pet, state
):
    ticket = ticket_for(client, pet, size=EITHER)
    assert post_file(Client(), ticket, JPEG).status_code == 204
    assert complete(client, ticket["photo"]).status_code == 202
    error = "not an image" if state == "failed" else ""
    Photo.objects.filter(pk=ticket["photo"]).update(state=state, error=error)

    response = post_file(Client(), ticket, OTHER_JPEG)  # the ticket is still valid
    assert response.status_code == 409
    assert "already received" in response.json()["error"]
    with default_storage.open(key_of(ticket)) as stored:
        assert stored.read() == JPEG


def test_posting_again_while_pending_replaces_the_file(client, pet):
    # A browser's retry (guard: this worked before and must keep working).
    ticket = ticket_for(client, pet, size=EITHER)
    assert post_file(Client(), ticket, JPEG).status_code == 204
    assert post_file(Client(), ticket, OTHER_JPEG).status_code == 204
    with default_storage.open(key_of(ticket)) as stored:
        assert stored.read() == OTHER_JPEG
    assert complete(client, ticket["photo"]).status_code == 202


# --- Storage failures: the server's fault, in JSON, nothing left ---------------------------


@pytest.fixture
def storage_fails(monkeypatch):
    """Make writes to the media folder fail with the errno given: while opening the file for
    EROFS and EACCES (as a read-only or forbidden folder does), after the first chunk for the
    others (as a disk filling up, or failing, half-way)."""

    def fail_with(code: int, location: Path) -> None:
        if code in (errno.EROFS, errno.EACCES):
            real_open = os.open

            def refusing_open(path, flags, *args, **kwargs):
                if str(path).startswith(str(location)) and flags & (os.O_WRONLY | os.O_RDWR):
                    raise OSError(code, os.strerror(code), str(path))
                return real_open(path, flags, *args, **kwargs)

            monkeypatch.setattr(os, "open", refusing_open)
            return

        def chunks_then_failure(self, chunk_size=None):
            yield self.file.getvalue()[:1024]
            raise OSError(code, os.strerror(code))

        monkeypatch.setattr(InMemoryUploadedFile, "chunks", chunks_then_failure)

    return fail_with


@pytest.mark.parametrize(
    ("code", "status", "message"),
    [
        (errno.ENOSPC, 507, "storage is full"),
        (errno.EDQUOT, 507, "storage is full"),
        (errno.EIO, 503, "could not write to its storage"),
        (errno.EROFS, 503, "could not write to its storage"),
        (errno.EACCES, 503, "could not write to its storage"),
    ],
)
def test_a_storage_failure_answers_json_blames_the_server_and_leaves_nothing(
    client, pet, settings, storage_fails, caplog, code, status, message
):
    ticket = ticket_for(client, pet)
    storage_fails(code, media(settings))

    with caplog.at_level(logging.ERROR, logger="images.views.upload_endpoint"):
        response = Client(raise_request_exception=False).post(
            "/uploads/", {**ticket["upload"]["fields"], "file": upload_of(JPEG)}
        )
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert message in error
    assert "nothing was saved" in error
    assert "file is" not in error  # not the user's file's fault
    assert response["Retry-After"]
    assert files_under(media(settings)) == []
    assert errno.errorcode[code] in caplog.text
    assert ticket["upload"]["fields"]["x-pettracker-signature"] not in caplog.text

    # Nothing partial remains, so completing says what is true: not uploaded yet.
    response = complete(client, ticket["photo"])
    assert response.status_code == 409
    assert "not been uploaded yet" in response.json()["error"]
    assert Photo.objects.get(pk=ticket["photo"]).state == Photo.State.PENDING


def test_a_really_full_disk_answers_507_and_the_upload_can_be_retried(client, pet, settings):
    data = JPEG + os.urandom(400 * 1024)  # bigger than the disk, smaller than the ticket's limit
    ticket = ticket_for(client, pet, data=data)
    with tmpfs(media(settings).parent / "small-disk", size="256k") as disk:
        use_location(settings, disk)
        response = Client(raise_request_exception=False).post(
            "/uploads/", {**ticket["upload"]["fields"], "file": upload_of(data)}
        )
        assert response.status_code == 507
        assert "storage is full" in response.json()["error"]
        assert files_under(disk) == []
        assert complete(client, ticket["photo"]).status_code == 409


def test_a_really_read_only_disk_answers_503(client, pet, settings):
    ticket = ticket_for(client, pet)
    with tmpfs(media(settings).parent / "ro-disk", size="256k", read_only=True) as disk:
        use_location(settings, disk)
        response = Client(raise_request_exception=False).post(
            "/uploads/", {**ticket["upload"]["fields"], "file": upload_of(JPEG)}
        )
        assert response.status_code == 503
        assert "the server's fault" in response.json()["error"]


def upload_of(data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("holiday.jpg", data, content_type="image/jpeg")
