"""Downloads (issue 16): photos as a ZIP streamed while it is made, and one photo's full
rendition, for those who see the photos and for a share link's holders when its owner allowed
downloads.

Everything goes through the application, never through a CDN URL: the ``full`` rendition
lives under its pet's renditions (deleted, reconciled and revoked with them), where the pet's
signed cookies would open it, so its key is told to nobody (pages, tiles and the API leave it
out) and its bytes are sent only after the checks here.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterator

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_POST

from images.models import Access, Pet, Photo, ShareLink
from images.pure.streams import Ending
from images.pure.zips import Entry, archive_name, member_names, zip_chunks
from images.services.downloads import (
    DOWNLOADS_AT_ONCE,
    MAX_PHOTOS,
    Kind,
    download_slot_take,
    photo_full_rendition,
    photos_zip_members,
)
from images.views.selection import NOT_SEEN, Refused, selection_refused
from images.views.sharing import usable_link

# When a download refused for too many under way may be tried again (a guess: most finish in
# well under a minute).
RETRY_AFTER_SECONDS = 60
NOT_ALLOWED_ON_LINK = "The owner of these photos has not allowed downloads through this link."


def _plain(status: int, message: str) -> HttpResponse:
    """A refusal in words for a download opened as a link (a file was expected: no page)."""
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def _refusal(status: int, message: str) -> Refused:
    return Refused(message, status)


def _refused_on_a_page(view):
    """Every refusal of a selection's download (``_refusal``, a 403, a 404) is a page saying
    why, with the way back to the gallery posted as ``gallery`` (home when it is not one the
    user sees), as the selection's other actions answer; the statuses stay."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest) -> HttpResponse:
        try:
            return view(request)
        except Refused as refusal:
            status, reason = refusal.status, str(refusal)
        except PermissionDenied as refusal:
            status, reason = 403, str(refusal)
        except Http404 as refusal:
            status, reason = 404, str(refusal)
        pet = _gallery_posted(request)
        return selection_refused(request, pet=pet, reason=reason, status=status)

    return wrapped


def _gallery_posted(request: HttpRequest) -> Pet | None:
    try:
        pet_id = uuid.UUID(request.POST.get("gallery", ""))
    except ValueError:
        return None
    return Pet.objects.visible_to(request.user).filter(pk=pet_id).first()


@login_required
@require_POST
@_refused_on_a_page
def photos_download(request: HttpRequest) -> HttpResponse:
    """``POST /photos/download/``: the photos posted as ``photo`` (repeated) in one ZIP, as
    their full renditions (``kind=full``, the default) or, for their owner only, as the files
    uploaded (``kind=original``: they may carry GPS). Every id must be one the user may read
    (``readable_by``: else 404, and nothing is sent, so a viewer learns nothing of a photo
    still processing); only ready photos (else 409 saying how many are not: to the owner or
    uploader, who see those). Posted by a gallery's selection bar, whose ``gallery`` (the
    pet's id) its refusals lead back to."""
    try:
        kind = Kind(request.POST.get("kind") or Kind.FULL)
    except ValueError:
        raise _refusal(400, "Choose what to download: kind=full or kind=original.") from None
    ids = _posted_ids(request)
    if not ids:
        raise _refusal(400, "Choose at least one photo to download.")
    if len(ids) > MAX_PHOTOS:
        raise _refusal(
            400,
            f"A download holds at most {MAX_PHOTOS:,} photos; you chose {len(ids):,}. "
            "Choose fewer and download the rest separately.",
        )
    photos = list(
        Photo.objects.readable_by(request.user)
        .filter(pk__in=ids)
        .select_related("pet")
        .newest_taken_first()
    )
    if len(photos) != len(ids):
        raise Http404(NOT_SEEN)
    if kind == Kind.ORIGINAL:
        owned = Photo.objects.visible_to(request.user, Access.MANAGE).filter(pk__in=ids)
        if owned.count() != len(ids):
            raise PermissionDenied(
                "Only a pet's owner downloads its original files (they may carry where they "
                "were taken); download the full-size photos instead."
            )
    waiting = sum(photo.state != Photo.State.READY for photo in photos)
    if waiting:
        verb = "is" if waiting == 1 else "are"
        raise _refusal(
            409,
            f"{waiting} of the {len(photos)} photos you chose {verb} not ready (still being "
            "processed, or failed): choose only ready photos, or wait until they are.",
        )
    pets = {photo.pet.name for photo in photos}
    title = f"{next(iter(pets))} photos" if len(pets) == 1 else "Pet photos"
    members = photos_zip_members(photos=photos, kind=kind)
    return _zip_response(members, title, holder=_user_holder(request))


