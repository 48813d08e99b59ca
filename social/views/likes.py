"""Likes: the Like button of a photo's page and of the viewer."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from images.models import Photo
from social.models import Like, with_social_counts
from social.pure.words import liked_by
from social.services.likes import like_set, like_toggle
from social.views.common import json_error, photo_anchor, signed_in, wants_json

STATES = {"on": True, "off": False}
BAD_STATE = "Send like=on or like=off (or nothing, to switch it)."


@require_POST
@signed_in
def photo_like(request: HttpRequest, photo_id) -> HttpResponse:
    """Like a ready photo one sees, or take the like back: ``like=on|off`` (nothing switches
    it). JSON for scripts: the state and the counts; else back to the photo's page. A photo
    one does not see is a 404, as everywhere."""
    photo = get_object_or_404(Photo.objects.visible_to(request.user).ready(), pk=photo_id)
    wanted = request.POST.get("like")
    if wanted is None:
        on = like_toggle(user=request.user, photo=photo)
    elif wanted in STATES:
        on = like_set(user=request.user, photo=photo, on=STATES[wanted])
    elif wants_json(request):
        return json_error(BAD_STATE, status=400)
    else:
        return HttpResponse(BAD_STATE, status=400, content_type="text/plain; charset=utf-8")
    if wants_json(request):
        return JsonResponse(_state(request, photo))
    messages.success(request, "You like this photo." if on else "You no longer like this photo.")
    return redirect(photo_anchor(photo.pk, "likes"))


def _state(request: HttpRequest, photo: Photo) -> dict:
    """The photo's likes and comments as the page and the viewer show them: two queries."""
    counts = with_social_counts(Photo.objects.filter(pk=photo.pk), request.user)
    row = counts.values("like_count", "comment_count", "liked").get()
    names = list(Like.objects.filter(photo=photo).values_list("user__username", flat=True))
    return {
        "photo": str(photo.pk),
        "liked": row["liked"],
        "likes": row["like_count"],
        "comments": row["comment_count"],
        "liked_by": liked_by(names, you=request.user.username),
    }
