"""Sharing a pet: with accounts (viewers, contributors) and through links."""

from __future__ import annotations

import datetime
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from cdn.revocation import access_floors, raised_floor, renditions_revoke
from cdn.signer import longest_url_life
from images.models import Pet, Share, ShareLink, hash_share_token

SHARE_TOKEN_BYTES = 32


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
def share_invite(*, pet: Pet, who: str, role: str, granted_by: User) -> Share:
    """Share ``pet`` with the account named by its username. An e-mail address is invited
    instead (``images.services.invitations.share_invitation_send``), whether or not an
    account has it: sharing at once would show the owner that one does."""
    if names_an_address(who):
        raise ValueError("Addresses are invited: share_invitation_send.")
    grantee = find_account(who)
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


@transaction.atomic
def share_revoke(*, share: Share) -> None:
    """End ``share`` at once for pages and the API, and at the CDN within a minute: the pet's
    access floor rises, so every grant signed before stops opening its renditions (those who
    still see the pet get new cookies on their next page)."""
    # The deletion's post_delete receiver (images.signals) raises the floor, as for the
    # admin's deletions: raising it here too would raise it twice.
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


@transaction.atomic
def share_link_revoke(*, link: ShareLink) -> None:
    """Revoke ``link`` (pages at once, the CDN within a minute, as ``share_revoke``);
    revoking twice keeps the first revocation time."""
    links = ShareLink.objects.filter(pk=link.pk, revoked_at__isnull=True)
    if links.update(revoked_at=timezone.now()):
        renditions_revoke([link.pet_id])


def share_links_expire(*, now: datetime.datetime | None = None) -> int:
    """A link that expired is revoked at the CDN too, within a minute: the floor of its pet is
    raised unless it already rose after the expiry (so running again changes nothing).
    Returns how many pets' floors rose."""
    now = now or timezone.now()
    # A link that expired longer ago than a grant lives needs nothing: every grant signed
    # before its expiry has expired too. (Looking further back would raise the floor again
    # once it was pruned.)
    lookback = longest_url_life(settings.CDN_SIGNING_WINDOW_SECONDS)
    expired = ShareLink.objects.filter(
        expires_at__lte=now, expires_at__gt=now - lookback, revoked_at__isnull=True
    )
    last_expiry: dict = {}
    for pet_id, expires_at in expired.values_list("pet_id", "expires_at"):
        last_expiry[pet_id] = max(expires_at, last_expiry.get(pet_id, expires_at))
    floors = access_floors(last_expiry)
    due = [
        pet_id
        for pet_id, expires_at in last_expiry.items()
        if floors.get(pet_id, 0) < raised_floor(None, int(expires_at.timestamp()))
    ]
    renditions_revoke(due, now=int(now.timestamp()))
    return len(due)


def user_access_revoke(*, user: User, **signal) -> None:
    """A deactivated account's grants end at the CDN within a minute, for every pet it could
    see: its own and those shared with it."""
    renditions_revoke(Pet.objects.reachable_by(user).values_list("pk", flat=True))
