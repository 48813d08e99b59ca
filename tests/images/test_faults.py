"""Faults, with the real parts: the broker down while an upload completes, the database
restarting under a running worker, storage failing for long, objects that cannot be deleted.
(A worker killed mid-job: test_worker.py. Storage errors retried then failed, eagerly:
test_tasks.py.)"""

from __future__ import annotations

import os
import shlex
import subprocess
import time

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.test import Client

from images.models import PendingObjectDeletion, Photo
from images.services.deletions import objects_queue_deletion
from images.services.photos import (
    photos_requeue_stuck,
    photos_retry_failed,
    photos_send_unqueued,
)
from images.tasks import MAX_RETRIES, delete_pending_objects, process_photo
from pettracker.celery import app
from tests.factories import PetFactory, PhotoFactory, UserFactory
from tests.fixtures.redis import RedisServer
from tests.fixtures.workers import ROOT, WorkerProcess, point_celery_at
from tests.images import corpus
from tests.images.helpers import ask_ticket, complete, post_file, settled, upload

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def celery_worker_fast_retries(start_own_worker):
    """A real worker whose retries come at once (the waits themselves: test_tasks.py)."""
    return start_own_worker(TASK_RETRY_BACKOFF_SECONDS="0")


@pytest.fixture
def own_broker(tmp_path, settings, redis_url):
    server = RedisServer(tmp_path).start()
    point_celery_at(server.url, settings)
    yield server
    if server.process.poll() is None:
        server.stop()
    point_celery_at(redis_url, settings)


def test_completing_while_the_broker_is_down_succeeds_and_beat_finishes_the_photo(
    own_broker, worker_env, test_var_dir
):
    owner = UserFactory(username="outage-owner")
    client = Client()
    client.force_login(owner)
    data = corpus.jpeg()
    ticket = ask_ticket(client, PetFactory(owner=owner), data=data).json()
    assert post_file(client, ticket, data).status_code == 204

    own_broker.stop()
    started = time.monotonic()
    response = complete(client, ticket["photo"])
    assert response.status_code == 202  # the upload is safe; processing is late
    assert time.monotonic() - started < 10
    assert Photo.objects.get(pk=ticket["photo"]).state == Photo.State.PROCESSING

    assert Photo.objects.get(pk=ticket["photo"]).unqueued_since is not None  # remembered

    own_broker.start()  # Redis is back (empty: the message was never sent)

    env = {**worker_env, "CELERY_BROKER_URL": own_broker.url}
    worker = WorkerProcess(app, env, test_var_dir / "worker-outage.log", name="outage").start()
    try:
        # Beat's next tick, long before the stuck threshold (600 s) would find it.
        assert photos_requeue_stuck() == 0
        assert photos_send_unqueued() == 1  # what send_unqueued_photos does
        assert settled([ticket["photo"]])[ticket["photo"]].state == Photo.State.READY
    finally:
        worker.stop()


@pytest.mark.skipif(
    not os.environ.get("PETTRACKER_TEST_PG_RESTART"),
    reason="needs the PostgreSQL run of scripts/test, which can restart its cluster",
)
def test_the_database_restarting_under_a_running_worker_loses_no_photo(own_celery_worker):
    owner = UserFactory(username="restart-owner")
    pet = PetFactory(owner=owner)
    client = Client()
    client.force_login(owner)
    first = upload(client, pet, corpus.jpeg())
    assert settled([first])[first].state == Photo.State.READY  # the worker holds a connection

    subprocess.run(shlex.split(os.environ["PETTRACKER_TEST_PG_RESTART"]), check=True, cwd=ROOT)
    connection.close()  # this process's connection died with the server too

    client.force_login(owner)
    second = upload(client, pet, corpus.png())
    assert settled([second])[second].state == Photo.State.READY
    assert own_celery_worker.alive()


def test_storage_that_keeps_failing_ends_the_photo_failed_with_a_reason(
    celery_worker_fast_retries, test_var_dir
):
    photo = PhotoFactory(state=Photo.State.PROCESSING, original_key="originals/1/2026/01/bad.jpg")
    # A folder where the file should be: every read fails with an OSError, as a broken
    # mount or a storage outage would.
    (test_var_dir / "media" / photo.original_key).mkdir(parents=True, exist_ok=True)
    process_photo.delay(str(photo.pk))
    photo = settled([str(photo.pk)])[str(photo.pk)]
    assert photo.state == Photo.State.FAILED
    assert photo.error == "storage could not be reached; it will be tried again automatically"
    assert photo.retry_at is not None  # not final: the server's fault
    assert photo.attempts == MAX_RETRIES + 1  # tried, then retried four times
    assert celery_worker_fast_retries.alive()

    # The storage comes back; beat's retry, when due, finishes the photo.
    blocked = test_var_dir / "media" / photo.original_key
    blocked.rmdir()
    blocked.write_bytes(corpus.jpeg())
    assert photos_retry_failed(now=photo.retry_at) == 1
    assert settled([str(photo.pk)])[str(photo.pk)].state == Photo.State.READY


@pytest.fixture
def immutable():
    """Files made undeletable (``chattr +i``: even root cannot remove them), released after."""
    paths = []

    def make(path):
        subprocess.run(["chattr", "+i", str(path)], check=True)
        paths.append(path)
        return path

    yield make
    for path in paths:
        subprocess.run(["chattr", "-i", str(path)], check=False)


def test_an_undeletable_object_holds_back_no_other_deletion_on_a_real_worker(
    celery_worker, immutable
):
    keys = [f"originals/9/2026/11/{n:02}.jpg" for n in range(24)]
    for key in keys:
        default_storage.save(key, ContentFile(b"GPS"))
    for blocker in keys[:4]:
        immutable(default_storage.path(blocker))
    objects_queue_deletion(keys)

    delete_pending_objects.delay()
    left = PendingObjectDeletion.objects.order_by("key")
    deadline = time.monotonic() + 60
    while left.filter(attempts=0).exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [key for key in keys if default_storage.exists(key)] == keys[:4]
    assert [row.key for row in left] == keys[:4]
    assert all(row.attempts == 1 and "Operation not permitted" in row.last_error for row in left)
