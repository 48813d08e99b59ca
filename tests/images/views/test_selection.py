"""Many photos of a gallery at once: delete, move to another pet, make cover (the selection
bar's actions, images.views.selection). Who may do which is in test_permissions.py too."""

from __future__ import annotations

import re
import uuid
from html import unescape

import pytest

from images.models import PendingObjectDeletion, Pet, Photo
from tests.factories import PetFactory, PhotoFactory, ready_photo
from tests.images.helpers import store

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_pet(owner, stranger):
    """Another pet of the owner's, shared with the stranger (a viewer of it alone)."""
    from tests.factories import ShareFactory

    other = PetFactory(owner=owner, name="Pepper")
    ShareFactory(pet=other, grantee=stranger, role="viewer")
    return other


def stored(pet, **fields) -> Photo:
    photo = ready_photo(pet=pet, **fields)
    for key in photo.renditions.values_list("key", flat=True):
        store(key)
    return photo


def body(*photos, **fields) -> dict:
    return {"photo": [str(p.pk) for p in photos], **fields}


# --- The gallery's selection bar ------------------------------------------------------------


def test_the_owners_gallery_has_the_selection_bar_with_every_action(actors, pet, photo):
    page = actors["owner"].get(f"/pets/{pet.pk}/").content.decode()
    assert 'id="selection"' in page
    assert f'formaction="/pets/{pet.pk}/photos/move/"' in page
    assert f'formaction="/pets/{pet.pk}/photos/cover/"' in page
    assert "js/selection.js" in page
    assert 'name="photo"' not in page  # the boxes are made in place, or at ?select=1


def test_without_javascript_select_draws_a_checkbox_named_after_each_photo(actors, pet, photo):
    page = unescape(actors["owner"].get(f"/pets/{pet.pk}/?select=1").content.decode())
    assert f'<input type="checkbox" name="photo" value="{photo.pk}" form="selection">' in page
    assert "Select On the beach" in page


def test_a_contributor_selects_any_ready_photo_to_download_and_deletes_only_their_own(
    actors, pet, contributor, photo
):
    theirs = ready_photo(pet=pet, uploader=contributor, caption="Mine")
    failed = PhotoFactory(pet=pet, state=Photo.State.FAILED)  # the owner's
    page = actors["contributor"].get(f"/pets/{pet.pk}/?select=1").content.decode()
    assert f'value="{theirs.pk}"' in page
    assert f'value="{photo.pk}"' in page  # the owner's, ready: to download
    assert f'value="{failed.pk}"' not in page  # nothing to download, not theirs to delete
    assert "/photos/move/" not in page
    assert 'data-needs="theirs">Delete' in page


def test_a_viewer_selects_photos_to_download_and_nothing_else(actors, pet, photo):
    page = actors["viewer"].get(f"/pets/{pet.pk}/?select=1").content.decode()
    assert 'id="selection"' in page
    assert f'value="{photo.pk}"' in page
    assert 'action="/photos/download/"' in page
    for other in ("/photos/delete/", "/photos/move/", "/photos/cover/", 'value="original"'):
        assert other not in page
    assert "data-deletable" not in page


def test_the_owner_may_also_download_the_originals_of_a_selection(actors, pet, photo):
    page = actors["owner"].get(f"/pets/{pet.pk}/?select=1").content.decode()
    assert 'name="kind" value="original"' in page


def test_the_download_buttons_need_every_photo_ticked_to_be_ready(actors, pet, photo):
    page = actors["owner"].get(f"/pets/{pet.pk}/").content.decode()
    assert 'data-needs="ready">Download</button>' in page
    assert 'name="kind" value="original" data-needs="ready">' in page
    assert f'<input type="hidden" name="gallery" value="{pet.pk}">' in page  # the way back


def deletable_tiles(page: str) -> set[str]:
    """The photos whose tiles say the visitor may delete them (``data-deletable``)."""
    return {
        re.search(r"/photos/([0-9a-f-]{36})/", attributes + tile).group(1)
        for attributes, tile in re.findall(r'<li class="tile"([^>]*)>(.*?)</li>', page, re.S)
        if "data-deletable" in attributes
    }


def test_the_tiles_say_which_photos_the_visitor_may_delete_as_deletable_by_does(
    actors, pet, owner, contributor, photo
):
    owners_failed = PhotoFactory(pet=pet, uploader=owner, state=Photo.State.FAILED, error="x")
    mine = ready_photo(pet=pet, uploader=contributor)
    my_failed = PhotoFactory(pet=pet, uploader=contributor, state=Photo.State.FAILED, error="x")
    my_processing = PhotoFactory(pet=pet, uploader=contributor, state=Photo.State.PROCESSING)
    contributors = {str(p.pk) for p in (mine, my_failed, my_processing)}
    every = contributors | {str(photo.pk), str(owners_failed.pk)}
    for actor, expected in (("owner", every), ("contributor", contributors), ("viewer", set())):
        for address in (f"/pets/{pet.pk}/", f"/pets/{pet.pk}/?select=1"):
            page = actors[actor].get(address).content.decode()
            assert deletable_tiles(page) == expected, (actor, address)


