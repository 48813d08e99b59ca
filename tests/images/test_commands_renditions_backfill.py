"""``manage.py renditions_backfill``: the ready photos lacking a rendition of the current set
(the 512 px square) queued, newest first and at most ``--batch``; a no-op once they are
processed; and migration 0007, which lets the database take it. (What processing does with
them: tests/images/services/test_photos.py.)"""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import AuditEntry
from images import tasks
from images.models import Photo
from images.services.photos import photo_process
from tests.factories import PhotoFactory, RenditionFactory, ready_photo
from tests.images import corpus
from tests.images.helpers import stored_photo

pytestmark = pytest.mark.django_db


def backfill(*args: str) -> str:
    out = io.StringIO()
    call_command("renditions_backfill", *args, stdout=out)
    return out.getvalue()


def processed_without_the_square(pet) -> Photo:
    photo = photo_process(photo_id=stored_photo(pet, corpus.jpeg(size=(1200, 900))).pk)
    square = photo.renditions.get(name="square")
    square.delete()
    default_storage.delete(square.key)
    return photo


def ready_before_the_square(pet) -> Photo:
    """A ready photo's rows as processing left them before the 512 px square existed."""
    photo = ready_photo(pet=pet)
    photo.renditions.filter(name="square").delete()
    return photo


@pytest.fixture
def sent(monkeypatch) -> list[str]:
    sent: list[str] = []
    monkeypatch.setattr(tasks.process_photo, "delay", sent.append)
    return sent


def test_a_dry_run_counts_and_queues_nothing(pet, sent):
    ready_before_the_square(pet)
    ready_before_the_square(pet)
    output = backfill("--dry-run", "--batch", "1")
    assert "Dry run: nothing was queued." in output
    assert "Ready photos lacking a rendition (large, medium, square, thumb, full): 2" in output
    assert "Would queue: 1" in output
    assert sent == []
    assert not AuditEntry.objects.exists()


def test_it_queues_at_most_a_batch_and_says_how_many_are_left(pet, sent):
    photos = [ready_before_the_square(pet) for _ in range(3)]
    PhotoFactory(pet=pet, state=Photo.State.PROCESSING)  # its own run makes them all
    output = backfill("--batch", "2")
    assert "Queued for processing: 2" in output
    assert "Left for a later run: 1" in output
    assert len(sent) == 2
    assert set(sent) <= {str(photo.pk) for photo in photos}
    entry = AuditEntry.objects.get(action="renditions.backfill")
    assert entry.details == {"via": "manage.py renditions_backfill", "queued": 2, "lacking": 3}


@pytest.mark.usefixtures("eager_celery")
def test_processed_photos_get_their_square_and_a_second_run_is_a_no_op(pet):
    photo = processed_without_the_square(pet)
    assert "Queued for processing: 1" in backfill()
    square = photo.renditions.get(name="square")
    assert (square.width, square.height) == (512, 512)
    assert Photo.objects.get(pk=photo.pk).state == Photo.State.READY
    output = backfill()
    assert "lacking a rendition (large, medium, square, thumb, full): 0" in output
    assert "Queued for processing: 0" in output
    assert AuditEntry.objects.filter(action="renditions.backfill").count() == 1


def test_a_broker_refusal_is_an_error_saying_how_far_it_got(pet, monkeypatch):
    ready_before_the_square(pet)

    def refuse(*args):
        raise ConnectionError("Connection refused")

    monkeypatch.setattr(tasks.process_photo, "delay", refuse)
    with pytest.raises(CommandError, match=r"Connection refused\): queued 0 of 1"):
        backfill()


def test_a_batch_must_be_positive():
    with pytest.raises(CommandError, match="--batch"):
        backfill("--batch", "0")


def test_the_migration_lets_the_database_take_the_square_and_matches_the_models(pet):
    # The check constraint rendition_name_valid names the choices: 0007 widened it.
    photo = ready_before_the_square(pet)
    RenditionFactory(photo=photo, name="square", width=512, height=512)
    call_command("makemigrations", "images", "--check", "--dry-run", stdout=io.StringIO())
