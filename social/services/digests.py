"""E-mail digests: each person's choice, and the sending of one digest, at most once.

A digest is decided by inserting its ``DigestSend`` row (``sending``) under the unique
constraint on (user, frequency, period) and committing it before the mail goes: a second run,
a retried batch or a worker racing this one finds the row and sends nothing. A worker killed
between the commit and the mail's end leaves the row ``sending`` (the dashboard's
"interrupted"): that digest is not sent again, since nobody can know whether it went; at most
once was chosen over at least once.

Thumbnails travel inside the mail (``multipart/related``, ``cid:``), not as URLs: a signed URL
that lives long enough to be read days later would outlive a revocation (which the product
bounds to 60 s), would open the pet's image to anyone the mail is forwarded to, and each time
it is shown would tell us that, when and where the mail was opened. An attached image is a
copy, as the mail's words are, and tells nobody anything.
"""

from __future__ import annotations

import datetime
import logging
import re
from collections import OrderedDict
from dataclasses import dataclass
from email.mime.image import MIMEImage
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from pettracker.text import one_line
from social.models import (
    DigestFrequency,
    DigestSend,
    DigestSubscription,
    digest_candidates,
    digest_reads,
)
from social.pure.digest_news import PetNews, group_news
from social.pure.digest_periods import Period, latest_period, period_of_key
from social.pure.mail_images import mail_jpeg

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "social.digest-unsubscribe"
# Users a batch task sends to: each costs a few queries, up to six small JPEGs and one SMTP
# connection (its own: a connection kept open across a batch may be dropped by the server while
# the next digest is composed, and a refused send is final here).
BATCH_SIZE = 100
ERROR_CHARS = 500
_ADDRESS = re.compile(r"[^\s<>\"',;:()\[\]]+@[^\s<>\"',;:()\[\]]+")


# --- The choice ---------------------------------------------------------------------------------


@transaction.atomic
def digest_subscription_set(*, user: User, frequency: str) -> DigestSubscription:
    """Record ``user``'s choice of digests (daily, weekly or off)."""
    if frequency not in DigestFrequency.values:
        raise ValueError(f"no such frequency: {frequency!r}")
    subscription, _ = DigestSubscription.objects.update_or_create(
        user=user, defaults={"frequency": frequency}
    )
    return subscription


# --- Unsubscribe tokens -------------------------------------------------------------------------


class BadUnsubscribeToken(Exception):
    """An unsubscribe link that was altered, cut short, or names no account."""


def unsubscribe_token(user: User) -> str:
    """The token of ``user``'s unsubscribe link: their id and what it ends (digests), signed
    with SECRET_KEY under its own salt. Undated: a digest read months later must still stop
    the next, and all it can do is turn mail off."""
    return signing.dumps({"u": user.pk, "s": "digests"}, salt=UNSUBSCRIBE_SALT)


def user_of_unsubscribe_token(token: str) -> User:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        raise BadUnsubscribeToken from None
    if not isinstance(data, dict) or data.get("s") != "digests":
        raise BadUnsubscribeToken
    user = User.objects.filter(pk=data.get("u")).first()
    if user is None:
        raise BadUnsubscribeToken
    return user


def unsubscribe_url(user: User) -> str:
    return settings.SITE_URL + reverse("digest_unsubscribe", args=[unsubscribe_token(user)])


# --- Which periods and users are due ----------------------------------------------------------


def site_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def periods_due(now: datetime.datetime | None = None) -> list[Period]:
    """The period each frequency last completed: the ones beat sends digests for."""
    now = now or timezone.now()
    zone = site_zone()
    return [
        latest_period(frequency, now=now, zone=zone)
        for frequency in (DigestFrequency.DAILY, DigestFrequency.WEEKLY)
    ]


def period_named(frequency: str, key: str) -> Period:
    return period_of_key(frequency, key, zone=site_zone())


def users_due(period: Period) -> list[int]:
    return list(
        digest_candidates(period.frequency, key=period.key, start=period.start, end=period.end)
    )


# --- One digest -------------------------------------------------------------------------------


@dataclass
class Composed:
    message: EmailMultiAlternatives | None  # None: nothing to say
    items: int


class ThumbnailMemo:
    """The mail JPEGs a batch made, by rendition key: the recipients of one pet share its
    thumbnails, read from storage and encoded once a batch. Bounded (the oldest forgotten
    past ``size``); a thumbnail that could not be made is remembered as None."""

    def __init__(self, size: int = 200):
        self.size = size
        self._jpegs: OrderedDict[str, bytes | None] = OrderedDict()

    def jpeg(self, key: str) -> bytes | None:
        if key in self._jpegs:
            self._jpegs.move_to_end(key)
            return self._jpegs[key]
        jpeg = _mail_jpeg_of(key)
        self._jpegs[key] = jpeg
        if len(self._jpegs) > self.size:
            self._jpegs.popitem(last=False)
        return jpeg


