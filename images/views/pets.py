"""Pets: the list, create, edit, delete, the gallery and the upload page."""

from __future__ import annotations

import re
import uuid
from typing import NamedTuple

from csp.decorators import csp_update
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from accounts.models import User
from cdn.models import AccessFloor
from cdn.objects import EXTENSIONS
from cdn.signer import get_signer
from images.forms import PetForm
from images.models import Access, Pet, Photo, PhotoQuerySet, upload_usage
from images.pure.ages import age_in_words
from images.services.pets import pet_create, pet_delete, pet_update
from images.views.cards import Cards, card_floors, cards_html, pet_cards
from images.views.common import (
    PAGE_SIZE,
    REGRANT_HEADER,
    favourite_ids,
    granting,
    page_of,
    render_granting,
)
from images.views.tiles import Tile, gallery_html, tiles
from pettracker.pages import KeptPage, page_kept
from pettracker.prepared import Prepared


@login_required
@require_safe
def pet_list(request: HttpRequest) -> HttpResponse:
    cards = pet_cards(request.user, Cards.OWNED, get_signer())
    pet_ids = [card.pk for card in cards if card.cover]
    context = {"cards": cards, "cards_html": cards_html(cards, viewer_id=request.user.pk)}
    floors = card_floors(cards)
    return render_granting(request, "pets/list.html", context, pet_ids=pet_ids, floors=floors)


