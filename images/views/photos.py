"""One photo: its page (large rendition, caption, date taken, newer/older), the original,
deletion."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from cdn.signer import get_signer, site_origin
from images.forms import CaptionForm, TakenAtForm
from images.models import Access, Pet, Photo
from images.pure.downloads import download_name
from images.services.pets import pet_set_cover
from images.services.photos import photo_delete, photo_set_taken_at, photo_update_caption
from images.views.common import render_granting
from images.views.tiles import PHOTO_SIZES, photo_tile
from pettracker.text import possessive


def _visible_photo(request: HttpRequest, photo_id) -> Photo:
    """The photo if the user sees it: ready, or in any state for those who may upload."""
    photos = Photo.objects.visible_to(request.user).select_related("pet")
    photo = get_object_or_404(photos.with_renditions(), pk=photo_id)
    uploads = Photo.objects.visible_to(request.user, Access.CONTRIBUTE)
    if photo.state != Photo.State.READY and not uploads.filter(pk=photo.pk).exists():
        raise Http404("No such photo.")
    return photo


@login_required
@require_http_methods(["GET", "POST"])
def photo_page(request: HttpRequest, photo_id) -> HttpResponse:
    photo = _visible_photo(request, photo_id)
    is_owner = photo.pet.owner_id == request.user.pk
    form = CaptionForm(request.POST or None, instance=photo) if is_owner else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied("Only the pet's owner edits captions.")
        if form.is_valid():
            photo_update_caption(photo=photo, caption=form.cleaned_data["caption"])
            messages.success(request, "Caption saved.")
            return redirect("photo_page", photo_id=photo.pk)
    return _render_photo_page(request, photo, form=form)


@login_required
@require_POST
def photo_change_taken_at(request: HttpRequest, photo_id) -> HttpResponse:
    """The pet's owner corrects when the photo was taken (a 404 for anyone else). The date and
    time typed are on the clock the page shows them on: the place's, when the photo said it."""
    owned = Photo.objects.visible_to(request.user, Access.MANAGE).select_related("pet")
    photo = get_object_or_404(owned.with_renditions(), pk=photo_id)
    with timezone.override(photo.local_taken_at().tzinfo):
        taken_form = TakenAtForm(request.POST)
        if taken_form.is_valid():
            try:
                photo_set_taken_at(photo=photo, taken_at=taken_form.cleaned_data["taken_at"])
            except ValidationError as refusal:
                taken_form.add_error("taken_at", refusal)
    if taken_form.errors:
        return _render_photo_page(request, photo, taken_form=taken_form)
    messages.success(request, "Date taken saved.")
    return redirect("photo_page", photo_id=photo.pk)


def _render_photo_page(
    request: HttpRequest,
    photo: Photo,
    *,
    form: CaptionForm | None = None,
    taken_form: TakenAtForm | None = None,
) -> HttpResponse:
    is_owner = photo.pet.owner_id == request.user.pk
    taken = photo.local_taken_at()
    if is_owner and form is None:
        form = CaptionForm(instance=photo)
    if is_owner and taken_form is None:
        shown = taken.replace(tzinfo=None, second=0, microsecond=0)  # on the place's clock
        taken_form = TakenAtForm(initial={"taken_at": shown})
    can_upload = Pet.objects.visible_to(request.user, Access.CONTRIBUTE).filter(pk=photo.pet_id)
    siblings = (
        Photo.objects.visible_to(request.user)
        .filter(pet_id=photo.pet_id)
        .in_gallery(can_upload=can_upload.exists())
    )
    context = {
        "photo": photo,
        "tile": photo_tile(photo, get_signer(), pet_name=photo.pet.name),
        "sizes": PHOTO_SIZES,
        "form": form,
        "taken_form": taken_form,
        # Naive, so that the template shows it on the place's clock, not the site's.
        "taken": taken.replace(tzinfo=None),
        "is_owner": is_owner,
        "is_cover": photo.pet.cover_photo_id == photo.pk,
        "can_delete": Photo.objects.deletable_by(request.user).filter(pk=photo.pk).exists(),
        "newer": siblings.taken_after(photo).first(),
        "older": siblings.taken_before(photo).first(),
        "is_favourite": Photo.objects.favourited_by(request.user).filter(pk=photo.pk).exists(),
    }
    invalid = any(f is not None and f.errors for f in (form, taken_form))
    return render_granting(
        request,
        "photos/detail.html",
        context,
        pet_ids=[photo.pet_id],
        status=400 if invalid else 200,
    )


@login_required
@require_safe
def photo_original(request: HttpRequest, photo_id) -> HttpResponse:
    """The original file, for the pet's owner only (it may carry GPS): a signed URL."""
    photo = get_object_or_404(
        Photo.objects.visible_to(request.user, Access.MANAGE).select_related("pet"), pk=photo_id
    )
    fallback = f"{slugify(photo.pet.name) or 'photo'}-{photo.created_at:%Y-%m-%d}"
    name = download_name(photo.original_filename, photo.content_type, fallback=fallback)
    url = get_signer().original_url(
        photo.original_key, origin=site_origin(request), download_name=name
    )
    return redirect(url)


@login_required
@require_POST
def photo_make_cover(request: HttpRequest, photo_id) -> HttpResponse:
    """The owner shows this photo on the pet's cards."""
    photo = get_object_or_404(
        Photo.objects.visible_to(request.user, Access.MANAGE).ready().select_related("pet"),
        pk=photo_id,
    )
    pet_set_cover(pet=photo.pet, photo=photo)
    messages.success(request, f"This photo is now {possessive(photo.pet.name)} cover.")
    return redirect("photo_page", photo_id=photo.pk)


@login_required
@require_POST
def photo_remove(request: HttpRequest, photo_id) -> HttpResponse:
    photo = get_object_or_404(Photo.objects.visible_to(request.user), pk=photo_id)
    if not Photo.objects.deletable_by(request.user).filter(pk=photo.pk).exists():
        raise PermissionDenied("Only the pet's owner or the photo's uploader may delete it.")
    photo_delete(photo=photo)
    messages.success(request, "The photo was deleted.")
    return redirect("pet_gallery", pet_id=photo.pet_id)
