"""Sharing a pet: with accounts (viewers, contributors) and through links."""

from __future__ import annotations

import datetime
import secrets

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from cdn.revocation import access_floors, raised_floor, renditions_revoke
from cdn.signer import longest_url_life
from images.models import Pet, Share, ShareLink, hash_share_token
from pettracker.text import one_line

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


# A link lives from a day to a year, or never expires when its owner says so (None).
LINK_LONGEST_LIFE = datetime.timedelta(days=365)
LINK_LABEL_MAX = ShareLink._meta.get_field("label").max_length


def _checked_expiry(lifetime: datetime.timedelta | None, now: datetime.datetime):
    """When a link given ``lifetime`` from ``now`` expires (None: never)."""
    if lifetime is None:
        return None
    if lifetime <= datetime.timedelta(0):
        raise ValidationError("A share link must expire in the future.")
    if lifetime > LINK_LONGEST_LIFE:
        raise ValidationError("A share link lives a year at most, unless it never expires.")
    return now + lifetime


def _checked_label(label: str) -> str:
    label = one_line(label)
    if len(label) > LINK_LABEL_MAX:
        raise ValidationError(f"A link's label is {LINK_LABEL_MAX} characters at most.")
    return label


@transaction.atomic
def share_link_create(
    *,
    pet: Pet,
    created_by: User,
    lifetime: datetime.timedelta | None,
    label: str = "",
    password: str = "",
    allows_download: bool = False,
) -> tuple[ShareLink, str]:
    """A new link to ``pet``'s gallery, expiring after ``lifetime`` (None: never, which the
    owner must choose explicitly), labelled ``label`` ("Link 3" when blank), opened only with
    ``password`` when one is given (stored as Django's password hash). Returns the row and the
    token, which is shown once: only its hash is stored."""
    now = timezone.now()
    expires_at = _checked_expiry(lifetime, now)
    # Locking the pet makes "Link <n>" unique among racing creations.
    Pet.objects.select_for_update().filter(pk=pet.pk).first()
    label = _checked_label(label) or f"Link {pet.share_links.count() + 1}"
    token = secrets.token_urlsafe(SHARE_TOKEN_BYTES)
    link = ShareLink.objects.create(
        pet=pet,
        token_hash=hash_share_token(token),
        created_by=created_by,
        expires_at=expires_at,
        label=label,
        password_hash=make_password(password) if password else "",
        allows_download=allows_download,
    )
    return link, token


KEEP = object()  # share_link_update: leave this as it is


@transaction.atomic
def share_link_update(
    *,
    link: ShareLink,
    label: str | object = KEEP,
    lifetime: datetime.timedelta | object | None = KEEP,
    password: str | object | None = KEEP,
    allows_download: bool | object = KEEP,
) -> ShareLink:
    """Change an active link: its label; its expiry (``lifetime`` from now, None: never);
    its password (a new one, or None to remove it); whether it allows downloads. What is not
    given stays. A change that lets fewer people in or for less long (an earlier expiry, a
    new password, downloads turned off) raises the pet's access floor, as a revocation does:
    grants already out stop at the CDN within a minute, and those still allowed get new ones
    on their next page. Changing the password also locks out every browser that unlocked the
    link with the old one (their unlock names the old hash)."""
    link = ShareLink.objects.select_for_update().get(pk=link.pk)
    if not link.is_active():
        raise ValidationError("This link was revoked or has expired: make a new one.")
    tightened = False
    if label is not KEEP:
        link.label = _checked_label(label) or link.label
    if lifetime is not KEEP:
        expires_at = _checked_expiry(lifetime, timezone.now())
        tightened |= expires_at is not None and (
            link.expires_at is None or expires_at < link.expires_at
        )
        link.expires_at = expires_at
    if password is not KEEP:
        tightened |= bool(password)
        link.password_hash = make_password(password) if password else ""
    if allows_download is not KEEP:
        tightened |= link.allows_download and not allows_download
        link.allows_download = bool(allows_download)
    link.save(update_fields=["label", "expires_at", "password_hash", "allows_download"])
    if tightened:
        renditions_revoke([link.pet_id])
    return link


@transaction.atomic
def share_link_revoke(*, link: ShareLink) -> None:
    """Revoke ``link`` (pages at once, the CDN within a minute, as ``share_revoke``);
    revoking twice keeps the first revocation time."""
    links = ShareLink.objects.filter(pk=link.pk, revoked_at__isnull=True)
    if links.update(revoked_at=timezone.now()):
        renditions_revoke([link.pet_id])


@transaction.atomic
def share_links_revoke_all(*, pet: Pet) -> int:
    """Revoke every active link to ``pet`` at once, and raise its floor once. Returns how
    many links were revoked (0: nothing changed, the floor stays)."""
    now = timezone.now()
    revoked = pet.share_links.active(now).update(revoked_at=now)
    if revoked:
        renditions_revoke([pet.pk])
    return revoked


def share_link_record_open(*, link: ShareLink, now: datetime.datetime | None = None) -> None:
    """Count one opening of ``link``'s gallery: one UPDATE adding 1 in the database, so
    openings at the same moment are all counted. Nothing of the visitor is kept."""
    ShareLink.objects.filter(pk=link.pk).update(
        opens=F("opens") + 1, last_opened_at=now or timezone.now()
    )


def share_links_expire(*, now: datetime.datetime | None = None) -> int:
    """A link that expired is revoked at the CDN too, within a minute: the floor of its pet is
    raised unless it already rose after the expiry (so running again changes nothing).
    Returns how many pets' floors rose."""
    now = now or timezone.now()
    # A link that expired longer ago than a grant lives needs nothing: every grant signed
    # before its expiry has expired too. (Looking further back would raise the floor again
    # once it was pruned.)
    lookback = longest_url_life(settings.CDN_SIGNING_WINDOW_SECONDS)
    # Links that never expire (expires_at NULL) match neither bound: never counted here.
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