@login_required
@require_http_methods(["GET", "POST"])
def pet_new(request: HttpRequest) -> HttpResponse:
    form = PetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        pet = pet_create(owner=request.user, **form.cleaned_data)
        messages.success(request, f"{pet.name} is here. Add some photos!")
        return redirect("pet_gallery", pet_id=pet.pk)
    return render(request, "pets/form.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def pet_edit(request: HttpRequest, pet_id) -> HttpResponse:
    pet = get_object_or_404(Pet.objects.visible_to(request.user, Access.MANAGE), pk=pet_id)
    form = PetForm(request.POST or None, instance=pet)
    if request.method == "POST" and form.is_valid():
        pet_update(pet=pet, **form.cleaned_data)
        messages.success(request, "Saved.")
        return redirect("pet_gallery", pet_id=pet.pk)
    context = {"form": form, "pet": pet}
    return render(request, "pets/form.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def pet_remove(request: HttpRequest, pet_id) -> HttpResponse:
    pet = get_object_or_404(
        Pet.objects.visible_to(request.user, Access.MANAGE).with_photo_counts(), pk=pet_id
    )
    if request.method == "POST":
        pet_delete(pet=pet)
        messages.success(request, f"{pet.name} and their photos were deleted.")
        return redirect("pet_list")
    return render(request, "pets/confirm_delete.html", {"pet": pet})


@login_required
@require_safe
def pet_gallery(request: HttpRequest, pet_id) -> HttpResponse:
    """A pet's photos by date taken, newest first, under the month of each; uploaders also
    see what is processing or failed.

    A page asked again comes from the cache (``pettracker.pages.page_kept``), kept for the
    viewer, the page and the version of what it shows (``gallery_state``): one query and a
    cache read. Who may see the pet is asked every time: a revoked friend gets 404 at once."""
    state = gallery_state(request.user, pet_id)
    if state is None:
        raise Http404("No such pet.")
    facts = (state.pet_id, state.role, state.version, timezone.localdate())
    response, page = page_kept(
        request,
        facts,
        lambda extra: _gallery_page(request, pet_id, extra),
        # gallery.js asks again for cookies an image was refused for: made afresh, always.
        keep=_canonical(request, state) and REGRANT_HEADER not in request.headers,
        seconds=GALLERY_CACHE_SECONDS,
    )
    # A page without images needs no cookies (nor a signing key); photos still processing get
    # theirs when they turn ready (gallery.js asks the page again for a refused image).
    pet_ids = [state.pet_id] if page.extra else []
    floors = {state.pet_id: state.floor} if state.floor is not None else {}
    return granting(request, response, pet_ids=pet_ids, floors=floors)


GALLERY_CACHE_SECONDS = 600


class GalleryState(NamedTuple):
    pet_id: uuid.UUID
    name: str
    role: str
    floor: int | None
    photos: int
    version: tuple


def _gallery_state_query(user_id: int, pet_id: uuid.UUID):
    user = User(pk=user_id, is_active=True)
    pets = Pet.objects.visible_to(user).with_role(user).with_gallery_version(user)
    floor = AccessFloor.objects.filter(pet_id=OuterRef("pk")).values("floor")[:1]
    return (
        pets.filter(pk=pet_id)
        .order_by()
        .annotate(floor=Subquery(floor))
        .values_list(
            "pk",
            "name",
            "role",
            "floor",
            "photos_count",
            "updated_at",
            "owner__username",
            "photos_changed",
            "hearts_count",
            "hearts_changed",
        )
    )


# Built once: its building cost the page more than the rest of a cached page (pettracker.prepared).
_GALLERY_STATE = Prepared(
    _gallery_state_query, user_id=-1_734_621_954, pet_id=uuid.UUID(int=0x5EED_6A11_E12)
)


def gallery_state(user, pet_id) -> GalleryState | None:
    """Whether ``user`` sees the pet (``Pet.objects.visible_to``), their role, its access
    floor, its number of photos and the version of what its gallery shows them; ``None`` when
    they do not see it."""
    if not (user.is_authenticated and user.is_active):
        return None
    rows = _GALLERY_STATE.run(user_id=user.pk, pet_id=pet_id)
    if not rows:
        return None
    pk, name, role, floor, photos, *version = rows[0]
    return GalleryState(pk, name, role, floor, photos or 0, (photos, *version))


def _canonical(request: HttpRequest, state: GalleryState) -> bool:
    """Whether the page was asked by its one address: none, ``page=N`` (a page that may exist,
    in plain digits) and ``select=1``, in that order. Only those are kept: any other spelling
    (``page=02``, ``page=1&&``, ``select=1&page=1``, a page past the last) is made afresh."""
    query = request.META.get("QUERY_STRING", "")
    asked = _CANONICAL_QUERY.fullmatch(query)
    if asked is None:
        return False
    page = asked["page"]
    return page is None or int(page) <= max(1, -(-state.photos // PAGE_SIZE))


_CANONICAL_QUERY = re.compile(
    r"(?:page=(?P<page>[1-9][0-9]{0,5})(?:&select=1)?|select=1)?", re.ASCII
)


def _gallery_page(request: HttpRequest, pet_id, extra: dict) -> KeptPage:
    visible = Pet.objects.visible_to(request.user).with_role(request.user)
    pet = get_object_or_404(visible.select_related("owner"), pk=pet_id)
    can_upload = pet.role in UPLOADING_ROLES
    # Which photos the user may delete comes with them, by ``deletable_by``'s rule.
    photos = gallery_photos(pet).for_tiles().with_deletable(request.user, role=pet.role)
    page = page_of(request, photos.newest_taken_first())
    shown = tiles(page.object_list, get_signer(), pet_name=pet.name)
    is_owner = pet.role == "owner"

    def pickable(photo: Photo) -> bool:
        """A tile with a checkbox in the select mode: every ready photo (to download), and
        the ones the user may delete."""
        return photo.state == Photo.State.READY or photo.deletable

    # The select mode: with JavaScript it is turned on in place (static/js/selection.js makes
    # the checkboxes, keeping every page light); without, this address shows them.
    can_select = any(pickable(t.photo) for t in shown if not t.api)
    selecting = can_select and request.GET.get("select") == "1"
    cover = _cover_tile(pet, shown, first_page=page.number == 1)
    context = {
        "pet": pet,
        "page": page,
        "tiles": shown,
        "grid": gallery_html(
            shown,
            shows_error=lambda photo: is_owner or photo.uploader_id == request.user.pk,
            selectable=pickable if selecting else lambda photo: False,
            deletable=lambda photo: photo.deletable,
        ),
        "can_select": can_select,
        "selecting": selecting,
        "is_owner": is_owner,
        "can_upload": can_upload,
        "age": age_in_words(pet.birthday, timezone.localdate()),
        "cover": cover,
        "favourites": favourite_ids(request.user, shown),
        **extra,
    }
    html = render_to_string("pets/gallery.html", context, request=request)
    return KeptPage(html, any(t.ready for t in shown) or cover is not None)


UPLOADING_ROLES = ("owner", "contributor")


def gallery_photos(pet: Pet) -> PhotoQuerySet:
    """The photos ``pet``'s gallery shows to the user whose role it carries (``with_role``):
    ready ones, and for those who upload the ones processing or failed too. Whoever sees the
    pet (checked through ``visible_to`` when it was fetched) sees them all: asking
    ``Photo.objects.visible_to`` again would only repeat that check inside the query, whose
    building cost the page a third of its time (benchmarks/load.sh)."""
    return pet.photos.in_gallery(can_upload=pet.role in UPLOADING_ROLES)


def _cover_tile(pet: Pet, shown: list[Tile], *, first_page: bool) -> Tile | None:
    """The tile of ``pet``'s cover, as ``Pet.objects.with_cover`` chooses it: the chosen
    photo if it is ready, else the ready photo taken last. From the page's tiles when it is
    among them (the newest ready photo is the first ready tile of the first page, which has
    the same order), else one query."""
    ready = [t for t in shown if t.ready]
    if pet.cover_photo_id:
        on_page = next((t for t in ready if t.photo.pk == pet.cover_photo_id), None)
        chosen = on_page or _first_tile(pet, pet.photos.ready().filter(pk=pet.cover_photo_id))
        if chosen is not None:
            return chosen
    if first_page:
        return ready[0] if ready else None
    return _first_tile(pet, pet.photos.ready().newest_taken_first())


def _first_tile(pet: Pet, photos) -> Tile | None:
    found = tiles(photos.for_tiles()[:1], get_signer(), pet_name=pet.name)
    return found[0] if found else None


@login_required
@require_safe
# The previews of the chosen files are object URLs (blob:), made and shown by this page alone.
@csp_update({"img-src": ["blob:"]})
def pet_upload(request: HttpRequest, pet_id) -> HttpResponse:
    """The upload page, with what the user has used of their quota (counted over everything
    they uploaded, to any pet)."""
    pet = get_object_or_404(Pet.objects.visible_to(request.user, Access.CONTRIBUTE), pk=pet_id)
    used = upload_usage(request.user)
    quota = request.user.upload_quota()
    context = {
        "pet": pet,
        "accepted": ",".join(sorted(EXTENSIONS)),
        "max_bytes": settings.PHOTO_MAX_UPLOAD_BYTES,
        "max_mb": settings.PHOTO_MAX_UPLOAD_BYTES // (1024 * 1024),
        "used": used,
        "quota": quota,
        "quota_reached": used.photos >= quota.photos or used.bytes >= quota.bytes,
    }
    # The finished uploads show their thumbs, which the pet's cookies open.
    return render_granting(
        request, "pets/upload.html", context, pet_ids=[pet.pk], images_optional=True
    )
