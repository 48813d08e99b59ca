"""Who may open or do what: every page for every actor, each with the status it must get.

404, never 403, for what an actor may not see (no hint that it exists); 403 for an action on
something they do see but may not do; anonymous visitors are sent to log in."""

import datetime
from html import unescape

import pytest

from images.models import Photo
from images.services.sharing import share_link_create
from tests.factories import PhotoFactory, ready_photo

pytestmark = pytest.mark.django_db

LOGIN = 302
ACTORS = ("owner", "viewer", "contributor", "stranger", "anonymous")
DAY = datetime.timedelta(days=1)


def expect(owner, viewer, contributor, stranger, anonymous=LOGIN):
    return dict(zip(ACTORS, (owner, viewer, contributor, stranger, anonymous), strict=True))


PAGES = {
    "/pets/{pet}/": expect(200, 200, 200, 404),
    "/pets/{pet}/edit/": expect(200, 404, 404, 404),
    "/pets/{pet}/delete/": expect(200, 404, 404, 404),
    "/pets/{pet}/upload/": expect(200, 404, 200, 404),
    "/pets/{pet}/sharing/": expect(200, 404, 404, 404),
    "/photos/{photo}/": expect(200, 200, 200, 404),
    "/photos/{photo}/original": expect(302, 404, 404, 404),
    "/pets/": expect(200, 200, 200, 200),
    "/pets/new/": expect(200, 200, 200, 200),
    "/shared/": expect(200, 200, 200, 200),
    "/": expect(200, 200, 200, 200, anonymous=200),
}


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("page", PAGES)
def test_every_page_answers_each_actor_as_it_must(actors, pet, photo, page, actor):
    response = actors[actor].get(page.format(pet=pet.pk, photo=photo.pk))
    assert response.status_code == PAGES[page][actor]
    if response.status_code == LOGIN and actor == "anonymous":
        assert response["Location"].startswith("/accounts/login/")