def refusal_page(response, pet) -> str:
    """The refusal's page: why, and the way back to the gallery."""
    assert response["Content-Type"].startswith("text/html")
    html = unescape(response.content.decode())
    assert "Nothing was done" in html
    assert f'href="/pets/{pet.pk}/"' in html
    return html


def test_a_contributor_ticking_anothers_failed_photo_they_see_is_refused_403_not_404(
    actors, pet, owner
):
    failed = PhotoFactory(pet=pet, uploader=owner, state=Photo.State.FAILED, error="x")
    assert str(failed.pk) in actors["contributor"].get(f"/pets/{pet.pk}/").content.decode()
    response = actors["contributor"].post(f"/pets/{pet.pk}/photos/delete/", body(failed))
    assert response.status_code == 403
    assert "You may not do that to some of these photos." in refusal_page(response, pet)
    assert Photo.objects.filter(pk=failed.pk).exists()


@pytest.mark.parametrize(
    ("actor", "action", "status"),
    [
        ("owner", "delete", 404),  # a photo of no one's
        ("contributor", "delete", 403),  # the owner's photo
        ("contributor", "move", 403),
        ("owner", "cover", 400),  # two photos for one cover
    ],
)
def test_each_refusal_of_a_selection_action_is_a_page_saying_why_with_the_way_back(
    actors, pet, photo, actor, action, status
):
    chosen = [str(photo.pk), str(ready_photo(pet=pet).pk)]
    if status == 404:
        chosen[1] = str(uuid.uuid4())
    response = actors[actor].post(f"/pets/{pet.pk}/photos/{action}/", {"photo": chosen})
    assert response.status_code == status
    refusal_page(response, pet)


# --- Deleting ---------------------------------------------------------------------------------


def test_deleting_asks_once_listing_the_photos_then_deletes_them(actors, pet, photo):
    second = ready_photo(pet=pet)
    url = f"/pets/{pet.pk}/photos/delete/"
    asked = actors["owner"].post(url, body(photo, second))
    assert asked.status_code == 200
    assert "Delete 2 photos?" in unescape(asked.content.decode())
    assert Photo.objects.filter(pet=pet).count() == 2
    done = actors["owner"].post(url, body(photo, second, confirm="yes"))
    assert done.status_code == 302
    assert not Photo.objects.filter(pet=pet).exists()
    assert PendingObjectDeletion.objects.exists()


def test_another_owners_photo_among_them_is_a_404_and_nothing_is_deleted(actors, pet, photo):
    theirs = ready_photo(pet=PetFactory(name="Rex"))
    response = actors["owner"].post(
        f"/pets/{pet.pk}/photos/delete/", body(photo, theirs, confirm="yes")
    )
    assert response.status_code == 404
    assert Photo.objects.filter(pk__in=[photo.pk, theirs.pk]).count() == 2


def test_an_id_of_no_photo_is_a_404_and_a_malformed_one_a_400(actors, pet, photo):
    url = f"/pets/{pet.pk}/photos/delete/"
    assert (
        actors["owner"]
        .post(url, body(photo, confirm="yes") | {"photo": [str(photo.pk), str(uuid.uuid4())]})
        .status_code
        == 404
    )
    malformed = actors["owner"].post(url, {"photo": ["nope"], "confirm": "yes"})
    assert malformed.status_code == 400
    assert "nope is not a photo's id" in unescape(malformed.content.decode())
    assert Photo.objects.filter(pk=photo.pk).exists()


def test_nothing_selected_says_to_select_first(actors, pet, photo):
    response = actors["owner"].post(f"/pets/{pet.pk}/photos/delete/", {"confirm": "yes"})
    assert response.status_code == 400
    assert "Select at least one photo first." in unescape(response.content.decode())


def test_a_contributor_deleting_their_own_and_anothers_upload_is_refused_whole(
    actors, pet, contributor, photo
):
    theirs = ready_photo(pet=pet, uploader=contributor)
    url = f"/pets/{pet.pk}/photos/delete/"
    assert actors["contributor"].post(url, body(theirs, photo, confirm="yes")).status_code == 403
    assert Photo.objects.filter(pk__in=[photo.pk, theirs.pk]).count() == 2
    assert actors["contributor"].post(url, body(theirs, confirm="yes")).status_code == 302
    assert not Photo.objects.filter(pk=theirs.pk).exists()