def digest_send(
    *, user_id: int, period: Period, thumbnails: ThumbnailMemo | None = None
) -> DigestSend | None:
    """Send ``user_id``'s digest for ``period`` unless one was decided already (another run,
    another worker): returns its row, or None when there was nothing to do. Not atomic as a
    whole, on purpose: the row is committed before the mail goes, so it must not be called
    inside a transaction (the tasks call it in autocommit; ``_decide`` raises otherwise). A
    digest that cannot be composed is recorded ``failed`` with its error."""
    user = User.objects.filter(pk=user_id, is_active=True).exclude(email="").first()
    if user is None or DigestSubscription.frequency_of(user) != period.frequency:
        return None  # deactivated, address removed or choice changed since the batch was made
    if DigestSend.objects.filter(
        user=user, frequency=period.frequency, period_key=period.key
    ).exists():
        return None  # the cheap answer; the insert below is the one that counts
    try:
        composed = compose_digest(user, period, thumbnails=thumbnails)
    except Exception as exc:  # bad data, a template's error: recorded, not tried every hour
        logger.warning("a digest could not be composed: %s", type(exc).__name__)
        return _decide(user, period, state=DigestSend.State.FAILED, error=_safe_error(exc))
    state = DigestSend.State.SENDING if composed.message else DigestSend.State.EMPTY
    send = _decide(user, period, state=state, items=composed.items)
    if send is None or composed.message is None:
        return send
    try:
        composed.message.send()
    except Exception as exc:  # anything the mail back end raises: recorded, shown to admins
        _finish(send, DigestSend.State.FAILED, error=_safe_error(exc))
        logger.warning("a digest was not sent: %s", type(exc).__name__)
    else:
        _finish(send, DigestSend.State.SENT)
    return send


def _decide(
    user: User, period: Period, *, state: str, items: int = 0, error: str = ""
) -> DigestSend | None:
    """Insert the period's row for ``user``, committed; None when one exists (the unique
    constraint: a racing worker's insert waits for ours, then fails). Durable: inside a
    caller's transaction it raises instead of leaving the row uncommitted while the mail goes.
    A digest that could not be composed is decided ``failed``: nothing went, and the same bad
    data would fail it again every hour of the period."""
    try:
        with transaction.atomic(durable=True):
            return DigestSend.objects.create(
                user=user,
                frequency=period.frequency,
                period_key=period.key,
                period_start=period.start,
                period_end=period.end,
                state=state,
                items=items,
                error=error,
                finished_at=None if state == DigestSend.State.SENDING else timezone.now(),
            )
    except IntegrityError:
        return None


def _finish(send: DigestSend, state: str, *, error: str = "") -> None:
    send.state, send.error, send.finished_at = state, error, timezone.now()
    DigestSend.objects.filter(pk=send.pk, state=DigestSend.State.SENDING).update(
        state=state, error=error, finished_at=send.finished_at
    )


def _safe_error(exc: BaseException) -> str:
    """The failure's class and message, addresses masked (an SMTP refusal names them)."""
    text = one_line(f"{type(exc).__name__}: {exc}")
    return _ADDRESS.sub("[address]", text)[:ERROR_CHARS]


# --- Composing ----------------------------------------------------------------------------------


def compose_digest(
    user: User, period: Period, *, thumbnails: ThumbnailMemo | None = None
) -> Composed:
    """The digest ``user`` gets for ``period``, or none when nothing happened; its thumbnails
    taken from (and kept in) a batch's ``thumbnails``."""
    reads = digest_reads(user, since=period.start, until=period.end)
    news = group_news(reads.photo_counts, reads.comments, reads.comment_counts)
    if not news:
        return Composed(None, 0)
    for item in news:
        item.url = settings.SITE_URL + reverse("pet_gallery", args=[item.pet_id])
    images = _inline_images(reads.thumbnails, news, thumbnails or ThumbnailMemo())
    unsubscribe = unsubscribe_url(user)
    context = {
        "user": user,
        "news": news,
        "period": period,
        "period_label": period_label(period),
        "site_url": settings.SITE_URL,
        "account_url": settings.SITE_URL + reverse("account"),
        "unsubscribe_url": unsubscribe,
    }
    # One line: a pet's name may hold a line break, which would stop the mail.
    subject = one_line(render_to_string("social/digest_subject.txt", context))
    message = EmailMultiAlternatives(
        subject,
        render_to_string("social/digest_email.txt", context),
        to=[user.email],
        headers={
            # RFC 8058: the mail provider's own Unsubscribe button POSTs to the link.
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(render_to_string("social/digest_email.html", context), "text/html")
    if images:
        # The whole message is multipart/related: the HTML's cid: images beside the
        # alternatives, as most mail clients expect.
        message.mixed_subtype = "related"
        for image in images:
            message.attach(image)
    return Composed(message, reads.items)


def period_label(period: Period) -> str:
    local_start = period.start.astimezone(site_zone())
    if period.frequency == DigestFrequency.DAILY:
        return f"{local_start:%A} {local_start.day} {local_start:%B}"
    last = (period.end.astimezone(site_zone()) - datetime.timedelta(days=1)).date()
    return f"the week of {local_start.day} {local_start:%B} to {last.day} {last:%B}"


def _inline_images(
    thumbnails: list[tuple[str, str]], news: list[PetNews], memo: ThumbnailMemo
) -> list[MIMEImage]:
    """The newest photos' squares as small JPEGs, each named by a Content-ID its pet's
    ``thumbnails`` lists. One that cannot be read or made is left out: the digest goes
    without it."""
    by_pet = {item.pet_id: item for item in news}
    images = []
    for index, (pet_id, key) in enumerate(thumbnails):
        jpeg = memo.jpeg(key)
        if jpeg is None:
            continue
        cid = f"photo{index}"
        image = MIMEImage(jpeg, "jpeg")
        image.add_header("Content-ID", f"<{cid}@pettracker>")
        image.add_header("Content-Disposition", "inline", filename=f"{cid}.jpg")
        images.append(image)
        if pet_id in by_pet:
            by_pet[pet_id].thumbnails.append(f"{cid}@pettracker")
    return images


def _mail_jpeg_of(key: str) -> bytes | None:
    try:
        with default_storage.open(key) as stored:
            return mail_jpeg(stored.read())
    except Exception:  # storage down, object gone, not an image: the mail goes without
        logger.warning("a digest's thumbnail could not be made", exc_info=True)
        return None
