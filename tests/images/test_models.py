import datetime
import uuid

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from cdn.models import SigningKey
from images.models import Pet, Photo
from tests.factories import (
    PetFactory,
    PhotoFactory,
    RenditionFactory,
    ShareFactory,
    ShareLinkFactory,
    SigningKeyFactory,
)

pytestmark = pytest.mark.django_db


def test_the_database_refuses_a_second_active_signing_key():
    SigningKeyFactory(state=SigningKey.State.ACTIVE)
    with pytest.raises(IntegrityError), transaction.atomic():
        SigningKeyFactory(state=SigningKey.State.ACTIVE)
    assert SigningKey.objects.filter(state="active").count() == 1


def test_the_database_refuses_to_activate_a_second_key_by_update():
    SigningKeyFactory(state=SigningKey.State.ACTIVE)
    other = SigningKeyFactory(state=SigningKey.State.PUBLISHED)
    with pytest.raises(IntegrityError), transaction.atomic():
        SigningKey.objects.filter(pk=other.pk).update(state=SigningKey.State.ACTIVE)


def test_many_keys_may_be_retiring_or_published_at_once():
    for state in ["published", "published", "retiring", "retiring", "retired"]:
        SigningKeyFactory(state=state)
    assert SigningKey.objects.trusted().count() == 4
    assert SigningKey.objects.active() is None


def test_a_published_key_must_have_a_cloudfront_id():
    with pytest.raises(IntegrityError), transaction.atomic():
        SigningKeyFactory(state=SigningKey.State.PUBLISHED, public_key_id=None)
    SigningKeyFactory(state=SigningKey.State.CREATED, public_key_id=None)


def test_the_database_refuses_a_second_share_of_one_pet_with_one_person(owner, friend):
    pet = PetFactory(owner=owner)
    ShareFactory(pet=pet, grantee=friend, role="viewer")
    with pytest.raises(IntegrityError), transaction.atomic():
        ShareFactory(pet=pet, grantee=friend, role="contributor")


def test_the_database_refuses_an_unknown_role_state_or_species():
    with pytest.raises(IntegrityError), transaction.atomic():
        ShareFactory(role="admin")
    with pytest.raises(IntegrityError), transaction.atomic():
        PhotoFactory(state="lost")
    with pytest.raises(IntegrityError), transaction.atomic():
        PetFactory(species="dragon")


def test_a_photo_has_one_rendition_of_each_name():
    photo = PhotoFactory()
    RenditionFactory(photo=photo, name="thumb")
    RenditionFactory(photo=photo, name="medium")
    with pytest.raises(IntegrityError), transaction.atomic():
        RenditionFactory(photo=photo, name="thumb")


def test_only_a_failed_photo_carries_an_error():
    PhotoFactory(state=Photo.State.FAILED, error="not an image")
    with pytest.raises(IntegrityError), transaction.atomic():
        PhotoFactory(state=Photo.State.READY, error="not an image")


def test_a_share_link_must_expire_after_it_was_made():
    with pytest.raises(IntegrityError), transaction.atomic():
        ShareLinkFactory(expires_at=timezone.now() - datetime.timedelta(minutes=1))


def test_original_keys_are_unique():
    PhotoFactory(original_key="originals/1/2026/11/a.jpg")
    with pytest.raises(IntegrityError), transaction.atomic():
        PhotoFactory(original_key="originals/1/2026/11/a.jpg")


def test_public_ids_are_random_uuids(pet):
    """Pets and photos are named by their ids in URLs and storage keys: random version-4
    UUIDs, which carry no time or machine and cannot be counted through."""
    photo = PhotoFactory(pet=pet)
    for model, pk in ((Pet, pet.pk), (Photo, photo.pk)):
        stored = model.objects.get(pk=pk).pk
        assert isinstance(stored, uuid.UUID)
        assert stored.version == 4
    assert PetFactory().pk != pet.pk
