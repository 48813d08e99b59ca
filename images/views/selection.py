"""Many photos of a gallery at once: the photos ticked in a pet's gallery (``photo``, one value
each, from the selection bar's form) are deleted, moved to another pet of the owner, or one of
them made the cover.

Every id posted goes through the querysets: one the user may not see (not in their gallery of
the pet) makes the whole request a 404, one they see but may not act on a 403, and then nothing
is done (all or nothing). Every refusal is a page saying why, with the way back to the gallery
(``selection_refused``, which the selection's downloads use too). Deleting and moving ask once
(a page listing the photos), then post again with ``confirm``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from cdn.signer import get_signer
from images.forms import MoveForm, PhotoSelectionForm
from images.models import Access, Pet, Photo
from images.services.errors import (
    ChangedMeanwhile,
    InvalidRequest,
    PhotoError,
    StillProcessing,
    StorageUnavailable,
)
from images.services.moves import photos_move
from images.services.pets import pet_set_cover
from images.services.photos import photos_delete
from images.views.common import render_granting
from images.views.pets import gallery_photos
from images.views.tiles import tiles
from pettracker.text import possessive

# The answer to each refusal of a move: nothing was done in any case.
MOVE_STATUS = {
    InvalidRequest: 400,
    StillProcessing: 409,
    ChangedMeanwhile: 409,
    StorageUnavailable: 503,
}


class Refused(Exception):
    """Bad input: the refusal page says why, with ``status``."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def _selected(request: HttpRequest, pet: Pet, allowed):
    """The photos ticked, as a queryset of ``allowed`` (the photos of ``pet`` the user may act
    on this way): 404 if one is not among those they may see, 403 if one is seen but not
    allowed, ``Refused`` for a malformed or empty selection."""
    form = PhotoSelectionForm(request.POST)
    if not form.is_valid():
        raise Refused(" ".join(form.errors["photo"]))
    ids = form.cleaned_data["photo"]
    # Seen: in the gallery the boxes were ticked in (``pet`` carries the user's role).
    seen = gallery_photos(pet).filter(pk__in=ids)
    if seen.count() != len(ids):
        raise Http404(NOT_SEEN)
    chosen = allowed.filter(pet=pet, pk__in=ids)
    if chosen.count() != len(ids):
        raise PermissionDenied("You may not do that to some of these photos.")
    return chosen


def _managed(request: HttpRequest, pet: Pet) -> None:
    if not Pet.objects.visible_to(request.user, Access.MANAGE).filter(pk=pet.pk).exists():
        raise PermissionDenied("Only the pet's owner may do that.")


NOT_SEEN = (
    "Some of these photos are not in this gallery any more (deleted or moved meanwhile), or "
    "are not shared with you."
)


def selection_refused(
    request: HttpRequest, *, pet: Pet | None, reason: str, status: int
) -> HttpResponse:
    """The page of a refused selection: why, and the way back to ``pet``'s gallery (home
    when there is none to go back to)."""
    context = {"pet": pet, "reason": reason}
    return render(request, "photos/selection_refused.html", context, status=status)


def _refusing(view):
    """A refusal (``Refused``, a 403, a 404 for a photo) becomes its page, with the gallery to
    go back to."""

    def wrapped(request: HttpRequest, pet_id) -> HttpResponse:
        visible = Pet.objects.visible_to(request.user).with_role(request.user)
        pet = get_object_or_404(visible, pk=pet_id)
        try:
            return view(request, pet)
        except Refused as refusal:
            return selection_refused(request, pet=pet, reason=str(refusal), status=refusal.status)
        except PermissionDenied as refusal:
            return selection_refused(request, pet=pet, reason=str(refusal), status=403)
        except Http404 as refusal:
            return selection_refused(request, pet=pet, reason=str(refusal), status=404)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _confirmation(request: HttpRequest, pet: Pet, photos, context: dict, status: int = 200):
    shown = tiles(photos.for_tiles().newest_taken_first(), get_signer(), pet_name=pet.name)
    context = {"pet": pet, "tiles": shown, "count": len(shown), **context}
    pet_ids = [pet.pk] if any(t.ready for t in shown) else []
    return render_granting(
        request, "photos/selection_confirm.html", context, pet_ids=pet_ids, status=status
    )


@login_required
@require_POST
@_refusing
def photos_delete_selected(request: HttpRequest, pet: Pet) -> HttpResponse:
    """Delete the photos ticked, once confirmed: the owner any of the pet's, a contributor
    their own uploads."""
    photos = _selected(request, pet, Photo.objects.deletable_by(request.user))
    if request.POST.get("confirm") != "yes":
        return _confirmation(request, pet, photos, {"action": "delete"})
    count = photos_delete(photos=photos)
    messages.success(request, f"{count} photo{'' if count == 1 else 's'} deleted.")
    return redirect("pet_gallery", pet_id=pet.pk)


@login_required
@require_POST
@_refusing
def photos_move_selected(request: HttpRequest, pet: Pet) -> HttpResponse:
    """The owner moves the photos ticked to another of their pets, chosen on the page this
    answers first."""
    _managed(request, pet)
    photos = _selected(request, pet, Photo.objects.visible_to(request.user, Access.MANAGE))
    others = Pet.objects.visible_to(request.user, Access.MANAGE).exclude(pk=pet.pk)
    chosen = request.POST.get("confirm") == "yes"
    form = MoveForm(request.POST if chosen else None, pets=others)
    if not chosen or not form.is_valid():
        context = {"action": "move", "form": form, "has_others": others.exists()}
        return _confirmation(request, pet, photos, context, status=400 if chosen else 200)
    to_pet = form.cleaned_data["to"]
    try:
        count = photos_move(photos=photos, to_pet=to_pet)
    except PhotoError as refusal:
        form.add_error(None, str(refusal))
        context = {"action": "move", "form": form, "has_others": True}
        return _confirmation(
            request, pet, photos, context, status=MOVE_STATUS.get(type(refusal), 400)
        )
    messages.success(request, f"{count} photo{'' if count == 1 else 's'} moved to {to_pet.name}.")
    return redirect("pet_gallery", pet_id=pet.pk)


@login_required
@require_POST
@_refusing
def photos_cover_selected(request: HttpRequest, pet: Pet) -> HttpResponse:
    """The owner makes the one photo ticked the pet's cover."""
    _managed(request, pet)
    photos = _selected(request, pet, Photo.objects.visible_to(request.user, Access.MANAGE))
    chosen = list(photos[:2])
    if len(chosen) != 1:
        raise Refused("Select just one photo to make it the cover.")
    try:
        pet_set_cover(pet=pet, photo=chosen[0])
    except ValidationError:
        raise Refused("Only a photo that is ready can be the cover.") from None
    messages.success(request, f"That photo is now {possessive(pet.name)} cover.")
    return redirect("pet_gallery", pet_id=pet.pk)
