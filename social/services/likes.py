"""Likes: public marks on a photo, seen by everyone who sees its pet (unlike a favourite, which
is one's own heart and shown to nobody else)."""

from __future__ import annotations

from django.db import transaction

from accounts.models import User
from images.models import Photo
from social.models import Like


@transaction.atomic
def like_set(*, user: User, photo: Photo, on: bool) -> bool:
    """``user`` likes ``photo``, or no longer does (the caller has checked that they see it,
    and that it is ready). Setting the state it already has changes nothing: a double click,
    or a request sent twice, ends where it was meant to. Returns the state now."""
    if on:
        # get_or_create under the (photo, user) unique constraint: racing likes make one row.
        Like.objects.get_or_create(user=user, photo=photo)
    else:
        Like.objects.filter(user=user, photo=photo).delete()
    return on


@transaction.atomic
def like_toggle(*, user: User, photo: Photo) -> bool:
    """Flip ``user``'s like of ``photo``. Returns the state now. Two switches at once are one
    after the other (on, then off), never both reading "off" and both liking."""
    # The user's row, locked: their switches queue here (only theirs; likes are per user).
    User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).first()
    taken_back, _ = Like.objects.filter(user=user, photo=photo).delete()
    if taken_back:
        return False
    return like_set(user=user, photo=photo, on=True)
