"""Writes to pets, photos and shares. Views, the admin, commands and tasks call these."""

from __future__ import annotations

import datetime
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from images.models import Pet, Photo, Share, ShareLink, hash_share_token

SHARE_TOKEN_BYTES = 32


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
    """Delete ``pet`` with its photos: their stored objects go through the photo pipeline's
    deletion (a task deletes them; their CDN paths are queued for invalidation)."""
    from images.pipeline import photos_delete  # the pipeline imports this module's models

    photos_delete(photos=Photo.objects.filter(pet=pet))
    Pet.objects.filter(pk=pet.pk).delete()


def pet_set_cover(*, pet: Pet, photo: Photo) -> Pet:
    """Show ``photo`` (one of the pet's ready photos) on the pet's cards."""
    if photo.pet_id != pet.pk or photo.state != Photo.State.READY:
        raise ValidationError("Only one of this pet's ready photos can be its cover.")
    Pet.objects.filter(pk=pet.pk).update(cover_photo=photo, updated_at=timezone.now())
    pet.cover_photo = photo
    return pet


def photo_update_caption(*, photo: Photo, caption: str) -> Photo:
    """Change a photo's caption (500 characters at most)."""
    photo.caption = caption.strip()
    photo.full_clean(validate_unique=False, validate_constraints=False)
    Photo.objects.filter(pk=photo.pk).update(caption=photo.caption, updated_at=timezone.now())
    return photo


def names_an_address(who: str) -> bool:
    """Whether ``who``, as typed in an invitation, is an e-mail address, not a username."""
    return "@" in who


def find_account(who: str) -> User | None:
    """The active account with this username or e-mail address (either, in any case).

    An unknown username is an error: usernames are public on the site. An unknown address is
    None, which callers must treat as they treat a known one: whether an address has an
    account is not for others to learn."""
    who = who.strip()
    if names_an_address(who):
        return User.objects.filter(email__iexact=who, is_active=True).first()
    account = User.objects.filter(username__iexact=who, is_active=True).first() if who else None
    if account is None:
        raise ValidationError("No PetTracker account has that username.")
    return account


@transaction.atomic
def share_invite(*, pet: Pet, who: str, role: str, granted_by: User) -> Share | None:
    """Share ``pet`` with the account named by username or e-mail address. An address with
    no active account shares nothing and returns None, without an error (see find_account);
    inviting such addresses to join is for a later change."""
    grantee = find_account(who)
    if grantee is None:
        return None
    return share_grant(pet=pet, grantee=grantee, role=role, granted_by=granted_by)


@transaction.atomic
def share_grant(*, pet: Pet, grantee: User, role: str, granted_by: User) -> Share:
    """Share ``pet`` with ``grantee`` in ``role``, or change the role of an existing share."""
    if grantee.pk == pet.owner_id:
        raise ValidationError("You can't share a pet with its owner.")
    if not grantee.is_active:
        raise ValidationError("That account is deactivated.")
    if role not in Share.Role.values:
        raise ValidationError(f"Unknown role {role!r}.")
    # update_or_create under the (pet, grantee) unique constraint: two racing grants end in
    # one row, not an integrity error.
    share, _ = Share.objects.update_or_create(
        pet=pet,
        grantee=grantee,
        defaults={"role": role},
        create_defaults={"role": role, "created_by": granted_by},
    )
    return share


def share_revoke(*, share: Share) -> None:
    """End ``share`` at once for pages and the API (the CDN follows within a signing window)."""
    Share.objects.filter(pk=share.pk).delete()


def share_link_create(
    *, pet: Pet, created_by: User, lifetime: datetime.timedelta
) -> tuple[ShareLink, str]:
    """A new link to ``pet``'s gallery. Returns the row and the token, which is shown once:
    only its hash is stored."""
    if lifetime <= datetime.timedelta(0):
        raise ValidationError("A share link must expire in the future.")
    token = secrets.token_urlsafe(SHARE_TOKEN_BYTES)
    link = ShareLink.objects.create(
        pet=pet,
        token_hash=hash_share_token(token),
        created_by=created_by,
        expires_at=timezone.now() + lifetime,
    )
    return link, token


def share_link_revoke(*, link: ShareLink) -> None:
    """Revoke ``link``; revoking twice keeps the first revocation time."""
    ShareLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
