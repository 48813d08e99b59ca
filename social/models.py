"""Likes, comments, what each person has read of the activity, and the e-mail digests.

The rows hang on ``images``' photos and on users; who may see or touch them is decided by
``images``' querysets (``Photo.objects.visible_to``), which the querysets here build on.
``images`` knows nothing of this app (pyproject.toml's import contracts): pages of ``images``
show likes and comments through this app's template tags, as django-contrib-comments does.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce, Now

from images.models import Photo, PhotoQuerySet

COMMENT_MAX_LENGTH = 2000


def photos_added_for(user, *, since, until=None) -> PhotoQuerySet:
    """The photos others added that ``user`` sees now, which turned ready in [since, until):
    what "Frank added 5 photos of Pip" counts, in the activity and in the digests."""
    added = Photo.objects.visible_to(user).ready().filter(processed_at__gte=since)
    if until is not None:
        added = added.filter(processed_at__lt=until)
    return added.exclude(uploader=user)


class CommentQuerySet(models.QuerySet):
    def visible_to(self, user) -> CommentQuerySet:
        """Comments on the photos ``user`` sees (``Photo.objects.visible_to``): the one rule."""
        return self.filter(photo__in=Photo.objects.visible_to(user).ready())

    def deletable_by(self, user) -> CommentQuerySet:
        """The comments ``user`` may delete: their own, and any on the pets they own (of those
        they still see)."""
        mine = models.Q(author=user) | models.Q(photo__pet__owner=user)
        return self.visible_to(user).filter(mine)

    def by_others_than(self, user) -> CommentQuerySet:
        return self.exclude(author=user)

    def made_between(self, since, until=None) -> CommentQuerySet:
        made = self.filter(created_at__gte=since)
        return made if until is None else made.filter(created_at__lt=until)


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


class LikeQuerySet(models.QuerySet):
    def visible_to(self, user) -> LikeQuerySet:
        return self.filter(photo__in=Photo.objects.visible_to(user).ready())


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
