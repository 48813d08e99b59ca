"""The admin of comments and digests."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.urls import reverse
from django.utils.text import Truncator

from accounts.audit import AuditedAdmin, audit_record
from social.models import Comment, DigestSend
from social.services.comments import comment_delete, comments_delete

# At most this many characters: a word as long as the line would push the list off the screen.
EXCERPT_CHARACTERS = 80


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
        return Truncator(comment.text).chars(EXCERPT_CHARACTERS, truncate="…")

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

    def response_delete(self, request, obj_display, obj_id):
        # Read-only (no change permission), Django would go to the admin's index: back to
        # the list, its search and filters kept, where the removal was chosen.
        response = super().response_delete(request, obj_display, obj_id)
        if response.status_code == 302:
            changelist = reverse("admin:social_comment_changelist")
            filters = self.get_preserved_filters(request)
            response["Location"] = add_preserved_filters(
                {"preserved_filters": filters, "opts": self.opts}, changelist
            )
        return response

    class Media:
        css = {"all": ["css/admin_comments.css"]}

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
