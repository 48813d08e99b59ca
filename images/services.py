"""Writes to pets, photos and shares. Views, the admin, commands and tasks call these."""

from __future__ import annotations

import datetime
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from images.models import Pet, Share, ShareLink, hash_share_token

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
