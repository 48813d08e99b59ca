"""The admin of comments and digests."""

from django.contrib import admin

from accounts.audit import AuditedAdmin
from social.models import DigestSend


@admin.register(DigestSend)
class DigestSendAdmin(AuditedAdmin):
    """The digests decided, read-only: what the sending wrote is the record of what went (a
    row changed by hand would let a digest go twice, or hide one that did)."""

    list_display = ("user", "frequency", "period_key", "state", "items", "created_at",
                    "finished_at")  # fmt: skip
    list_filter = ("state", "frequency", "created_at")
    search_fields = ("user__username",)
    list_select_related = ("user",)
    readonly_fields = (*list_display, "period_start", "period_end", "error")
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
