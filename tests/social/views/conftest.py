import datetime

import pytest
from django.test import Client

from images.services.sharing import share_link_create
from tests.factories import ready_photo


@pytest.fixture
def photo(pet):
    return ready_photo(pet=pet, caption="On the beach")


@pytest.fixture
def actors(owner, friend, contributor, stranger):
    """A logged-in client for each named actor, and one for an anonymous visitor."""
    clients = {"anonymous": Client()}
    for name, user in {
        "owner": owner,
        "viewer": friend,
        "contributor": contributor,
        "stranger": stranger,
    }.items():
        clients[name] = Client()
        clients[name].force_login(user)
    return clients


@pytest.fixture
def link_token(pet, owner):
    _, token = share_link_create(pet=pet, created_by=owner, lifetime=datetime.timedelta(days=7))
    return token


@pytest.fixture(autouse=True)
def _active_signing_key(signing_key):
    """Pages sign their image URLs: every test here has a key to sign with."""
    return signing_key
