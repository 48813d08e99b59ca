"""Pets: made, changed, given a cover, deleted with their photos."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from cdn.revocation import renditions_revoke
from images.models import Pet, Photo
from images.services.photos import photos_delete


@transaction.atomic
def pet_create(
    *,
    owner: User,
    name: str,
    species: str = Pet.Species.DOG,
    birthday: datetime.date | None = None,
) -> Pet:
    """A new pet owned by ``owner``."""
    pet = Pet(owner=owner, name=name.strip(), species=species, birthday=birthday)
    pet.full_clean()
    pet.save()
    return pet


@transaction.atomic
def pet_update(*, pet: Pet, name: str, species: str, birthday: datetime.date | None = None) -> Pet:
    """Change a pet's name, species and birthday."""
    pet.name, pet.species, pet.birthday = name.strip(), species, birthday
    pet.full_clean()
    pet.save(update_fields=["name", "species", "birthday", "updated_at"])
    return pet


@transaction.atomic
def pet_delete(*, pet: Pet) -> None:
    """Delete ``pet`` with its photos: their stored objects go through ``photos_delete`` (the
    deletion outbox: a task deletes them; their CDN paths are queued for invalidation)."""
    photos_delete(photos=Photo.objects.filter(pet=pet))
    Pet.objects.filter(pk=pet.pk).delete()
    renditions_revoke([pet.pk])  # the CDN's cached copies stop being served within a minute


def pet_set_cover(*, pet: Pet, photo: Photo) -> Pet:
    """Show ``photo`` (one of the pet's ready photos) on the pet's cards."""
    if photo.pet_id != pet.pk or photo.state != Photo.State.READY:
        raise ValidationError("Only one of this pet's ready photos can be its cover.")
    Pet.objects.filter(pk=pet.pk).update(cover_photo=photo, updated_at=timezone.now())
    pet.cover_photo = photo
    return pet
