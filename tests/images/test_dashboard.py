import datetime

import pytest
from django.utils import timezone

from images.dashboard import dashboard_figures, queue_depth
from images.models import Invalidation, Photo, Rendition
from tests.factories import PhotoFactory, RenditionFactory

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
    from images.tasks import process_photo

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
    from pettracker.celery import app

    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens there
    app._pool = None
    try:
        assert queue_depth() is None
    finally:
        app.conf.broker_url = settings.CELERY_BROKER_URL
        app._pool = None


def test_the_dashboard_page_shows_them_to_staff(admin_client, known_data, monkeypatch):
    monkeypatch.setattr("images.dashboard.queue_depth", lambda: 7)
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
