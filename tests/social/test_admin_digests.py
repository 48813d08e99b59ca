"""The digests' admin: read-only, filtered by state and frequency, searched by username."""

import pytest
from django.utils import timezone

from social.models import DigestSend
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIST = "/admin/social/digestsend/"


@pytest.fixture
def send():
    return DigestSend.objects.create(
        user=UserFactory(username="olivia"),
        frequency="weekly",
        period_key="2026-W47",
        period_start=timezone.now(),
        period_end=timezone.now(),
        state="failed",
        error="SMTPDataError: refused",
    )


def test_the_list_filters_by_state_and_frequency_and_searches_usernames(admin_client, send):
    UserFactory(username="frank")
    assert "olivia" in admin_client.get(LIST, {"state__exact": "failed"}).content.decode()
    assert "olivia" not in admin_client.get(LIST, {"state__exact": "sent"}).content.decode()
    assert "olivia" in admin_client.get(LIST, {"frequency__exact": "weekly"}).content.decode()
    assert "olivia" in admin_client.get(LIST, {"q": "oliv"}).content.decode()
    assert "olivia" not in admin_client.get(LIST, {"q": "frank"}).content.decode()


def test_a_send_is_read_only(admin_client, send):
    page = admin_client.get(f"{LIST}{send.pk}/change/")
    assert page.status_code == 200
    assert "SMTPDataError: refused" in page.content.decode()
    assert 'name="_save"' not in page.content.decode()
    assert admin_client.get(f"{LIST}add/").status_code == 403
    assert admin_client.get(f"{LIST}{send.pk}/delete/").status_code == 403
    response = admin_client.post(f"{LIST}{send.pk}/change/", {"state": "sent"})
    assert response.status_code == 403
    send.refresh_from_db()
    assert send.state == "failed"
    assert "delete_selected" not in admin_client.get(LIST).content.decode()
