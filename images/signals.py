"""Edits that end someone's access, however they are made (the services, the admin's forms and
deletions, cascades), raise the pet's access floor: the CDN stops honouring grants signed
before within a minute (``cdn.revocation``). A service relies on these where they cover its
write (``share_revoke``'s deletion) and raises the floor itself only where none fires (a link's
``update()``, a pet's deletion, whose links cascade without signals); raising twice in one
transaction would cost a second write and push, and put the floor a second further on."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.utils import timezone

from accounts.models import User
from cdn.revocation import renditions_revoke
from images.models import Pet, Photo, Share, ShareLink


def _previous(sender, instance, fields: tuple[str, ...]) -> dict | None:
    if instance._state.adding or instance.pk is None:
        return None
    return sender.objects.filter(pk=instance.pk).values(*fields).first()


def _remember(sender, instance, **kwargs) -> None:
    fields = WATCHED[sender]
    instance._access_before = _previous(sender, instance, fields)


def _revoke_if_narrowed(sender, instance, created=False, **kwargs) -> None:
    before = getattr(instance, "_access_before", None)
    if before is None:
        return
    if sender is ShareLink:
        narrowed = before["revoked_at"] is None and instance.revoked_at is not None
        pets = [instance.pet_id]
    elif sender is Share:
        narrowed = (before["grantee_id"], before["pet_id"]) != (
            instance.grantee_id,
            instance.pet_id,
        )
        pets = [before["pet_id"]]
    else:  # Pet: a new owner
        narrowed = before["owner_id"] != instance.owner_id
        pets = [instance.pk]
    if narrowed:
        renditions_revoke(pets)


def _revoke_deleted_share(sender, instance, **kwargs) -> None:
    renditions_revoke([instance.pet_id])


WATCHED = {
    Share: ("grantee_id", "pet_id"),
    ShareLink: ("revoked_at",),
    Pet: ("owner_id",),
}


def connect() -> None:
    for model in WATCHED:
        pre_save.connect(_remember, sender=model, dispatch_uid=f"access-before-{model.__name__}")
        post_save.connect(
            _revoke_if_narrowed, sender=model, dispatch_uid=f"access-narrowed-{model.__name__}"
        )
    post_delete.connect(_revoke_deleted_share, sender=Share, dispatch_uid="share-deleted")
    connect_uploaders()


# Galleries name each photo's uploader; a cached gallery page is kept by when its pet's photos
# last changed (PetQuerySet.with_gallery_version), so a name changed or gone changes the
# photos it names.


def _uploads_renamed(sender, instance, created=False, update_fields=None, **kwargs) -> None:
    if created or (update_fields is not None and "username" not in update_fields):
        return  # a log-in's last_login, a theme: no name changed
    _uploads_touched(instance)


def _uploads_touched(instance, **kwargs) -> None:
    Photo.objects.filter(uploader=instance).update(updated_at=timezone.now())


def connect_uploaders() -> None:
    post_save.connect(_uploads_renamed, sender=User, dispatch_uid="uploads-renamed")
    pre_delete.connect(_uploads_touched, sender=User, dispatch_uid="uploads-orphaned")
