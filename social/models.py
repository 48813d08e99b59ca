"""Likes, comments, what each person has read of the activity, and the e-mail digests.

The rows hang on ``images``' photos and on users; who may see or touch them is decided by
``images``' querysets (``Photo.objects.visible_to``), which the querysets here build on.
``images`` knows nothing of this app (pyproject.toml's import contracts): pages of ``images``
show likes and comments through this app's template tags, as django-contrib-comments does.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.db import models, transaction
from django.db.models.functions import Coalesce, Now, RowNumber
from django.utils import timezone

from accounts.models import User
from images.models import Pet, Photo, PhotoQuerySet, Rendition, RenditionName, Share
from social.pure.activity import Event, Group, Kind, complete_since, group_events
from social.pure.digest_news import COMMENTS_QUOTED, spread

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

    def deletable_by(self, user) -> CommentQuerySet:
        """The comments ``user`` may delete: their own, and any on the pets they own (of those
        they still see)."""
        mine = models.Q(author=user) | models.Q(photo__pet__owner=user)
        return self.visible_to(user).filter(mine)

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


def with_social_counts(photos: PhotoQuerySet, user=None) -> PhotoQuerySet:
    """``photos`` with ``like_count`` and ``comment_count`` (each a subquery: no join multiplies
    rows) and ``liked`` (whether ``user`` likes it; False for nobody), in the photos' query."""
    liked = (
        models.Exists(Like.objects.filter(photo=models.OuterRef("pk"), user=user))
        if user is not None and user.is_authenticated
        else models.Value(False)
    )
    return photos.annotate(
        like_count=_count_of(Like), comment_count=_count_of(Comment), liked=liked
    )


def _count_of(model) -> models.Expression:
    rows = model.objects.filter(photo=models.OuterRef("pk")).order_by().values("photo")
    counted = rows.annotate(n=models.Count("pk")).values("n")
    return Coalesce(models.Subquery(counted), 0)


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
        # What the admin names it (its pages, messages, the audit trail): who and when, and
        # the start of what they said.
        start = self.text[:40] + ("…" if len(self.text) > 40 else "")
        when = self.created_at
        day = f" of {when:%d %b %Y}" if isinstance(when, datetime.datetime) else ""
        return f"{self.author}'s comment{day}: “{start}”"


class CommentPost(models.Model):
    """That an author posted a comment, and when: what the comment rate counts. Kept apart from
    the comment, append-only, so that deleting comments (the author's own, or an owner removing
    spam) gives back none of the rate. Rows older than the longest window are pruned as the
    author posts (``comment_create``): a day's at most per person."""

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comment_posts"
    )
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["author", "-created_at"], name="comment_post_author_idx")]

    def __str__(self) -> str:
        return f"{self.author_id} posted a comment at {self.created_at:%Y-%m-%d %H:%M:%S}"


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


# --- E-mail digests ---------------------------------------------------------------------------


