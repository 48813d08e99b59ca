"""The admin of pets, photos, access, the deletion outbox and the reconciliation runs (the
CDN's keys and invalidations are in ``cdn.admin``). Every write goes through the services; every
action on many objects runs in one transaction; everything is written to the audit trail."""

import contextlib

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db import transaction
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from accounts.audit import AuditedAdmin, audit_record
from cdn.revocation import access_floors
from cdn.signer import NoSigningKey, get_signer, grant_pets
from images.forms import MoveForm
from images.models import (
    PendingObjectDeletion,
    Pet,
    Photo,
    ReconciliationRun,
    Rendition,
    Share,
    ShareInvitation,
    ShareLink,
)
from images.services.deletions import object_deletions_retry
from images.services.errors import PhotoError
from images.services.invitations import share_invitation_revoke
from images.services.moves import photos_move
from images.services.pets import pet_delete
from images.services.photos import (
    photo_delete,
    photo_reprocess,
    photo_set_taken_at,
    photos_delete,
    renditions_delete,
    validate_taken_at,
)
from images.services.sharing import share_link_revoke, share_revoke


class ShareInline(admin.TabularInline):
    model = Share
    fk_name = "pet"
    extra = 0
    fields = ("grantee", "role", "created_by", "created_at")
    readonly_fields = ("created_by", "created_at")
    autocomplete_fields = ("grantee",)


class ShareLinkInline(admin.TabularInline):
    model = ShareLink
    extra = 0
    can_delete = False
    fields = ("created_by", "created_at", "expires_at", "revoked_at")
    readonly_fields = ("created_by", "created_at")

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # a link's token is shown once, to the owner who makes it


def _thumb_preview(thumb: Rendition | None) -> str:
    """The thumb's plain URL, as the gallery shows it: the page's signed cookies (one set per
    pet, ``PreviewsGranted``) open it."""
    if thumb is None:
        return "—"
    url = get_signer().object_url(thumb.key)
    return format_html('<img src="{}" width="64" height="64" alt="">', url)


class PreviewsGranted:
    """A model admin whose list and change pages show previews of photos: the response sets
    the signed cookies of the pets those photos belong to (``previewed_pet_id``)."""

    def previewed_pet_id(self, obj):
        raise NotImplementedError

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            self._grant(request, response, list(changelist.result_list))
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        original = getattr(response, "context_data", {}).get("original")
        if original is not None:
            self._grant(request, response, [original])
        return response

    def _grant(self, request, response, objects) -> None:
        pet_ids = [pet_id for pet_id in map(self.previewed_pet_id, objects) if pet_id]
        # Without a signing key the previews stay blank; the dashboard says no key is active.
        with contextlib.suppress(NoSigningKey):
            grant_pets(request, response, access_floors(pet_ids), pet_ids)


@admin.register(Pet)
class PetAdmin(PreviewsGranted, AuditedAdmin):
    list_display = ("cover", "name", "species", "owner", "birthday", "created_at")
    list_filter = ("species", "created_at")
    search_fields = ("name", "owner__username", "owner__email")
    list_select_related = ("owner",)
    autocomplete_fields = ("owner",)
    raw_id_fields = ("cover_photo",)
    readonly_fields = ("id", "created_at", "updated_at")
    inlines = [ShareInline, ShareLinkInline]

    def get_queryset(self, request):
        return super().get_queryset(request).with_cover()

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        # The page's pets are known only now: their covers' thumbs in one query.
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            pets = list(changelist.result_list)
            thumbs = Rendition.objects.filter(
                photo_id__in=[pet.cover_id for pet in pets if pet.cover_id], name="thumb"
            )
            by_photo = {thumb.photo_id: thumb for thumb in thumbs}
            for pet in pets:
                pet.cover_thumb = by_photo.get(pet.cover_id)
        return response

    def previewed_pet_id(self, pet: Pet):
        return pet.pk if pet.cover_id else None

    @admin.display(description="Cover")
    def cover(self, pet: Pet) -> str:
        return _thumb_preview(getattr(pet, "cover_thumb", None))

    def delete_model(self, request, obj) -> None:
        pet_delete(pet=obj)  # its photos' objects go through the deletion outbox

    @transaction.atomic
    def delete_queryset(self, request, queryset) -> None:
        for pet in queryset:
            pet_delete(pet=pet)


