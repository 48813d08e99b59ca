"""Invitations: a pet shared with an e-mail address, granted to whoever opens the mailed link
and accepts it with an account (a new one, or one they already have).

Every address the owner types gets an invitation, whether or not an account has it: the
sharing page, its list of pending invitations and the message sent are then the same either
way, so nothing tells the owner whether an address has an account (``find_account``'s rule).
The share exists once the person who reads that mailbox accepts.

The link carries a token signed with SECRET_KEY (``django.core.signing``, its own salt) and
dated: the invitation's id and address. Nothing secret is stored, so a copy of the database
opens no invitation; the row says whether it is still pending (revoked, accepted, expired),
which makes a link single-use and revocable without a token column."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from images.models import InvitationMail, Pet, Share, ShareInvitation
from images.services.sharing import share_grant
from pettracker.text import masked_address, one_line

SALT = "images.share-invitation"
OWN_ADDRESS = "You can't share a pet with its owner."
# The site must not become a way to flood someone's mailbox. Counted over the log of mails
# sent (InvitationMail), whichever pet, invitation or resend each was for: one address gets
# at most one invitation mail every MAIL_EVERY, and SHARE_INVITATION_MAILS_PER_ADDRESS a day
# from everyone; one person sends at most SHARE_INVITATIONS_PER_DAY a day.
MAIL_EVERY = datetime.timedelta(minutes=10)
DAY = datetime.timedelta(days=1)
TOO_SOON = (
    "We sent this address an invitation less than 10 minutes ago: give the message time to "
    "arrive (and ask them to look in their spam folder) before sending another."
)
ADDRESS_FULL = (
    "This address has had as many invitations in the last day as we send to one address: "
    "try again tomorrow, or share with a username."
)


class InvitationForSomeoneElse(Exception):
    """An account whose address is not the one an invitation was mailed to tried to accept
    it. ``message`` says to whom it went, masked, and what to do."""

    def __init__(self, invitation: ShareInvitation):
        self.message = (
            f"This invitation was sent to {masked_address(invitation.email)}. Log in with the "
            "account that uses that address, or sign up with it."
        )
        super().__init__(self.message)


class InvitationUnusable(Exception):
    """An invitation link that grants nothing, and why: ``unknown`` (altered, or never
    made), ``expired``, ``revoked`` or ``used``. ``invitation`` is its row when there is one."""

    def __init__(self, reason: str, invitation: ShareInvitation | None = None):
        super().__init__(reason)
        self.reason = reason
        self.invitation = invitation


def invitation_lifetime() -> datetime.timedelta:
    return datetime.timedelta(days=settings.SHARE_INVITATION_DAYS)


def invitation_token(invitation: ShareInvitation) -> str:
    """The signed, dated token of ``invitation``'s link."""
    data = {"i": str(invitation.pk), "e": invitation.email.casefold()}
    return signing.dumps(data, salt=SALT)


def invitation_link(invitation: ShareInvitation, *, base_url: str) -> str:
    return base_url + reverse("invitation", args=[invitation_token(invitation)])


def invitation_for_token(token: str, *, now: datetime.datetime | None = None) -> ShareInvitation:
    """The pending invitation ``token`` names; InvitationUnusable saying why otherwise."""
    try:
        data = signing.loads(token, salt=SALT, max_age=invitation_lifetime())
    except signing.SignatureExpired:
        raise InvitationUnusable("expired") from None
    except signing.BadSignature:
        raise InvitationUnusable("unknown") from None
    invitation = (
        ShareInvitation.objects.select_related("pet", "invited_by").filter(pk=data.get("i")).first()
    )
    if invitation is None or invitation.email.casefold() != data.get("e"):
        raise InvitationUnusable("unknown")
    _refuse_unless_pending(invitation, now=now)
    return invitation


