"""Sharing: the owner's sharing page, the pets shared with me, and share-link galleries."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from cdn.revocation import EDGE_REVOCATION_SECONDS, access_floors
from cdn.signer import get_signer, revoked_during, site_origin
from images.forms import (
    InviteForm,
    LinkPasswordForm,
    RoleForm,
    ShareLinkEditForm,
    ShareLinkForm,
)
from images.models import Access, Pet, Photo, Rendition, RenditionName, ShareLink
from images.pure.crawlers import is_link_previewer
from images.services.downloads import MAX_PHOTOS
from images.services.link_access import (
    PASSWORD_WINDOW,
    Unlock,
    share_link_unlock,
    share_link_unlock_refusal,
)
from images.services.sharing import (
    names_an_address,
    share_grant,
    share_invite,
    share_link_create,
    share_link_record_open,
    share_link_revoke,
    share_link_update,
    share_links_revoke_all,
    share_revoke,
)
from images.views import invitations, link_access
from images.views.cards import Cards, card_floors, cards_html, pet_cards
from images.views.common import (
    REGRANT_HEADER,
    page_of,
    posted_row,
    render_granting,
)
from images.views.tiles import gallery_html, tiles
from pettracker.net import client_ip
from pettracker.text import possessive


@login_required
@require_http_methods(["GET", "POST"])
def sharing_page(request: HttpRequest, pet_id) -> HttpResponse:
    pet = get_object_or_404(Pet.objects.visible_to(request.user, Access.MANAGE), pk=pet_id)
    forms = {"invite": InviteForm(), "link": ShareLinkForm(), "edits": {}}
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
        "links": _links_with_forms(pet, forms["edits"]),
        "invitations": pet.invitations.pending().order_by("created_at"),
        "role_choices": RoleForm.base_fields["role"].choices,
        "new_link": request.session.pop(_new_link_key(pet), None),
        "revoked_seconds": EDGE_REVOCATION_SECONDS,
        "invite_form": forms["invite"],
        "link_form": forms["link"],
    }
    bound = [forms["invite"], forms["link"], *forms["edits"].values()]
    status = 400 if any(form.errors for form in bound) else 200
    return render(request, "pets/sharing.html", context, status=status)


def _links_with_forms(pet: Pet, edits: dict) -> list[tuple[ShareLink, ShareLinkEditForm]]:
    """The pet's active links, newest first, each with its form of changes (the one posted,
    with its errors, for the link whose change was refused). Revoked and expired links are not
    listed: nothing can be done with them (a link cannot be turned on again; its token is
    gone), and the list stays about the links that work."""
    links = pet.share_links.active().order_by("-created_at")
    return [(link, edits.get(link.pk) or _edit_form(link)) for link in links]


def _edit_form(link: ShareLink, data=None) -> ShareLinkEditForm:
    initial = {"label": link.label, "allows_download": link.allows_download}
    return ShareLinkEditForm(data, initial=initial, prefix=f"link-{link.pk}")


def _new_link_key(pet: Pet) -> str:
    return f"new-share-link-{pet.pk}"


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
    share = posted_row(pet.shares.select_related("grantee"), request, "share")
    form = RoleForm(request.POST)
    if not form.is_valid():
        return HttpResponse("Choose viewer or contributor.", status=400)
    share_grant(
        pet=pet, grantee=share.grantee, role=form.cleaned_data["role"], granted_by=request.user
    )
    messages.success(request, f"{share.grantee.username} is now a {form.cleaned_data['role']}.")
    return redirect("pet_sharing", pet_id=pet.pk)


def _revoke(request: HttpRequest, pet: Pet, forms: dict) -> HttpResponse:
    share = posted_row(pet.shares.select_related("grantee"), request, "share")
    share_revoke(share=share)
    messages.success(request, f"{share.grantee.username} no longer sees {pet.name}.")
    return redirect("pet_sharing", pet_id=pet.pk)


def _create_link(request: HttpRequest, pet: Pet, forms: dict) -> HttpResponse | None:
    form = forms["link"] = ShareLinkForm(request.POST)
    if not form.is_valid():
        return None
    data = form.cleaned_data
    link, token = share_link_create(
        pet=pet,
        created_by=request.user,
        lifetime=form.lifetime_delta(),
        label=data["label"],
        password=data["password"],
        allows_download=data["allows_download"],
    )
    # Shown once, on the next page: only the token's hash is stored.
    url = request.build_absolute_uri(reverse("share_link", args=[token]))
    request.session[_new_link_key(pet)] = {"url": url, "label": link.label}
    # To the box with the link (shown only now), far down a phone's page.
    return redirect(reverse("pet_sharing", args=[pet.pk]) + "#new-link")


def _update_link(request: HttpRequest, pet: Pet, forms: dict) -> HttpResponse | None:
    link = posted_row(pet.share_links.active(), request, "link")
    form = _edit_form(link, request.POST)
    forms["edits"][link.pk] = form
    if not form.is_valid():
        return None
    try:
        link = share_link_update(link=link, **form.changes())
    except ValidationError as exc:
        form.add_error(None, exc)
        return None
    messages.success(request, f"Saved the changes to {link.label}.")
    return redirect("pet_sharing", pet_id=pet.pk)


def _revoke_link(request: HttpRequest, pet: Pet, forms: dict) -> HttpResponse:
    link = posted_row(pet.share_links, request, "link")
    share_link_revoke(link=link)
    messages.success(request, f"{link.label or 'The link'} no longer opens the gallery.")
    return redirect("pet_sharing", pet_id=pet.pk)


def _revoke_all_links(request: HttpRequest, pet: Pet, forms: dict) -> HttpResponse:
    revoked = share_links_revoke_all(pet=pet)
    if revoked:
        links = "link" if revoked == 1 else f"{revoked} links"
        messages.success(request, f"Revoked {links}: none opens {pet.name}'s gallery now.")
    else:
        messages.info(request, "There was no link to revoke.")
    return redirect("pet_sharing", pet_id=pet.pk)


ACTIONS = {
    "invite": _invite,
    "role": _change_role,
    "revoke": _revoke,
    "link": _create_link,
    "update_link": _update_link,
    "revoke_link": _revoke_link,
    "revoke_all_links": _revoke_all_links,
    **invitations.ACTIONS,
}


@login_required
@require_safe
def shared_with_me(request: HttpRequest) -> HttpResponse:
    cards = pet_cards(request.user, Cards.SHARED, get_signer())
    pet_ids = [card.pk for card in cards if card.cover]
    context = {"cards": cards, "cards_html": cards_html(cards, viewer_id=request.user.pk)}
    floors = card_floors(cards)
    return render_granting(request, "pets/shared.html", context, pet_ids=pet_ids, floors=floors)


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


def usable_link(
    request: HttpRequest,
    token: str,
    *,
    when_locked: Callable[[HttpRequest, ShareLink], HttpResponse] | None = None,
) -> ShareLink | HttpResponse:
    """The link ``token`` opens for this request, or what to answer instead: the dead-link
    page, or for a link with a password this browser has not unlocked, ``when_locked``'s
    answer (by default the way to its gallery's address, which asks for the password). The
    one place that decides whether a request may use a link: its gallery and its downloads."""
    link = ShareLink.objects.for_token(token).select_related("pet", "pet__owner").first()
    if link is None or not link.is_active():
        return _dead_link(request, link)
    if not link_access.is_unlocked(request, link):
        if when_locked is not None:
            return when_locked(request, link)
        return redirect("share_link", token=token)
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


@require_http_methods(["GET", "HEAD", "POST"])
def share_link(request: HttpRequest, token: str) -> HttpResponse:
    """A share link's gallery, for anyone holding it: ready photos only, no originals. A link
    with a password first asks for it (``_password_page``); POST is only for that."""
    link = usable_link(request, token, when_locked=_password_page)
    if isinstance(link, HttpResponse):
        return link
    if request.method == "POST":
        return _password_page(request, link)
    page = page_of(request, Photo.objects.through_link(link).for_tiles().newest_taken_first())
    shown = tiles(page.object_list, get_signer(), pet_name=link.pet.name)
    # Read once: the preview's image and the page's cookies are signed with the same floor.
    floors = access_floors([link.pet_id])
    if _is_an_opening(request):
        share_link_record_open(link=link)
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
        "preview": _preview(request, link, photos=page.paginator.count, floors=floors),
    }
    pet_ids = [link.pet_id] if shown else []
    return render_granting(request, "links/gallery.html", context, pet_ids=pet_ids, floors=floors)


def _is_an_opening(request: HttpRequest) -> bool:
    """Whether this request counts as someone opening the link: a GET of its address (the
    first page) by a browser. Not a HEAD, not the further pages nor gallery.js's regrant of
    the same visit (one person paging through is one opening), not the password form, not a
    script (curl and the like ask for ``*/*``, a browser for ``text/html``), and not a chat
    app's crawler reading the page for its preview."""
    return (
        request.method == "GET"
        and "text/html" in request.headers.get("Accept", "")  # a browser opening a page
        and request.GET.get("page", "1") == "1"
        and REGRANT_HEADER not in request.headers
        and not is_link_previewer(request.headers.get("User-Agent", ""))
    )


def _password_page(request: HttpRequest, link: ShareLink) -> HttpResponse:
    """The form a password link shows first: nothing of the pet, nor the link's label (the
    owner's name for whom it is). The right password unlocks the link for this browser's
    session; a wrong one is 403 (a well-formed request refused: the password was wrong, not
    the form), a blank one 400; too many guesses (``images.services.link_access``), 429."""
    form = LinkPasswordForm(request.POST if request.method == "POST" else None)
    context = {"form": form, "preview": _preview(request, link)}
    address = client_ip(request)
    if request.method != "POST" or not form.is_valid():
        # No guess to check: say whether guessing is refused (share_link_unlock says it of
        # a guess itself), else show the form again.
        refused = share_link_unlock_refusal(link=link, address=address)
        if refused is not None:
            return _password_throttled(request, context, refused)
        status = 400 if request.method == "POST" else 200
        return render(request, "links/password.html", context, status=status)
    password = form.cleaned_data["password"]
    outcome = share_link_unlock(link=link, password=password, address=address)
    if outcome == Unlock.WRONG:
        form.add_error(
            "password", "That password isn't right. Check it with whoever sent the link."
        )
        return render(request, "links/password.html", context, status=403)
    if outcome != Unlock.OPENED:
        return _password_throttled(request, context, outcome)
    link_access.unlock(request, link)
    return redirect(request.path)


def _password_throttled(request: HttpRequest, context: dict, why: Unlock) -> HttpResponse:
    minutes = int(PASSWORD_WINDOW.total_seconds() // 60)
    if why == Unlock.LINK_THROTTLED:
        response = HttpResponse(
            "Too many people have tried this link's password in the last few minutes, so it "
            f"takes no password for now. Try again in {minutes} minutes, or ask whoever sent "
            "the link for a new one.",
            status=429,
            content_type="text/plain; charset=utf-8",
        )
    else:
        context = {**context, "throttled_minutes": minutes}
        response = render(request, "links/password.html", context, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response


def _preview(
    request: HttpRequest, link: ShareLink, *, photos: int = 0, floors: Mapping | None = None
) -> dict:
    """What a chat app shows for the link (Open Graph and Twitter card tags). A link with a
    password shows nothing of the pet: its preview would be read without the password."""
    preview = {"url": request.build_absolute_uri(request.path)}
    if link.has_password:
        return preview | {
            "title": "A shared gallery on PetTracker",
            "description": "Photos shared with you. You need the password you were given.",
        }
    pet = link.pet
    count = "1 photo" if photos == 1 else f"{photos} photos"
    return preview | {
        "title": f"{possessive(pet.name)} photos",
        "description": f"{count} of {pet.name}, shared by {pet.owner.username} on PetTracker.",
        "image": _preview_image(request, link, floors),
    }


# The cover's rendition a preview shows: 1024 px on its long side, whole (Open Graph's large
# cards want 1200 x 630 and crop to it; squares would be cut again, and ``large`` is four times
# the bytes for no gain, above what some chat apps fetch).
PREVIEW_RENDITION = RenditionName.MEDIUM


def _preview_image(request: HttpRequest, link: ShareLink, floors: Mapping | None) -> dict | None:
    """The pet's cover as a URL signed in its query, which a crawler without cookies opens,
    for the link's remaining life and at most the signer's (``Signer.url``): its policy
    carries the pet's access floor like every grant, so revoking the link (or any revocation
    of the pet) stops it at the edge as it stops the gallery's cookies."""
    cover = Pet.objects.filter(pk=link.pet_id).with_cover().values("cover_id")[:1]
    renditions = Rendition.objects.filter(photo_id=Subquery(cover), name=PREVIEW_RENDITION)
    rendition = renditions.only("key", "width", "height").first()  # one query
    if rendition is None:
        return None
    floors = access_floors([link.pet_id]) if floors is None else floors
    floor = floors.get(link.pet_id)
    if revoked_during(request, floor):
        return None  # the link's check may predate a revocation: no grant on this page
    until = int(link.expires_at.timestamp()) if link.expires_at else None
    signed = get_signer().url(rendition.key, floor=floor, origin=site_origin(request), until=until)
    return {
        "url": request.build_absolute_uri(signed),
        "width": rendition.width,
        "height": rendition.height,
        "alt": f"A photo of {link.pet.name}",
    }