class RenditionInline(admin.TabularInline):
    model = Rendition
    extra = 0
    can_delete = False
    fields = ("name", "key", "width", "height", "bytes", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # renditions are made by the workers


class PhotoAdminForm(forms.ModelForm):
    class Meta:
        model = Photo
        fields = ("caption", "taken_at")

    def clean_taken_at(self):
        taken_at = self.cleaned_data["taken_at"]
        validate_taken_at(taken_at)
        return taken_at


@admin.register(Photo)
class PhotoAdmin(PreviewsGranted, AuditedAdmin):
    list_display = ("preview", "id", "pet", "uploader", "state", "size", "taken_at", "created_at")
    list_filter = ("state", "content_type", "created_at")
    search_fields = ("id", "pet__name", "uploader__username", "original_key", "content_hash")
    list_select_related = ("pet", "uploader")
    date_hierarchy = "created_at"
    form = PhotoAdminForm
    readonly_fields = (
        "preview",
        "id",
        "pet",
        "uploader",
        "taken_at_source",
        "original_key",
        "content_type",
        "size",
        "width",
        "height",
        "content_hash",
        "state",
        "error",
        "created_at",
        "updated_at",
        "processed_at",
    )
    # The caption and the date taken are what an admin edits.
    fields = ("caption", "taken_at", *readonly_fields)
    inlines = [RenditionInline]
    # Django's "Delete selected" stays: it calls delete_queryset, which is photos_delete below.
    actions = ["reprocess", "move_to_pet"]

    def has_add_permission(self, request) -> bool:
        return False  # photos arrive through uploads

    def get_queryset(self, request):
        return super().get_queryset(request).with_renditions()

    def previewed_pet_id(self, photo: Photo):
        return photo.pet_id

    @admin.display(description="Preview")
    def preview(self, photo: Photo) -> str:
        return _thumb_preview(next((r for r in photo.renditions.all() if r.name == "thumb"), None))

    @admin.action(description="Process the selected photos again", permissions=["change"])
    def reprocess(self, request, queryset) -> None:
        with transaction.atomic():
            photos = [photo_reprocess(photo=photo) for photo in queryset]
            for photo in photos:
                audit_record(request=request, action="photo.reprocess", target=photo)
        queued = sum(1 for photo in photos if photo.state == Photo.State.PROCESSING)
        self.message_user(request, f"{queued} photo(s) queued for processing again.")

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if "taken_at" in form.changed_data:  # set by hand: processing again keeps it
            photo_set_taken_at(photo=obj, taken_at=form.cleaned_data["taken_at"])

    def delete_model(self, request, obj) -> None:
        photo_delete(photo=obj)  # objects deleted by a task, CDN paths queued

    def delete_queryset(self, request, queryset) -> None:
        photos_delete(photos=queryset)

    @admin.action(description="Move the selected photos to another pet", permissions=["change"])
    def move_to_pet(self, request, queryset):
        """An intermediate page chooses the pet (one of the photos' owner's), then
        ``photos_move``; each photo moved goes to the audit trail."""
        owners = set(queryset.values_list("pet__owner_id", flat=True))
        if len(owners) != 1:
            self.message_user(
                request, "Photos move only between pets of one owner: select one owner's.",
                messages.ERROR,
            )  # fmt: skip
            return None
        pets = Pet.objects.filter(owner_id=owners.pop()).order_by("name")
        form = MoveForm(request.POST if "to" in request.POST else None, pets=pets)
        if not form.is_valid():
            return self._move_page(request, queryset, form)
        return self._move(request, queryset, form.cleaned_data["to"])

    def _move(self, request, queryset, to_pet: Pet) -> None:
        # Outside a transaction of ours: when a copy fails, the service queues the copies made
        # for deletion, which a rollback here would undo. The audit entries are written by the
        # service's ``record``, in the move's own transaction: no move goes unaudited.

        def audited(moved: dict) -> None:
            for photo in Photo.objects.filter(pk__in=list(moved)):
                details = {"from_pet": str(moved[photo.pk]), "to_pet": str(to_pet.pk)}
                audit_record(request=request, action="photo.move", target=photo, details=details)

        try:
            count = photos_move(photos=queryset, to_pet=to_pet, record=audited)
        except PhotoError as refusal:
            self.message_user(request, f"Nothing was moved: {refusal}", messages.ERROR)
            return
        self.message_user(request, f"{count} photo(s) moved to {to_pet}.", messages.SUCCESS)

    def _move_page(self, request, queryset, form) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": "Move photos to another pet",
            "opts": self.model._meta,
            "photos": queryset.select_related("pet"),
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/images/photo/move.html", context)


@admin.register(Rendition)
class RenditionAdmin(AuditedAdmin):
    """Read-only but for deletion, which goes through ``renditions_delete``: the stored object
    is deleted and its CDN path invalidated."""

    list_display = ("photo", "name", "width", "height", "bytes", "created_at")
    list_filter = ("name",)
    search_fields = ("key", "photo__id")
    raw_id_fields = ("photo",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @transaction.atomic
    def delete_model(self, request, obj) -> None:
        renditions_delete(renditions=Rendition.objects.filter(pk=obj.pk))

    @transaction.atomic
    def delete_queryset(self, request, queryset) -> None:
        renditions_delete(renditions=queryset)


@admin.register(Share)
class ShareAdmin(AuditedAdmin):
    list_display = ("pet", "grantee", "role", "created_by", "created_at")
    list_filter = ("role", "created_at")
    search_fields = ("pet__name", "grantee__username", "grantee__email")
    list_select_related = ("pet", "grantee", "created_by")
    autocomplete_fields = ("pet", "grantee")
    readonly_fields = ("created_by", "created_at")

    actions = ["revoke"]

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description="Revoke the selected shares", permissions=["delete"])
    def revoke(self, request, queryset) -> None:
        with transaction.atomic():
            shares = list(queryset.select_related("pet", "grantee"))
            for share in shares:
                audit_record(request=request, action="share.revoke", target=share)
                share_revoke(share=share)
        self.message_user(request, f"{len(shares)} share(s) revoked.", messages.SUCCESS)


@admin.register(ShareLink)
class ShareLinkAdmin(AuditedAdmin):
    list_display = ("pet", "created_by", "created_at", "expires_at", "revoked_at")
    list_filter = ("expires_at", "revoked_at")
    search_fields = ("pet__name", "created_by__username")
    list_select_related = ("pet", "created_by")
    readonly_fields = ("pet", "created_by", "created_at", "token_hash")
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Revoke the selected links", permissions=["change"])
    def revoke(self, request, queryset) -> None:
        with transaction.atomic():
            links = list(queryset.filter(revoked_at__isnull=True).select_related("pet"))
            for link in links:
                share_link_revoke(link=link)
                audit_record(request=request, action="share_link.revoke", target=link)
        self.message_user(request, f"{len(links)} link(s) revoked.", messages.SUCCESS)


class InvitationStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("pending", "Pending"), ("accepted", "Accepted"), ("revoked", "Revoked")]

    def queryset(self, request, queryset):
        if self.value() == "pending":
            return queryset.pending()
        if self.value() == "accepted":
            return queryset.filter(accepted_at__isnull=False)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(ShareInvitation)
