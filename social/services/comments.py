"""Comments: plain text on a photo, by anyone who sees its pet, within a rate per person."""

from __future__ import annotations

import datetime
import math

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from images.models import Photo
from images.services.errors import TooFast
from social.models import COMMENT_MAX_LENGTH, Comment, CommentPost, forget_news_of_pets_on_commit
from social.pure.comment_text import CommentRefused, normalise_comment

__all__ = ["CommentRefused", "TooFast", "comment_create", "comment_delete"]


@transaction.atomic
def comment_create(*, author: User, photo: Photo, text: str) -> Comment:
    """A comment by ``author`` on ``photo`` (the caller has checked that they see it and that
    it is ready), its text tidied (``social.pure.comment_text``). Refused, with words for the
    author, when nothing is left once tidied, when it is too long, or past the rate
    (``images.services.errors.TooFast``, as uploads are: the same refusal, 429 and
    ``Retry-After``)."""
    kept = normalise_comment(text, max_length=COMMENT_MAX_LENGTH)
    # One comment at a time per author: concurrent posts would each see room for one more.
    # The rate is counted from CommentPost rows, one a post, which deleting a comment leaves:
    # exact across processes, and the day's window outlives what the cache keeps (10 minutes).
    # (SQLite ignores the lock, but its IMMEDIATE transactions already run one at a time.)
    User.objects.select_for_update().filter(pk=author.pk).values_list("pk", flat=True).first()
    now = timezone.now()
    _refuse_if_too_fast(author, now)
    longest = max(window for window, _, _ in _windows())
    CommentPost.objects.filter(author=author, created_at__lte=now - longest).delete()
    CommentPost.objects.create(author=author, created_at=now)
    return Comment.objects.create(author=author, photo=photo, text=kept, created_at=now)


@transaction.atomic
def comment_delete(*, comment: Comment) -> bool:
    """Delete ``comment`` (the caller has checked that its user may: ``deletable_by``).
    Deleting one already gone changes nothing. Returns whether this call deleted it. Its news
    goes from everyone's home and header on their next page."""
    deleted, _ = Comment.objects.filter(pk=comment.pk).delete()
    if deleted:
        forget_news_of_pets_on_commit([comment.photo.pet_id])
    return bool(deleted)


@transaction.atomic
def comments_delete(*, comments: QuerySet[Comment]) -> int:
    """Delete many comments at once (the admin's removal). Returns how many. Their news goes
    from everyone's home and header on their next page."""
    rows = list(comments.values_list("pk", "photo__pet_id"))
    deleted, _ = Comment.objects.filter(pk__in=[pk for pk, _ in rows]).delete()
    if deleted:
        forget_news_of_pets_on_commit({pet_id for _, pet_id in rows})
    return deleted


def _windows() -> list[tuple[datetime.timedelta, int, str]]:
    return [
        (datetime.timedelta(minutes=1), settings.COMMENTS_PER_MINUTE, "a minute"),
        (datetime.timedelta(days=1), settings.COMMENTS_PER_DAY, "a day"),
    ]


def _refuse_if_too_fast(author: User, now: datetime.datetime) -> None:
    """``TooFast`` when ``author`` posted the most allowed in one of the windows;
    ``retry_after`` is when the oldest counted leaves it. Every post counts, deleted or not:
    else posting and deleting would be unlimited, and an owner removing spam would refund
    the spammer. (Two windows, and waits said in hours: uploads' one-minute check does not
    fit as it is.)"""
    for window, limit, named in _windows():
        newest_first = CommentPost.objects.filter(author=author, created_at__gt=now - window)
        times = newest_first.order_by("-created_at").values_list("created_at", flat=True)
        oldest_counted = times[limit - 1 : limit].first()
        if oldest_counted is None:
            continue
        wait = max(1, math.ceil((oldest_counted + window - now).total_seconds()))
        raise TooFast(
            f"{limit} comments {named} is the most allowed; try again in {_duration(wait)}.",
            retry_after=wait,
        )


def _duration(seconds: int) -> str:
    """``42 seconds``, ``3 minutes``, ``2 hours``: rounded up, so that trying then works."""
    if seconds < 90:
        amount, unit = seconds, "second"
    elif seconds < 90 * 60:
        amount, unit = math.ceil(seconds / 60), "minute"
    else:
        amount, unit = math.ceil(seconds / 3600), "hour"
    return f"{amount} {unit}{'' if amount == 1 else 's'}"
