"""A gallery page asked again comes from the cache (``images.views.pets.pet_gallery``): every
change to what it shows is on the next page at once, and who may see it is asked every time."""

from __future__ import annotations

import datetime
import re
import uuid

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from images.models import Access, Pet, Photo, Rendition, Share
from images.services.favourites import favourite_toggle
from images.services.moves import photos_move
from images.services.pets import pet_set_cover, pet_update
from images.services.photos import (
    photo_process,
    photo_set_taken_at,
    photo_update_caption,
    photos_delete,
    renditions_delete,
)
from images.services.sharing import share_grant, share_revoke
from images.views.pets import gallery_state
from tests.factories import PetFactory, UserFactory, ready_photo
from tests.images import corpus
from tests.images.helpers import stored_photo

pytestmark = pytest.mark.django_db


def gallery(client, user, pet) -> str:
    client.force_login(user)
    response = client.get(f"/pets/{pet.pk}/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def shown(client, friend, pet):
    """A photo of the pet, its gallery seen (and cached) by the friend."""
    photo = ready_photo(pet=pet, caption="On the sofa")
    assert "On the sofa" in gallery(client, friend, pet)
    return photo


def test_a_new_caption_is_on_the_next_page(client, friend, pet, shown):
    photo_update_caption(photo=shown, caption="On the rug")
    html = gallery(client, friend, pet)
    assert "On the rug" in html
    assert "On the sofa" not in html


def test_a_new_photo_is_on_the_next_page(client, friend, pet, shown):
    added = ready_photo(pet=pet)
    assert str(added.pk) in gallery(client, friend, pet)


def test_a_deleted_photo_is_gone_from_the_next_page(client, friend, pet, shown):
    kept = ready_photo(pet=pet)
    assert str(kept.pk) in gallery(client, friend, pet)
    photos_delete(photos=Photo.objects.filter(pk=kept.pk))
    html = gallery(client, friend, pet)
    assert str(kept.pk) not in html
    assert str(shown.pk) in html


def test_a_heart_put_on_or_taken_off_is_on_the_next_page(client, friend, pet, shown):
    favourite_toggle(user=friend, photo=shown)
    assert re.search(rf'data-favourites="{shown.pk}"', gallery(client, friend, pet))
    favourite_toggle(user=friend, photo=shown)
    assert 'data-favourites=""' in gallery(client, friend, pet)


def test_one_persons_hearts_are_not_on_anothers_page(client, friend, contributor, pet, shown):
    favourite_toggle(user=friend, photo=shown)
    assert 'data-favourites=""' in gallery(client, contributor, pet)


def test_a_renamed_pet_is_renamed_on_the_next_page(client, friend, pet, shown):
    pet_update(pet=pet, name="Crumpet", species=pet.species)
    assert "<h1>Crumpet</h1>" in gallery(client, friend, pet)


def test_a_new_cover_is_on_the_next_page(client, friend, pet, shown):
    newer = ready_photo(pet=pet)
    cover_src = re.compile(r'class="pet-cover" src="[^"]*/' + r"([0-9a-f-]{36})/")
    assert cover_src.search(gallery(client, friend, pet))[1] == str(newer.pk)
    pet_set_cover(pet=pet, photo=shown)
    assert cover_src.search(gallery(client, friend, pet))[1] == str(shown.pk)


def test_a_new_date_taken_moves_the_photo_under_its_month(client, friend, pet, shown):
    photo_set_taken_at(photo=shown, taken_at=timezone.now() - datetime.timedelta(days=400))
    month = (timezone.localdate() - datetime.timedelta(days=400)).strftime("%B %Y")
    assert month in gallery(client, friend, pet)


def test_a_removed_rendition_leaves_the_next_page(client, friend, pet, shown):
    square = shown.renditions.get(name="square")
    assert square.key in gallery(client, friend, pet)
    renditions_delete(renditions=Rendition.objects.filter(pk=square.pk))
    assert square.key not in gallery(client, friend, pet)


def test_a_rendition_made_for_a_ready_photo_is_on_the_next_page(client, friend, pet):
    photo = photo_process(photo_id=stored_photo(pet, corpus.jpeg(size=(1200, 900))).pk)
    square = photo.renditions.get(name="square")
    square.delete()
    assert "square-" not in gallery(client, friend, pet)
    photo_process(photo_id=photo.pk)  # the backfill makes what a ready photo lacks
    assert photo.renditions.get(name="square").key in gallery(client, friend, pet)


def test_a_photo_moved_to_another_pet_leaves_the_next_page(client, owner, friend, pet, shown):
    for key in shown.renditions.values_list("key", flat=True):
        default_storage.save(key, _bytes(key))
    photos_move(photos=Photo.objects.filter(pk=shown.pk), to_pet=PetFactory(owner=owner))
    assert str(shown.pk) not in gallery(client, friend, pet)


def test_an_uploader_renamed_is_renamed_on_the_next_page(client, friend, contributor, pet):
    ready_photo(pet=pet, uploader=contributor)
    assert 'data-uploader="contributor"' in gallery(client, friend, pet)
    contributor.username = "cora"
    contributor.save()
    assert 'data-uploader="cora"' in gallery(client, friend, pet)


def test_an_uploader_deleted_is_no_longer_named_on_the_next_page(client, friend, contributor, pet):
    ready_photo(pet=pet, uploader=contributor)
    assert 'data-uploader="contributor"' in gallery(client, friend, pet)
    contributor.delete()
    assert 'data-uploader="contributor"' not in gallery(client, friend, pet)


def test_a_revoked_friend_is_refused_the_page_they_had_cached(client, friend, pet, shown):
    share_revoke(share=Share.objects.get(pet=pet, grantee=friend))
    assert client.get(f"/pets/{pet.pk}/").status_code == 404


def test_a_friend_made_contributor_sees_the_upload_button_at_once(
    client, owner, friend, pet, shown
):
    assert "Upload photos" not in gallery(client, friend, pet)
    share_grant(pet=pet, grantee=friend, role=Share.Role.CONTRIBUTOR, granted_by=owner)
    assert "Upload photos" in gallery(client, friend, pet)


def test_each_session_gets_its_own_working_csrf_token(client, friend, pet, shown):
    from django.test import Client

    tokens = []
    for browser in (Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)):
        html = gallery(browser, friend, pet)
        (token,) = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html.split("<main")[1])
        posted = browser.post(
            "/photos/download/",
            {"csrfmiddlewaretoken": token, "gallery": str(pet.pk), "photos": [str(shown.pk)]},
        )
        assert b"CSRF" not in posted.content, posted.content[:300]
        tokens.append(token)
    assert tokens[0] != tokens[1]


def test_gallery_state_sees_what_visible_to_sees_for_every_actor(
    owner, friend, contributor, stranger, pet
):
    inactive = UserFactory(is_active=False)
    Share.objects.create(pet=pet, grantee=inactive, role=Share.Role.VIEWER, created_by=owner)
    other = PetFactory()
    for user in (owner, friend, contributor, stranger, inactive):
        for candidate in (pet, other):
            state = gallery_state(user, candidate.pk)
            sees = Pet.objects.visible_to(user, Access.VIEW).filter(pk=candidate.pk).exists()
            assert (state is not None) == sees, (user.username, candidate.name)
            if sees:
                role = Pet.objects.with_role(user).get(pk=candidate.pk).role
                seen = (state.pet_id, state.name, state.role)
                assert seen == (candidate.pk, candidate.name, role)
    assert gallery_state(owner, uuid.uuid4()) is None


def _bytes(key: str):
    from django.core.files.base import ContentFile

    return ContentFile(key.encode())
