"""Signed links that attach an e-mail address to an account once its mailbox answers. The
token carries all it needs, signed with SECRET_KEY and dated; nothing is stored."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core import signing
from django.core.exceptions import ValidationError

SALT = "accounts.email-confirmation"
MAX_AGE = datetime.timedelta(days=3)
INVALID = (
    "This confirmation link is not valid. Open the whole link from the message, "
    "or ask for a new one on your e-mail page."
)
EXPIRED = (
    f"This confirmation link has expired (links work for {MAX_AGE.days} days). "
    "Log in and ask for a new one on your e-mail page."
)


@dataclass(frozen=True)
class Confirmation:
    """Attach ``email`` to account ``user_id``, if its address is still ``was``: a change
    made since (another link opened first) voids the link."""

    user_id: int
    email: str
    was: str


def confirmation_token(confirmation: Confirmation) -> str:
    """The signed, dated token for a confirmation link."""
    data = {"user": confirmation.user_id, "email": confirmation.email, "was": confirmation.was}
    return signing.dumps(data, salt=SALT)


def read_confirmation_token(token: str, *, max_age: datetime.timedelta = MAX_AGE) -> Confirmation:
    """The confirmation in ``token``; a ValidationError saying why if it was altered or is
    older than ``max_age``."""
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise ValidationError(EXPIRED, code="expired") from None
    except signing.BadSignature:
        raise ValidationError(INVALID, code="invalid") from None
    return Confirmation(user_id=data["user"], email=data["email"], was=data["was"])


# The address typed at sign-up, kept in that session until it is confirmed: a page that
# needs to know the address a new account is waiting for (an invitation's, which proves the
# mailbox itself) reads it with ``unconfirmed_email``.
UNCONFIRMED_SESSION_KEY = "accounts.unconfirmed-email"


def remember_unconfirmed_email(session, email: str) -> None:
    session[UNCONFIRMED_SESSION_KEY] = email


def unconfirmed_email(session) -> str:
    """The address this session's account signed up with, awaiting confirmation; or ""."""
    return session.get(UNCONFIRMED_SESSION_KEY, "")