@login_required
@require_GET  # not HEAD: it would open the stored object to send none of it
def photo_download(request: HttpRequest, photo_id) -> HttpResponse:
    """``GET /photos/<photo>/download/``: one ready photo's full rendition, as an attachment,
    for anyone who sees it."""
    photos = Photo.objects.visible_to(request.user).ready().select_related("pet")
    return _single_download(get_object_or_404(photos, pk=photo_id), holder=_user_holder(request))


@require_GET  # not HEAD: a server would read every photo to send none of them
def share_link_download(request: HttpRequest, token: str) -> HttpResponse:
    """``GET /s/<token>/download/``: every ready photo the link shows, as their full
    renditions in one ZIP, when its owner allowed downloads (403 otherwise: the holder sees
    the gallery, not its files)."""
    link = _downloadable_link(request, token)
    if isinstance(link, HttpResponse):
        return link
    photos = (
        Photo.objects.through_link(link).select_related("pet").newest_taken_first()[:MAX_PHOTOS]
    )
    members = photos_zip_members(photos=photos)
    return _zip_response(members, f"{link.pet.name} photos", holder=_link_holder(link))


@require_GET  # not HEAD: it would open the stored object to send none of it
def share_link_photo_download(request: HttpRequest, token: str, photo_id) -> HttpResponse:
    """``GET /s/<token>/photos/<photo>/download/``: one photo the link shows (404 for any
    other), as its full rendition, when its owner allowed downloads."""
    link = _downloadable_link(request, token)
    if isinstance(link, HttpResponse):
        return link
    photos = Photo.objects.through_link(link).select_related("pet")
    return _single_download(get_object_or_404(photos, pk=photo_id), holder=_link_holder(link))


def _downloadable_link(request: HttpRequest, token: str) -> ShareLink | HttpResponse:
    link = usable_link(request, token)
    if isinstance(link, ShareLink) and not link.allows_download:
        raise PermissionDenied(NOT_ALLOWED_ON_LINK)
    return link


def _posted_ids(request: HttpRequest) -> list[uuid.UUID]:
    """The posted ``photo`` ids, each once; a malformed one is just another unknown photo."""
    try:
        return list(dict.fromkeys(uuid.UUID(value) for value in request.POST.getlist("photo")))
    except ValueError:
        raise Http404("No such photo.") from None


def _user_holder(request: HttpRequest) -> str:
    return f"user:{request.user.pk}"


def _link_holder(link: ShareLink) -> str:
    return f"link:{link.pk}"


def _too_many(holder: str) -> HttpResponse:
    who = (
        f"You have {DOWNLOADS_AT_ONCE} downloads under way"
        if holder.startswith("user:")
        else f"{DOWNLOADS_AT_ONCE} downloads through this link are under way"
    )
    response = _plain(429, f"{who} already. Wait until one has finished, then download this again.")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _streamed(chunks_of, content_type: str, holder: str) -> StreamingHttpResponse | HttpResponse:
    """A response streaming ``chunks_of()`` while it holds one of ``holder``'s download slots
    (given back when the stream ends or the response is closed), or the 429 saying to wait."""
    give_back = download_slot_take(holder=holder)
    if give_back is None:
        return _too_many(holder)
    try:
        chunks = Ending(chunks_of(), give_back)
    except BaseException:
        give_back()
        raise
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    return response


def _zip_response(members, title: str, *, holder: str) -> HttpResponse:
    # No Content-Length: the archive's size is known only once it is made.
    response = _streamed(lambda: zip_chunks(members), "application/zip", holder)
    if response.status_code == 200:
        response["Content-Disposition"] = content_disposition_header(True, archive_name(title))
    return response


def _single_download(photo: Photo, *, holder: str) -> HttpResponse:
    found = photo_full_rendition(photo=photo)
    if found is None:
        raise Http404("This photo has no file to download yet.")
    key, size, content_type = found
    extension = key.rsplit(".", 1)[-1]
    entry = Entry(
        taken=photo.day_taken(), caption=photo.caption or photo.pet.name, extension=extension
    )

    def opened() -> Iterator[bytes]:
        chunks = default_storage.read_chunks(key)
        try:
            first = next(chunks, b"")  # opens it: a file gone is a 404, not a broken download
        except FileNotFoundError:
            raise Http404("This photo's file is missing.") from None

        def rest() -> Iterator[bytes]:
            try:
                yield first
                yield from chunks
            finally:
                chunks.close()  # a client gone: the file is closed at once

        return rest()

    response = _streamed(opened, content_type, holder)
    if response.status_code == 200:
        name = member_names([entry])[0]
        response["Content-Disposition"] = content_disposition_header(True, name)
        response["Content-Length"] = str(size)
    return response
