import datetime
import uuid

import pytest
from django.utils import timezone

from cdn.models import AccessFloor, Invalidation
from images.models import PendingObjectDeletion, Photo, ReconciliationRun, Rendition
from images.tasks import process_photo
from pettracker.celery import app
from pettracker.dashboard import (
    access_floor_counts,
    dashboard_figures,
    deletion_outbox,
    digest_figures,
    last_reconciliation,
    photos_held_up,
    queue_depth,
)
from social.models import DigestSend
from tests.factories import PhotoFactory, RenditionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def known_data(make_signing_key):
    PhotoFactory.create_batch(3, state=Photo.State.READY)
    PhotoFactory.create_batch(2, state=Photo.State.FAILED, error="not an image")
    oldest = PhotoFactory(state=Photo.State.PROCESSING)
    PhotoFactory(state=Photo.State.PROCESSING)
    Photo.objects.filter(pk=oldest.pk).update(
        updated_at=timezone.now() - datetime.timedelta(hours=2)
    )
    RenditionFactory.create_batch(4)
    old = RenditionFactory()
    Rendition.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=2)
    )
    Invalidation.objects.create(paths=["/a", "/b"], path_count=2, submitted_at=timezone.now())
    key = make_signing_key(
        state="active", activated_at=timezone.now() - datetime.timedelta(days=10)
    )
    return {"oldest": oldest, "key": key}


def test_the_figures_of_known_data(known_data, settings):
    settings.SIGNING_KEY_MAX_AGE_DAYS = 90
    figures = dashboard_figures()
    # RenditionFactory makes a photo each (pending): 5 of them.
    assert figures.photos_by_state == {"pending": 5, "processing": 2, "ready": 3, "failed": 2}
    assert figures.oldest_processing == known_data["oldest"]
    assert figures.renditions_last_hour == 4
    assert figures.active_key == known_data["key"]
    assert figures.active_key_age.days == 10
    assert figures.next_rotation == known_data["key"].activated_at + datetime.timedelta(days=90)
    assert figures.invalidation_paths_this_month == 2


@pytest.mark.redis
def test_the_queue_depth_is_read_from_the_broker(broker):
    broker.control.purge()
    for _ in range(3):
        process_photo.delay("00000000-0000-0000-0000-000000000000")
    assert queue_depth() == 3
    broker.control.purge()


@pytest.mark.redis
def test_an_empty_queue_has_no_job_waiting(broker):
    broker.control.purge()
    assert queue_depth() == 0


def test_a_broker_that_does_not_answer_is_said_so(settings):
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens there
    app._pool = None
    try:
        assert queue_depth() is None
    finally:
        app.conf.broker_url = settings.CELERY_BROKER_URL
        app._pool = None


def test_the_dashboard_page_shows_them_to_staff(admin_client, known_data, monkeypatch):
    monkeypatch.setattr("pettracker.dashboard.queue_depth", lambda: 7)
    html = admin_client.get("/admin/dashboard/").content.decode()
    assert 'data-figure="photos-failed">2<' in html
    assert 'data-figure="queue-depth">7<' in html
    assert 'data-figure="renditions-last-hour">4<' in html
    assert known_data["key"].public_key_id in html
    assert "2 of 1000 free" in html
    assert "/admin/dashboard/" in admin_client.get("/admin/").content.decode()


def test_the_dashboard_is_for_staff_only(client, owner):
    client.force_login(owner)
    assert client.get("/admin/dashboard/")["Location"].startswith("/admin/login/")


# --- Storage reconciliation, the deletion outbox, photos waiting on beat --------------------


@pytest.fixture
def reliability_data():
    long_ago = timezone.now() - datetime.timedelta(days=2)
    ReconciliationRun.objects.create(started_at=long_ago, finished_at=long_ago, orphans=99)
    run = ReconciliationRun.objects.create(
        started_at=timezone.now() - datetime.timedelta(hours=3),
        finished_at=timezone.now() - datetime.timedelta(hours=2),
        objects_seen=120,
        orphans=5,
        orphans_queued=5,
        missing_originals=2,
        missing_renditions=3,
        reprocessed=1,
        empty_directories_removed=4,
    )
    oldest = PendingObjectDeletion.objects.create(key="originals/1/2026/11/a.jpg")
    PendingObjectDeletion.objects.filter(pk=oldest.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=5)
    )
    PendingObjectDeletion.objects.create(key="renditions/p/")
    for key in ("originals/2/x.jpg", "originals/3/y.jpg"):
        PendingObjectDeletion.objects.create(
            key=key, attempts=30, last_error="AccessDenied", set_aside_at=timezone.now()
        )
    PhotoFactory.create_batch(3, state=Photo.State.PROCESSING, unqueued_since=timezone.now())
    PhotoFactory(
        state=Photo.State.FAILED, error="storage could not be reached", retry_at=timezone.now()
    )
    return run


def test_the_reliability_figures(reliability_data, django_assert_num_queries):
    with django_assert_num_queries(3):  # one each, whatever the rows
        run, deletions, held = last_reconciliation(), deletion_outbox(), photos_held_up()
    assert run == reliability_data
    assert (deletions.waiting, deletions.set_aside) == (2, 2)
    assert timezone.now() - deletions.oldest_waiting > datetime.timedelta(hours=4)
    assert (held.unqueued, held.awaiting_retry) == (3, 1)
    figures = dashboard_figures()
    assert figures.last_reconciliation == reliability_data
    assert figures.deletions == deletions
    assert figures.photos_held_up == held


def test_a_run_in_progress_or_failed_is_the_last_but_not_the_last_successful(reliability_data):
    failed = ReconciliationRun.objects.create(
        finished_at=timezone.now(), error="ClientError: AccessDenied"
    )
    assert last_reconciliation() == failed
    assert last_reconciliation(succeeded=True) == reliability_data


