"""Edits that end someone's access, however they are made (the services, the admin's forms and
deletions, cascades), raise the pet's access floor: the CDN stops honouring grants signed
before within a minute (``cdn.revocation``). A service relies on these where they cover its
write (``share_revoke``'s deletion) and raises the floor itself only where none fires (a link's
``update()``, a pet's deletion, whose links cascade without signals); raising twice in one
transaction would cost a second write and push, and put the floor a second further on."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save, pre_save

from cdn.revocation import renditions_revoke
from images.models import Pet, Share, ShareLink


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
