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

from images.models import Pet, Photo, PhotoQuerySet, Rendition, RenditionName
from social.pure.activity import Event, Group, Kind, complete_since, group_events

COMMENT_MAX_LENGTH = 2000


def photos_seen_by(user, *, pets=None) -> PhotoQuerySet:
    """The ready photos ``user`` sees (``Photo.objects.visible_to``). ``pets``: the ids of
    ``Pet.objects.visible_to(user)`` when they were read already: as a list, the database
    walks each pet's index (as home does), where the subquery made PostgreSQL read every
    photo (benchmarks/scale.py)."""
    seen = Photo.objects.visible_to(user) if pets is None else Photo.objects.filter(pet__in=pets)
    return seen.ready()


def photos_added_for(user, *, since, until=None, pets=None) -> PhotoQuerySet:
    """The photos others added that ``user`` sees now, which turned ready in [since, until):
    what "Frank added 5 photos of Pip" counts, in the activity and in the digests.
    ``pets``: as ``photos_seen_by``'s."""
    added = photos_seen_by(user, pets=pets).filter(processed_at__gte=since)
    if until is not None:
        added = added.filter(processed_at__lt=until)
    return added.exclude(uploader=user)


class MadeBetween:
    """For querysets of rows dated by ``created_at`` (comments, likes)."""

    def made_between(self, since, until=None):
        made = self.filter(created_at__gte=since)
        return made if until is None else made.filter(created_at__lt=until)


class CommentQuerySet(MadeBetween, models.QuerySet):
    def visible_to(self, user, *, pets=None) -> CommentQuerySet:
        """Comments on the photos ``user`` sees (``Photo.objects.visible_to``): the one rule.
        ``pets``: as ``photos_seen_by``'s."""
        return self.filter(photo__in=photos_seen_by(user, pets=pets))

    def by_others_than(self, user) -> CommentQuerySet:
        return self.exclude(author=user)


class LikeQuerySet(MadeBetween, models.QuerySet):
    def visible_to(self, user, *, pets=None) -> LikeQuerySet:
        """Likes of the photos ``user`` sees. ``pets``: as ``photos_seen_by``'s."""
        return self.filter(photo__in=photos_seen_by(user, pets=pets))

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
ACTIVITY_ROWS = 100  # home's news and the header's count
ACTIVITY_PAGE_ROWS = 500  # the activity page's
HOME_GROUPS = 10  # the news home shows
THUMBS = 4  # added photos shown beside their news
# The header's count stops here ("99+"); it and home's news are kept this long per person.
UNREAD_CAP = 99
SUMMARY_CACHE_SECONDS = 60


def activity_of(user, *, since=None, limit: int = ACTIVITY_ROWS) -> list[Event]:
    """What others did since ``since`` (at most ``ACTIVITY_WINDOW`` ago) that ``user`` hears
    about: photos others added to pets they see now, comments others made on photos they see,
    likes others gave to their uploads. Never their own actions; nothing of a pet they no
    longer see (``visible_to``, live); nothing for visitors. Four queries of plain values:
    the pets they see, then each kind, at most ``limit`` rows, cut where one of them was
    (``complete_since``)."""
    if not user.is_authenticated:
        return []
    pets = dict(Pet.objects.visible_to(user).order_by().values_list("pk", "name"))
    if not pets:
        return []
    floor = timezone.now() - ACTIVITY_WINDOW
    since = floor if since is None else max(since, floor)
    seen = list(pets)
    added = (
        photos_added_for(user, since=since, pets=seen)
        .order_by("-processed_at")
        .values_list("processed_at", "pk", "pet_id", "uploader_id", "uploader__username")[:limit]
    )
    on_photo = ("created_at", "photo_id", "photo__pet_id")
    comments = (
        Comment.objects.visible_to(user, pets=seen)
        .by_others_than(user)
        .made_between(since)
        .order_by("-created_at")
        .values_list(*on_photo, "author_id", "author__username")[:limit]
    )
    likes = (
        Like.objects.visible_to(user, pets=seen)
        .on_uploads_of(user)
        .by_others_than(user)
        .made_between(since)
        .order_by("-created_at")
        .values_list(*on_photo, "user_id", "user__username")[:limit]
    )
    kinds = [
        [_event(Kind.ADDED, row, pets) for row in added],
        [_event(Kind.COMMENTED, row, pets) for row in comments],
        [_event(Kind.LIKED, row, pets) for row in likes],
    ]
    return complete_since(kinds, limit=limit)


def _event(kind: Kind, row: tuple, pets: dict) -> Event:
    at, photo_id, pet_id, actor_id, actor = row
    return Event(kind, at, actor_id, actor or "", pet_id, pets[pet_id], photo_id)


def thumbnail_keys(groups: list[Group]) -> dict:
    """The keys of the ``thumb`` renditions of the first ``THUMBS`` photos of each group of
    added photos, by photo (one query; none without such groups)."""
    ids = [pk for g in groups if g.kind is Kind.ADDED for pk in g.photo_ids[:THUMBS]]
    if not ids:
        return {}
    thumbs = Rendition.objects.filter(photo_id__in=ids, name=RenditionName.THUMB)
    return dict(thumbs.values_list("photo_id", "key"))


def activity_seen_at(user) -> datetime.datetime | None:
    """How far ``user`` has read the activity (``None``: never read it)."""
    return ActivityRead.objects.filter(user=user).values_list("seen_at", flat=True).first()


class Summary(NamedTuple):
    """What every page's header and home show of one person's activity."""

    unread: int  # groups of news after ``seen_at``, at most ``UNREAD_CAP + 1`` ("99+")
    groups: list[Group]  # home's, the newest ``HOME_GROUPS``
    seen_at: datetime.datetime | None
    thumbs: dict  # the ``thumb`` rendition's key of the groups' first added photos


# In the key: bump it when ``Summary`` or ``Group`` change shape, so that a deploy never
# unpickles the previous one (pages would fail for a minute).
SUMMARY_VERSION = 1


def summary_cache_key(user_id) -> str:
    return f"social:activity:v{SUMMARY_VERSION}:{user_id}"


def unread_cache_key(user_id) -> str:
    # The count apart from the summary: every page reads it, and an int comes back from the
    # cache faster than the groups unpickled.
    return f"social:activity-unread:{user_id}"


def activity_summary(user) -> Summary:
    """``user``'s unread count and home's news, from one read (six queries) kept in the
    cache for ``SUMMARY_CACHE_SECONDS``: every page's header shows the count, so a page
    costs one cache read, and news reaches the header and home within a minute.
    ``forget_activity_summary`` forgets it (a reading, a share ending or beginning)."""
    summary = cache.get(summary_cache_key(user.pk))
    if summary is None:
        seen_at = activity_seen_at(user)
        groups = group_events(activity_of(user))
        unread = sum(1 for g in groups[: UNREAD_CAP + 1] if g.unread_after(seen_at))
        shown = groups[:HOME_GROUPS]
        summary = Summary(unread, shown, seen_at, thumbnail_keys(shown))
        kept = {summary_cache_key(user.pk): summary, unread_cache_key(user.pk): unread}
        cache.set_many(kept, SUMMARY_CACHE_SECONDS)
    return summary


def unread_activity_count(user) -> int:
    """How many groups of news ``user`` has not read, at most ``UNREAD_CAP + 1``."""
    count = cache.get(unread_cache_key(user.pk))
    return activity_summary(user).unread if count is None else count


def forget_activity_summary(user_id) -> None:
    cache.delete_many([summary_cache_key(user_id), unread_cache_key(user_id)])