def _refuse_unless_pending(invitation: ShareInvitation, *, now=None) -> None:
    if invitation.accepted_at is not None:
        raise InvitationUnusable("used", invitation)
    if invitation.revoked_at is not None:
        raise InvitationUnusable("revoked", invitation)
    if invitation.expires_at <= (now or timezone.now()):
        raise InvitationUnusable("expired", invitation)


@transaction.atomic
def share_invitation_send(
    *, pet: Pet, email: str, role: str, invited_by: User, base_url: str
) -> ShareInvitation:
    """Invite ``email`` to see ``pet`` in ``role``: a pending invitation (the one already
    pending for that address, its role and expiry renewed, or a new one) and one message with
    its link, sent after the commit. ``base_url`` (scheme and host) starts the link."""
    email = User.objects.normalize_email(email.strip())
    if pet.owner.email and pet.owner.email.casefold() == email.casefold():
        raise ValidationError(OWN_ADDRESS)  # the owner knows their own address: this tells nothing
    if role not in Share.Role.values:
        raise ValidationError(f"Unknown role {role!r}.")
    # The pet's row, locked: two racing invitations to one address end in one pending row.
    Pet.objects.select_for_update().filter(pk=pet.pk).first()
    now = timezone.now()
    invitation = pet.invitations.pending().filter(email__iexact=email).first()
    if invitation is not None and _mailed_recently(invitation, now=now):
        invitation.role, invitation.invited_by = role, invited_by  # the mail already went
        invitation.save(update_fields=["role", "invited_by"])
        return invitation
    if invitation is None:
        invitation = ShareInvitation(pet=pet, email=email)
    invitation.role, invitation.invited_by = role, invited_by
    invitation.expires_at = now + invitation_lifetime()
    invitation.save()
    _mail(invitation, sent_by=invited_by, base_url=base_url, now=now)  # refused: rolled back
    return invitation


def _mailed_recently(invitation: ShareInvitation, *, now: datetime.datetime) -> bool:
    """Whether ``invitation`` was mailed (successfully, or is being mailed) since
    MAIL_EVERY ago."""
    return invitation.mails.since(now - MAIL_EVERY).exists()


@transaction.atomic
def share_invitation_resend(
    *, invitation: ShareInvitation, base_url: str, sent_by: User | None = None
) -> ShareInvitation:
    """Mail a pending invitation again, with a new link; it lasts its full time again.
    ``sent_by`` (who asked; by default its inviter) is counted as sending it. A
    ValidationError if a limit of ``_refuse_flooding`` refuses it."""
    _refuse_unless_pending(invitation)
    now = timezone.now()
    invitation.expires_at = now + invitation_lifetime()
    invitation.save(update_fields=["expires_at"])
    _mail(invitation, sent_by=sent_by or invitation.invited_by, base_url=base_url, now=now)
    return invitation


def _refuse_flooding(email: str, sent_by: User | None, *, now: datetime.datetime) -> None:
    """A ValidationError saying why, if one more mail to ``email`` from ``sent_by`` now
    would pass a limit. What it says depends on mails sent, never on accounts."""
    limit = settings.SHARE_INVITATIONS_PER_DAY
    if (
        sent_by is not None
        and InvitationMail.objects.filter(sent_by=sent_by).since(now - DAY).count() >= limit
    ):
        raise ValidationError(
            f"You've sent {limit} invitation{'' if limit == 1 else 's'} in the last day, as many "
            "as we send for one person: try again tomorrow, or share with a username."
        )
    to_them = InvitationMail.objects.to(email)
    if to_them.since(now - MAIL_EVERY).exists():
        raise ValidationError(TOO_SOON)
    if to_them.since(now - DAY).count() >= settings.SHARE_INVITATION_MAILS_PER_ADDRESS:
        raise ValidationError(ADDRESS_FULL)