def test_the_dashboard_page_shows_the_storage_figures(admin_client, reliability_data, monkeypatch):
    monkeypatch.setattr("pettracker.dashboard.queue_depth", lambda: 0)
    html = admin_client.get("/admin/dashboard/").content.decode()
    assert f"/admin/images/reconciliationrun/{reliability_data.pk}/change/" in html
    assert 'data-figure="reconciliation-orphans">5, 5 queued for deletion<' in html
    assert 'data-figure="reconciliation-missing-originals">2<' in html
    assert 'data-figure="reconciliation-missing-renditions">3<' in html
    assert 'data-figure="reconciliation-reprocessed">1<' in html
    assert 'data-figure="reconciliation-empty-directories">4<' in html
    assert 'data-figure="deletions-waiting">2<' in html
    assert 'data-figure="deletions-oldest">queued 5\xa0hours ago<' in html
    assert (
        'data-figure="deletions-set-aside"><a href="/admin/images/pendingobjectdeletion/'
        '?set_aside=yes">2</a><' in html
    )
    assert 'data-figure="photos-unqueued">3<' in html
    assert 'data-figure="photos-awaiting-retry">1<' in html
    assert "reconciliation-error" not in html


def test_the_dashboard_says_when_no_reconciliation_ran_and_shows_an_error(
    admin_client, monkeypatch
):
    monkeypatch.setattr("pettracker.dashboard.queue_depth", lambda: 0)
    html = admin_client.get("/admin/dashboard/").content.decode()
    assert "never: beat runs it daily" in html
    assert 'data-figure="deletions-set-aside">0<' in html
    ReconciliationRun.objects.create(finished_at=timezone.now(), error="OSError: disk on fire")
    html = admin_client.get("/admin/dashboard/").content.decode()
    assert 'data-figure="reconciliation-error">OSError: disk on fire<' in html


def test_revocations_waiting_for_cloudfront_are_counted_only_with_a_store(
    settings, django_assert_num_queries, monkeypatch
):
    monkeypatch.setattr("pettracker.dashboard.queue_depth", lambda: 0)
    AccessFloor.objects.create(pet_id=uuid.uuid4(), floor=10, pushed_floor=10)
    AccessFloor.objects.create(pet_id=uuid.uuid4(), floor=10)
    with django_assert_num_queries(1):
        counts = access_floor_counts()
    assert (counts.floors, counts.unpushed) == (2, 1)
    settings.CLOUDFRONT_KEY_VALUE_STORE_ARN = ""
    assert dashboard_figures().floors_unpushed is None
    settings.CLOUDFRONT_KEY_VALUE_STORE_ARN = "arn:aws:cloudfront::123456789012:key-value-store/x"
    assert dashboard_figures().floors_unpushed == 1


# --- E-mail digests --------------------------------------------------------------------------


def digest_sent(user, key: str, state: str, *, ago: datetime.timedelta, error: str = ""):
    send = DigestSend.objects.create(
        user=user,
        frequency="daily",
        period_key=key,
        period_start=timezone.now(),
        period_end=timezone.now(),
        state=state,
        error=error,
    )
    DigestSend.objects.filter(pk=send.pk).update(created_at=timezone.now() - ago)
    return send


@pytest.fixture
def digest_data():
    ann, bob = UserFactory(username="ann"), UserFactory(username="bob")
    hours = datetime.timedelta(hours=1)
    digest_sent(ann, "2026-11-25", "sent", ago=2 * hours)
    digest_sent(bob, "2026-11-25", "sent", ago=3 * hours)
    digest_sent(ann, "2026-11-24", "failed", ago=26 * hours, error="SMTPDataError: old")
    digest_sent(bob, "2026-11-24", "failed", ago=5 * hours, error="SMTPServerDisconnected: x")
    digest_sent(ann, "2026-11-23", "sending", ago=50 * hours)  # its worker died: interrupted
    digest_sent(bob, "2026-11-23", "sending", ago=datetime.timedelta(minutes=2))  # under way
    digest_sent(ann, "2026-11-22", "sending", ago=20 * hours)  # interrupted too
    digest_sent(bob, "2026-11-22", "empty", ago=4 * hours)
    digest_sent(ann, "2026-11-01", "sent", ago=10 * 24 * hours)  # older than a week
    return {"ann": ann, "bob": bob}


def test_the_digest_figures_count_each_outcome_over_a_day_and_a_week(digest_data):
    figures = dashboard_figures().digests
    assert figures.last_day == {
        "sent": 2,
        "failed": 1,
        "interrupted": 1,
        "sending": 1,
        "empty": 1,
    }
    assert figures.last_week == {
        "sent": 2,
        "failed": 2,
        "interrupted": 2,
        "sending": 1,
        "empty": 1,
    }
    assert [send.error for send in figures.latest_failures] == [
        "SMTPServerDisconnected: x",
        "SMTPDataError: old",
    ]


def test_the_digest_figures_take_two_queries(digest_data, django_assert_num_queries):
    with django_assert_num_queries(2):
        digest_figures(timezone.now())


def test_the_dashboard_page_shows_the_digests(admin_client, digest_data, monkeypatch):
    monkeypatch.setattr("pettracker.dashboard.queue_depth", lambda: 0)
    html = admin_client.get("/admin/dashboard/").content.decode()
    assert 'data-figure="digests-day-sent">2<' in html
    assert 'data-figure="digests-week-interrupted">2<' in html
    assert 'data-figure="digests-week-failed">2<' in html
    assert "Interrupted (the worker died; not sent again)" in html
    assert "bob, daily 2026-11-24" in html
    assert "SMTPServerDisconnected: x" in html
