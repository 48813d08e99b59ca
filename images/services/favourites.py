"""Favourites: each person's own hearts on the photos they see."""

from __future__ import annotations

from django.db import transaction

from accounts.models import User
from images.models import Favourite, Photo


@transaction.atomic
def favourite_set(*, user: User, photo: Photo, on: bool) -> bool:
    """Mark ``photo`` as one of ``user``'s favourites, or not (the caller has checked that
    they see it). Setting the state it already has changes nothing, so a double click or a
    request sent twice ends where it was meant to. Returns the state now."""
    if on:
        # get_or_create under the (user, photo) unique constraint: racing hearts make one row.
        Favourite.objects.get_or_create(user=user, photo=photo)
    else:
        Favourite.objects.filter(user=user, photo=photo).delete()
    return on


@transaction.atomic
def favourite_toggle(*, user: User, photo: Photo) -> bool:
    """Flip ``photo``'s heart for ``user``. Returns the state now. Two switches at once are
    one after the other (on, then off), never both reading "off" and both putting it on."""
    # The user's row, locked: their switches queue here (only theirs; hearts are per user).
    User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).first()
    taken_off, _ = Favourite.objects.filter(user=user, photo=photo).delete()
    if taken_off:
        return False
    return favourite_set(user=user, photo=photo, on=True)
