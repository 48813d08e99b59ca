"""The audit trail of admin actions (``AuditEntry``), and the admin mixin that writes it."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address
from django.http import HttpRequest

from accounts.models import AuditEntry
from pettracker.net import client_ip


def _address(request: HttpRequest) -> str | None:
    address = client_ip(request)
    try:
        validate_ipv46_address(address)
    except ValidationError:
        return None
    return address


def audit_record(
    *, request: HttpRequest, action: str, target=None, details: dict | None = None
) -> AuditEntry:
    """Record that ``request.user`` did ``action`` (to ``target``) from the request's address."""
    return AuditEntry.objects.create(
        actor=request.user if request.user.is_authenticated else None,
        actor_username=getattr(request.user, "username", "") or "anonymous",
        action=action,
        **_target_fields(target),
        details=details or {},
        ip_address=_address(request),
    )


SYSTEM_ACTOR = "system"


def audit_record_system(*, action: str, target=None, via: str, details: dict | None = None):
    """Record that PetTracker itself did ``action`` (a beat task, a management command)."""
    return AuditEntry.objects.create(
        actor=None,
        actor_username=SYSTEM_ACTOR,
        action=action,
        **_target_fields(target),
        details={"via": via, **(details or {})},
    )


def _target_fields(target) -> dict[str, str]:
    if target is None:
        return {"target_type": "", "target_id": "", "target_repr": ""}
    return {
        "target_type": target._meta.label,
        "target_id": str(target.pk),
        "target_repr": str(target)[:200],
    }


class AuditedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose additions, changes and deletions also go to the audit trail."""

    def log_addition(self, request, obj, message):
        audit_record(request=request, action="add", target=obj, details={"change": message})
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        audit_record(request=request, action="change", target=obj, details={"change": message})
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            audit_record(request=request, action="delete", target=obj)
        return super().log_deletions(request, queryset)
