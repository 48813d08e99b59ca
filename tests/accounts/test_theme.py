"""The theme switch: remembered on the account, or in a cookie for visitors, named on
``<html data-theme>`` by the server (nothing when following the system), and refused in words
when asked for something else."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from accounts.models import Theme
from accounts.services import user_set_theme
from accounts.themes import COOKIE

pytestmark = pytest.mark.django_db


def choose(client, theme: str, next_url: str = "/pets/"):
    return client.post("/accounts/theme/", {"theme": theme, "next": next_url})


def html_tag(client, path: str = "/accounts/login/") -> str:
    page = client.get(path).content.decode()
    return page[page.index("<html") : page.index(">", page.index("<html")) + 1]


def test_the_owners_choice_is_kept_on_the_account_and_named_on_every_page(client, owner):
    client.force_login(owner)
    response = choose(client, "dark")
    assert response.status_code == 302
    assert response["Location"] == "/pets/"  # back where the switch was pressed
    owner.refresh_from_db()
    assert owner.theme == Theme.DARK
    assert html_tag(client, "/pets/") == '<html lang="en" data-theme="dark">'
    assert COOKIE not in response.cookies  # the account remembers it, not the browser


def test_following_the_system_names_no_theme(client, owner):
    client.force_login(owner)
    choose(client, "light")
    assert 'data-theme="light"' in html_tag(client, "/")
    choose(client, "system")
    assert html_tag(client, "/") == '<html lang="en">'


def test_the_switch_shows_which_theme_is_on(client, owner):
    client.force_login(owner)
    choose(client, "dark")
    page = client.get("/").content.decode()
    assert 'value="dark" aria-pressed="true"' in page
    assert 'value="system" aria-pressed="false"' in page


def test_a_visitor_keeps_the_choice_in_a_cookie(client):
    response = choose(client, "dark", next_url="/accounts/login/")
    assert response["Location"] == "/accounts/login/"
    cookie = response.cookies[COOKIE]
    assert cookie.value == "dark"
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert 'data-theme="dark"' in html_tag(client)
    forgotten = choose(client, "system").cookies[COOKIE]
    assert forgotten.value == ""
    assert forgotten["max-age"] == 0
    assert html_tag(client) == '<html lang="en">'


def test_a_forged_cookie_is_ignored(client):
    client.cookies[COOKIE] = '"><script>'
    assert html_tag(client) == '<html lang="en">'


def test_without_a_page_to_return_to_it_goes_home(client):
    response = client.post("/accounts/theme/", {"theme": "light"})
    assert response["Location"] == "/"


def test_a_bad_theme_is_refused_in_words(client, owner):
    client.force_login(owner)
    response = choose(client, "purple")
    assert response.status_code == 400
    assert response.content.decode() == "Choose a theme: system, light or dark."
    owner.refresh_from_db()
    assert owner.theme == Theme.SYSTEM


@pytest.mark.parametrize(
    "next_url",
    [
        "https://elsewhere.example/",
        "//elsewhere.example/",
        "javascript:alert(1)",
        "home",  # a view's name, which redirect() would have looked up (a 500 before)
        "04c0490a-cff8-48dd-b0a9-fbc657ef4bf5",
    ],
)
def test_it_returns_only_to_a_page_of_this_site(client, owner, next_url):
    client.force_login(owner)
    response = choose(client, "dark", next_url=next_url)
    assert response.status_code == 400
    assert response.content.decode() == "The page to return to must be on this site."
    owner.refresh_from_db()
    assert owner.theme == Theme.SYSTEM


def test_it_takes_only_a_post(client):
    assert client.get("/accounts/theme/", {"theme": "dark"}).status_code == 405


def test_a_post_without_the_csrf_token_is_refused(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert choose(client, "dark").status_code == 403
    owner.refresh_from_db()
    assert owner.theme == Theme.SYSTEM


def test_the_service_refuses_an_unknown_theme(owner):
    with pytest.raises(ValidationError):
        user_set_theme(user=owner, theme="sepia")
    user_set_theme(user=owner, theme="light")
    owner.refresh_from_db()
    assert owner.theme == Theme.LIGHT
