import pytest

from accounts.models import User
from tests.factories import UserFactory

URL = "/accounts/signup/"


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


@pytest.mark.django_db
def test_it_creates_the_account_and_logs_into_it(client):
    response = client.post(URL, form())
    assert response.status_code == 302
    assert response["Location"] == "/"
    user = User.objects.get(username="newbie")
    assert user.email == "newbie@example.com"
    assert user.check_password("a sturdy passphrase 42")
    assert client.get("/").context["user"] == user


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
def test_it_refuses_an_email_address_already_in_use(client):
    UserFactory(username="someone", email="NEWBIE@example.com")
    response = client.post(URL, form())
    assert response.status_code == 400
    assert "An account with this e-mail address already exists" in response.content.decode()
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_it_sends_someone_logged_in_home(client, owner):
    client.force_login(owner)
    assert client.get(URL)["Location"] == "/"


@pytest.mark.django_db
def test_it_requires_the_csrf_token():
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(URL, form())
    assert response.status_code == 403
    assert not User.objects.exists()
