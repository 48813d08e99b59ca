"""The Like button: its page, its JSON for scripts, and its counts."""

from __future__ import annotations

import pytest

from social.models import Like

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


def test_liking_comes_back_to_the_photo_with_a_message(actors, photo, friend):
    response = actors["viewer"].post(f"/photos/{photo.pk}/like/", {"like": "on"})
    assert response["Location"] == f"/photos/{photo.pk}/#likes"
    assert Like.objects.filter(user=friend, photo=photo).exists()
    assert "You like this photo." in actors["viewer"].get(response["Location"]).content.decode()


def test_a_script_gets_the_state_the_counts_and_who_liked(actors, photo, owner):
    Like.objects.create(user=owner, photo=photo)
    answer = actors["viewer"].post(f"/photos/{photo.pk}/like/", {"like": "on"}, **JSON).json()
    assert answer == {
        "photo": str(photo.pk),
        "liked": True,
        "likes": 2,
        "comments": 0,
        "liked_by": "Liked by you and owner",
    }
    answer = actors["viewer"].post(f"/photos/{photo.pk}/like/", **JSON).json()
    assert (answer["liked"], answer["likes"], answer["liked_by"]) == (False, 1, "Liked by owner")


def test_a_state_that_is_neither_on_nor_off_is_refused(actors, photo):
    response = actors["viewer"].post(f"/photos/{photo.pk}/like/", {"like": "maybe"}, **JSON)
    assert response.status_code == 400
    assert "like=on or like=off" in response.json()["error"]
    assert not Like.objects.exists()


def test_the_counts_follow_the_likes_and_comments(actors, photo, friend):
    actors["viewer"].post(f"/photos/{photo.pk}/like/", {"like": "on"})
    actors["viewer"].post(f"/photos/{photo.pk}/comments/", {"text": "Hello"})
    counts = actors["viewer"].get(f"/photos/{photo.pk}/social/").json()
    assert counts == {"likes": 1, "liked": True, "comments": 1}
    counts = actors["owner"].get(f"/photos/{photo.pk}/social/").json()
    assert counts == {"likes": 1, "liked": False, "comments": 1}


def test_the_counts_take_one_query_and_are_not_cached(actors, photo, django_assert_num_queries):
    client = actors["viewer"]
    client.get(f"/photos/{photo.pk}/social/")  # the session and the user, read once more below
    with django_assert_num_queries(2):  # the user, then the photo with its counts
        response = client.get(f"/photos/{photo.pk}/social/")
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
