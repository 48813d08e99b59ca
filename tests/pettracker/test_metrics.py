import pytest
import redis
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from images.delivery.signer import get_signer
from pettracker import metrics

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
    client.get(get_signer().url(KEY))
    client.get(get_signer().url(KEY))
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
    from tests.factories import PhotoFactory

    metrics.increment("renditions_made", 3)
    PhotoFactory(state="ready")
    monkeypatch.setattr("images.dashboard.queue_depth", lambda: 4)
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
    assert client.get(get_signer().url(KEY)).status_code == 200
    assert metrics.counters()["edge_served"] is None


def test_an_unknown_counter_is_a_bug_caught_at_once():
    with pytest.raises(ValueError, match="unknown counter"):
        metrics.increment("edge_servd")
