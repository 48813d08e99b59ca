"""The pet services: creating, choosing a cover, deleting with everything that was the pet's."""

import pytest
from django.core.exceptions import ValidationError

from images.models import Pet, Photo, Rendition, Share, ShareLink
from images.services.pets import pet_create, pet_delete, pet_set_cover
from tests.factories import PetFactory, PhotoFactory, ShareLinkFactory, ready_photo
from tests.images.helpers import queued_for_deletion

pytestmark = pytest.mark.django_db


def test_pet_create_trims_the_name_and_refuses_an_empty_one(owner):
    pet = pet_create(owner=owner, name="  Biscuit ", species=Pet.Species.DOG)
    assert pet.name == "Biscuit"
    with pytest.raises(ValidationError, match="This field cannot be blank"):
        pet_create(owner=owner, name="   ")
    with pytest.raises(ValidationError, match="is not a valid choice"):
        pet_create(owner=owner, name="Smaug", species="dragon")
    assert Pet.objects.count() == 1


def test_a_cover_must_be_a_ready_photo_of_the_same_pet(pet):
    with pytest.raises(ValidationError, match="ready photos can be its cover"):
        pet_set_cover(pet=pet, photo=ready_photo(pet=PetFactory()))
    with pytest.raises(ValidationError):
        pet_set_cover(pet=pet, photo=PhotoFactory(pet=pet, state=Photo.State.FAILED, error="x"))
    photo = ready_photo(pet=pet)
    assert pet_set_cover(pet=pet, photo=photo).cover_photo == photo


def test_deleting_a_pet_deletes_its_photos_renditions_shares_and_links(pet):
    photo = ready_photo(pet=pet)
    ShareLinkFactory(pet=pet)
    keys = [photo.original_key, *photo.renditions.values_list("key", flat=True)]
    assert (Share.objects.count(), Rendition.objects.count()) == (2, 4)  # the pet's
    other = ready_photo(pet=PetFactory())  # another owner's pet, left alone

    pet_delete(pet=pet)

    assert not Pet.objects.filter(pk=pet.pk).exists()
    assert list(Photo.objects.all()) == [other]
    assert set(Rendition.objects.values_list("photo", flat=True)) == {other.pk}
    assert not Share.objects.exists()
    assert not ShareLink.objects.exists()
    assert queued_for_deletion(keys)  # the stored objects go through the outbox
    assert not queued_for_deletion([other.original_key])
