"""Comments: posting one on a photo, deleting one."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_POST

from images.models import Photo
from social.models import COMMENT_MAX_LENGTH, Comment
from social.services.comments import (
    CommentRefused,
    TooFast,
    comment_create,
    comment_delete,
)
from social.views.common import json_error, photo_anchor, signed_in, wants_json

ONLY_AUTHOR_OR_OWNER = "Only the comment's author or the pet's owner may delete it."


@require_POST
@signed_in
def comment_post(request: HttpRequest, photo_id) -> HttpResponse:
    """Post a comment (``text``) on a ready photo one sees. JSON for scripts: the comment's
    HTML as the page shows it; else back to it on the photo's page. Refused: 400 (empty, too
    long) or 429 (too fast, with ``Retry-After``), saying why, and the text typed is kept."""
    photo = get_object_or_404(Photo.objects.visible_to(request.user).ready(), pk=photo_id)
    text = request.POST.get("text", "")
    try:
        comment = comment_create(author=request.user, photo=photo, text=text)
    except (CommentRefused, TooFast) as refusal:
        return _refused(request, photo, text, refusal)
    count = Comment.objects.filter(photo=photo).count()
    if wants_json(request):
        context = {"comment": comment, "can_delete": True}
        html = render_to_string("social/comment.html", context, request=request)
        answer = {"id": comment.pk, "html": html, "comments": count}
        return JsonResponse(answer, status=201)
    messages.success(request, "Your comment is posted.")
    return redirect(photo_anchor(photo.pk, f"comment-{comment.pk}"))


def _refused(request: HttpRequest, photo: Photo, text: str, refusal: CommentRefused | TooFast):
    status = 429 if isinstance(refusal, TooFast) else 400
    if wants_json(request):
        response = json_error(str(refusal), status=status)
    else:
        # A page of its own, the text typed in its form again: nothing typed is lost.
        context = {
            "photo": photo,
            "reason": str(refusal),
            "text": text,
            "max_length": COMMENT_MAX_LENGTH,
            "back": reverse("photo_page", args=[photo.pk]),
        }
        response = render(request, "social/comment_refused.html", context, status=status)
    if isinstance(refusal, TooFast):
        response["Retry-After"] = str(refusal.retry_after)
    return response


@require_POST
@signed_in
def comment_remove(request: HttpRequest, comment_id: int) -> HttpResponse:
    """Delete a comment: its author, or the owner of its photo's pet. Anyone else who sees it
    gets 403; who does not, 404."""
    comments = Comment.objects.visible_to(request.user)
    comment = get_object_or_404(comments, pk=comment_id)
    if not Comment.objects.deletable_by(request.user).filter(pk=comment.pk).exists():
        if wants_json(request):
            return json_error(ONLY_AUTHOR_OR_OWNER, status=403)
        raise PermissionDenied(ONLY_AUTHOR_OR_OWNER)
    comment_delete(comment=comment)
    if wants_json(request):
        count = Comment.objects.filter(photo_id=comment.photo_id).count()
        return JsonResponse({"deleted": comment_id, "comments": count})
    messages.success(request, "The comment was deleted.")
    return redirect(photo_anchor(comment.photo_id))
