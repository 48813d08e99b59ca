"""Invitations: sending, resending and revoking them on the owner's sharing page, and the
mailed link's page, where the invited person accepts with their account."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from accounts.confirmation import unconfirmed_email
from images.forms import InviteForm
from images.models import Pet, ShareInvitation
from images.services.invitations import (
    InvitationForSomeoneElse,
    InvitationUnusable,
    invitation_for_token,
    invited_account,
    share_invitation_accept,
    share_invitation_resend,
    share_invitation_revoke,
    share_invitation_send,
)
from images.views.common import posted_row
from pettracker.net import site_url
from pettracker.text import masked_address


def invited(address: str, pet: Pet) -> str:
    """What the sharing page says after inviting ``address``: the same words whether or not
    an account has it (nothing is shared until the invitation is accepted, either way)."""
    return (
        f"We've sent {address} an invitation: {pet.name} is shared with them once they accept it."
    )


def invite_address(request: HttpRequest, pet: Pet, form: InviteForm) -> HttpResponse | None:
    """The sharing page's invitation of an address (``InviteForm`` already valid)."""
    address = form.cleaned_data["who"]
    try:
        share_invitation_send(
            pet=pet,
            email=address,
            role=form.cleaned_data["role"],
            invited_by=request.user,
            base_url=site_url(request),
        )
    except ValidationError as exc:
        form.add_error("who", exc)
        return None
    messages.success(request, invited(address, pet))
    return redirect("pet_sharing", pet_id=pet.pk)


def _posted_invitation(request: HttpRequest, pet: Pet) -> ShareInvitation:
    """The pending invitation of ``pet`` the form names; 404 for any other id."""
    return posted_row(pet.invitations.pending().select_related("pet"), request, "invitation")


def resend(request: HttpRequest, pet: Pet, forms: dict) -> HttpResponse:
    invitation = _posted_invitation(request, pet)
    try:
        share_invitation_resend(
            invitation=invitation, base_url=site_url(request), sent_by=request.user
        )
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, f"We've sent {invitation.email} the invitation again.")
    return redirect("pet_sharing", pet_id=pet.pk)


def revoke(request: HttpRequest, pet: Pet, forms: dict) -> HttpResponse:
    invitation = _posted_invitation(request, pet)
    share_invitation_revoke(invitation=invitation)
    messages.success(request, f"The invitation to {invitation.email} no longer works.")
    return redirect("pet_sharing", pet_id=pet.pk)


# The sharing page's actions on invitations (images.views.sharing.ACTIONS).
ACTIONS = {"resend_invitation": resend, "revoke_invitation": revoke}


@require_http_methods(["GET", "POST"])
def invitation_page(request: HttpRequest, token: str) -> HttpResponse:
    """The mailed link. Opening it shows the invitation; only pressing Accept, logged in,
    grants the share (mail scanners open links too). A visitor is offered sign-up, with the
    address filled in, or log-in; either comes back here."""
    try:
        invitation = invitation_for_token(token)
    except InvitationUnusable as unusable:
        return _unusable(request, unusable)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.path)
        return _accept(request, invitation)
    return _render(request, invitation)


def _accept(request: HttpRequest, invitation: ShareInvitation) -> HttpResponse:
    try:
        share_invitation_accept(
            invitation=invitation,
            user=request.user,
            unconfirmed_email=unconfirmed_email(request.session),
        )
    except InvitationUnusable as unusable:  # accepted or revoked since the page was read
        return _unusable(request, unusable)
    except InvitationForSomeoneElse as refused:
        return _render(request, invitation, error=refused.message, status=403)
    except ValidationError as exc:
        return _render(request, invitation, error=exc.messages[0], status=400)
    messages.success(request, f"You can now see {invitation.pet.name}.")
    return redirect("pet_gallery", pet_id=invitation.pet_id)


def _render(
    request: HttpRequest, invitation: ShareInvitation, *, error: str = "", status: int = 200
) -> HttpResponse:
    back = {"next": request.path}
    signup = {"email": invitation.email, **back}  # the address the invitation was mailed to
    user = request.user
    someone_else = (
        user.is_authenticated
        and user.pk != invitation.pet.owner_id  # told on Accept that it is their own pet
        and not invited_account(
            invitation, user, unconfirmed_email=unconfirmed_email(request.session)
        )
    )
    if someone_else and not error:  # said before Accept is pressed, and Accept not offered
        error, status = InvitationForSomeoneElse(invitation).message, 403
    context = {
        "invitation": invitation,
        "for_someone_else": someone_else,
        "address": masked_address(invitation.email) if someone_else else invitation.email,
        "pet": invitation.pet,
        "inviter": invitation.invited_by.username if invitation.invited_by else "Someone",
        "error": error,
        "invitation_signup_url": f"{reverse('signup')}?{urlencode(signup)}",
        "invitation_login_url": f"{reverse('login')}?{urlencode(back)}",
    }
    return render(request, "invitations/accept.html", context, status=status)


def _unusable(request: HttpRequest, unusable: InvitationUnusable) -> HttpResponse:
    """404 for a link that never was (altered, cut short); 410 for one that ended. The one
    who accepted it, opening it again, goes to the pet."""
    invitation = unusable.invitation
    if (
        unusable.reason == "used"
        and request.user.is_authenticated
        and invitation.accepted_by_id == request.user.pk
    ):
        return redirect("pet_gallery", pet_id=invitation.pet_id)
    status = 404 if unusable.reason == "unknown" else 410
    context = {"reason": unusable.reason, "invitation": invitation}
    return render(request, "invitations/dead.html", context, status=status)
