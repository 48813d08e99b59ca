"""The reconciliation sweep: orphans queued (never deleted directly), missing objects reported,
ready photos missing renditions processed again, empty local directories removed; a dry run
changes nothing."""

from __future__ import annotations

import datetime
import io
import os
import time
import uuid
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from accounts.models import AuditEntry
from images.models import PendingObjectDeletion, Photo, ReconciliationRun, UploadTicket
from images.pure.object_keys import original_key, rendition_key
from images.services.deletions import objects_delete_pending, objects_queue_deletion
from images.services.reconciliation import ancestors, classify, storage_reconcile
from images.storage import StoredObject
from tests.factories import PetFactory, PhotoFactory, RenditionFactory
from tests.images.helpers import using_s3_bucket

HOURS = 3600
NOW = datetime.datetime(2026, 11, 25, 12, 0, tzinfo=datetime.UTC)


# --- The decision, without a database ------------------------------------------------------


def stored(key: str, hours_old: float) -> StoredObject:
    return StoredObject(key, 10, NOW - datetime.timedelta(hours=hours_old))


def test_unreferenced_objects_are_orphans_only_past_the_cutoff():
    result = classify(
        [
            stored("originals/1/a.jpg", 7),
            stored("originals/1/b.jpg", 1),
            stored("originals/1/c", 9),
        ],
        referenced={"originals/1/c"},
        expected={"originals/1/c"},
        queued=set(),
        cutoff=NOW - datetime.timedelta(hours=6),
    )
    assert result.seen == 3
    assert result.orphans == ["originals/1/a.jpg"]
    assert result.recent_unreferenced == ["originals/1/b.jpg"]
    assert result.already_queued == []
    assert result.missing == []


def test_queued_keys_and_keys_under_a_queued_folder_are_not_queued_again():
    result = classify(
        [
            stored("renditions/p/1/thumb-a.webp", 9),
            stored("renditions/p/2/thumb-b.webp", 9),
            stored("renditions/p/3/thumb-c.webp", 9),
        ],
        referenced=set(),
        expected=set(),
        queued={"renditions/p/1/thumb-a.webp", "renditions/p/2/"},
        cutoff=NOW,
    )
    assert result.already_queued == ["renditions/p/1/thumb-a.webp", "renditions/p/2/thumb-b.webp"]
    assert result.orphans == ["renditions/p/3/thumb-c.webp"]


def test_a_folder_marker_is_never_an_orphan():
    # Queued, "originals/1/" would stand for every object under it, referenced ones included.
    result = classify(
        [stored("originals/1/", 99)], referenced=set(), expected=set(), queued=set(), cutoff=NOW
    )
    assert (result.seen, result.orphans, result.recent_unreferenced) == (1, [], [])


def test_expected_keys_not_stored_are_missing():
    result = classify(
        [stored("renditions/p/1/thumb-a.webp", 1)],
        referenced={"renditions/p/1/thumb-a.webp", "renditions/p/1/large-b.webp"},
        expected={"renditions/p/1/thumb-a.webp", "renditions/p/1/large-b.webp"},
        queued=set(),
        cutoff=NOW,
    )
    assert result.missing == ["renditions/p/1/large-b.webp"]
    assert result.orphans == result.recent_unreferenced == []


def test_the_folders_above_a_key():
    assert ancestors("renditions/p/1/thumb.webp") == [
        "renditions/",
        "renditions/p/",
        "renditions/p/1/",
    ]
    assert ancestors("loose") == []


# --- The sweep on the local disk ----------------------------------------------------------


@pytest.fixture
def media(settings) -> Path:
    return Path(settings.STORAGES["default"]["OPTIONS"]["location"])


def age(path: Path, hours: float) -> None:
    moment = time.time() - hours * HOURS
    os.utime(path, (moment, moment))


def put(media: Path, key: str, *, hours_old: float = 0, data: bytes = b"bytes") -> str:
    default_storage.save(key, ContentFile(data))
    if hours_old:
        age(media / key, hours_old)
    return key


def a_photo(*, state=Photo.State.READY, pet=None, **fields) -> Photo:
    """A photo keyed as the pipeline keys it, with its three renditions' rows when ready."""
    pet = pet or PetFactory()
    photo_id = uuid.uuid4()
    key = original_key(
        owner_id=pet.owner_id, photo_id=photo_id, when=NOW, content_type="image/jpeg"
    )
    error = {"error": "not an image"} if state == Photo.State.FAILED else {}
    photo = PhotoFactory(id=photo_id, pet=pet, original_key=key, state=state, **error, **fields)
    if state == Photo.State.READY:
        for name in ("thumb", "medium", "large"):
            RenditionFactory(
                photo=photo,
                name=name,
                key=rendition_key(
                    pet_id=pet.pk, photo_id=photo_id, name=name, content_hash=photo_id.hex[:8]
                ),
            )
    return photo


