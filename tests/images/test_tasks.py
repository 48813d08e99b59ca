"""The processing task's own behaviour, run eagerly (one task at a time, by design here)."""

import os
import subprocess
import sys

import pytest
from celery.exceptions import SoftTimeLimitExceeded

from images import tasks
from images.models import Photo
from images.services import deletions, photos
from tests.factories import PhotoFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def processing_photo(pet):
    return PhotoFactory(pet=pet, state=Photo.State.PROCESSING)


def failing_with(monkeypatch, error):
    calls = []

    def process(*, photo_id):
        calls.append(photo_id)
        raise error

    monkeypatch.setattr(photos, "photo_process", process)
    return calls


def test_storage_errors_are_retried_with_backoff_then_fail_with_a_reason(
    processing_photo, monkeypatch
):
    calls = failing_with(monkeypatch, OSError("connection reset"))
    countdowns = []
    real_retry = tasks.process_photo.retry
    monkeypatch.setattr(
        tasks.process_photo,
        "retry",
        lambda **kw: countdowns.append(kw["countdown"]) or real_retry(**kw),
    )
    tasks.process_photo.apply(args=[str(processing_photo.pk)])
    assert len(calls) == tasks.MAX_RETRIES + 1
    assert countdowns == [5, 10, 20, 40]
    processing_photo.refresh_from_db()
    assert processing_photo.state == Photo.State.FAILED
    assert processing_photo.error == (
        "storage could not be reached; it will be tried again automatically"
    )
    assert processing_photo.retry_at is not None  # beat's retry_failed_photos picks it up


def test_the_soft_time_limit_fails_the_photo_with_a_reason(processing_photo, monkeypatch):
    failing_with(monkeypatch, SoftTimeLimitExceeded())
    assert tasks.process_photo.apply(args=[str(processing_photo.pk)]).result == "failed"
    processing_photo.refresh_from_db()
    assert processing_photo.error == "the image took too long to process"
    assert processing_photo.retry_at is None  # the file's own fault: final


def test_an_unexpected_error_fails_the_photo_and_is_reported(processing_photo, monkeypatch):
    failing_with(monkeypatch, ZeroDivisionError("a bug"))
    result = tasks.process_photo.apply(args=[str(processing_photo.pk)])
    assert isinstance(result.result, ZeroDivisionError)
    processing_photo.refresh_from_db()
    assert processing_photo.error == (
        "processing failed unexpectedly; it will be tried again automatically"
    )


def test_the_beat_schedule_runs_the_sweeps_key_rotation_and_invalidations(settings):
    tasks_scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert tasks_scheduled == {
        "images.tasks.requeue_stuck_photos",
        "images.tasks.send_unqueued_photos",
        "images.tasks.retry_failed_photos",
        "images.tasks.expire_pending_photos",
        "images.tasks.reconcile_storage",
        "images.tasks.delete_pending_objects",
        "cdn.tasks.maintain_signing_keys",
        "cdn.tasks.submit_invalidations",
        "cdn.tasks.poll_invalidations",
    }


def test_the_deletion_task_works_through_every_due_batch(monkeypatch):
    from images.models import PendingObjectDeletion

    monkeypatch.setattr(tasks, "DELETION_BATCH", 3)
    deletions.objects_queue_deletion([f"originals/1/2026/11/{n}.jpg" for n in range(7)])
    assert tasks.delete_pending_objects.apply().result == 7
    assert not PendingObjectDeletion.objects.exists()


def test_every_task_the_services_queue_by_name_is_registered_in_a_web_process():
    # A fresh process that, as gunicorn's, never imports images.tasks itself.
    script = (
        "import django; django.setup(); from images import jobs; "
        "from pettracker.celery import app; "
        "names = [v for k, v in vars(jobs).items() if k.isupper()]; "
        "print(len(names), all(n in app.tasks for n in names))"
    )
    answer = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "pettracker.settings"},
    )
    assert answer.stdout.split() == ["2", "True"]