class DigestFrequency(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    OFF = "off", "Off"


# Everyone with a confirmed address gets a weekly digest until they choose otherwise: the news
# of pets shared with them is why they were invited, a week's is one short mail (none when
# nothing happened), and every digest carries a one-click unsubscribe. Daily would be too much
# for a default; off would leave most people never learning the feature exists.
DIGEST_DEFAULT = DigestFrequency.WEEKLY


class DigestSubscription(models.Model):
    """A person's choice of digests; no row is the default (DIGEST_DEFAULT): rows are made
    only when someone chooses."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="digest_subscription",
    )
    frequency = models.CharField(max_length=6, choices=DigestFrequency.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(frequency__in=DigestFrequency.values),
                name="digest_frequency_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.frequency}"

    @classmethod
    def frequency_of(cls, user) -> str:
        chosen = cls.objects.filter(user=user).values_list("frequency", flat=True).first()
        return chosen or DIGEST_DEFAULT


class DigestSendState(models.TextChoices):
    SENDING = "sending", "Sending"  # decided and committed; the mail may or may not have gone
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    EMPTY = "empty", "Nothing to say"  # no mail: recorded so later runs skip the user


class DigestSendQuerySet(models.QuerySet):
    def since(self, when) -> DigestSendQuerySet:
        return self.filter(created_at__gte=when)

    def interrupted(self, *, before) -> models.Q:
        """Sends left ``sending`` since before ``before``: their worker died between the
        commit and the mail's end. They are never sent again (at most once)."""
        return models.Q(state=DigestSendState.SENDING, created_at__lt=before)


class DigestSend(models.Model):
    """One digest decided for one user and period: written (``sending``) and committed before
    its mail goes, so that a second run, or a worker racing this one, finds it and sends
    nothing (the unique constraint); then ``sent`` or ``failed``."""

    State = DigestSendState

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_sends"
    )
    frequency = models.CharField(max_length=6, choices=DigestFrequency.choices)
    period_key = models.CharField(max_length=10)  # 2026-11-25, 2026-W48
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    state = models.CharField(max_length=7, choices=DigestSendState.choices)
    items = models.PositiveIntegerField(default=0)  # photos and comments told of
    error = models.TextField(blank=True)  # the failure's class and message, addresses masked
    created_at = models.DateTimeField(db_default=Now())
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = DigestSendQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["-created_at", "state"], name="digest_send_created_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "frequency", "period_key"], name="digest_once_per_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.frequency} digest {self.period_key} for {self.user_id}: {self.state}"


def digest_candidates(frequency: str, *, key: str, start, end) -> models.QuerySet:
    """Ids of the users who may have a ``frequency`` digest for the period [start, end) named
    ``key`` and have none yet: active, with an address, who chose ``frequency`` (or left the
    default), and who see a pet that had photos made ready or comments in the period (a
    superset of those with news: their own uploads count for nothing, ``digest_reads`` says)."""
    added = Photo.objects.ready().filter(processed_at__gte=start, processed_at__lt=end)
    talked = Comment.objects.filter(created_at__gte=start, created_at__lt=end)
    busy = Pet.objects.filter(
        models.Q(pk__in=added.values("pet_id")) | models.Q(pk__in=talked.values("photo__pet_id"))
    )
    chose = models.Q(digest_subscription__frequency=frequency)
    if frequency == DIGEST_DEFAULT:
        chose |= models.Q(digest_subscription__isnull=True)
    done = DigestSend.objects.filter(frequency=frequency, period_key=key).values("user_id")
    # Subqueries, not joins: an OR across the pets and shares joins made rows pets × shares
    # (each user repeated) for DISTINCT to fold again.
    owners = Pet.objects.filter(pk__in=busy).values("owner_id")
    grantees = Share.objects.filter(pet__in=busy).values("grantee_id")
    return (
        User.objects.filter(chose, is_active=True)
        .exclude(email="")
        .filter(models.Q(pk__in=owners) | models.Q(pk__in=grantees))
        .exclude(pk__in=done)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@dataclass(frozen=True)
class DigestReads:
    """What one user's digest for a period tells, as plain rows for ``social.pure.digest_news``."""

    photo_counts: list[tuple[str, str, str, int]]  # pet id, pet name, uploader, photos
    # pet id, pet name, author, text: the latest COMMENTS_QUOTED of each pet, oldest first
    comments: list[tuple[str, str, str, str]]
    thumbnails: list[tuple[str, str]]  # pet id, rendition key: the newest photos' squares
    comment_counts: dict[str, int]  # pet id: its comments (all, quoted or not)

    @property
    def items(self) -> int:
        return sum(row[3] for row in self.photo_counts) + sum(self.comment_counts.values())


# Thumbnails a digest attaches at most: each is a small JPEG made while the mail is composed.
DIGEST_THUMBNAILS = 6


def digest_reads(user, *, since, until) -> DigestReads:
    """The photos others added and the comments others wrote, in [since, until), on the pets
    ``user`` sees now (the shared reads: a pet no longer shared, or a photo deleted, is
    left out), their own pets included: a contributor's photos of them, a friend's comments
    on them, are news to their owner too. Four queries, whatever the comments: only the
    quoted ones are read, the rest counted in SQL."""
    added = photos_added_for(user, since=since, until=until)
    counts = (
        added.order_by()
        .values_list("pet_id", "pet__name", "uploader__username")
        .annotate(n=models.Count("pk"))
    )
    # Only the quoted comments' texts are read; each row carries its pet's count (windows
    # over every comment of the period, computed before the filter on the rank).
    per_pet = {"partition_by": [models.F("photo__pet_id")]}
    comments = (
        Comment.objects.visible_to(user)
        .by_others_than(user)
        .made_between(since, until)
        .annotate(
            rank=models.Window(
                RowNumber(), order_by=[models.F("created_at").desc(), "-pk"], **per_pet
            ),
            pet_comments=models.Window(models.Count("pk"), **per_pet),
        )
        .filter(rank__lte=COMMENTS_QUOTED)
        .order_by("created_at", "pk")
        .values_list(
            "photo__pet_id", "photo__pet__name", "author__username", "text", "pet_comments"
        )
    )
    newest = added.order_by("-processed_at", "-pk").values_list("pk", "pet_id")
    chosen = spread(list(newest[: DIGEST_THUMBNAILS * 5]), DIGEST_THUMBNAILS)
    squares = (
        Rendition.objects.filter(photo__in=chosen, name__in=["thumb", "square"])
        .order_by("-width")  # the smallest square of each photo last: it stays below
        .values_list("photo_id", "photo__pet_id", "key")
    )
    smallest = {photo_id: (str(pet_id), key) for photo_id, pet_id, key in squares}
    thumbnails = [smallest[photo_id] for photo_id in chosen if photo_id in smallest]
    rows = list(comments)
    return DigestReads(
        photo_counts=[(str(p), name, who or "Someone", n) for p, name, who, n in counts],
        comments=[(str(p), name, who, text) for p, name, who, text, _ in rows],
        thumbnails=thumbnails,
        comment_counts={str(p): n for p, *_, n in rows},
    )


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
        .values_list(*on_photo, "author_id", "author__username", "photo__uploader_id")[:limit]
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
        [_event(Kind.COMMENTED, row[:5], pets, yours=row[5] == user.pk) for row in comments],
        [_event(Kind.LIKED, row, pets, yours=True) for row in likes],  # of their uploads
    ]
    return complete_since(kinds, limit=limit)


