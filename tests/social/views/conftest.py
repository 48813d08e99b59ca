import pytest
from django.test import Client


@pytest.fixture
def actors(owner, friend, contributor, stranger):
    """A logged-in client for each named actor, and one for an anonymous visitor (as
    tests/images/views/conftest.py's)."""
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


@pytest.fixture(autouse=True)
def _active_signing_key(signing_key):
    """Pages sign their image URLs: every test here has a key to sign with."""
    return signing_key
