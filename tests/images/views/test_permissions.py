"""Who may open or do what: every page for every actor, each with the status it must get.

404, never 403, for what an actor may not see (no hint that it exists); 403 for an action on
something they do see but may not do; anonymous visitors are sent to log in."""

import datetime
from html import unescape

import pytest
from django.utils import timezone

from images.models import Access, Pet, Photo, ShareInvitation
from images.services.invitations import invitation_token, share_invitation_send
from images.services.sharing import share_link_create
from tests.factories import PetFactory, PhotoFactory, ready_photo, store_full

pytestmark = pytest.mark.django_db

LOGIN = 302
ACTORS = ("owner", "viewer", "contributor", "stranger", "anonymous")
DAY = datetime.timedelta(days=1)


def expect(owner, viewer, contributor, stranger, anonymous=LOGIN):
    return dict(zip(ACTORS, (owner, viewer, contributor, stranger, anonymous), strict=True))


PAGES = {
    "/pets/{pet}/": expect(200, 200, 200, 404),
    "/pets/{pet}/?select=1": expect(200, 200, 200, 404),
    "/pets/{pet}/edit/": expect(200, 404, 404, 404),
    "/pets/{pet}/delete/": expect(200, 404, 404, 404),
    "/pets/{pet}/upload/": expect(200, 404, 200, 404),
    "/pets/{pet}/sharing/": expect(200, 404, 404, 404),
    "/photos/{photo}/": expect(200, 200, 200, 404),
    "/photos/{photo}/original": expect(302, 404, 404, 404),
    "/pets/": expect(200, 200, 200, 200),
    "/pets/new/": expect(200, 200, 200, 200),
    "/shared/": expect(200, 200, 200, 200),
    "/favourites/": expect(200, 200, 200, 200),
    "/accounts/": expect(200, 200, 200, 200),
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
    # Many photos at once (the gallery's selection bar): the photo is the owner's upload.
    ("/pets/{pet}/photos/delete/", "photo={photo}"): expect(200, 403, 403, 404),
    ("/pets/{pet}/photos/delete/", "photo={photo}&confirm=yes"): expect(302, 403, 403, 404),
    ("/pets/{pet}/photos/move/", "photo={photo}"): expect(200, 403, 403, 404),
    ("/pets/{pet}/photos/move/", "photo={photo}&confirm=yes&to={other}"): expect(
        302, 403, 403, 404
    ),
    ("/pets/{pet}/photos/cover/", "photo={photo}"): expect(302, 403, 403, 404),
    ("/pets/{pet}/sharing/", "action=invite&who=new%40example.com&role=viewer"): expect(
        302, 404, 404, 404
    ),
    ("/photos/{photo}/favourite/", "favourite=on"): expect(302, 302, 302, 404),
}


