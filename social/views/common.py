"""What social's views share: JSON or a page, and who must log in first."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse

LOG_IN_FIRST = "Log in to like or comment."
NOT_FOUND = "Not found: it was deleted, or is not shared with you."


def wants_json(request: HttpRequest) -> bool:
    """Whether the request came from a script (static/js/social.js, viewer.js) that reads JSON."""
    return "application/json" in request.headers.get("Accept", "")


def json_error(message: str, *, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def photo_anchor(photo_id, anchor: str = "comments") -> str:
    return f"{reverse('photo_page', args=[photo_id])}#{anchor}"


def signed_in(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """``login_required`` for social's actions: a script gets a 401 in JSON, as from images'
    API (a redirect to a log-in page means nothing to it); a browser goes to log in, and
    comes back to the photo's page (the action's own address answers only POST). A script's
    404 is JSON too."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.user.is_authenticated:
            try:
                return view(request, *args, **kwargs)
            except Http404:
                if wants_json(request):
                    return json_error(NOT_FOUND, status=404)
                raise
        if wants_json(request):
            return json_error(LOG_IN_FIRST, status=401)
        photo_id = kwargs.get("photo_id")
        back = reverse("photo_page", args=[photo_id]) if photo_id else reverse("home")
        return redirect_to_login(back)

    return wrapped
