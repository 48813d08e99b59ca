"""The processing task's own behaviour, run eagerly (one task at a time, by design here)."""

import os
import subprocess
import sys

import pytest
from celery import Task
from celery.exceptions import SoftTimeLimitExceeded

from cdn import tasks as cdn_tasks
from images import tasks
from images.models import PendingObjectDeletion, Photo
from images.services import deletions, photos
from pettracker.celery import app as celery_app
from social import tasks as social_tasks
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


def test_beat_schedules_only_tasks_that_exist_and_every_periodic_task(settings):
    """A task name misspelt in the schedule would never run, and beat would not say so; a
    periodic task left out of it would never run either."""
    ours = {
        task.name
        for module in (tasks, cdn_tasks, social_tasks)
        for task in vars(module).values()
        if isinstance(task, Task)
    }
    assert ours <= set(celery_app.tasks)  # registered with the app the workers run
    entries = settings.CELERY_BEAT_SCHEDULE.values()
    scheduled = {entry["task"]: entry["schedule"] for entry in entries}
    assert set(scheduled) - ours == set()  # every scheduled name is one of the tasks
    assert len(scheduled) == len(entries)  # each scheduled once
    # Processing runs when a photo is completed, never on the clock, and a batch of digests
    # when the digests' sweep queues it; every other task does.
    assert ours - set(scheduled) == {
        "images.tasks.process_photo",
        "social.tasks.send_digest_batch",
    }
    assert all(seconds > 0 for seconds in scheduled.values())


def test_the_deletion_task_works_through_every_due_batch(monkeypatch):
    monkeypatch.setattr(tasks, "DELETION_BATCH", 3)
    deletions.objects_queue_deletion([f"originals/1/2026/11/{n}.jpg" for n in range(7)])
    assert tasks.delete_pending_objects.apply().result == 7
    assert not PendingObjectDeletion.objects.exists()


@pytest.mark.slow  # a fresh interpreter, as gunicorn starts one
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