class ShareInvitationAdmin(AuditedAdmin):
    """Invitations are made and answered on the site (their link is mailed, never shown
    here): the admin reads them and revokes them."""

    list_display = ("pet", "email", "role", "invited_by", "created_at", "expires_at",
                    "accepted_at", "accepted_by", "revoked_at")  # fmt: skip
    list_filter = (InvitationStateFilter, "role", "created_at", "expires_at")
    search_fields = ("email", "pet__name", "invited_by__username")
    list_select_related = ("pet", "invited_by", "accepted_by")
    readonly_fields = list_display
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # read-only; the revoke action asks for its own permission below

    def has_revoke_permission(self, request) -> bool:
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")

    @admin.action(description="Revoke the selected invitations", permissions=["revoke"])
    def revoke(self, request, queryset) -> None:
        with transaction.atomic():
            invitations = list(queryset.pending().select_related("pet"))
            for invitation in invitations:
                share_invitation_revoke(invitation=invitation)
                audit_record(request=request, action="share_invitation.revoke", target=invitation)
        self.message_user(request, f"{len(invitations)} invitation(s) revoked.", messages.SUCCESS)


class SetAsideFilter(admin.SimpleListFilter):
    title = "set aside"
    parameter_name = "set_aside"

    def lookups(self, request, model_admin):
        return [("yes", "Set aside (failed for a day)"), ("no", "Waiting")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.set_aside()
        if self.value() == "no":
            return queryset.filter(set_aside_at__isnull=True)
        return queryset


@admin.register(PendingObjectDeletion)
class PendingObjectDeletionAdmin(AuditedAdmin):
    """The deletion outbox: objects whose rows are gone, waiting for the beat task. Rows are
    written by the services only; a person can only make set-aside ones due again. Never
    deleted here: that would leave a deleted photo's original (and its GPS) in storage."""

    # "Next try" says when a row is set aside (the filter picks them): the table stays narrow
    # enough to read beside the admin's sidebars.
    list_display = ("key", "attempts", "short_error", "next_try", "created_at")
    list_filter = (SetAsideFilter,)
    search_fields = ("key",)
    readonly_fields = ("key", "created_at", "not_before", "attempts", "last_error", "set_aside_at")
    actions = ["retry"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # The list's action needs the change permission; no row's fields change by hand.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="Last error")
    def short_error(self, deletion: PendingObjectDeletion) -> str:
        error = deletion.last_error
        return error if len(error) <= 80 else f"{error[:79]}…"

    @admin.display(description="Next try", ordering="not_before")
    def next_try(self, deletion: PendingObjectDeletion):
        # A set-aside row keeps the back-off's not_before, but beat no longer tries it.
        if deletion.set_aside_at is not None:
            return 'when someone picks "Try again now"'
        return deletion.not_before

    @admin.action(description="Try again now", permissions=["change"])
    def retry(self, request, queryset) -> None:
        with transaction.atomic():
            deletions = list(queryset)
            count = object_deletions_retry(
                deletions=PendingObjectDeletion.objects.filter(pk__in=[d.pk for d in deletions])
            )
            for deletion in deletions:
                audit_record(request=request, action="object_deletion.retry", target=deletion)
        self.message_user(
            request, f"{count} deletion(s) will be tried again at once.", messages.SUCCESS
        )


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(admin.ModelAdmin):
    """Read-only: runs are written by the sweep (beat, or ``manage.py storage_reconcile``)."""

    list_display = (
        "started_at",
        "dry_run",
        "objects_seen",
        "orphans",
        "orphans_queued",
        "missing_originals",
        "missing_renditions",
        "reprocessed",
        "empty_directories_removed",
        "failed",
    )
    list_filter = ("dry_run", "started_at")
    fields = readonly_fields = [
        *(f.name for f in ReconciliationRun._meta.fields if f.name not in ("id", "examples")),
        "example_keys",
    ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="Error", boolean=True)
    def failed(self, run: ReconciliationRun) -> bool:
        return bool(run.error)

    @admin.display(description="Examples")
    def example_keys(self, run: ReconciliationRun) -> str:
        kinds = [(kind, keys) for kind, keys in (run.examples or {}).items() if keys]
        if not kinds:
            return "—"
        return format_html_join(
            "",
            "<p><strong>{}</strong><br>{}</p>",
            (
                (
                    kind.replace("_", " ").capitalize(),
                    # A blank line between keys: a long key wraps, and must not read as two.
                    format_html_join(mark_safe("<br>"), "{}<br>", ((key,) for key in keys)),
                )
                for kind, keys in kinds
            ),
        )