@pytest.fixture
def other_pet(owner):
    return PetFactory(owner=owner, name="Pepper")


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("action", ACTIONS)
def test_every_action_answers_each_actor_as_it_must(actors, pet, other_pet, photo, action, actor):
    path, body = action
    ids = {"pet": pet.pk, "photo": photo.pk, "other": other_pet.pk}
    response = actors[actor].post(
        path.format(**ids),
        body.format(**ids),
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


def test_a_viewer_cannot_bulk_delete_move_or_cover_and_nothing_changes(actors, pet, photo):
    other = PetFactory(owner=pet.owner, name="Pepper")
    for action, extra in (
        ("delete", "&confirm=yes"),
        ("move", f"&confirm=yes&to={other.pk}"),
        ("cover", ""),
    ):
        response = actors["viewer"].post(
            f"/pets/{pet.pk}/photos/{action}/",
            f"photo={photo.pk}{extra}",
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code == 403
    photo.refresh_from_db()
    assert photo.pet == pet
    assert type(pet).objects.get(pk=pet.pk).cover_photo is None


def test_a_photo_of_another_pet_posted_to_this_pets_actions_is_a_404(actors, pet, photo):
    elsewhere = ready_photo(pet=PetFactory(owner=pet.owner, name="Pepper"))
    for action in ("delete", "move", "cover"):
        response = actors["owner"].post(
            f"/pets/{pet.pk}/photos/{action}/", {"photo": [str(photo.pk), str(elsewhere.pk)]}
        )
        assert response.status_code == 404
    assert Photo.objects.filter(pk__in=[photo.pk, elsewhere.pk]).count() == 2


# --- Downloads (issue 16) ------------------------------------------------------------------

DOWNLOADS = {
    ("GET", "/photos/{photo}/download/", ""): expect(200, 200, 200, 404),
    ("POST", "/photos/download/", "photo={photo}"): expect(200, 200, 200, 404),
    ("POST", "/photos/download/", "photo={photo}&kind=original"): expect(200, 403, 403, 404),
}


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("download", DOWNLOADS)
def test_every_download_answers_each_actor_as_it_must(actors, pet, photo, download, actor):
    store_full(photo)
    method, path, body = download
    url, body = path.format(photo=photo.pk), body.format(photo=photo.pk)
    if method == "GET":
        response = actors[actor].get(url)
    else:
        form = "application/x-www-form-urlencoded"
        response = actors[actor].post(url, body, content_type=form)
    assert response.status_code == DOWNLOADS[download][actor]
    if response.status_code == LOGIN:
        assert response["Location"].startswith("/accounts/login/")


# A link's holder (whoever they are, signed in or not) downloads only when its owner allowed it:
# they see the gallery, so a refusal is a 403; a dead link answers as its gallery does.
LINK_DOWNLOADS = ("/s/{token}/download/", "/s/{token}/photos/{photo}/download/")


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("path", LINK_DOWNLOADS)
@pytest.mark.parametrize(
    ("state", "status"), [("allowed", 200), ("not allowed", 403), ("revoked", 410)]
)
def test_link_downloads_answer_every_holder_as_the_link_says(
    actors, pet, photo, link_token, path, actor, state, status
):
    store_full(photo)
    pet.share_links.update(
        allows_download=state != "not allowed",
        revoked_at=timezone.now() if state == "revoked" else None,
    )
    response = actors[actor].get(path.format(token=link_token, photo=photo.pk))
    assert response.status_code == status


INVITATION_ACTIONS = ("revoke_invitation", "resend_invitation")


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("action", INVITATION_ACTIONS)
def test_only_the_owner_revokes_or_resends_an_invitation(actors, pet, owner, action, actor):
    invitation = share_invitation_send(
        pet=pet, email="new@example.com", role="viewer", invited_by=owner, base_url=""
    )
    response = actors[actor].post(
        f"/pets/{pet.pk}/sharing/", {"action": action, "invitation": invitation.pk}
    )
    assert response.status_code == expect(302, 404, 404, 404)[actor]
    still_pending = ShareInvitation.objects.pending().filter(pk=invitation.pk).exists()
    assert still_pending == (action == "resend_invitation" or actor != "owner")


# An invitation's link: anyone holding it reads it; accepting takes the account that uses the
# invited address (the owner's own pet excepted), and grants the share to it. Any other
# account is refused (403), and told to whom it went.
INVITATION_PAGE = expect(200, 200, 200, 200, anonymous=200)
INVITATION_ACCEPT = expect(400, 302, 302, 302)
ACCOUNTS = {"viewer": "friend", "contributor": "contributor", "stranger": "stranger"}


@pytest.mark.parametrize("actor", ACTORS)
def test_an_invitations_link_answers_each_actor_as_it_must(actors, pet, owner, actor, request):
    invited = request.getfixturevalue(ACCOUNTS[actor]) if actor in ACCOUNTS else None
    invitation = share_invitation_send(
        pet=pet,
        email=invited.email if invited else "new@example.com",
        role="contributor",
        invited_by=owner,
        base_url="",
    )
    path = f"/invitations/{invitation_token(invitation)}/"
    assert actors[actor].get(path).status_code == INVITATION_PAGE[actor]
    response = actors[actor].post(path)
    assert response.status_code == INVITATION_ACCEPT[actor]
    invitation.refresh_from_db()
    accepted = actor in ("viewer", "contributor", "stranger")
    assert (invitation.accepted_at is not None) == accepted
    if actor == "stranger":
        assert (
            Pet.objects.visible_to(invitation.accepted_by, Access.CONTRIBUTE)
            .filter(pk=pet.pk)
            .exists()
        )
    if actor == "anonymous":
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("actor", ACCOUNTS)
def test_an_invitation_to_another_address_is_refused_to_every_other_account(
    actors, pet, owner, actor
):
    invitation = share_invitation_send(
        pet=pet, email="new@example.com", role="contributor", invited_by=owner, base_url=""
    )
    path = f"/invitations/{invitation_token(invitation)}/"
    assert actors[actor].get(path).status_code == 403
    assert actors[actor].post(path).status_code == 403
    assert ShareInvitation.objects.pending().filter(pk=invitation.pk).exists()
