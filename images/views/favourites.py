"""Favourites: the heart on a photo (its page and the viewer), and the page of one's hearts
across pets."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST, require_safe

from cdn.signer import get_signer
from images.models import Pet, Photo
from images.services.favourites import favourite_set, favourite_toggle
from images.views.common import page_of, render_granting
from images.views.tiles import grid_html, tiles
from pettracker.net import is_local_path

STATES = {"on": True, "off": False}
BAD_STATE = "Send favourite=on or favourite=off (or nothing, to switch it)."


@login_required
@require_POST
def photo_favourite(request: HttpRequest, photo_id) -> HttpResponse:
    """Heart a photo one sees, or take the heart off: ``favourite=on|off`` (nothing switches
    it). JSON for scripts (``Accept: application/json``); else back to the page it was pressed
    on (``next``) or the photo's. A photo one does not see is a 404, as everywhere."""
    photo = get_object_or_404(Photo.objects.visible_to(request.user).ready(), pk=photo_id)
    wanted = request.POST.get("favourite")
    if wanted is None:
        on = favourite_toggle(user=request.user, photo=photo)
    elif wanted in STATES:
        on = favourite_set(user=request.user, photo=photo, on=STATES[wanted])
    else:
        return HttpResponseBadRequest(BAD_STATE, content_type="text/plain; charset=utf-8")
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"photo": str(photo.pk), "favourite": on})
    back = request.POST.get("next", "")
    if is_local_path(request, back):
        return redirect(back)
    return redirect("photo_page", photo_id=photo.pk)


@login_required
@require_safe
def favourites_page(request: HttpRequest) -> HttpResponse:
    """The photos one hearted that one still sees (a revoked share hides its hearts, and they
    come back with it), newest heart first, as a gallery's tiles and viewer."""
    photos = Photo.objects.visible_to(request.user).ready().favourited_by(request.user)
    page = page_of(request, photos.for_tiles())
    pet_ids = {photo.pet_id for photo in page.object_list}
    names = dict(Pet.objects.filter(pk__in=pet_ids).values_list("pk", "name"))
    shown = tiles(page.object_list, get_signer(), pet_name=lambda photo: names[photo.pet_id])
    context = {
        "page": page,
        "tiles": shown,
        "grid": grid_html(shown),
        "favourites": [str(t.photo.pk) for t in shown],
    }
    return render_granting(request, "photos/favourites.html", context, pet_ids=pet_ids)
