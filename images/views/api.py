"""The JSON API of photo uploads (docs/architecture.md, "The flow of one photo").

Every answer is JSON, refusals included: ``{"error": "..."}`` with the status that fits —
401 logged out, 404 for what a user may not see and for addresses the API does not have, 405
for another method; a failed CSRF check and a server error too (``pettracker.errors``).
Session authentication with Django's CSRF check, as for every form.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse

from cdn.revocation import access_floors
from cdn.signer import NoSigningKey, get_signer, revoked_during, site_origin
from images.models import DOWNLOAD_ONLY, Access, Pet, Photo
from images.services.errors import (
    AlreadyThere,
    InvalidRequest,
    NotUploaded,
    OverQuota,
    PhotoError,
    TooFast,
    TooLarge,
    UnsupportedType,
)
from images.services.photos import photo_delete
from images.services.uploads import photo_complete, photo_create_upload
from pettracker.errors import json_error as error

ENDPOINTS = (
    "POST /api/pets/<pet>/uploads, POST /api/photos/<photo>/complete, "
    "GET or DELETE /api/photos/<photo>"
)


# The HTTP answer to each refusal of the services.
STATUS_OF = {
    AlreadyThere: 409,
    InvalidRequest: 400,
    NotUploaded: 409,
    TooLarge: 413,
    OverQuota: 413,
    UnsupportedType: 415,
    TooFast: 429,
}


def photo_error(exc: PhotoError) -> JsonResponse:
    """The answer to a refused request; a 429 says when to try again (``Retry-After``)."""
    response = error(STATUS_OF.get(type(exc), 400), str(exc))
    if isinstance(exc, AlreadyThere):  # which photo, for the uploader to look at
        duplicate = exc.duplicate.pk
        body = {
            "duplicate_of": str(duplicate),
            "photo_page": reverse("photo_page", args=[duplicate]),
        }
        response = JsonResponse({"error": str(exc), **body}, status=response.status_code)
    if isinstance(exc, TooFast):
        response["Retry-After"] = str(math.ceil(exc.retry_after))  # whole seconds, never early
    return response


def api_view(*methods: str) -> Callable[[Callable], Callable]:
    """An API view answering ``methods``, logged in. Every refusal is JSON, also under
    DEBUG=true: 405 for another method, 401 logged out, 404 for ``Http404``, 403 for
    ``PermissionDenied``, and for a service's refusal the status ``STATUS_OF`` gives it."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method not in methods:
                response = error(405, f"{request.method} is not allowed here; use {methods[0]}.")
                response["Allow"] = ", ".join(methods)
                return response
            if not request.user.is_authenticated:
                return error(401, "Log in first.")
            try:
                return view(request, *args, **kwargs)
            except Http404 as exc:
                return error(404, str(exc) or "Nothing here, or it isn't shared with you.")
            except PermissionDenied as exc:
                return error(403, str(exc) or "You may not do this.")
            except PhotoError as exc:
                return photo_error(exc)
            except NoSigningKey as exc:
                return error(503, str(exc))

        return wrapper

    return decorate


def one_of(rows: QuerySet, pk, missing: str) -> Model:
    """The row of ``rows`` with this id, or a 404 saying ``missing``."""
    found = rows.filter(pk=pk).first()
    if found is None:
        raise Http404(missing)
    return found


def unknown_endpoint(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Every other address under ``/api/``: a JSON 404, also under DEBUG=true."""
    return error(404, f"The API has no such address; it has {ENDPOINTS}.")


def json_body(request: HttpRequest) -> dict:
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError, RecursionError):  # nested deeper than Python goes
        raise InvalidRequest("The body must be JSON.") from None
    if not isinstance(body, dict):
        raise InvalidRequest("The body must be a JSON object.")
    return body


def photo_json(photo: Photo, request: HttpRequest) -> dict:
    """A photo for API clients. ``renditions`` are signed URLs that work alone (a client
    without cookies); ``images`` are the plain URLs with their sizes that pages use, which the
    signed cookies of a page showing the pet open."""
    renditions, images = {}, {}
    if photo.state == Photo.State.READY:
        signer = get_signer()
        floor = access_floors([photo.pet_id]).get(photo.pet_id)
        # Signed only if access was not revoked while this request ran (the check of who may
        # read the photo may predate it); the client asks again a moment later.
        signs = not revoked_during(request, floor)
        for r in photo.renditions.all():
            if r.name in DOWNLOAD_ONLY:
                continue  # its key is told to nobody: downloads go through the app
            if signs:
                renditions[r.name] = signer.url(r.key, floor=floor, origin=site_origin(request))
            images[r.name] = {"url": signer.object_url(r.key), "width": r.width, "height": r.height}
    return {
        "id": str(photo.pk),
        "state": photo.state,
        "error": photo.error,
        "width": photo.width,
        "height": photo.height,
        "placeholder_color": photo.placeholder_color,
        # ISO 8601 on the clock of the place it was taken, when its metadata said (else UTC).
        "taken_at": photo.local_taken_at().isoformat(),
        "duplicate_of": str(photo.duplicate_of_id) if photo.duplicate_of_id else None,
        "renditions": renditions,
        "images": images,
    }


@api_view("POST")
def upload_create(request: HttpRequest, pet_id) -> JsonResponse:
    """``POST /api/pets/<pet>/uploads``: a pending photo and its upload ticket."""
    pet = one_of(
        Pet.objects.visible_to(request.user, Access.CONTRIBUTE),
        pet_id,
        "No pet with this id that you may upload to; its owner can make you a contributor.",
    )
    body = json_body(request)
    photo, ticket = photo_create_upload(
        pet=pet,
        uploader=request.user,
        filename=body.get("filename"),
        content_type=body.get("content_type"),
        size=body.get("size"),
        local_url=request.build_absolute_uri(reverse("local_upload")),
        content_hash=body.get("content_hash"),
        duplicate=body.get("duplicate"),
    )
    return JsonResponse(
        {
            "photo": str(photo.pk),
            "upload": {"url": ticket.url, "fields": ticket.fields},
            "expires_at": ticket.expires_at.isoformat(),
        },
        status=201,
    )


@api_view("POST")
def upload_complete(request: HttpRequest, photo_id) -> JsonResponse:
    """``POST /api/photos/<photo>/complete``: the upload is done; processing is queued."""
    photo = one_of(
        Photo.objects.visible_to(request.user, Access.CONTRIBUTE).filter(uploader=request.user),
        photo_id,
        "No upload of yours with this id; ask for a new ticket at POST /api/pets/<pet>/uploads.",
    )
    photo = photo_complete(photo=photo)
    return JsonResponse(photo_json(photo, request), status=202)


@api_view("GET", "HEAD", "DELETE")
def photo_detail(request: HttpRequest, photo_id) -> JsonResponse:
    """``GET /api/photos/<photo>``: state and rendition URLs, for those who may read it (see
    ``PhotoQuerySet.readable_by``); ``DELETE`` removes it."""
    photo = one_of(
        Photo.objects.readable_by(request.user).with_renditions(),
        photo_id,
        "No photo with this id that you may see; it may still be processing.",
    )
    if request.method == "DELETE":
        if not Photo.objects.deletable_by(request.user).filter(pk=photo.pk).exists():
            return error(403, "Only the pet's owner or the photo's uploader may delete it.")
        photo_delete(photo=photo)
        return HttpResponse(status=204)
    return JsonResponse(photo_json(photo, request))
