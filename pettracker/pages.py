"""Whole pages kept in the cache for the person who asked, given again with the request's own
CSRF token.

A page kept so is keyed by what its view says it shows (``facts``) and by what the site's frame
(``templates/base.html``) shows this request (``frame_facts``): the person, their theme, the
address (which the header marks and the theme switch returns to) and their unread news. Nothing
else of the request reaches the frame (tests/pettracker/test_pages.py reads the template to
hold it to ``FRAME_NAMES``). A request with messages waiting is never served from the cache nor
kept (its messages are shown once), nor one the view says not to keep (``keep``): a view keeps
only its canonical addresses, so that nobody fills the cache with addresses of their own making.

A kept page is read first from the process's own memory (the ``pages`` cache, Django's
``LocMemCache``: the last few hundred pages this process read or made), then from the shared
cache. A page asked again of the same process so costs no round trip to Redis (a quarter of a
millisecond here, with the page's ~30 KB: a sixth of a kept gallery). Holding copies apart is
safe because a kept page's key names everything the page shows: no kept page is ever forgotten
or overwritten, a change makes a new key; its memory is bounded by ``MAX_ENTRIES``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import NamedTuple

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache, caches
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token

from accounts.themes import theme_of

# Never a token (Django's are letters and digits), and nothing HTML-escaping changes. Only the
# forms' hidden field is filled in ({% csrf_token %}'s markup): the same words typed in a caption
# stay words, never anybody's token.
CSRF_PLACEHOLDER = "csrf-token-of-the-request"
_CSRF_FIELD = f'name="csrfmiddlewaretoken" value="{CSRF_PLACEHOLDER}"'


# What templates/base.html reads of its context (the names its tags set for themselves aside).
FRAME_NAMES = frozenset(
    {"user", "request", "theme", "theme_choices", "messages", "csrf_token", "activity_unread"}
)


class KeptPage(NamedTuple):
    html: str  # with CSRF_PLACEHOLDER where the request's token goes
    extra: object = None  # what the view needs of it besides (the pets it grants, say)


def page_kept(
    request: HttpRequest,
    facts: tuple,
    make: Callable[[dict], KeptPage],
    *,
    keep: bool,
    seconds: int,
) -> tuple[HttpResponse, KeptPage]:
    """The page for ``facts`` from the cache, or ``make(context_extra)`` (which renders it
    with ``context_extra`` in its context: the CSRF placeholder), kept for ``seconds`` if
    ``keep``. Returns the response, with the request's token in place, and the page."""
    frame = frame_facts(request) if keep else None
    key = None if frame is None else _key(request.path, facts, frame)
    page = _read(key, seconds) if key else None
    if page is None:
        page = make({"csrf_token": CSRF_PLACEHOLDER})
        if key:
            _keep(key, page, seconds)
    filled = f'name="csrfmiddlewaretoken" value="{get_token(request)}"'
    return HttpResponse(page.html.replace(_CSRF_FIELD, filled)), page


def frame_facts(request: HttpRequest) -> tuple | None:
    """What the frame shows this request, or ``None`` when its page is not to be kept."""
    if len(get_messages(request)):
        return None
    user = request.user
    theme, address = theme_of(request), request.get_full_path()
    added = tuple(read(request) for read in _FRAME_READERS)
    return (user.pk, user.username, user.is_staff, theme, address, *added)


# What apps' context processors add to the frame, each read by a function of the request the app
# registers (social: the header's count of unread news), so that this module imports no app.
_FRAME_READERS: list[Callable[[HttpRequest], object]] = []


def frame_reader(read: Callable[[HttpRequest], object]) -> Callable[[HttpRequest], object]:
    """Register ``read(request)``: what an app's context processor shows in the frame."""
    if read not in _FRAME_READERS:
        _FRAME_READERS.append(read)
    return read


# The cache alias of the process's own copies (settings.CACHES), when there is one.
NEAR = "pages"


def _near():
    return caches[NEAR] if NEAR in settings.CACHES else None


def _read(key: str, seconds: int) -> KeptPage | None:
    near = _near()
    page = near.get(key) if near is not None else None
    if page is None:
        page = cache.get(key)
        if page is not None and near is not None:
            near.set(key, page, seconds)
    return page


def _keep(key: str, page: KeptPage, seconds: int) -> None:
    cache.set(key, page, seconds)
    if (near := _near()) is not None:
        near.set(key, page, seconds)


def _key(path: str, facts: tuple, frame: tuple) -> str:
    digest = hashlib.blake2b(repr((path, facts, frame)).encode(), digest_size=20).hexdigest()
    return f"page:{digest}"
