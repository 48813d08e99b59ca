"""The account page: what one has stored against one's quota, and the ways to the account's
settings (password, e-mail address). Here rather than in ``accounts``, which knows nothing
of photos: ``images`` uses ``accounts``, never the other way round."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from images.models import upload_usage


def percent(used: int, allowed: int) -> int:
    """How much of ``allowed`` is ``used``, in whole percent (100 for a quota of nothing)."""
    if allowed <= 0:
        return 100
    return min(100, round(100 * used / allowed))


@login_required
@require_safe
def account_page(request: HttpRequest) -> HttpResponse:
    used = upload_usage(request.user)
    quota = request.user.upload_quota()
    context = {
        "used": used,
        "quota": quota,
        "bytes_percent": percent(used.bytes, quota.bytes),
        "photos_percent": percent(used.photos, quota.photos),
    }
    return render(request, "account.html", context)
