"""The admin of comments and digests."""

from __future__ import annotations

from django.contrib import admin
from django.utils.text import Truncator

from accounts.audit import AuditedAdmin, audit_record
from social.models import Comment, DigestSend
from social.services.comments import comment_delete, comments_delete

EXCERPT_WORDS = 12


@admin.register(Comment)
class CommentAdmin(AuditedAdmin):
    """Comments, to find and remove: none added here, no text changed (a comment says what its
    author wrote, or is gone). Removal is Django's "Delete selected" (its confirmation page; an
    action declared with ``permissions=["delete"]``) and the delete page, both through
    ``social.services.comments`` and both in the audit trail with what the comment said."""

    list_display = ("excerpt", "author", "pet", "photo", "created_at")
    list_select_related = ("author", "photo__pet")
    search_fields = ("text", "author__username", "photo__pet__name")
    list_filter = ("created_at",)
    date_hierarchy = "created_at"
    readonly_fields = ("author", "photo", "pet", "text", "created_at")
    fields = readonly_fields

    def has_add_permission(self, request) -> bool:
        return False  # comments are written by the people who see the photos

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # read-only: its page shows the comment, with Delete

    @admin.display(description="Comment")
    def excerpt(self, comment: Comment) -> str:
        return Truncator(comment.text).words(EXCERPT_WORDS, truncate=" …")

    @admin.display(description="Pet", ordering="photo__pet__name")
    def pet(self, comment: Comment):
        return comment.photo.pet

    def log_deletions(self, request, queryset):
        # The trail keeps who wrote what where: the comment itself is about to be gone.
        comments = (
            queryset.select_related("author") if hasattr(queryset, "select_related") else queryset
        )
        for comment in comments:
            details = {
                "author": comment.author.username,
                "photo": str(comment.photo_id),
                "text": comment.text,
            }
            audit_record(request=request, action="comment.remove", target=comment, details=details)
        return admin.ModelAdmin.log_deletions(self, request, queryset)

    def delete_model(self, request, obj: Comment) -> None:
        comment_delete(comment=obj)

    def delete_queryset(self, request, queryset) -> None:
        comments_delete(comments=queryset)


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
