"""The activity's events as the other parts make them: a photo turned ready, a comment, a like
(made here through the models; their own services are built in other parts of issue 17)."""

from __future__ import annotations

import datetime

from django.utils import timezone

from social.models import Comment, Like
from tests.factories import ready_photo


def ago(**delta) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(**delta)


def added(pet, uploader, *, at=None, **fields):
    """A photo ``uploader`` added to ``pet``, ready at ``at`` (now by default)."""
    return ready_photo(pet=pet, uploader=uploader, processed_at=at or timezone.now(), **fields)


def commented(photo, author, *, at=None, text="Lovely!") -> Comment:
    return Comment.objects.create(
        photo=photo, author=author, text=text, created_at=at or timezone.now()
    )


def liked(photo, user, *, at=None) -> Like:
    return Like.objects.create(photo=photo, user=user, created_at=at or timezone.now())
