"""Who may like, comment, delete a comment and read the counts: every action for every actor,
each with the status it must get (images' matrix, tests/images/views/test_permissions.py).

404, never 403, for a photo or comment an actor may not see; 403 for what they see but may
not do; anonymous visitors are sent to log in (scripts asking for JSON get a 401, as from the
API)."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client

from images.models import Photo
from images.services.sharing import share_link_create, share_link_revoke
from social.models import Comment, Like
from social.services.comments import comment_create
from tests.factories import PetFactory, PhotoFactory, ready_photo

pytestmark = pytest.mark.django_db

LOGIN = 302
ACTORS = ("owner", "viewer", "contributor", "stranger", "anonymous")
JSON = {"HTTP_ACCEPT": "application/json"}
DAY = datetime.timedelta(days=1)


def expect(owner, viewer, contributor, stranger, anonymous=LOGIN):
    return dict(zip(ACTORS, (owner, viewer, contributor, stranger, anonymous), strict=True))


ACTIONS = {
    ("/photos/{photo}/like/", "like=on"): expect(302, 302, 302, 404),
    ("/photos/{photo}/like/", "like=off"): expect(302, 302, 302, 404),
    ("/photos/{photo}/like/", ""): expect(302, 302, 302, 404),
    ("/photos/{photo}/comments/", "text=Good+boy"): expect(302, 302, 302, 404),
    ("/photos/{photo}/comments/", "text=+"): expect(400, 400, 400, 404),
    # The friend's comment: its author and the pet's owner delete it.
    ("/comments/{friends}/delete/", ""): expect(302, 302, 403, 404),
    # The contributor's comment: the friend, who sees it, may not.
    ("/comments/{contributors}/delete/", ""): expect(302, 403, 302, 404),
}


@pytest.fixture
def comments(photo, friend, contributor):
    return {
        "friends": comment_create(author=friend, photo=photo, text="From the friend").pk,
        "contributors": comment_create(author=contributor, photo=photo, text="Mine").pk,
    }


def _post(client, action, photo, comments, **extra):
    path, body = action
    ids = {"photo": photo.pk, **comments}
    return client.post(
        path.format(**ids), body, content_type="application/x-www-form-urlencoded", **extra
    )


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("action", ACTIONS)
def test_every_action_answers_each_actor_as_it_must(actors, photo, comments, action, actor):
    response = _post(actors[actor], action, photo, comments)
    assert response.status_code == ACTIONS[action][actor]
    if actor == "anonymous":
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("action", ACTIONS)
def test_every_action_answers_scripts_in_json_as_it_must(actors, photo, comments, action, actor):
    response = _post(actors[actor], action, photo, comments, **JSON)
    wanted = {302: 200, LOGIN: 200}.get(ACTIONS[action][actor], ACTIONS[action][actor])
    if actor == "anonymous":
        wanted = 401  # a script is not sent to a log-in page (as images' API answers)
    elif action[0].startswith("/photos/{photo}/comments/") and wanted == 200:
        wanted = 201
    assert response.status_code == wanted
    assert response["Content-Type"] == "application/json"


def _state():
    comments = Comment.objects.order_by("pk").values_list("pk", "text")
    return Like.objects.count(), list(comments)


@pytest.mark.parametrize("actor", ["stranger", "anonymous"])
def test_what_a_refused_actor_tried_changed_nothing(actors, photo, comments, actor):
    before = _state()
    for action in ACTIONS:
        _post(actors[actor], action, photo, comments)
    assert _state() == before


def test_a_viewer_deleting_anothers_comment_leaves_it(actors, photo, comments):
    actors["viewer"].post(f"/comments/{comments['contributors']}/delete/")
    assert Comment.objects.filter(pk=comments["contributors"]).exists()


COUNTS = expect(200, 200, 200, 404, anonymous=401)


@pytest.mark.parametrize("actor", ACTORS)
def test_the_counts_answer_each_actor_as_they_must(actors, photo, comments, actor):
    response = actors[actor].get(f"/photos/{photo.pk}/social/", **JSON)
    assert response.status_code == COUNTS[actor]
    if response.status_code == 200:
        assert response.json() == {"likes": 0, "liked": False, "comments": 2}


def test_a_photo_not_ready_is_not_liked_nor_commented_even_by_its_owner(actors, pet):
    processing = PhotoFactory(pet=pet, state=Photo.State.PROCESSING)
    client = actors["owner"]
    assert client.post(f"/photos/{processing.pk}/like/").status_code == 404
    assert client.post(f"/photos/{processing.pk}/comments/", {"text": "hi"}).status_code == 404
    assert client.get(f"/photos/{processing.pk}/social/").status_code == 404


def test_a_revoked_share_ends_liking_and_commenting_at_once(actors, pet, friend, photo):
    pet.shares.filter(grantee=friend).delete()
    assert actors["viewer"].post(f"/photos/{photo.pk}/like/").status_code == 404
    assert actors["viewer"].post(f"/photos/{photo.pk}/comments/", {"text": "hi"}).status_code == 404


# --- Share-link holders: the counts through the link, nothing else ------------------------


@pytest.mark.parametrize("actor", ACTORS)
def test_a_link_holder_reads_the_counts_through_the_link(
    actors, photo, comments, link_token, actor
):
    Like.objects.create(photo=photo, user=photo.pet.owner)
    response = actors[actor].get(f"/s/{link_token}/photos/{photo.pk}/social/")
    assert response.status_code == 200
    assert response.json() == {"likes": 1, "comments": 2}  # who liked, or what was said: never


def test_a_link_holder_cannot_like_or_comment(client, photo, link_token):
    assert client.post(f"/photos/{photo.pk}/like/")["Location"].startswith("/accounts/login/")
    assert client.post(f"/photos/{photo.pk}/comments/", {"text": "hi"}, **JSON).status_code == 401
    assert not Like.objects.exists()
    assert not Comment.objects.exists()


def test_a_revoked_or_unknown_link_reads_no_counts(client, pet, owner, photo, link_token):
    link = pet.share_links.get()
    share_link_revoke(link=link)
    assert client.get(f"/s/{link_token}/photos/{photo.pk}/social/").status_code == 404
    assert client.get(f"/s/not-a-token/photos/{photo.pk}/social/").status_code == 404


def test_an_expired_link_reads_no_counts(client, pet, owner, photo):
    link, token = share_link_create(pet=pet, created_by=owner, lifetime=DAY)
    type(link).objects.filter(pk=link.pk).update(
        created_at=link.created_at - 3 * DAY, expires_at=link.created_at - 2 * DAY
    )
    assert client.get(f"/s/{token}/photos/{photo.pk}/social/").status_code == 404


def test_a_link_reads_only_its_own_pets_photos(client, owner, link_token):
    elsewhere = ready_photo(pet=PetFactory(owner=owner, name="Pepper"))
    assert client.get(f"/s/{link_token}/photos/{elsewhere.pk}/social/").status_code == 404


def test_a_password_link_reads_counts_only_once_unlocked(pet, owner, photo):
    _, token = share_link_create(pet=pet, created_by=owner, lifetime=DAY, password="secret!")
    visitor = Client()
    address = f"/s/{token}/photos/{photo.pk}/social/"
    assert visitor.get(address).status_code == 404
    assert visitor.post(f"/s/{token}/", {"password": "secret!"}).status_code == 302
    assert visitor.get(address).json() == {"likes": 0, "comments": 0}
