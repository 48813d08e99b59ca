"""Sign-up from an invitation: the address filled in, and back to the page that sent it here,
never to another site."""

import pytest

from tests.accounts.test_signup import URL, form

pytestmark = pytest.mark.django_db


def test_the_address_in_the_query_is_filled_in(client):
    page = client.get(URL, {"email": "invited@example.com"}).content.decode()
    assert 'value="invited@example.com"' in page


def test_signing_up_goes_back_to_the_page_that_sent_it_here(client):
    response = client.post(URL, form(next="/invitations/abc/"))
    assert response["Location"] == "/invitations/abc/"


@pytest.mark.parametrize("elsewhere", ["https://evil.example/", "//evil.example/", "evil"])
def test_signing_up_never_goes_to_another_site(client, elsewhere):
    response = client.post(URL, form(next=elsewhere))
    assert response["Location"] == "/"


def test_a_signed_in_visitor_is_sent_on_to_the_page(client, owner):
    client.force_login(owner)
    assert client.get(URL, {"next": "/invitations/abc/"})["Location"] == "/invitations/abc/"