def test_deleting_a_hundred_photos_takes_a_bounded_number_of_queries(
    actors, pet, django_assert_max_num_queries
):
    photos = [PhotoFactory(pet=pet, state=Photo.State.READY) for _ in range(100)]
    with django_assert_max_num_queries(30):
        response = actors["owner"].post(
            f"/pets/{pet.pk}/photos/delete/", body(*photos, confirm="yes")
        )
    assert response.status_code == 302
    assert not Photo.objects.filter(pet=pet).exists()


def test_more_than_a_hundred_photos_at_once_are_refused(actors, pet, photo):
    ids = [str(photo.pk)] + [str(uuid.uuid4()) for _ in range(100)]
    response = actors["owner"].post(f"/pets/{pet.pk}/photos/delete/", {"photo": ids})
    assert response.status_code == 400
    assert "at most 100" in response.content.decode()


# --- Moving -----------------------------------------------------------------------------------


def test_moving_asks_which_of_the_owners_other_pets(actors, pet, other_pet, photo):
    PetFactory(name="Not yours")
    asked = actors["owner"].post(f"/pets/{pet.pk}/photos/move/", body(photo))
    assert asked.status_code == 200
    page = unescape(asked.content.decode())
    assert "Pepper" in page
    assert "Not yours" not in page
    assert "Biscuit</label>" not in page


def test_a_move_keeps_access_right_for_both_pets_sharers(actors, pet, other_pet, photo):
    # The viewer sees Biscuit only; the stranger sees Pepper only (other_pet).
    store_all(photo)
    response = actors["owner"].post(
        f"/pets/{pet.pk}/photos/move/", body(photo, confirm="yes", to=str(other_pet.pk))
    )
    assert response.status_code == 302
    assert Photo.objects.get(pk=photo.pk).pet == other_pet
    old_sharer, new_sharer = actors["viewer"], actors["stranger"]
    for path in (f"/photos/{photo.pk}/", f"/api/photos/{photo.pk}"):
        assert old_sharer.get(path).status_code == 404
        assert new_sharer.get(path).status_code == 200
    assert str(photo.pk) not in old_sharer.get(f"/pets/{pet.pk}/").content.decode()
    assert str(photo.pk) in new_sharer.get(f"/pets/{other_pet.pk}/").content.decode()


def store_all(photo):
    for key in photo.renditions.values_list("key", flat=True):
        store(key)


@pytest.mark.parametrize("target", ["same", "strangers", "none", "garbage"])
def test_a_bad_target_pet_is_a_clear_400_and_nothing_moves(
    actors, pet, other_pet, photo, stranger, target
):
    to = {
        "same": str(pet.pk),
        "strangers": str(PetFactory(owner=stranger).pk),
        "none": "",
        "garbage": "x",
    }[target]
    response = actors["owner"].post(
        f"/pets/{pet.pk}/photos/move/", body(photo, confirm="yes", to=to)
    )
    assert response.status_code == 400
    page = unescape(response.content.decode())
    assert "Choose one of your other pets." in page or "Choose the pet to move them to." in page
    assert Photo.objects.get(pk=photo.pk).pet == pet


def test_a_photo_still_processing_is_refused_with_a_409_saying_so(actors, pet, other_pet, photo):
    processing = PhotoFactory(pet=pet, state=Photo.State.PROCESSING)
    response = actors["owner"].post(
        f"/pets/{pet.pk}/photos/move/",
        body(photo, processing, confirm="yes", to=str(other_pet.pk)),
    )
    assert response.status_code == 409
    assert "still being processed" in unescape(response.content.decode())
    assert Photo.objects.get(pk=photo.pk).pet == pet


def test_an_owner_without_another_pet_is_told_to_add_one(actors, pet, photo):
    page = unescape(
        actors["owner"].post(f"/pets/{pet.pk}/photos/move/", body(photo)).content.decode()
    )
    assert "You have no other pet to move them to." in page


# --- The cover --------------------------------------------------------------------------------


def test_the_one_photo_selected_becomes_the_cover(actors, pet, photo):
    ready_photo(pet=pet)
    response = actors["owner"].post(f"/pets/{pet.pk}/photos/cover/", body(photo))
    assert response.status_code == 302
    assert Pet.objects.get(pk=pet.pk).cover_photo == photo


def test_two_photos_for_the_cover_are_a_400_saying_to_choose_one(actors, pet, photo):
    second = ready_photo(pet=pet)
    response = actors["owner"].post(f"/pets/{pet.pk}/photos/cover/", body(photo, second))
    assert response.status_code == 400
    assert "Select just one photo" in unescape(response.content.decode())
    assert Pet.objects.get(pk=pet.pk).cover_photo is None


def test_a_failed_photo_cannot_be_the_cover(actors, pet):
    failed = PhotoFactory(pet=pet, state=Photo.State.FAILED, error="broken")
    response = actors["owner"].post(f"/pets/{pet.pk}/photos/cover/", body(failed))
    assert response.status_code == 400
    assert Pet.objects.get(pk=pet.pk).cover_photo is None
