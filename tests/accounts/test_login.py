import pytest
from django.contrib.auth import SESSION_KEY

from tests.factories import PASSWORD

LOGIN = "/accounts/login/"
LOGOUT = "/accounts/logout/"


def log_in(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


@pytest.mark.django_db
def test_it_logs_in_with_the_right_password(client, owner):
    response = log_in(client, "owner", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session[SESSION_KEY] == str(owner.pk)


@pytest.mark.django_db
def test_it_refuses_a_wrong_password_with_a_message(client, owner):
    response = log_in(client, "owner", "wrong")
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert SESSION_KEY not in client.session


@pytest.mark.django_db
def test_it_rotates_the_session_key_on_log_in(client, owner):
    client.get(LOGIN)
    client.session.save()
    before = client.session.session_key
    log_in(client, "owner", PASSWORD)
    assert client.session.session_key != before


@pytest.mark.django_db
def test_it_locks_a_username_out_after_repeated_failures_even_with_the_right_password(
    client, owner, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "owner", "wrong")
    response = log_in(client, "owner", PASSWORD)
    assert response.status_code == 429
    assert "Too many failed log-ins" in response.content.decode()
    assert SESSION_KEY not in client.session


@pytest.mark.django_db
def test_the_lockout_page_says_how_long_in_words(client, owner, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "owner", "wrong")
    page = log_in(client, "owner", PASSWORD).content.decode()
    assert "15\xa0minutes after repeated wrong passwords" in page
    assert "PT15M" not in page


@pytest.mark.django_db
def test_a_lockout_does_not_touch_other_accounts(client, owner, friend, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "owner", "wrong")
    assert log_in(client, "friend", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_a_success_before_the_limit_resets_the_count(client, owner, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "owner", "wrong")
    assert log_in(client, "owner", PASSWORD).status_code == 302
    client.post(LOGOUT)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "owner", "wrong")
    assert log_in(client, "owner", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_logging_out_needs_a_post_and_ends_the_session(client, owner):
    client.force_login(owner)
    assert client.get(LOGOUT).status_code == 405
    assert SESSION_KEY in client.session
    response = client.post(LOGOUT)
    assert response.status_code == 302
    assert SESSION_KEY not in client.session


@pytest.mark.django_db
def test_an_inactive_account_cannot_log_in(client, owner):
    owner.is_active = False
    owner.save()
    log_in(client, "owner", PASSWORD)
    assert SESSION_KEY not in client.session


@pytest.mark.django_db
def test_behind_a_proxy_a_lockout_is_keyed_on_the_clients_address(client, owner, settings):
    settings.PROXIES = ["load-balancer"]
    attacker = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "198.51.100.66"}
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(LOGIN, {"username": "owner", "password": "wrong"}, **attacker)
    assert (
        client.post(LOGIN, {"username": "owner", "password": PASSWORD}, **attacker).status_code
        == 429
    )
    # The owner, at another address behind the same proxy, still logs in.
    owner_there = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "203.0.113.8"}
    response = client.post(LOGIN, {"username": "owner", "password": PASSWORD}, **owner_there)
    assert response.status_code == 302
