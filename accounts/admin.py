"""The users' admin: who they are, what they keep here, and deactivation that ends their
sessions at once (their pets and photos stay). Changes go to the audit trail."""

from axes.admin import AccessAttemptAdmin as AxesAccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.db import models, transaction
from django.db.models.functions import Coalesce
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.html import format_html

from accounts.audit import AuditedAdmin, audit_record
from accounts.models import AuditEntry, User
from accounts.services import user_deactivate, user_reactivate
from images.models import Pet, Photo, Rendition, upload_usage


def _per_owner(queryset, aggregate) -> models.Subquery:
    """One number per user from ``queryset`` (rows with an ``owner`` path), as a subquery so
    that several such numbers do not multiply each other through joins."""
    rows = queryset.filter(owner=models.OuterRef("pk")).order_by().values("owner")
    return Coalesce(models.Subquery(rows.annotate(n=aggregate).values("n")[:1]), 0)


class PetInline(admin.TabularInline):
    model = Pet
    fk_name = "owner"
    extra = 0
    can_delete = False
    fields = ("link", "species", "created_at")
    readonly_fields = fields
    show_change_link = False

    @admin.display(description="Pet")
    def link(self, pet: Pet) -> str:
        url = reverse("admin:images_pet_change", args=[pet.pk])
        return format_html('<a href="{}">{}</a>', url, pet.name)

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(User)
class UserAdmin(AuditedAdmin, DjangoUserAdmin):
    list_display = (
        "username",
        "email",
        "is_active",
        "is_staff",
        "pet_count",
        "photo_count",
        "storage_used",
        "date_joined",
        "last_login",
    )
    list_filter = ("is_active", "is_staff", "is_superuser", "date_joined")
    search_fields = ("username", "email", "first_name", "last_name")
    ordering = ("-date_joined",)
    inlines = [PetInline]
    actions = ["deactivate", "reactivate"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (
            "Upload limits",
            {
                "fields": ("upload_usage", "photo_quota", "storage_quota"),
                "description": "Empty limits take the site's defaults (PHOTO_QUOTA_COUNT, "
                "PHOTO_QUOTA_BYTES). Usage counts the photos this user uploaded, to any pet.",
            },
        ),
    )
    readonly_fields = ("upload_usage",)
    # Only a superuser grants powers: staff who may change users could otherwise make
    # themselves (or anyone) a superuser.
    superuser_only_fields = ("is_superuser", "groups", "user_permissions")
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "email", "usable_password", "password1", "password2"),
            },
        ),
    )

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if request.user.is_superuser:
            return fields
        return (*fields, *self.superuser_only_fields)

    def has_change_permission(self, request, obj=None) -> bool:
        return _may_act_on(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return _may_act_on(request, obj) and super().has_delete_permission(request, obj)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []  # a new user has no pets

    def get_queryset(self, request):
        photos = Photo.objects.annotate(owner=models.F("pet__owner"))
        renditions = Rendition.objects.annotate(owner=models.F("photo__pet__owner"))
        return (
            super()
            .get_queryset(request)
            .annotate(
                pets_owned=_per_owner(Pet.objects.all(), models.Count("pk")),
                photos_owned=_per_owner(photos, models.Count("pk")),
                original_bytes=_per_owner(photos, models.Sum("size")),
                rendition_bytes=_per_owner(renditions, models.Sum("bytes")),
            )
        )

    @admin.display(description="Pets", ordering="pets_owned")
    def pet_count(self, user: User) -> int:
        return user.pets_owned

    @admin.display(description="Photos", ordering="photos_owned")
    def photo_count(self, user: User) -> int:
        return user.photos_owned

    @admin.display(description="Uploads")
    def upload_usage(self, user: User) -> str:
        used, quota = upload_usage(user), user.upload_quota()
        return (
            f"{used.photos:,} of {quota.photos:,} photos, "
            f"{filesizeformat(used.bytes)} of {filesizeformat(quota.bytes)}"
        )

    @admin.display(description="Storage used")
    def storage_used(self, user: User) -> str:
        return filesizeformat(user.original_bytes + user.rendition_bytes)

    @admin.action(
        description="Deactivate the selected users (ends their sessions now)",
        permissions=["change"],
    )
    def deactivate(self, request, queryset) -> None:
        if not self._may_act_on_all(request, queryset):
            return
        with transaction.atomic():
            users = list(queryset.exclude(pk=request.user.pk))
            sessions = 0
            for user in users:
                sessions += user_deactivate(user=user)
                audit_record(request=request, action="user.deactivate", target=user)
        if queryset.filter(pk=request.user.pk).exists():
            self.message_user(request, "You can't deactivate yourself.", messages.WARNING)
        self.message_user(
            request, f"{len(users)} user(s) deactivated; {sessions} session(s) ended."
        )

    @admin.action(description="Reactivate the selected users", permissions=["change"])
    def reactivate(self, request, queryset) -> None:
        if not self._may_act_on_all(request, queryset):
            return
        with transaction.atomic():
            users = list(queryset)
            for user in users:
                user_reactivate(user=user)
                audit_record(request=request, action="user.reactivate", target=user)
        self.message_user(request, f"{len(users)} user(s) reactivated.")

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            user_deactivate(user=obj)  # unticking "active" ends what the action ends

    def _may_act_on_all(self, request, queryset) -> bool:
        """Refuse, and say so, when the selection holds a superuser or staff member and the
        actor is not a superuser."""
        powerful = models.Q(is_superuser=True) | models.Q(is_staff=True)
        if request.user.is_superuser or not queryset.filter(powerful).exists():
            return True
        self.message_user(
            request,
            "Only a superuser can act on a superuser's or staff member's account; nothing was "
            "changed.",
            messages.ERROR,
        )
        return False


def _may_act_on(request, user: User | None) -> bool:
    """Acting on a superuser's or a staff member's account (its password included) needs a
    superuser: otherwise staff who may change users could take over someone with more powers."""
    if user is None or request.user.is_superuser:
        return True
    return not (user.is_superuser or user.is_staff)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the trail is written by the actions themselves."""

    list_display = (
        "created_at",
        "actor_username",
        "action",
        "result",
        "target_type",
        "target_repr",
        "ip_address",
    )
    list_filter = ("action", "target_type", "created_at")
    search_fields = ("actor_username", "target_repr", "target_id", "ip_address")
    date_hierarchy = "created_at"

    @admin.display(description="result")
    def result(self, entry: AuditEntry) -> str:
        """A step refused (a wrong state, no permission) is recorded under the step's action
        too: the list says which it was."""
        refusal = entry.refusal
        return f"Refused: {refusal}" if refusal else "Done"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# django-axes' own admin offers "Clean up expired attempts" without declaring a permission;
# it deletes rows, so it needs the delete permission here. It also failed with a 500: it reads
# the attempt time that axes sets only on log-in requests.
admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class AccessAttemptAdmin(AxesAccessAttemptAdmin):
    actions = ["cleanup_expired_attempts"]

    @admin.action(description="Clean up expired attempts", permissions=["delete"])
    def cleanup_expired_attempts(self, request, queryset) -> None:
        request.axes_attempt_time = getattr(request, "axes_attempt_time", None)  # None: now
        super().cleanup_expired_attempts(request, queryset)


# Groups carry permissions: changing one grants powers, which only a superuser does.
admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(DjangoGroupAdmin):
    def has_add_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser
