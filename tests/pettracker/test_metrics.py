import datetime
import re
import time
import uuid

import pytest
import redis
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from cdn.models import AccessFloor
from cdn.signer import get_signer
from images.models import PendingObjectDeletion, Photo, ReconciliationRun
from pettracker import metrics
from tests.factories import PhotoFactory

pytestmark = [pytest.mark.django_db, pytest.mark.redis]
KEY = "renditions/11111111-1111-4111-8111-111111111111/p/thumb-ab.webp"


@pytest.fixture
def counting(settings, redis_url):
    settings.METRICS_REDIS_URL = redis_url
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(metrics.PREFIX + "*"):
        client.delete(key)
    return client


def test_the_edge_counts_what_it_serves_and_what_it_refuses(client, counting, signing_key):
    default_storage.save(KEY, ContentFile(b"webp"))
    client.get(get_signer().url(KEY, origin="http://testserver"))
    client.get(get_signer().url(KEY, origin="http://testserver"))
    client.get(f"/cdn/{KEY}")
    assert metrics.counters()["edge_served"] == 2
    assert metrics.counters()["edge_refused"] == 1


def test_the_metrics_page_needs_the_token_or_staff(client, counting, settings, owner):
    settings.METRICS_TOKEN = "s3cret-scraper-token"
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    client.force_login(owner)
    assert client.get("/metrics").status_code == 403
    owner.is_staff = True
    owner.save()
    assert client.get("/metrics").status_code == 200
    client.logout()
    response = client.get("/metrics", headers={"Authorization": "Bearer s3cret-scraper-token"})
    assert response.status_code == 200


def test_the_page_is_prometheus_text_with_counters_and_gauges(admin_client, counting, monkeypatch):
    metrics.increment("renditions_made", 3)
    PhotoFactory(state="ready")
    monkeypatch.setattr("pettracker.views.queue_depth", lambda: 4)
    text = admin_client.get("/metrics").content.decode()
    assert (
        "# TYPE pettracker_renditions_made_total counter\npettracker_renditions_made_total 3"
        in text
    )
    assert 'pettracker_photos{state="ready"} 1' in text
    assert "pettracker_queue_depth 4" in text


def test_a_redis_that_does_not_answer_loses_the_count_not_the_request(
    client, settings, signing_key
):
    settings.METRICS_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    default_storage.save(KEY, ContentFile(b"webp"))
    assert client.get(get_signer().url(KEY, origin="http://testserver")).status_code == 200
    assert metrics.counters()["edge_served"] is None


def test_an_unknown_counter_is_a_bug_caught_at_once():
    with pytest.raises(ValueError, match="unknown counter"):
        metrics.increment("edge_servd")


def test_the_storage_and_outbox_gauges(admin_client, monkeypatch):
    monkeypatch.setattr("pettracker.views.queue_depth", lambda: 0)
    finished = timezone.now() - datetime.timedelta(hours=1)
    ReconciliationRun.objects.create(
        started_at=finished - datetime.timedelta(minutes=5),
        finished_at=finished,
        orphans=6,
        missing_originals=2,
        missing_renditions=5,
    )
    ReconciliationRun.objects.create(error="OSError: disk on fire")  # not successful: not shown
    waiting = PendingObjectDeletion.objects.create(key="originals/1/a.jpg")
    PendingObjectDeletion.objects.filter(pk=waiting.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=10)
    )
    PendingObjectDeletion.objects.create(key="originals/1/b.jpg", set_aside_at=timezone.now())
    PhotoFactory(state=Photo.State.PROCESSING, unqueued_since=timezone.now())
    PhotoFactory.create_batch(2, state=Photo.State.FAILED, error="x", retry_at=timezone.now())

    text = admin_client.get("/metrics").content.decode()

    assert "# TYPE pettracker_storage_orphans gauge\npettracker_storage_orphans 6\n" in text
    assert 'pettracker_storage_missing{kind="original"} 2\n' in text
    assert 'pettracker_storage_missing{kind="rendition"} 5\n' in text
    assert f"pettracker_reconcile_last_run_timestamp_seconds {int(finished.timestamp())}\n" in text
    assert "pettracker_deletions_waiting 1\n" in text
    assert "pettracker_deletions_set_aside 1\n" in text
    oldest = re.search(r"^pettracker_deletions_oldest_waiting_seconds (\d+)$", text, re.M)
    assert 600 <= int(oldest.group(1)) < 700
    assert "pettracker_photos_unqueued 1\n" in text
    assert "pettracker_photos_awaiting_retry 2\n" in text


def test_before_any_reconciliation_its_gauges_are_not_known(admin_client, monkeypatch):
    monkeypatch.setattr("pettracker.views.queue_depth", lambda: 0)
    text = admin_client.get("/metrics").content.decode()
    assert "pettracker_storage_orphans NaN\n" in text
    assert 'pettracker_storage_missing{kind="original"} NaN\n' in text
    assert "pettracker_reconcile_last_run_timestamp_seconds NaN\n" in text
    assert "pettracker_deletions_waiting 0\n" in text
    assert "pettracker_deletions_oldest_waiting_seconds 0\n" in text


def test_the_access_floor_gauges(admin_client, monkeypatch):
    monkeypatch.setattr("pettracker.views.queue_depth", lambda: 0)
    AccessFloor.objects.create(pet_id=uuid.uuid4(), floor=10, pushed_floor=10)
    AccessFloor.objects.create(pet_id=uuid.uuid4(), floor=10, pushed_floor=9)  # raised since
    AccessFloor.objects.create(pet_id=uuid.uuid4(), floor=10)  # never pushed
    text = admin_client.get("/metrics").content.decode()
    assert "# TYPE pettracker_access_floors gauge\npettracker_access_floors 3\n" in text
    assert (
        "# TYPE pettracker_access_floors_unpushed gauge\npettracker_access_floors_unpushed 2\n"
        in text
    )


def test_counts_reach_redis_within_a_flush_period_in_one_round_trip(counting, monkeypatch):
    monkeypatch.setattr(metrics, "FLUSH_SECONDS", 0.2)
    for _ in range(50):
        metrics.increment("edge_served")
    assert counting.get(metrics.PREFIX + "edge_served") is None  # not one call per count
    deadline = time.monotonic() + 5
    while counting.get(metrics.PREFIX + "edge_served") is None:
        assert time.monotonic() < deadline, "the counts never reached Redis"
        time.sleep(0.05)
    assert int(counting.get(metrics.PREFIX + "edge_served")) == 50
