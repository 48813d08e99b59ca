"""The JSON API of photo uploads (see DESIGN.md, "The flow of one photo").

Errors are ``{"error": "..."}`` with the status that fits; what a user may not see is 404.
Session authentication with Django's CSRF check, as for every form.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from images.delivery.signer import NoSigningKey, get_signer
from images.models import Pet, Photo
from images.pipeline import PhotoError, photo_complete, photo_create_upload, photo_delete
from images.querysets import Access


def error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def api_view(view: Callable) -> Callable:
    """Log-in required (401 otherwise); ``PhotoError`` becomes its JSON answer."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not request.user.is_authenticated:
            return error(401, "Log in first.")
        try:
            return view(request, *args, **kwargs)
        except PhotoError as exc:
            return error(exc.status, str(exc))
        except NoSigningKey as exc:
            return error(503, str(exc))

    return wrapper


def json_body(request: HttpRequest) -> dict:
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise PhotoError(400, "The body must be JSON.") from None
    if not isinstance(body, dict):
        raise PhotoError(400, "The body must be a JSON object.")
    return body


def photo_json(photo: Photo) -> dict:
    renditions = {}
    if photo.state == Photo.State.READY:
        signer = get_signer()
        renditions = {r.name: signer.url(r.key) for r in photo.renditions.all()}
    return {
        "id": str(photo.pk),
        "state": photo.state,
        "error": photo.error,
        "width": photo.width,
        "height": photo.height,
        "placeholder_color": photo.placeholder_color,
        "duplicate_of": str(photo.duplicate_of_id) if photo.duplicate_of_id else None,
        "renditions": renditions,
    }


@require_POST
@api_view
def upload_create(request: HttpRequest, pet_id) -> JsonResponse:
    """``POST /api/pets/<pet>/uploads``: a pending photo and its upload ticket."""
    pet = get_object_or_404(Pet.objects.visible_to(request.user, Access.CONTRIBUTE), pk=pet_id)
    body = json_body(request)
    photo, ticket = photo_create_upload(
        pet=pet,
        uploader=request.user,
        filename=body.get("filename"),
        content_type=body.get("content_type"),
        size=body.get("size"),
        local_url=request.build_absolute_uri(reverse("local_upload")),
    )
    return JsonResponse(
        {
            "photo": str(photo.pk),
            "upload": {"url": ticket.url, "fields": ticket.fields},
            "expires_at": ticket.expires_at.isoformat(),
        },
        status=201,
    )


@require_POST
@api_view
def upload_complete(request: HttpRequest, photo_id) -> JsonResponse:
    """``POST /api/photos/<photo>/complete``: the upload is done; processing is queued."""
    photo = get_object_or_404(
        Photo.objects.visible_to(request.user, Access.CONTRIBUTE).filter(uploader=request.user),
        pk=photo_id,
    )
    photo = photo_complete(photo=photo)
    return JsonResponse(photo_json(photo), status=202)


@require_http_methods(["GET", "HEAD", "DELETE"])
@api_view
def photo_detail(request: HttpRequest, photo_id) -> JsonResponse:
    """``GET /api/photos/<photo>``: state and rendition URLs; ``DELETE`` removes it."""
    visible = Photo.objects.visible_to(request.user).with_renditions()
    photo = get_object_or_404(visible, pk=photo_id)
    if request.method == "DELETE":
        if not Photo.objects.deletable_by(request.user).filter(pk=photo.pk).exists():
            return error(403, "Only the pet's owner or the photo's uploader may delete it.")
        photo_delete(photo=photo)
        return HttpResponse(status=204)
    return JsonResponse(photo_json(photo))
