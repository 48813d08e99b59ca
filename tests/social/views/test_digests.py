"""The digests' pages: the account page's choice, and the unsubscribe link without a log-in."""

import pytest
from django.test import Client

from social.models import DigestSubscription
from social.services.digests import digest_subscription_set, unsubscribe_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def friend_client(friend):
    client = Client()
    client.force_login(friend)
    return client


def frequency(user) -> str:
    return DigestSubscription.frequency_of(user)


# --- The choice on the account page -------------------------------------------------------------


def test_the_account_page_shows_the_choice_selected(friend, friend_client, signing_key):
    page = friend_client.get("/accounts/").content.decode()
    assert 'action="/accounts/digests/"' in page
    assert '<option value="weekly" selected>Weekly</option>' in page
    digest_subscription_set(user=friend, frequency="daily")
    page = friend_client.get("/accounts/").content.decode()
    assert '<option value="daily" selected>Daily</option>' in page


def test_a_choice_is_saved_and_said_and_back_to_the_account_page(friend, friend_client):
    response = friend_client.post("/accounts/digests/", {"frequency": "daily"}, follow=True)
    assert response.redirect_chain == [("/accounts/", 302)]
    assert "Saved: a digest each day" in response.content.decode()
    assert frequency(friend) == "daily"


def test_someone_without_a_confirmed_address_is_told_where_digests_will_go(friend, friend_client):
    friend.email = ""  # signed up, the address given still to confirm
    friend.save(update_fields=["email"])
    response = friend_client.post("/accounts/digests/", {"frequency": "daily"}, follow=True)
    page = response.content.decode()
    assert "They will go to your e-mail address once it is confirmed." in page
    assert "confirm the one you gave with the link we sent" in page


@pytest.mark.parametrize("data", [{"frequency": "hourly"}, {}])
def test_a_choice_that_is_not_one_is_refused_with_a_message(friend, friend_client, data):
    response = friend_client.post("/accounts/digests/", data)
    assert response.status_code == 400
    assert "Choose how often to get digests: daily, weekly or off." in response.content.decode()
    assert not DigestSubscription.objects.exists()


def test_the_choice_needs_a_csrf_token(friend):
    client = Client(enforce_csrf_checks=True)
    client.force_login(friend)
    assert client.post("/accounts/digests/", {"frequency": "off"}).status_code == 403
    assert frequency(friend) == "weekly"


def test_a_visitor_is_sent_to_log_in_and_get_is_not_allowed(client, friend_client):
    response = client.post("/accounts/digests/", {"frequency": "off"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert friend_client.get("/accounts/digests/").status_code == 405


# --- Unsubscribing ------------------------------------------------------------------------------


def test_opening_the_link_changes_nothing_and_offers_the_button(client, friend):
    response = client.get(f"/digests/unsubscribe/{unsubscribe_token(friend)}/")
    assert response.status_code == 200
    assert "Stop digests" in response.content.decode()
    assert frequency(friend) == "weekly"
    assert not DigestSubscription.objects.exists()


def test_the_button_turns_digests_off_without_logging_in_or_a_csrf_token(friend):
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"/digests/unsubscribe/{unsubscribe_token(friend)}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Digests are off" in page
    assert 'href="/accounts/"' in page  # to turn them on again, once logged in
    assert frequency(friend) == "off"


def test_the_mail_providers_one_click_post_turns_digests_off(friend):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        f"/digests/unsubscribe/{unsubscribe_token(friend)}/",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert frequency(friend) == "off"


def test_a_link_opened_again_says_digests_are_off_already(client, friend):
    digest_subscription_set(user=friend, frequency="off")
    response = client.get(f"/digests/unsubscribe/{unsubscribe_token(friend)}/")
    assert "Digests are off already" in response.content.decode()


def tampered(token: str) -> list[str]:
    value, signature = token.rsplit(":", 1)
    return [
        token[:-1] + ("A" if token[-1] != "A" else "B"),  # the signature altered
        f"{value[:-2]}xx:{signature}",  # the value altered
        value,  # no signature
        "no-such-token",
    ]


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_link_is_refused_and_changes_nothing(friend, stranger, method):
    digest_subscription_set(user=stranger, frequency="daily")
    for token in tampered(unsubscribe_token(friend)):
        response = getattr(Client(), method)(f"/digests/unsubscribe/{token}/")
        assert response.status_code == 400
        assert "This link does not work" in response.content.decode()
    assert frequency(friend) == "weekly"
    assert frequency(stranger) == "daily"


def test_another_salts_signature_is_not_an_unsubscribe_token(friend):
    from django.core import signing

    token = signing.dumps({"u": friend.pk, "s": "digests"})  # no salt: not ours
    assert Client().post(f"/digests/unsubscribe/{token}/").status_code == 400
    assert frequency(friend) == "weekly"


def test_a_token_of_an_account_deleted_since_is_refused(friend):
    token = unsubscribe_token(friend)
    friend.delete()
    assert Client().post(f"/digests/unsubscribe/{token}/").status_code == 400