def store(media: Path, photo: Photo, *, hours_old: float = 24, renditions=True) -> None:
    put(media, photo.original_key, hours_old=hours_old)
    if renditions:
        for key in photo.renditions.values_list("key", flat=True):
            put(media, key, hours_old=hours_old)


def outbox() -> set[str]:
    return set(PendingObjectDeletion.objects.values_list("key", flat=True))


@pytest.mark.django_db
def test_orphans_are_queued_for_deletion_and_referenced_objects_kept(media):
    photo = a_photo()
    store(media, photo)
    lost_original = put(
        media, f"originals/{photo.pet.owner_id}/2026/11/{uuid.uuid4()}.jpg", hours_old=7
    )
    lost_rendition = put(
        media, f"renditions/{photo.pet_id}/{photo.pk}/thumb-0ld0ne.webp", hours_old=7
    )

    run = storage_reconcile()

    assert (run.objects_seen, run.orphans, run.orphans_queued) == (6, 2, 2)
    assert outbox() == {lost_original, lost_rendition}
    assert sorted(run.examples["orphans"]) == sorted([lost_original, lost_rendition])
    assert (media / lost_original).exists()  # queued, not deleted here
    assert run.finished_at is not None
    assert run.error == ""
    assert ReconciliationRun.objects.get() == run

    objects_delete_pending()  # what the outbox's beat task does
    assert not (media / lost_original).exists()
    assert not (media / lost_rendition).exists()
    assert default_storage.exists(photo.original_key)
    assert all(default_storage.exists(k) for k in photo.renditions.values_list("key", flat=True))


@pytest.mark.django_db
def test_young_unreferenced_objects_are_only_counted(media):
    young = put(media, f"originals/7/2026/11/{uuid.uuid4()}.jpg", hours_old=1)
    run = storage_reconcile()
    assert (run.orphans, run.recent_unreferenced) == (0, 1)
    assert run.examples["recent_unreferenced"] == [young]
    assert outbox() == set()


@pytest.mark.django_db
def test_the_margin_is_the_setting_or_the_argument(media, settings):
    put(media, f"originals/7/2026/11/{uuid.uuid4()}.jpg", hours_old=3)
    settings.STORAGE_ORPHAN_MIN_AGE_SECONDS = 2 * HOURS
    assert storage_reconcile(dry_run=True).orphans == 1
    assert storage_reconcile(dry_run=True, margin=4 * HOURS).orphans == 0


def test_a_margin_shorter_than_an_upload_and_a_processing_run_is_refused(settings):
    settings.PHOTO_UPLOAD_TICKET_SECONDS = 300
    with pytest.raises(ValueError, match="at least"):
        storage_reconcile(margin=600)


@pytest.mark.django_db
def test_an_upload_tickets_key_is_kept_while_its_upload_may_land(media, owner):
    live, expired = (f"originals/{owner.pk}/2026/11/{uuid.uuid4()}.jpg" for _ in range(2))
    now = timezone.now()
    # An upload may still land a while after its ticket expired; an hour after, it cannot.
    for key, expires_at in (
        (live, now + datetime.timedelta(minutes=4)),
        (expired, now - datetime.timedelta(hours=1)),
    ):
        put(media, key, hours_old=7)
        UploadTicket.objects.create(
            photo_id=uuid.uuid4(),  # its photo was deleted
            uploader=owner,
            original_key=key,
            size=5,
            created_at=expires_at - datetime.timedelta(minutes=5),
            expires_at=expires_at,
        )
    run = storage_reconcile(now=now)
    assert outbox() == {expired}
    assert run.orphans == 1


@pytest.mark.django_db
def test_objects_already_in_the_outbox_are_not_queued_twice(media):
    photo = a_photo()
    store(media, photo)
    gone = put(media, f"renditions/{photo.pet_id}/{uuid.uuid4()}/thumb-abc.webp", hours_old=9)
    lost = put(media, f"originals/{photo.pet.owner_id}/2026/01/{uuid.uuid4()}.png", hours_old=9)
    folder = gone.rsplit("/", 1)[0] + "/"
    objects_queue_deletion([folder, lost], not_before=timezone.now() + datetime.timedelta(days=1))
    run = storage_reconcile()
    assert (run.orphans, run.orphans_queued) == (0, 0)
    assert sorted(run.examples["already_queued"]) == sorted([gone, lost])
    assert PendingObjectDeletion.objects.count() == 2