def _event(kind: Kind, row: tuple, pets: dict, *, yours: bool = False) -> Event:
    """An event of a row (when, photo, pet, who, their name); ``yours``: the photo is the
    reader's upload."""
    at, photo_id, pet_id, actor_id, actor = row
    return Event(kind, at, actor_id, actor or "", pet_id, pets[pet_id], photo_id, yours)


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
SUMMARY_VERSION = 2  # 2: Group.yours


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


# Set on a request whose page has marked everything read up to the newest news (the activity
# page, when it shows that news): its header counts nothing unread without reading the activity
# again for it.
ALL_READ_ATTRIBUTE = "activity_all_read"


def unread_activity_count(user) -> int:
    """How many groups of news ``user`` has not read, at most ``UNREAD_CAP + 1``."""
    count = cache.get(unread_cache_key(user.pk))
    return activity_summary(user).unread if count is None else count


def forget_activity_summary(user_id) -> None:
    cache.delete_many([summary_cache_key(user_id), unread_cache_key(user_id)])


def news_audience(pet_ids) -> list:
    """Whoever hears the news of these pets: their owners and everyone they are shared with."""
    owners = Pet.objects.filter(pk__in=pet_ids).values_list("owner_id", flat=True)
    grantees = Share.objects.filter(pet_id__in=pet_ids).values_list("grantee_id", flat=True)
    return list({*owners, *grantees})


def forget_news_of_pets_on_commit(pet_ids) -> None:
    """Once the transaction commits, forget the cached summaries of the pets' audience (read
    now, while the rows are there), so that their next page tells the news as it is."""
    audience = news_audience(pet_ids)
    transaction.on_commit(lambda: [forget_activity_summary(user) for user in audience])
