"""Favourites: a heart set, taken off or switched ends where it was meant to, however often
and however many requests at once."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.db.models import QuerySet

from images.models import Favourite
from images.services.favourites import favourite_set, favourite_toggle
from tests.factories import ready_photo


@pytest.mark.django_db
def test_switching_twice_puts_the_heart_on_then_takes_it_off(pet, friend):
    photo = ready_photo(pet=pet)
    assert favourite_toggle(user=friend, photo=photo) is True
    assert Favourite.objects.filter(user=friend, photo=photo).exists()
    assert favourite_toggle(user=friend, photo=photo) is False
    assert not Favourite.objects.filter(user=friend, photo=photo).exists()


@pytest.mark.django_db
def test_setting_the_state_it_has_changes_nothing(pet, friend):
    photo = ready_photo(pet=pet)
    assert favourite_set(user=friend, photo=photo, on=True) is True
    assert favourite_set(user=friend, photo=photo, on=True) is True
    assert Favourite.objects.filter(user=friend, photo=photo).count() == 1


def slowed_down(method):
    """``method``, then a pause: widens the gap between reading the heart and writing it,
    where two switches at once would otherwise both see it off."""

    def slow(*args, **kwargs):
        result = method(*args, **kwargs)
        time.sleep(0.2)
        return result

    return slow


@pytest.mark.slow  # threads held at a barrier, each pausing
@pytest.mark.django_db(transaction=True)
def test_two_switches_at_once_are_one_after_the_other(pet, friend, monkeypatch):
    photo = ready_photo(pet=pet)
    for name in ("exists", "first", "get"):
        monkeypatch.setattr(QuerySet, name, slowed_down(getattr(QuerySet, name)))
    start = threading.Barrier(2)

    def switch(_) -> bool:
        start.wait()
        try:
            return favourite_toggle(user=friend, photo=photo)
        finally:
            connection.close()  # each thread has its own connection

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = sorted(pool.map(switch, range(2)))
    assert answers == [False, True]  # on, then off: where it started
    assert not Favourite.objects.filter(user=friend, photo=photo).exists()
