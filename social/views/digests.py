"""The digests' pages: the choice made on the account page, and the unsubscribe link."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from social.forms import DigestChoiceForm
from social.models import DigestFrequency, DigestSubscription
from social.services.digests import (
    BadUnsubscribeToken,
    digest_subscription_set,
    user_of_unsubscribe_token,
)

SAVED = {
    DigestFrequency.DAILY: "Saved: a digest each day of the day before, when there is news.",
    DigestFrequency.WEEKLY: "Saved: a digest each Monday of the week before, when there is news.",
    DigestFrequency.OFF: "Saved: you won't get digests.",
}


@login_required
@require_POST
def digest_choice_set(request: HttpRequest) -> HttpResponse:
    """The account page's choice of digests: saved and back to the account page, or the
    choice again with what was wrong (400)."""
    form = DigestChoiceForm(request.POST)
    if not form.is_valid():
        return render(request, "social/digest_choice_refused.html", {"form": form}, status=400)
    frequency = form.cleaned_data["frequency"]
    digest_subscription_set(user=request.user, frequency=frequency)
    saved = SAVED[frequency]
    if frequency != DigestFrequency.OFF and not request.user.email:
        saved += " They will go to your e-mail address once it is confirmed."
    messages.success(request, saved)
    return redirect("account")


# The link in every digest, and its RFC 8058 one-click POST, which the mail provider sends
# without a session or a CSRF token: the signed token is the proof that the request comes from
# the mail's reader, so CSRF is not checked here. A GET changes nothing (mail scanners follow
# links); only a POST turns digests off, and it can do nothing else.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def digest_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user = user_of_unsubscribe_token(token)
    except BadUnsubscribeToken:
        return render(request, "social/unsubscribe.html", {"refused": True}, status=400)
    if request.method == "POST":
        digest_subscription_set(user=user, frequency=DigestFrequency.OFF)
        return render(request, "social/unsubscribe.html", {"done": True})
    off = DigestSubscription.frequency_of(user) == DigestFrequency.OFF
    return render(request, "social/unsubscribe.html", {"already_off": off})
