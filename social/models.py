"""Likes, comments, what each person has read of the activity, and the e-mail digests.

The rows hang on ``images``' photos and on users; who may see or touch them is decided by
``images``' querysets (``Photo.objects.visible_to``), which the querysets here build on.
``images`` knows nothing of this app (pyproject.toml's import contracts): pages of ``images``
show likes and comments through this app's template tags, as django-contrib-comments does.
"""

from __future__ import annotations

import datetime
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone

from images.models import Photo, PhotoQuerySet
from social.pure.activity import Event, Kind, complete_since, group_events

COMMENT_MAX_LENGTH = 2000


def photos_added_for(user, *, since, until=None) -> PhotoQuerySet:
    """The photos others added that ``user`` sees now, which turned ready in [since, until):
    what "Frank added 5 photos of Pip" counts, in the activity and in the digests."""
    added = Photo.objects.visible_to(user).ready().filter(processed_at__gte=since)
    if until is not None:
        added = added.filter(processed_at__lt=until)
    return added.exclude(uploader=user)


class MadeBetween:
    """For querysets of rows dated by ``created_at`` (comments, likes)."""

    def made_between(self, since, until=None):
        made = self.filter(created_at__gte=since)
        return made if until is None else made.filter(created_at__lt=until)


class CommentQuerySet(MadeBetween, models.QuerySet):
    def visible_to(self, user) -> CommentQuerySet:
        """Comments on the photos ``user`` sees (``Photo.objects.visible_to``): the one rule."""
        return self.filter(photo__in=Photo.objects.visible_to(user).ready())

    def by_others_than(self, user) -> CommentQuerySet:
        return self.exclude(author=user)


class LikeQuerySet(MadeBetween, models.QuerySet):
    def visible_to(self, user) -> LikeQuerySet:
        return self.filter(photo__in=Photo.objects.visible_to(user).ready())

    def by_others_than(self, user) -> LikeQuerySet:
        return self.exclude(user=user)

    def on_uploads_of(self, user) -> LikeQuerySet:
        """Likes of the photos ``user`` uploaded: theirs to hear about."""
        return self.filter(photo__uploader=user)


class Like(models.Model):
    """Someone who sees a pet liked one of its photos: seen by everyone who sees the pet."""

    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="likes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="likes"
    )
    created_at = models.DateTimeField(db_default=Now())

    objects = LikeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["-created_at"], name="like_created_idx")]
        constraints = [
            models.UniqueConstraint(fields=["photo", "user"], name="like_once_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} likes {self.photo_id}"


class Comment(models.Model):
    """Plain text about a photo, by someone who sees its pet."""

    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comments"
    )
    text = models.TextField(max_length=COMMENT_MAX_LENGTH)
    created_at = models.DateTimeField(db_default=Now())

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            # A photo's comments in order; the activity's newest comments; an author's rate.
            models.Index(fields=["photo", "created_at"], name="comment_photo_idx"),
            models.Index(fields=["-created_at"], name="comment_created_idx"),
            models.Index(fields=["author", "-created_at"], name="comment_author_idx"),
        ]

    def __str__(self) -> str:
        return f"Comment {self.pk} by {self.author_id} on {self.photo_id}"


class ActivityRead(models.Model):
    """How far one person has read the activity: what came after is unread."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="activity_read",
    )
    seen_at = models.DateTimeField(db_default=Now())

    def __str__(self) -> str:
        return f"{self.user_id} read up to {self.seen_at:%Y-%m-%d %H:%M}"


# --- The activity: what others did that matters to each person ------------------------------

# How far back the activity looks, and how many rows of each kind it reads at most: bounded,
# so that its queries stay cheap however much happened (benchmarks/scale.py).
ACTIVITY_WINDOW = datetime.timedelta(days=30)
ACTIVITY_ROWS = 100  # home's few groups, and the header's count
ACTIVITY_PAGE_ROWS = 500  # the activity page's
# The header's count stops here ("99+") and is kept this long per person.
UNREAD_CAP = 99
UNREAD_CACHE_SECONDS = 60


class Activity(NamedTuple):
    events: list[Event]
    # The added photos, with the columns their tiles need (``for_tiles``), by id.
    photos: dict


def activity_of(user, *, since=None, limit: int = ACTIVITY_ROWS) -> Activity:
    """What others did since ``since`` (at most ``ACTIVITY_WINDOW`` ago) that ``user`` hears
    about: photos others added to pets they see now, comments others made on photos they see,
    likes others gave to their uploads. Never their own actions; nothing of a pet they no
    longer see (``visible_to``, live). Three queries, each of at most ``limit`` rows."""
    if not user.is_authenticated:  # link visitors have no activity
        return Activity([], {})
    floor = timezone.now() - ACTIVITY_WINDOW
    since = floor if since is None else max(since, floor)
    added = list(
        photos_added_for(user, since=since)
        .for_tiles()
        .annotate(at=models.F("processed_at"), pet_name=models.F("pet__name"))
        .order_by("-processed_at")[:limit]
    )
    dated = ("created_at", "photo_id", "photo__pet_id", "photo__pet__name")
    comments = (
        Comment.objects.visible_to(user)
        .by_others_than(user)
        .made_between(since)
        .order_by("-created_at")
        .values_list(*dated, "author_id", "author__username")[:limit]
    )
    likes = (
        Like.objects.visible_to(user)
        .on_uploads_of(user)
        .by_others_than(user)
        .made_between(since)
        .order_by("-created_at")
        .values_list(*dated, "user_id", "user__username")[:limit]
    )
    kinds = [
        [
            Event(Kind.ADDED, p.at, p.uploader_id, _name(p.uploader), p.pet_id, p.pet_name, p.pk)
            for p in added
        ],
        [_event(Kind.COMMENTED, row) for row in comments],
        [_event(Kind.LIKED, row) for row in likes],
    ]
    return Activity(complete_since(kinds, limit=limit), {p.pk: p for p in added})


def _name(uploader) -> str:
    return uploader.username if uploader is not None else ""


def _event(kind: Kind, row: tuple) -> Event:
    at, photo_id, pet_id, pet, actor_id, actor = row
    return Event(kind, at, actor_id, actor, pet_id, pet, photo_id)


def activity_seen_at(user) -> datetime.datetime | None:
    """How far ``user`` has read the activity (``None``: never read it)."""
    return ActivityRead.objects.filter(user=user).values_list("seen_at", flat=True).first()


def unread_cache_key(user_id) -> str:
    return f"social:activity-unread:{user_id}"


def unread_activity_count(user) -> int:
    """How many groups of news ``user`` has not read, at most ``UNREAD_CAP + 1`` (shown
    "99+"): every page's header shows it, so it is kept in the cache for
    ``UNREAD_CACHE_SECONDS`` (``activity_mark_read`` forgets it)."""
    key = unread_cache_key(user.pk)
    count = cache.get(key)
    if count is None:
        # Only the events after what was read: their groups are the unread ones (those of a
        # group come in a row, so its unread end groups as the whole does).
        seen_at = activity_seen_at(user)
        events = activity_of(user, since=seen_at, limit=UNREAD_CAP + 1).events
        unread = [e for e in events if seen_at is None or e.at > seen_at]
        count = min(len(group_events(unread)), UNREAD_CAP + 1)
        cache.set(key, count, UNREAD_CACHE_SECONDS)
    return count
