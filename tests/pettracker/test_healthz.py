import pytest

from tests.fixtures.redis import free_port


@pytest.mark.django_db
def test_it_answers_ok_when_database_and_broker_answer(client, settings, redis_url):
    settings.CELERY_BROKER_URL = redis_url
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}


@pytest.mark.django_db
def test_it_answers_503_naming_the_broker_when_the_broker_is_down(client, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "broker": "unreachable"}
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_it_refuses_writes(client):
    assert client.post("/healthz").status_code == 405


def test_the_old_favicon_address_leads_to_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/favicon.svg"