@pytest.mark.django_db
def test_a_ready_photos_missing_original_is_reported(media):
    ready = a_photo()
    store(media, ready)
    (media / ready.original_key).unlink()
    processing = a_photo(state=Photo.State.PROCESSING)  # its upload completed: must be there
    a_photo(state=Photo.State.PENDING)  # not uploaded yet
    a_photo(state=Photo.State.FAILED)  # may have been refused and deleted
    run = storage_reconcile()
    assert run.missing_originals == 2
    assert sorted(run.examples["missing_originals"]) == sorted(
        [ready.original_key, processing.original_key]
    )
    assert run.missing_renditions == 0


@pytest.mark.django_db
def test_a_missing_rendition_is_reported_and_its_photo_processed_again(
    media, monkeypatch, django_capture_on_commit_callbacks
):
    photo = a_photo()
    store(media, photo)
    lost = photo.renditions.get(name="large").key
    (media / lost).unlink()
    hopeless = a_photo()  # its original is gone too: nothing to make them from
    store(media, hopeless, renditions=False)
    (media / hopeless.original_key).unlink()
    sent = []
    monkeypatch.setattr("images.tasks.process_photo.delay", lambda photo_id: sent.append(photo_id))

    with django_capture_on_commit_callbacks(execute=True):
        run = storage_reconcile()

    assert run.missing_renditions == 4
    assert lost in run.examples["missing_renditions"]
    assert run.missing_originals == 1
    assert run.reprocessed == 1
    assert run.examples["reprocess"] == [str(photo.pk)]
    assert sent == [str(photo.pk)]
    photo.refresh_from_db()
    hopeless.refresh_from_db()
    assert (photo.state, hopeless.state) == (Photo.State.PROCESSING, Photo.State.READY)


@pytest.mark.django_db
def test_a_photo_processed_before_the_square_is_neither_missing_anything_nor_reprocessed(
    media, monkeypatch
):
    # Its rows are the set of its day (a_photo: thumb, medium, large), all stored: a rendition
    # it has no row for is no missing object. manage.py renditions_backfill makes it.
    photo = a_photo()
    store(media, photo)
    sent = []
    monkeypatch.setattr("images.tasks.process_photo.delay", sent.append)
    run = storage_reconcile()
    assert (run.missing_renditions, run.reprocessed, sent) == (0, 0, [])
    photo.refresh_from_db()
    assert photo.state == Photo.State.READY


@pytest.mark.django_db
def test_a_folder_storage_no_longer_has_is_still_checked():
    photo = a_photo()  # nothing stored at all: not even originals/
    run = storage_reconcile()
    assert run.examples["missing_originals"] == [photo.original_key]
    assert run.missing_renditions == 3


@pytest.mark.django_db
def test_an_object_lying_directly_under_originals_is_an_orphan_too(media):
    stray = put(media, "originals/stray.jpg", hours_old=30)
    run = storage_reconcile()
    assert run.examples["orphans"] == [stray]
    assert outbox() == {stray}


@pytest.mark.django_db
def test_empty_directories_are_removed_but_not_the_top_level_ones_nor_new_ones(media):
    pet = PetFactory()
    old_empty = [media / "originals/9/2020/01", media / f"renditions/{pet.pk}/{uuid.uuid4()}"]
    new_empty = media / "originals/9/2026/11"
    for directory in [*old_empty, new_empty]:
        directory.mkdir(parents=True)
    kept = put(media, f"originals/{pet.owner_id}/2026/11/{uuid.uuid4()}.jpg")
    for directory in [*old_empty, media / "originals/9/2020", media / f"renditions/{pet.pk}"]:
        age(directory, 2)
    age(media / "originals/9", 2)  # stays: it holds the new directory

    run = storage_reconcile()

    assert run.empty_directories_removed == 4
    assert not (media / "originals/9/2020").exists()
    assert not (media / f"renditions/{pet.pk}").exists()
    assert new_empty.is_dir()
    assert (media / kept).exists()
    assert (media / "originals").is_dir()
    assert (media / "renditions").is_dir()
    assert "originals/9/2020/" in run.examples["empty_directories"]

    (media / kept).unlink()
    for directory in media.joinpath("originals").rglob("*"):
        age(directory, 2)
    storage_reconcile()
    assert (media / "originals").is_dir()  # emptied, but a top-level directory
    assert list((media / "originals").iterdir()) == []


