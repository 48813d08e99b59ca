"""Pieces the pages share."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from cdn.revocation import access_floors
from cdn.signer import NoSigningKey, forget_grants, grant_pets
from images.models import Favourite
from images.views.tiles import Tile

PAGE_SIZE = 24
# gallery.js asks for a page again with this header when an image was refused (its cookies
# expired while the page stayed open, or the browser lost them): every cookie is set again.
REGRANT_HEADER = "X-Regrant"


def favourite_ids(user, shown: Iterable[Tile]) -> list[str]:
    """The ids of the photos among ``shown`` that ``user`` hearted (one query): the viewer's
    heart starts pressed on them."""
    ids = [t.photo.pk for t in shown if t.ready]
    if not ids or not user.is_authenticated:
        return []
    # The photos are the page's (seen already): only the hearts are asked for, without
    # favourited_by's ordering and annotation (this runs on every gallery page).
    hearted = Favourite.objects.filter(user=user, photo_id__in=ids)
    return [str(pk) for pk in hearted.values_list("photo_id", flat=True)]


def posted_row(rows: QuerySet, request: HttpRequest, field: str):
    """The row of ``rows`` whose id the form posted in ``field``; 404 when it is absent,
    malformed or not one of ``rows`` (a malformed id is just another unknown one)."""
    try:
        pk = uuid.UUID(request.POST.get(field, ""))
    except ValueError:
        raise Http404(f"No such {field} on this pet.") from None
    return get_object_or_404(rows, pk=pk)


def page_of(request: HttpRequest, queryset) -> Page:
    """The ``?page=`` of ``queryset``; a page number out of range gives the nearest page."""
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def render_granting(
    request: HttpRequest,
    template: str,
    context: dict,
    *,
    pet_ids: Iterable,
    status: int = 200,
    images_optional: bool = False,
    floors: Mapping | None = None,
) -> HttpResponse:
    """``render()``, plus the signed cookies that open the renditions of ``pet_ids`` (the
    pets whose photos the page shows, which the caller has checked the visitor may see).
    Without a signing key such a page is a 503 saying so (``NoSigningKeyMiddleware``), unless
    its images are only a garnish (``images_optional``: the upload page works without).
    ``floors``: the pets' access floors, when the view has read them already."""
    response = render(request, template, context, status=status)
    return granting(
        request, response, pet_ids=pet_ids, images_optional=images_optional, floors=floors
    )


def granting(
    request: HttpRequest,
    response: HttpResponse,
    *,
    pet_ids: Iterable,
    images_optional: bool = False,
    floors: Mapping | None = None,
) -> HttpResponse:
    """``response`` with the signed cookies of ``pet_ids``, as ``render_granting`` sets them."""
    pet_ids = list(dict.fromkeys(pet_ids))
    if pet_ids:
        if REGRANT_HEADER in request.headers:
            forget_grants(request)
        try:
            floors = access_floors(pet_ids) if floors is None else floors
            grant_pets(request, response, floors, pet_ids)
        except NoSigningKey:
            if not images_optional:
                raise
    return response
