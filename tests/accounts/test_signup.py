import re

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from accounts.models import User
from tests.factories import UserFactory

URL = "/accounts/signup/"
CYRILLIC_I = "\N{CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I}"
FULLWIDTH_OLIVIA = "".join(chr(ord(c) + 0xFEE0) for c in "olivia")  # NFKC makes it olivia
CONFIRM_LINK = re.compile(r"http://testserver(/accounts/email/confirm/\S+/)")


def form(**changes):
    data = {
        "username": "newbie",
        "email": "newbie@example.com",
        "password1": "a sturdy passphrase 42",
        "password2": "a sturdy passphrase 42",
    }
    return {**data, **changes}


@pytest.mark.django_db
def test_it_shows_the_form(client):
    response = client.get(URL)
    assert response.status_code == 200
    assert b'name="csrfmiddlewaretoken"' in response.content


@pytest.fixture
def sign_up(client, django_capture_on_commit_callbacks):
    """Post the form as a visitor; mails queued for after the commit go out."""

    def post(**changes):
        client.logout()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(URL, form(**changes))
        return response, [str(m) for m in get_messages(response.wsgi_request)]

    return post


@pytest.mark.django_db
def test_it_creates_the_account_and_logs_into_it(client, sign_up):
    response, _ = sign_up()
    assert response.status_code == 302
    assert response["Location"] == "/"
    user = User.objects.get(username="newbie")
    assert user.check_password("a sturdy passphrase 42")
    assert client.get("/").context["user"] == user


@pytest.mark.django_db
def test_it_attaches_the_address_only_once_confirmed(client, sign_up, mailoutbox):
    _, messages = sign_up()
    user = User.objects.get(username="newbie")
    assert user.email == ""
    assert messages == [
        "Welcome to PetTracker! We've sent a message to newbie@example.com: "
        "open the link in it to confirm your address."
    ]
    assert [mail.to for mail in mailoutbox] == [["newbie@example.com"]]
    link = CONFIRM_LINK.search(mailoutbox[0].body)[1]
    client.post(link)
    user.refresh_from_db()
    assert user.email == "newbie@example.com"


@pytest.mark.django_db
def test_it_says_the_same_whether_or_not_the_address_has_an_account(sign_up, mailoutbox):
    free = sign_up()
    UserFactory(username="someone", email="NEWBIE@example.com")
    taken = sign_up(username="newbie2")
    assert free[0].status_code == taken[0].status_code == 302
    assert free[0]["Location"] == taken[0]["Location"]
    assert [m.encode() for m in free[1]] == [m.encode() for m in taken[1]]
    assert User.objects.get(username="newbie2").email == ""


@pytest.mark.django_db
def test_it_mails_the_owner_of_a_taken_address_instead_of_a_confirmation(sign_up, mailoutbox):
    UserFactory(username="sam_owner", email="NEWBIE@example.com")
    sign_up()
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["NEWBIE@example.com"]
    assert "Hello sam_owner," in mail.body
    assert "http://testserver/accounts/password/reset/" in mail.body
    assert not CONFIRM_LINK.search(mail.body)
    assert "newbie" not in mail.body.replace("NEWBIE@example.com", "")


@pytest.mark.django_db
def test_a_failed_sign_up_mails_nobody(sign_up, mailoutbox):
    response, _ = sign_up(password2="something else")
    assert response.status_code == 400
    assert mailoutbox == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"password2": "something else"}, "The two password fields didn"),
        ({"password1": "123", "password2": "123"}, "This password is too short"),
        ({"email": ""}, "This field is required"),
        ({"email": "not-an-address"}, "Enter a valid email address"),
        ({"username": "bad name!"}, "Enter a valid username"),
    ],
)
def test_it_refuses_bad_input_with_a_clear_message_and_stores_nothing(client, changes, message):
    response = client.post(URL, form(**changes))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not User.objects.filter(username=form(**changes)["username"]).exists()


@pytest.mark.django_db
def test_it_refuses_a_taken_username_whatever_its_case(client):
    UserFactory(username="Newbie")
    response = client.post(URL, form())
    assert response.status_code == 400
    assert "A user with that username already exists" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "message"),
    [
        (f"ol{CYRILLIC_I}via", "That username mixes alphabets"),
        ("0livia", "That username looks too much like an existing one; choose another."),
        ("oIivia", "That username looks too much like an existing one; choose another."),
        (FULLWIDTH_OLIVIA, "A user with that username already exists"),
    ],
)
def test_it_refuses_a_username_that_could_pass_for_another(client, username, message):
    UserFactory(username="olivia")
    response = client.post(URL, form(username=username))
    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'")
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_it_refuses_a_password_like_the_email_address(client):
    response = client.post(
        URL, form(password1="newbie@example.com", password2="newbie@example.com")
    )
    assert response.status_code == 400
    assert "The password is too similar to the email address" in response.content.decode()


@pytest.mark.django_db
def test_it_sends_someone_logged_in_home(client, owner):
    client.force_login(owner)
    assert client.get(URL)["Location"] == "/"


@pytest.mark.django_db
def test_it_requires_the_csrf_token():
    response = Client(enforce_csrf_checks=True).post(URL, form())
    assert response.status_code == 403
    assert not User.objects.exists()


@pytest.mark.django_db
def test_errors_and_help_are_tied_to_their_inputs(client):
    page = client.post(URL, form(email="", password2="something else")).content.decode()
    field = re.search(r"<input[^>]*id=\"id_password2\"[^>]*>", page).group(0)
    assert 'aria-invalid="true"' in field
    described_by = re.search(r'aria-describedby="([^"]+)"', field).group(1).split()
    assert described_by == ["id_password2_helptext", "id_password2_error"]
    for element_id in described_by:
        assert f'id="{element_id}"' in page
    assert 'id="id_email_error"' in page
