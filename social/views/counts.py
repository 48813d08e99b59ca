"""A photo's likes and comments counted, for the viewer's slides: fetched when a slide shows,
so that a gallery's page costs no query more (issue 14)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from images.models import Photo
from images.views.sharing import usable_link
from social.models import with_social_counts
from social.views.common import LOG_IN_FIRST, json_error

NO_SUCH_PHOTO = "No such photo."


@require_safe
@never_cache
def photo_counts(request: HttpRequest, photo_id) -> HttpResponse:
    """``{likes, liked, comments}`` of a ready photo the user sees (else 404; 401 for
    visitors not logged in): one query."""
    if not request.user.is_authenticated:
        return json_error(LOG_IN_FIRST, status=401)
    photos = with_social_counts(Photo.objects.visible_to(request.user).ready(), request.user)
    return _counts(photos.filter(pk=photo_id), "like_count", "liked", "comment_count")


@require_safe
@never_cache
def link_photo_counts(request: HttpRequest, token: str, photo_id) -> HttpResponse:
    """``{likes, comments}`` of a photo a share link shows, for anyone holding the link (its
    password typed, when it has one). A link that opens nothing, or a photo it does not show:
    404. Its holders see counts, never who liked or what was said."""
    link = usable_link(request, token)
    if isinstance(link, HttpResponse):
        return json_error(NO_SUCH_PHOTO, status=404)
    photos = with_social_counts(Photo.objects.through_link(link))
    return _counts(photos.filter(pk=photo_id), "like_count", "comment_count")


def _counts(photos, *fields: str) -> HttpResponse:
    row = photos.values(*fields).first()
    if row is None:
        return json_error(NO_SUCH_PHOTO, status=404)
    row["likes"] = row.pop("like_count")
    row["comments"] = row.pop("comment_count")
    return JsonResponse(row)
