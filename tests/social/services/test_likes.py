"""Likes: set, taken back or switched, a like ends where it was meant to, however often and
however many requests at once."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.db.models import QuerySet

from social.models import Like
from social.services.likes import like_set, like_toggle
from tests.factories import ready_photo


@pytest.mark.django_db
def test_switching_twice_likes_then_takes_the_like_back(pet, friend):
    photo = ready_photo(pet=pet)
    assert like_toggle(user=friend, photo=photo) is True
    assert Like.objects.filter(user=friend, photo=photo).exists()
    assert like_toggle(user=friend, photo=photo) is False
    assert not Like.objects.filter(user=friend, photo=photo).exists()


@pytest.mark.django_db
def test_liking_twice_is_one_like(pet, friend):
    photo = ready_photo(pet=pet)
    assert like_set(user=friend, photo=photo, on=True) is True
    assert like_set(user=friend, photo=photo, on=True) is True
    assert Like.objects.filter(photo=photo).count() == 1


@pytest.mark.django_db
def test_taking_back_a_like_never_given_changes_nothing(pet, friend, owner):
    photo = ready_photo(pet=pet)
    like_set(user=owner, photo=photo, on=True)
    assert like_set(user=friend, photo=photo, on=False) is False
    assert list(Like.objects.values_list("user__username", flat=True)) == ["owner"]


@pytest.mark.django_db
def test_likes_are_each_persons_own(pet, friend, contributor):
    photo = ready_photo(pet=pet)
    like_toggle(user=friend, photo=photo)
    like_toggle(user=contributor, photo=photo)
    like_toggle(user=friend, photo=photo)
    assert list(Like.objects.values_list("user__username", flat=True)) == ["contributor"]


@pytest.mark.django_db
def test_a_deleted_photo_takes_its_likes(pet, friend):
    photo = ready_photo(pet=pet)
    like_set(user=friend, photo=photo, on=True)
    photo.delete()
    assert not Like.objects.exists()


def slowed_down(method):
    """``method``, then a pause: widens the gap between reading the like and writing it,
    where two switches at once would otherwise both see none."""

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
            return like_toggle(user=friend, photo=photo)
        finally:
            connection.close()  # each thread has its own connection

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = sorted(pool.map(switch, range(2)))
    assert answers == [False, True]  # liked, then taken back: where it started
    assert not Like.objects.filter(user=friend, photo=photo).exists()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_likes_set_at_once_make_one_row(pet, friend, monkeypatch):
    photo = ready_photo(pet=pet)
    start = threading.Barrier(4)

    def like(_) -> bool:
        start.wait()
        try:
            return like_set(user=friend, photo=photo, on=True)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(like, range(4))) == [True] * 4
    assert Like.objects.filter(user=friend, photo=photo).count() == 1
