"""Unlocking a share link with its password, and the throttle on guessing it."""

import datetime

import pytest
from django.core.cache import cache

from images.services import link_access
from images.services.link_access import Unlock, share_link_unlock, share_link_unlock_refusal
from images.services.sharing import share_link_create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def link(pet, owner):
    made, _ = share_link_create(
        pet=pet, created_by=owner, lifetime=datetime.timedelta(days=7), password="open sesame"
    )
    return made


def guess(link, password, address="203.0.113.9"):
    return share_link_unlock(link=link, password=password, address=address)


def test_the_right_password_opens_and_a_wrong_one_does_not(link):
    assert guess(link, "nope") == Unlock.WRONG
    assert guess(link, "open sesame") == Unlock.OPENED


def test_a_link_without_a_password_opens_whatever_is_typed(pet, owner):
    made, _ = share_link_create(pet=pet, created_by=owner, lifetime=datetime.timedelta(days=7))
    assert guess(made, "") == Unlock.OPENED
    assert share_link_unlock_refusal(link=made, address="203.0.113.9") is None


def test_the_fifth_wrong_guess_spends_the_guessers_last_and_the_right_one_then_waits(link):
    assert [guess(link, f"guess {n}") for n in range(5)] == [Unlock.WRONG] * 4 + [
        Unlock.GUESSER_THROTTLED
    ]
    assert guess(link, "open sesame") == Unlock.GUESSER_THROTTLED
    assert share_link_unlock_refusal(link=link, address="203.0.113.9") == Unlock.GUESSER_THROTTLED
    assert guess(link, "open sesame", address="198.51.100.7") == Unlock.OPENED


def test_a_guess_refused_is_never_hashed(link, monkeypatch):
    for n in range(5):
        guess(link, f"guess {n}")
    monkeypatch.setattr(link_access, "check_password", lambda *args: pytest.fail("hashed"))
    assert guess(link, "open sesame") == Unlock.GUESSER_THROTTLED


def test_one_ipv6_network_is_one_guesser(link):
    outcomes = [guess(link, "nope", address=f"2001:db8::{n:x}") for n in range(6)]
    assert outcomes[-1] == Unlock.GUESSER_THROTTLED


def test_the_link_takes_a_hundred_guesses_from_everywhere_then_refuses_all(link):
    assert link_access.GUESSES_PER_LINK == 100
    cache.set(f"share-link-password:{link.pk}", 100, 600)  # 100 guesses from everywhere
    assert share_link_unlock_refusal(link=link, address="192.0.2.1") == Unlock.LINK_THROTTLED
    assert guess(link, "open sesame", address="192.0.2.1") == Unlock.LINK_THROTTLED


def test_a_success_forgets_the_guessers_count_and_uses_none_of_the_links(link):
    for n in range(4):
        guess(link, f"guess {n}")
    assert guess(link, "open sesame") == Unlock.OPENED
    assert guess(link, "guess 5") == Unlock.WRONG
    assert cache.get(f"share-link-password:{link.pk}") == 5  # the wrong ones only
    for n in range(200):
        assert guess(link, "open sesame", address=f"198.51.100.{n % 250}") == Unlock.OPENED
