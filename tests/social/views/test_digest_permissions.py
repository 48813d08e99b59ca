"""Who may use the digests' pages: the choice is each account's own (anonymous visitors and
link holders are sent to log in); the unsubscribe link works for whoever holds it, logged in
as anyone or not, and acts only on the account it names."""

import datetime

import pytest
from django.test import Client

from images.services.sharing import share_link_create
from social.models import DigestSubscription
from social.services.digests import unsubscribe_token

pytestmark = pytest.mark.django_db

LOGIN = 302
CHOICE = {"owner": 302, "viewer": 302, "contributor": 302, "stranger": 302, "anonymous": LOGIN}


@pytest.fixture
def actors(actors, link_holder):
    """conftest's actors, and a share link's holder."""
    return {**actors, "link holder": link_holder}


@pytest.fixture
def link_holder(pet, owner, signing_key):
    """A visitor who opened a share link of the pet (no account)."""
    _, token = share_link_create(pet=pet, created_by=owner, lifetime=datetime.timedelta(days=7))
    client = Client()
    assert client.get(f"/s/{token}/").status_code == 200
    return client


@pytest.mark.parametrize(("actor", "status"), [*CHOICE.items(), ("link holder", LOGIN)])
def test_each_actor_chooses_only_their_own_digests(actors, actor, status, owner, friend):
    response = actors[actor].post("/accounts/digests/", {"frequency": "daily"})
    assert response.status_code == status
    if actor in ("anonymous", "link holder"):
        assert response["Location"].startswith("/accounts/login/")
        assert not DigestSubscription.objects.exists()
    else:
        assert DigestSubscription.objects.get().frequency == "daily"


@pytest.mark.parametrize("actor", ["owner", "viewer", "contributor", "stranger", "anonymous",
                                   "link holder"])  # fmt: skip
def test_an_unsubscribe_link_turns_off_the_digests_of_the_account_it_names_whoever_holds_it(
    actors, actor, friend, stranger
):
    response = actors[actor].post(f"/digests/unsubscribe/{unsubscribe_token(friend)}/")
    assert response.status_code == 200
    assert DigestSubscription.frequency_of(friend) == "off"
    assert DigestSubscription.objects.count() == 1  # nobody else's
