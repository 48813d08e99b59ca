"""The pipeline with its real parts: HTTP endpoints, a real Celery worker, a real redis-server."""

from __future__ import annotations

import datetime
import io
import os
import signal

import pytest
import requests
from django.test import Client
from PIL import Image

from cdn.models import Invalidation, PendingInvalidation, SigningKey
from cdn.tasks import maintain_signing_keys, submit_invalidations
from images.models import Photo
from images.services.photos import photos_requeue_stuck
from tests.factories import PASSWORD, PetFactory, UserFactory
from tests.images import corpus
from tests.images.helpers import settled, upload, wait_for

pytestmark = pytest.mark.redis


class Browser:
    """A requests session that logs in and calls the API as the page's script does."""

    def __init__(self, base_url: str):
        self.base, self.http = base_url, requests.Session()

    def log_in(self, username: str) -> Browser:
        self.http.get(f"{self.base}/accounts/login/", timeout=30)
        response = self.http.post(
            f"{self.base}/accounts/login/",
            data={
                "username": username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": self.http.cookies["csrftoken"],
            },
            timeout=30,
        )
        assert response.url == f"{self.base}/", "log-in failed"
        return self

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {"X-CSRFToken": self.http.cookies["csrftoken"], "Referer": self.base + "/"}
        return self.http.request(
            method, f"{self.base}{path}", headers=headers, timeout=30, **kwargs
        )


def test_an_upload_over_http_becomes_three_clean_renditions(
    celery_worker, live_server, signing_key
):
    owner = UserFactory(username="http-owner")
    pet = PetFactory(owner=owner)
    browser = Browser(live_server.url).log_in("http-owner")
    data = corpus.jpeg(size=(3000, 2000), gps=True, orientation=6)

    ticket = browser.api(
        "POST",
        f"/api/pets/{pet.pk}/uploads",
        json={"filename": "beach.jpg", "content_type": "image/jpeg", "size": len(data)},
    )
    assert ticket.status_code == 201
    body = ticket.json()
    # The browser posts the file straight to the ticket's URL, with the ticket's fields only.
    stored = requests.post(
        body["upload"]["url"],
        data=body["upload"]["fields"],
        files={"file": ("beach.jpg", data, "image/jpeg")},
        timeout=30,
    )
    assert stored.status_code == 204
    assert browser.api("POST", f"/api/photos/{body['photo']}/complete").status_code == 202

    def ready():
        answer = browser.api("GET", f"/api/photos/{body['photo']}").json()
        return answer if answer["state"] == "ready" else None

    answer = wait_for(ready, timeout=60)
    assert set(answer["renditions"]) == {"thumb", "square", "medium", "large"}
    renditions = {r.name: r for r in Photo.objects.get(pk=body["photo"]).renditions.all()}
    for name, url in answer["renditions"].items():
        # Fetched as a browser would: the signed URL, through the local edge.
        fetched = requests.get(live_server.url + url, timeout=10)
        assert fetched.status_code == 200
        assert fetched.headers["Content-Type"] == "image/webp"
        # Private to the browser (CloudFront's viewer-response function does the same).
        assert fetched.headers["Cache-Control"] == "private, max-age=31536000, immutable"
        image = Image.open(io.BytesIO(fetched.content))
        image.load()
        assert image.format == "WEBP"
        assert not image.getexif()  # no EXIF, so no GPS
        assert (image.width, image.height) == (renditions[name].width, renditions[name].height)
    large = Photo.objects.get(pk=body["photo"]).renditions.get(name="large")
    assert (large.width, large.height) == (1365, 2048)  # turned upright


def test_every_file_of_the_corpus_ends_in_its_state_and_the_worker_survives(celery_worker):
    owner = UserFactory(username="corpus-owner")
    pet = PetFactory(owner=owner)
    client = Client()
    client.force_login(owner)
    ids = {
        case.name: upload(client, pet, case.make() or b"\x00", case.content_type)
        for case in corpus.CASES
        if case.name != "zero bytes"
    }
    photos = settled(ids.values())
    for case in corpus.CASES:
        if case.name == "zero bytes":
            continue  # the upload policy refuses an empty file before any worker sees it
        photo = photos[ids[case.name]]
        expected = Photo.State.READY if case.ready else Photo.State.FAILED
        assert photo.state == expected, (case.name, photo.error)
        assert case.reason in photo.error, case.name
    assert celery_worker.alive()


def slow_photo() -> bytes:
    """A 7000×7000 PNG: small to upload, about a second to decode and shrink."""
    image = Image.linear_gradient("L").resize((7000, 7000)).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def test_a_pool_process_killed_mid_job_does_not_lose_the_photo(own_celery_worker):
    owner = UserFactory(username="kill-owner")
    client = Client()
    client.force_login(owner)
    photo_id = upload(client, PetFactory(owner=owner), slow_photo(), "image/png")

    wait_for(lambda: Photo.objects.filter(pk=photo_id, attempts__gte=1).exists(), every=0.01)
    for child in own_celery_worker.children():
        os.kill(child, signal.SIGKILL)  # the pool process that runs the job dies

    photo = settled([photo_id])[photo_id]
    assert photo.state == Photo.State.READY
    assert photo.attempts >= 2  # it ran again
    assert own_celery_worker.alive()


def test_a_whole_worker_killed_mid_job_is_finished_by_the_next_worker(own_celery_worker):
    owner = UserFactory(username="crash-owner")
    client = Client()
    client.force_login(owner)
    photo_id = upload(client, PetFactory(owner=owner), slow_photo(), "image/png")

    wait_for(lambda: Photo.objects.filter(pk=photo_id, attempts__gte=1).exists(), every=0.01)
    own_celery_worker.kill()  # the machine dies: the message stays unacknowledged in redis
    assert Photo.objects.get(pk=photo_id).state == Photo.State.PROCESSING

    own_celery_worker.start()
    assert photos_requeue_stuck(older_than=datetime.timedelta(0)) == 1  # what beat does
    assert settled([photo_id])[photo_id].state == Photo.State.READY


def test_the_cdn_tasks_run_on_a_real_worker(celery_worker, signing_key):
    owner = UserFactory(username="cdn-owner")
    client = Client()
    client.force_login(owner)
    photo_id = upload(client, PetFactory(owner=owner), corpus.jpeg(), "image/jpeg")
    assert settled([photo_id])[photo_id].state == Photo.State.READY
    keys = {
        f"/{key}" for key in Photo.objects.get(pk=photo_id).renditions.values_list("key", flat=True)
    }
    assert len(keys) == 5  # thumb, square, medium, large and the full one for downloads
    # The photo is deleted: its paths wait for the next invalidation batch.
    assert client.delete(f"/api/photos/{photo_id}").status_code == 204
    assert keys <= set(PendingInvalidation.objects.values_list("path", flat=True))

    submit_invalidations.delay()
    invalidation = wait_for(lambda: Invalidation.objects.filter(status="completed").first())
    assert keys <= set(invalidation.paths)
    assert not PendingInvalidation.objects.exists()

    SigningKey.objects.filter(pk=signing_key.pk).update(
        activated_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    )
    maintain_signing_keys.delay()
    new_key = wait_for(
        lambda: SigningKey.objects.exclude(pk=signing_key.pk).filter(state="active").first()
    )
    assert new_key.public_key_id != signing_key.public_key_id
    assert SigningKey.objects.get(pk=signing_key.pk).state == SigningKey.State.RETIRING
