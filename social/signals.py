"""A share that ends ends its news at once: the grantee's cached summary (the header's count
and home's news, ``social.models.activity_summary``) is forgotten when the share is deleted,
however (``share_revoke``, the admin, a pet's deletion cascading), so the pet's news goes with
the next page rather than up to a minute later. A new share's news comes at once the same way.

So does news of a new comment or like: the summaries of those who hear about it are forgotten
(a comment: whoever sees the pet; a like: the photo's uploader), so that the owner's home shows
a friend's comment on the next page, not a minute later. A deleted comment is forgotten by the
services that delete it (``social.services.comments``), not here: a receiver would make Django
load every comment of a photo or pet it deletes, to send it. A photo turning
ready and a pet renamed forget the summaries of whoever sees the pet the same way. A photo
deleted or moved leaves news that names it for up to the summary's minute (its link then
finds the photo gone); /activity/, which is read afresh, has it right at once.
"""

from __future__ import annotations

import functools

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from images.models import Pet, Photo, Share
from social.models import (
    Comment,
    Like,
    forget_activity_summary,
    forget_news_of_pets_on_commit,
)


def _forget_grantees_summary(sender, instance: Share, **kwargs) -> None:
    forget = functools.partial(forget_activity_summary, instance.grantee_id)
    forget()
    transaction.on_commit(forget)  # and again: a page may have read it meanwhile


def _forget_audiences_summaries(sender, instance, created=False, **kwargs) -> None:
    if not created:
        return
    photo = instance.photo
    if sender is Like:
        audience = [photo.uploader_id] if photo.uploader_id else []
        transaction.on_commit(lambda: [forget_activity_summary(user) for user in audience])
    else:
        forget_news_of_pets_on_commit([photo.pet_id])


def _forget_when_ready(sender, instance: Photo, update_fields=None, **kwargs) -> None:
    """A photo saved ready (processing's last write) is news for whoever sees its pet."""
    if instance.state == Photo.State.READY and update_fields is None:
        forget_news_of_pets_on_commit([instance.pet_id])


def _forget_when_renamed(sender, instance: Pet, created=False, **kwargs) -> None:
    if not created:
        forget_news_of_pets_on_commit([instance.pk])


def connect() -> None:
    post_save.connect(_forget_when_ready, sender=Photo, dispatch_uid="social.photo_ready_news")
    post_save.connect(_forget_when_renamed, sender=Pet, dispatch_uid="social.pet_renamed_news")
    for model in (Comment, Like):
        post_save.connect(
            _forget_audiences_summaries, sender=model, dispatch_uid=f"social.{model.__name__}_news"
        )
    for signal in (post_delete, post_save):
        signal.connect(
            _forget_grantees_summary, sender=Share, dispatch_uid=f"social.share_{signal}"
        )
