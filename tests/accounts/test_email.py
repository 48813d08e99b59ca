import re

import pytest
from django.core import signing
from django.db import IntegrityError

from accounts.models import User
from accounts.services import email_confirmation_send
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CONFIRM_LINK = re.compile(r"http://testserver(/accounts/email/confirm/\S+/)")
DAY = 24 * 60 * 60


@pytest.fixture
def newbie(db):
    return UserFactory(username="newbie", email="")


@pytest.fixture
def confirmation_link(newbie, mailoutbox, django_capture_on_commit_callbacks):
    """The link mailed to newbie@example.com for the newbie account."""

    def send(user=newbie, email="newbie@example.com"):
        with django_capture_on_commit_callbacks(execute=True):
            email_confirmation_send(user=user, email=email, base_url="http://testserver")
        return CONFIRM_LINK.search(mailoutbox[-1].body)[1]

    return send


def mailed_days_ago(days: int, monkeypatch) -> None:
    """Date the links made from now on ``days`` back, as if they had been mailed then."""
    now = signing.TimestampSigner().timestamp
    past = signing.b62_encode(signing.b62_decode(now()) - days * DAY)
    monkeypatch.setattr(signing.TimestampSigner, "timestamp", lambda self: past)


def test_opening_the_link_asks_before_attaching_the_address(client, newbie, confirmation_link):
    response = client.get(confirmation_link())
    assert response.status_code == 200
    assert "newbie@example.com" in response.content.decode()
    newbie.refresh_from_db()
    assert newbie.email == ""  # a mail scanner following links attaches nothing


def test_confirming_attaches_the_address_and_says_so(client, newbie, confirmation_link):
    response = client.post(confirmation_link(), follow=True)
    newbie.refresh_from_db()
    assert newbie.email == "newbie@example.com"
    assert "newbie@example.com is confirmed" in response.content.decode()


def test_confirming_twice_is_harmless(client, newbie, confirmation_link):
    link = confirmation_link()
    client.post(link)
    assert client.post(link).status_code == 302
    newbie.refresh_from_db()
    assert newbie.email == "newbie@example.com"


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_link_is_refused_with_a_clear_message(client, newbie, confirmation_link, method):
    link = confirmation_link()
    _, rest = link.removeprefix("/accounts/email/confirm/").split(":", 1)
    other = signing.dumps({"user": newbie.pk, "email": "evil@example.com", "was": ""})
    forged = f"/accounts/email/confirm/{other.split(':', 1)[0]}:{rest}"
    response = getattr(client, method)(forged)
    assert response.status_code == 400
    assert "This confirmation link is not valid" in response.content.decode()
    newbie.refresh_from_db()
    assert newbie.email == ""


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_expired_link_is_refused_with_a_clear_message(
    client, newbie, confirmation_link, monkeypatch, method
):
    mailed_days_ago(4, monkeypatch)
    link = confirmation_link()
    monkeypatch.undo()
    response = getattr(client, method)(link)
    assert response.status_code == 400
    assert "This confirmation link has expired" in response.content.decode()
    newbie.refresh_from_db()
    assert newbie.email == ""


def test_a_link_still_works_on_its_last_day(client, newbie, confirmation_link, monkeypatch):
    mailed_days_ago(2, monkeypatch)
    link = confirmation_link()
    monkeypatch.undo()
    client.post(link)
    newbie.refresh_from_db()
    assert newbie.email == "newbie@example.com"


def test_a_link_to_an_address_another_account_took_since_is_refused(
    client, newbie, confirmation_link
):
    link = confirmation_link()
    UserFactory(username="quicker", email="Newbie@Example.com")
    response = client.post(link)
    assert response.status_code == 400
    assert "Another account uses this address now" in response.content.decode()
    newbie.refresh_from_db()
    assert newbie.email == ""


def test_an_older_link_does_not_replace_a_newer_address(client, newbie, confirmation_link):
    old = confirmation_link(email="old@example.com")
    client.post(confirmation_link(email="new@example.com"))
    response = client.post(old)
    assert response.status_code == 400
    newbie.refresh_from_db()
    assert newbie.email == "new@example.com"


def test_the_address_stays_unique_whatever_its_case(newbie):
    UserFactory(username="first", email="pat@example.com")
    newbie.email = "PAT@example.com"
    with pytest.raises(IntegrityError):
        newbie.save(update_fields=["email"])


def test_a_password_reset_reaches_only_a_confirmed_address(client, confirmation_link, mailoutbox):
    link = confirmation_link()
    client.post("/accounts/password/reset/", {"email": "newbie@example.com"})
    assert [m.to for m in mailoutbox] == [["newbie@example.com"]]  # the confirmation only
    client.post(link)
    client.post("/accounts/password/reset/", {"email": "newbie@example.com"})
    assert "reset the password" in mailoutbox[-1].body
    assert mailoutbox[-1].to == ["newbie@example.com"]


# --- The e-mail page: change the address, or ask for a new link ----------------------------


@pytest.fixture
def email_page(client, newbie, django_capture_on_commit_callbacks):
    client.force_login(newbie)

    def post(email):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/accounts/email/", {"email": email}, follow=True)

    return post


def test_the_email_page_is_for_logged_in_users_only(client):
    assert client.get("/accounts/email/")["Location"].startswith("/accounts/login/?next=")


def test_the_email_page_mails_a_new_link(email_page, newbie, mailoutbox):
    response = email_page("newbie@example.com")
    assert "We've sent a message to newbie@example.com" in response.content.decode().replace(
        "&#x27;", "'"
    )
    assert mailoutbox[-1].to == ["newbie@example.com"]
    assert CONFIRM_LINK.search(mailoutbox[-1].body)


def test_the_email_page_says_the_same_for_a_taken_address(email_page, mailoutbox):
    def said(response, address):
        return [str(m).replace(address, "X").encode() for m in response.context["messages"]]

    free = email_page("free@example.com")
    UserFactory(username="someone", email="taken@example.com")
    taken = email_page("taken@example.com")
    assert free.status_code == taken.status_code == 200
    assert said(free, "free@example.com") == said(taken, "taken@example.com")
    assert mailoutbox[-1].to == ["taken@example.com"]
    assert not CONFIRM_LINK.search(mailoutbox[-1].body)
    assert User.objects.get(username="newbie").email == ""