def _mail(
    invitation: ShareInvitation, *, sent_by: User | None, base_url: str, now: datetime.datetime
) -> None:
    """Mail ``invitation``'s link, after the commit: the one place invitations are mailed,
    so every limit is checked here (``_refuse_flooding``) and every mail logged."""
    _refuse_flooding(invitation.email, sent_by, now=now)
    logged = InvitationMail.objects.create(
        recipient=InvitationMail.recipient_of(invitation.email),
        sent_by=sent_by,
        invitation=invitation,
        sent_at=now,
    )
    context = {
        "invitation": invitation,
        "pet": invitation.pet,
        "inviter": invitation.invited_by.username if invitation.invited_by else "Someone",
        "link": invitation_link(invitation, base_url=base_url),
        "role": "see and add to" if invitation.role == Share.Role.CONTRIBUTOR else "see",
    }
    # One line: a line break (a pet's name may hold one) would make the mail refuse to go.
    subject = one_line(render_to_string("sharing/invitation_subject.txt", context))
    body = render_to_string("sharing/invitation_email.txt", context)
    message = EmailMessage(subject, body, to=[invitation.email])

    def send() -> None:
        try:
            message.send()
        except Exception:
            # Not sent: no limit counts it, and the owner may send it again at once.
            InvitationMail.objects.filter(pk=logged.pk).delete()
            raise

    # After the commit, so that an invitation rolled back mails nobody; a mail that fails is
    # logged (robust), and the owner can send it again from the sharing page.
    transaction.on_commit(send, robust=True)


@transaction.atomic
def share_invitation_revoke(*, invitation: ShareInvitation) -> bool:
    """Stop ``invitation``'s link from granting anything. Returns whether it was pending
    (revoking twice, or after it was accepted, changes nothing)."""
    pending = ShareInvitation.objects.pending().filter(pk=invitation.pk)
    return bool(pending.update(revoked_at=timezone.now()))


def invited_account(
    invitation: ShareInvitation, user: User, *, unconfirmed_email: str = ""
) -> bool:
    """Whether ``user`` is the account ``invitation`` was mailed to: its address is the
    invitation's (in any case), or, for a new account whose address awaits confirmation, the
    one it signed up with (``unconfirmed_email``). Unconfirmed is enough here: holding the
    link proves the mailbox, and this only keeps a link opened by the wrong account (a
    forwarded mail, a shared computer) from granting the share to it."""
    addresses = {user.email.casefold(), unconfirmed_email.casefold()} - {""}
    return invitation.email.casefold() in addresses


@transaction.atomic
def share_invitation_accept(
    *, invitation: ShareInvitation, user: User, unconfirmed_email: str = ""
) -> Share:
    """Grant ``user`` the share ``invitation`` offers, and mark it accepted by them, if
    ``user`` is the account it was mailed to (``invited_account``; InvitationForSomeoneElse
    otherwise). Exactly that share, once: the row is locked and must still be pending. A
    share ``user`` already has is never lowered (a contributor invited as a viewer stays a
    contributor)."""
    locked = ShareInvitation.objects.select_for_update().select_related("pet")
    invitation = locked.get(pk=invitation.pk)
    _refuse_unless_pending(invitation)
    pet = invitation.pet
    if user.pk == pet.owner_id:
        raise ValidationError("This is your own pet: you already see it.")
    if not invited_account(invitation, user, unconfirmed_email=unconfirmed_email):
        raise InvitationForSomeoneElse(invitation)
    held = Share.objects.filter(pet=pet, grantee=user).values_list("role", flat=True).first()
    role = Share.Role.CONTRIBUTOR if held == Share.Role.CONTRIBUTOR else invitation.role
    share = share_grant(pet=pet, grantee=user, role=role, granted_by=invitation.invited_by)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return share


def share_invitations_prune(*, now: datetime.datetime | None = None) -> int:
    """Delete invitations that ended (expired, revoked or accepted) more than a lifetime ago:
    their links open nothing, and the addresses are no longer needed. Returns how many."""
    now = now or timezone.now()
    InvitationMail.objects.filter(sent_at__lt=now - DAY).delete()  # no limit counts them
    ended = ShareInvitation.objects.filter(expires_at__lt=now - invitation_lifetime())
    return ended.delete()[0]