ACTIONS = {
    ("/pets/{pet}/edit/", "name=Rex&species=dog"): expect(302, 404, 404, 404),
    ("/pets/{pet}/sharing/", "action=link&lifetime=7"): expect(302, 404, 404, 404),
    ("/pets/{pet}/sharing/", "action=link&lifetime=never&label=Vet&password=secret!"): expect(
        302, 404, 404, 404
    ),
    ("/photos/{photo}/", "caption=Mine"): expect(302, 403, 403, 404),
    ("/photos/{photo}/delete/", ""): expect(302, 403, 403, 404),
    ("/pets/{pet}/delete/", ""): expect(302, 404, 404, 404),
}


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("action", ACTIONS)
def test_every_action_answers_each_actor_as_it_must(actors, pet, photo, action, actor):
    path, body = action
    response = actors[actor].post(
        path.format(pet=pet.pk, photo=photo.pk),
        body,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == ACTIONS[action][actor]


def test_a_contributor_deletes_their_own_upload_but_not_others(actors, pet, contributor, photo):
    theirs = ready_photo(pet=pet, uploader=contributor)
    assert actors["contributor"].post(f"/photos/{theirs.pk}/delete/").status_code == 302
    assert not Photo.objects.filter(pk=theirs.pk).exists()
    assert actors["contributor"].post(f"/photos/{photo.pk}/delete/").status_code == 403
    assert Photo.objects.filter(pk=photo.pk).exists()


# A share link's management: the owner only (Access.MANAGE); the others do not see the sharing
# page, so each is a 404, and anonymous visitors are sent to log in.
LINK_ACTIONS = {
    "update_link": expect(302, 404, 404, 404),
    "revoke_link": expect(302, 404, 404, 404),
    "revoke_all_links": expect(302, 404, 404, 404),
}


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("action", LINK_ACTIONS)
def test_only_the_owner_labels_changes_or_revokes_links(actors, pet, owner, action, actor):
    link, _ = share_link_create(pet=pet, created_by=owner, lifetime=DAY, label="Vet")
    prefix = f"link-{link.pk}"
    body = {
        "action": action,
        "link": link.pk,
        f"{prefix}-label": "Mine now",
        f"{prefix}-lifetime": "never",
    }
    response = actors[actor].post(f"/pets/{pet.pk}/sharing/", body)
    assert response.status_code == LINK_ACTIONS[action][actor]
    link.refresh_from_db()
    if actor != "owner":
        assert (link.label, link.revoked_at) == ("Vet", None)
        assert link.expires_at is not None


@pytest.mark.parametrize("actor", ACTORS)
def test_a_password_link_asks_everyone_for_its_password_even_the_owner(
    actors, pet, owner, photo, actor
):
    _, token = share_link_create(pet=pet, created_by=owner, lifetime=DAY, password="secret!")
    response = actors[actor].get(f"/s/{token}/")
    assert response.status_code == 200
    assert photo.caption.encode() not in response.content
    assert actors[actor].post(f"/s/{token}/", {"password": "wrong!"}).status_code == 403
    assert actors[actor].post(f"/s/{token}/", {"password": "secret!"}).status_code == 302
    assert photo.caption.encode() in actors[actor].get(f"/s/{token}/").content


@pytest.mark.parametrize("actor", ACTORS)
def test_a_share_link_opens_the_gallery_for_anyone_who_holds_it(actors, link_token, photo, actor):
    response = actors[actor].get(f"/s/{link_token}/")
    assert response.status_code == 200
    assert photo.caption.encode() in response.content


def test_an_expired_link_says_so_to_its_holder_and_shows_nothing(client, expired_link_token):
    response = client.get(f"/s/{expired_link_token}/")
    assert response.status_code == 410
    page = unescape(response.content.decode())
    assert "This link expired on" in page
    assert "Ask the person who shared it for a new link" in page
    assert "Biscuit" not in page  # nothing of the pet any more


def test_a_revoked_link_says_it_was_turned_off(actors, pet, link_token):
    link = pet.share_links.get()
    actors["owner"].post(f"/pets/{pet.pk}/sharing/", {"action": "revoke_link", "link": link.pk})
    response = actors["anonymous"].get(f"/s/{link_token}/")
    assert response.status_code == 410
    page = unescape(response.content.decode())
    assert "The person who shared this link turned it off" in page
    assert "Biscuit" not in page


def test_an_unknown_link_is_a_404_for_link_holders(client):
    response = client.get("/s/not-a-token/")
    assert response.status_code == 404
    assert "This link doesn't work" in unescape(response.content.decode())


def test_link_pages_are_the_products_own_even_with_debug_on(client, settings, expired_link_token):
    settings.DEBUG = True
    for token in ("not-a-token", expired_link_token):
        page = unescape(client.get(f"/s/{token}/").content.decode())
        assert "Ask the person who shared it for a new link" in page
        assert "Django" not in page  # not the technical 404 page


def test_a_link_never_reaches_the_originals_or_the_photo_pages(client, link_token, photo):
    page = client.get(f"/s/{link_token}/").content.decode()
    assert "/originals/" not in page
    assert f"/photos/{photo.pk}/" not in page
    assert client.get(f"/photos/{photo.pk}/original").status_code == LOGIN
    assert client.get(f"/photos/{photo.pk}/").status_code == LOGIN


def test_a_link_shows_only_ready_photos(client, pet, link_token, photo):
    processing = PhotoFactory(pet=pet, state=Photo.State.PROCESSING)
    response = client.get(f"/s/{link_token}/")
    assert [t.photo for t in response.context["tiles"]] == [photo]
    assert str(processing.pk) not in response.content.decode()


def test_revoking_a_share_ends_access_at_once(actors, pet, friend, photo):
    share = pet.shares.get(grantee=friend)
    actors["owner"].post(f"/pets/{pet.pk}/sharing/", {"action": "revoke", "share": share.pk})
    assert actors["viewer"].get(f"/pets/{pet.pk}/").status_code == 404
    assert actors["viewer"].get(f"/photos/{photo.pk}/").status_code == 404
    assert actors["viewer"].get(f"/api/photos/{photo.pk}").status_code == 404
