"""A share that ends ends its news at once: the grantee's cached summary (the header's count
and home's news, ``social.models.activity_summary``) is forgotten when the share is deleted,
however (``share_revoke``, the admin, a pet's deletion cascading), so the pet's news goes with
the next page rather than up to a minute later. A new share's news comes at once the same way.

So does news of a new comment or like: the summaries of those who hear about it are forgotten
(a comment: whoever sees the pet; a like: the photo's uploader), so that the owner's home shows
a friend's comment on the next page, not a minute later. (Not their deletions: a receiver there
would make Django load every comment of a photo or pet it deletes, to send it.)
"""

from __future__ import annotations

import functools

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from images.models import Pet, Share
from social.models import Comment, Like, forget_activity_summary


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
    else:
        pet = Pet.objects.filter(pk=photo.pet_id)
        owners = pet.values_list("owner_id", flat=True)
        grantees = Share.objects.filter(pet_id=photo.pet_id).values_list("grantee_id", flat=True)
        audience = [*owners, *grantees]
    transaction.on_commit(lambda: [forget_activity_summary(user) for user in audience])


def connect() -> None:
    for model in (Comment, Like):
        post_save.connect(
            _forget_audiences_summaries, sender=model, dispatch_uid=f"social.{model.__name__}_news"
        )
    for signal in (post_delete, post_save):
        signal.connect(
            _forget_grantees_summary, sender=Share, dispatch_uid=f"social.share_{signal}"
        )