@pytest.mark.django_db
def test_a_dry_run_changes_nothing(media):
    photo = a_photo()
    store(media, photo)
    (media / photo.renditions.get(name="thumb").key).unlink()
    orphan = put(media, f"originals/{photo.pet.owner_id}/2026/11/{uuid.uuid4()}.jpg", hours_old=8)
    empty = media / "originals/5/2021/03"
    empty.mkdir(parents=True)
    age(empty, 2)
    age(empty.parent, 2)
    age(empty.parent.parent, 2)

    run = storage_reconcile(dry_run=True)

    assert run.dry_run
    assert (run.orphans, run.missing_renditions) == (1, 1)
    assert (run.orphans_queued, run.reprocessed, run.empty_directories_removed) == (0, 0, 0)
    assert run.examples["orphans"] == [orphan]
    assert run.examples["reprocess"] == [str(photo.pk)]
    assert "originals/5/" in run.examples["empty_directories"]
    assert outbox() == set()
    assert (media / orphan).exists()
    assert empty.is_dir()
    photo.refresh_from_db()
    assert photo.state == Photo.State.READY


@pytest.mark.django_db
def test_a_storage_error_is_recorded_on_the_run_and_raised(media, monkeypatch):
    put(media, "originals/1/2026/11/a.jpg")

    def unreachable(prefix):
        raise OSError("disk on fire")

    monkeypatch.setattr(default_storage._wrapped, "stored_objects", unreachable)
    with pytest.raises(OSError, match="disk on fire"):
        storage_reconcile()
    run = ReconciliationRun.objects.get()
    assert run.error == "OSError: disk on fire"
    assert run.finished_at is not None


# --- The command ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_command_in_a_dry_run_shows_what_it_would_do(media):
    orphan = put(media, f"originals/3/2026/11/{uuid.uuid4()}.jpg", hours_old=8)
    out = io.StringIO()
    call_command("storage_reconcile", "--dry-run", stdout=out)
    text = out.getvalue()
    assert "Dry run: nothing was queued, processed or removed." in text
    assert "Orphans (no row references them, older than 6:00:00): 1, none queued" in text
    assert f"  {orphan}" in text
    assert outbox() == set()
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_the_command_queues_the_orphans_and_records_it(media):
    orphan = put(media, f"originals/3/2026/11/{uuid.uuid4()}.jpg", hours_old=3)
    out = io.StringIO()
    call_command("storage_reconcile", "--margin", "7200", stdout=out)
    assert "1 queued for deletion" in out.getvalue()
    assert outbox() == {orphan}
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor_username) == ("storage.reconcile", "system")


def test_the_command_refuses_a_margin_too_short():
    with pytest.raises(CommandError, match="at least"):
        call_command("storage_reconcile", "--margin", "60")


# --- The sweep on S3 (moto) ----------------------------------------------------------------

BUCKET = "pettracker-reconcile-test"


@pytest.fixture
def s3(moto_endpoint, monkeypatch, settings):
    with using_s3_bucket(
        BUCKET, moto_endpoint, settings=settings, monkeypatch=monkeypatch
    ) as client:
        yield client


def keys_in(client) -> set[str]:
    return {item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


@pytest.mark.django_db
def test_on_s3_orphans_are_found_and_queued(s3):
    photo = a_photo()
    kept = {photo.original_key, *photo.renditions.values_list("key", flat=True)}
    lost_original = f"originals/{photo.pet.owner_id}/2026/11/{uuid.uuid4()}.jpg"
    lost_rendition = f"renditions/{uuid.uuid4()}/{uuid.uuid4()}/thumb-abc.webp"
    for key in [*kept, lost_original, lost_rendition, "originals/4/"]:  # and a folder marker
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    missing = a_photo(pet=photo.pet)

    # S3 dates objects itself: measure their age from seven hours on.
    run = storage_reconcile(now=timezone.now() + datetime.timedelta(hours=7))

    assert run.objects_seen == 7
    assert (run.orphans, run.orphans_queued) == (2, 2)
    assert outbox() == {lost_original, lost_rendition}
    assert run.missing_originals == 1
    assert run.examples["missing_originals"] == [missing.original_key]
    assert run.missing_renditions == 3
    assert run.empty_directories_removed == 0

    objects_delete_pending()
    assert keys_in(s3) == {*kept, "originals/4/"}
