"""Sharing: the owner's sharing page, the pets shared with me, and share-link galleries."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from cdn.revocation import EDGE_REVOCATION_SECONDS
from cdn.signer import get_signer
from images.forms import InviteForm, RoleForm, ShareLinkForm
from images.models import Access, Pet, Photo, ShareLink
from images.services.downloads import MAX_PHOTOS
from images.services.sharing import (
    names_an_address,
    share_grant,
    share_invite,
    share_link_create,
    share_link_revoke,
    share_revoke,
)
from images.views import invitations
from images.views.common import page_of, pet_cards, render_granting
from images.views.tiles import gallery_html, tiles


@login_required
@require_http_methods(["GET", "POST"])
def sharing_page(request: HttpRequest, pet_id) -> HttpResponse:
    pet = get_object_or_404(Pet.objects.visible_to(request.user, Access.MANAGE), pk=pet_id)
    forms = {"invite": InviteForm(), "link": ShareLinkForm()}
    if request.method == "POST":
        action = ACTIONS.get(request.POST.get("action", ""))
        if action is None:
            return HttpResponse("Unknown sharing action.", status=400)
        done = action(request, pet, forms)
        if done is not None:
            return done
    context = {
        "pet": pet,
        "shares": pet.shares.select_related("grantee").order_by("grantee__username"),
        "links": pet.share_links.active().order_by("expires_at"),
        "invitations": pet.invitations.pending().order_by("created_at"),
        "role_choices": RoleForm.base_fields["role"].choices,
        "new_link": request.session.pop(_new_link_key(pet), None),
        "revoked_seconds": EDGE_REVOCATION_SECONDS,
        **{f"{name}_form": form for name, form in forms.items()},
    }
    status = 400 if any(form.errors for form in forms.values()) else 200
    return render(request, "pets/sharing.html", context, status=status)


def _new_link_key(pet: Pet) -> str:
    return f"new-share-link-{pet.pk}"


def _posted_row(rows: QuerySet, request: HttpRequest, field: str):
    """The row of ``rows`` whose id the form posted in ``field``; 404 when it is absent,
    malformed or not one of ``rows`` (a malformed id is just another unknown one)."""
    try:
        pk = uuid.UUID(request.POST.get(field, ""))
    except ValueError:
        raise Http404(f"No such {field} on this pet.") from None
    return get_object_or_404(rows, pk=pk)


def _invite(request: HttpRequest, pet: Pet, forms: dict) -> HttpResponse | None:
    form = forms["invite"] = InviteForm(request.POST)
    if not form.is_valid():
        return None
    if names_an_address(form.cleaned_data["who"]):
        # Invited, whether or not an account has the address: the page must not tell.
        return invitations.invite_address(request, pet, form)
    try:
        share = share_invite(pet=pet, granted_by=request.user, **form.cleaned_data)
    except ValidationError as exc:
        form.add_error("who", exc)
        return None
    messages.success(request, f"{pet.name} is shared with {share.grantee.username}.")
    return redirect("pet_sharing", pet_id=pet.pk)


def _change_role(request: HttpRequest, pet: Pet, forms: dict) -> HttpResponse | None:
    share = _posted_row(pet.shares.select_related("grantee"), request, "share")
    form = RoleForm(request.POST)
    if not form.is_valid():
        return HttpResponse("Choose viewer or contributor.", status=400)
    share_grant(
        pet=pet, grantee=share.grantee, role=form.cleaned_data["role"], granted_by=request.user
    )
    messages.success(request, f"{share.grantee.username} is now a {form.cleaned_data['role']}.")
    return redirect("pet_sharing", pet_id=pet.pk)


def _revoke(request: HttpRequest, pet: Pet, forms: dict) -> HttpResponse:
    share = _posted_row(pet.shares.select_related("grantee"), request, "share")
    share_revoke(share=share)
    messages.success(request, f"{share.grantee.username} no longer sees {pet.name}.")
    return redirect("pet_sharing", pet_id=pet.pk)


def _create_link(request: HttpRequest, pet: Pet, forms: dict) -> HttpResponse | None:
    form = forms["link"] = ShareLinkForm(request.POST)
    if not form.is_valid():
        return None
    link, token = share_link_create(
        pet=pet, created_by=request.user, lifetime=form.lifetime_delta()
    )
    # Shown once, on the next page: only the token's hash is stored.
    url = request.build_absolute_uri(reverse("share_link", args=[token]))
    request.session[_new_link_key(pet)] = {"url": url, "expires_at": link.expires_at.isoformat()}
    return redirect("pet_sharing", pet_id=pet.pk)


def _revoke_link(request: HttpRequest, pet: Pet, forms: dict) -> HttpResponse:
    link = _posted_row(pet.share_links, request, "link")
    share_link_revoke(link=link)
    messages.success(request, "The link no longer opens the gallery.")
    return redirect("pet_sharing", pet_id=pet.pk)


ACTIONS = {
    "invite": _invite,
    "role": _change_role,
    "revoke": _revoke,
    "link": _create_link,
    "revoke_link": _revoke_link,
    **invitations.ACTIONS,
}


@login_required
@require_safe
def shared_with_me(request: HttpRequest) -> HttpResponse:
    pets = Pet.objects.visible_to(request.user).exclude(owner=request.user)
    cards = pet_cards(request.user, pets)
    pet_ids = [card.pet.pk for card in cards if card.cover]
    return render_granting(request, "pets/shared.html", {"cards": cards}, pet_ids=pet_ids)


def _dead_link(request: HttpRequest, link: ShareLink | None) -> HttpResponse:
    """What a link's holder sees when it opens nothing: never the pet's name or photos. Made
    here rather than by raising Http404, so that a holder never gets the generic page (nor,
    with DEBUG on, Django's technical one). 404 for a token that never was, 410 for a link
    that expired or was turned off."""
    if link is None:
        return render(request, "links/dead.html", {"reason": "unknown"}, status=404)
    reason = "revoked" if link.revoked_at else "expired"
    context = {"reason": reason, "expired_at": link.expires_at}
    return render(request, "links/dead.html", context, status=410)


def usable_link(request: HttpRequest, token: str) -> ShareLink | HttpResponse:
    """The link ``token`` opens for this request, or what to answer instead (the dead-link
    page). The one place that decides whether a request may use a link: its gallery, its
    downloads."""
    link = ShareLink.objects.for_token(token).select_related("pet", "pet__owner").first()
    if link is None or not link.is_active():
        return _dead_link(request, link)
    return link


# Stands for a photo's id in the viewer's download address (viewer.js puts the slide's in).
_PHOTO_PLACEHOLDER = uuid.UUID(int=0)


def _link_downloads(token: str) -> dict[str, str]:
    """The link's downloads: the whole gallery's ZIP, and one photo's address with ``{id}``
    for the viewer's button."""
    one = reverse("share_link_photo_download", args=[token, _PHOTO_PLACEHOLDER])
    return {
        "all": reverse("share_link_download", args=[token]),
        "photo": one.replace(str(_PHOTO_PLACEHOLDER), "{id}"),
        "most": MAX_PHOTOS,
    }


@require_safe
def share_link(request: HttpRequest, token: str) -> HttpResponse:
    """A share link's gallery, for anyone holding it: ready photos only, no originals."""
    link = usable_link(request, token)
    if isinstance(link, HttpResponse):
        return link
    page = page_of(request, Photo.objects.through_link(link).for_tiles().newest_taken_first())
    shown = tiles(page.object_list, get_signer(), pet_name=link.pet.name)
    context = {
        "link": link,
        "pet": link.pet,
        "page": page,
        "tiles": shown,
        # Who uploaded each photo is not told to a link's holders: a contributor agreed to
        # share with the pet's owner, not to have their account named to anyone with the link.
        "grid": gallery_html(shown, link_to_large=True, shows_uploader=False),
        # Its holder downloads the full renditions when the owner allowed it (issue 16).
        "downloads": _link_downloads(token) if link.allows_download and shown else None,
    }
    pet_ids = [link.pet_id] if shown else []
    return render_granting(request, "links/gallery.html", context, pet_ids=pet_ids)
