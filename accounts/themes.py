"""The theme pages are drawn in, named server-side on ``<html data-theme>`` so that the first
paint is already right (no script, which the Content-Security-Policy would forbid inline
anyway). People with an account keep it on their row (``User.theme``); visitors, share-link
holders among them, in a cookie."""

from __future__ import annotations

from django.http import HttpRequest

from accounts.models import Theme

COOKIE = "theme"
COOKIE_MAX_AGE = 365 * 24 * 3600


def theme_of(request: HttpRequest) -> str:
    """The theme this request's pages use: a ``Theme`` value, ``system`` unless one was chosen."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user.theme
    chosen = request.COOKIES.get(COOKIE, "")
    return chosen if chosen in Theme.values else Theme.SYSTEM


def theme(request: HttpRequest) -> dict:
    """Template context: ``theme`` and the choices offered by the header's switch."""
    return {"theme": theme_of(request), "theme_choices": Theme.choices}
