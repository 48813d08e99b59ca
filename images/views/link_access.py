"""Who may open a share link's gallery, beyond holding its token: a link with a password opens
for a browser that typed it (remembered in its session), and the guesses at it are throttled.

The unlock names the link and a fingerprint of its password hash (an HMAC, so the session
holds nothing that helps guess the password): setting a new password changes the hash, and
every browser that unlocked with the old one must type the new one.

Failed guesses are counted in the cache per link and per client address (the address hashed:
the cache holds no address, and no entry outlives ``PASSWORD_WINDOW``). In production the
cache is the shared Redis (``CACHES``), so the count holds across every worker and process;
``locmem://`` (tests, a one-process run) counts per process. The window is 10 minutes because
the cache keeps nothing longer (``MAX_TIMEOUT`` = 600 s in ``CACHES``); Redis's INCR keeps the
entry's expiry, so the window runs from the first failure. A cache that does not answer
forgets the count (``pettracker.cache``): guesses are then bounded by the password hasher's
cost alone, for as long as Redis is down.
"""

from __future__ import annotations

import datetime
import hashlib

from django.core.cache import cache
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare, salted_hmac

from images.models import ShareLink
from pettracker.net import client_ip

UNLOCKED_SESSION_KEY = "share_links_unlocked"
UNLOCKS_KEPT = 50  # links one browser keeps unlocked (the oldest are forgotten)
PASSWORD_FAILURES_ALLOWED = 5
PASSWORD_WINDOW = datetime.timedelta(minutes=10)


def _fingerprint(link: ShareLink) -> str:
    return salted_hmac("images.share_link_unlock", link.password_hash).hexdigest()


def is_unlocked(request: HttpRequest, link: ShareLink) -> bool:
    """Whether this browser may open ``link``: it has no password, or the browser typed the
    current one."""
    if not link.has_password:
        return True
    held = request.session.get(UNLOCKED_SESSION_KEY, {}).get(str(link.pk), "")
    return constant_time_compare(held, _fingerprint(link))


def unlock(request: HttpRequest, link: ShareLink) -> None:
    """Remember in the session that this browser typed ``link``'s password. The session key
    is cycled: an unlock never rides on a session id chosen before it (fixation)."""
    unlocked = dict(request.session.get(UNLOCKED_SESSION_KEY, {}))
    unlocked.pop(str(link.pk), None)
    unlocked[str(link.pk)] = _fingerprint(link)
    request.session[UNLOCKED_SESSION_KEY] = dict(list(unlocked.items())[-UNLOCKS_KEPT:])
    request.session.cycle_key()


def _failures_key(request: HttpRequest, link: ShareLink) -> str:
    address = hashlib.sha256(client_ip(request).encode()).hexdigest()[:32]
    return f"share-link-password:{link.pk}:{address}"


def is_throttled(request: HttpRequest, link: ShareLink) -> bool:
    """Whether this address spent its guesses at ``link``'s password for now."""
    return cache.get(_failures_key(request, link), 0) >= PASSWORD_FAILURES_ALLOWED


def record_failure(request: HttpRequest, link: ShareLink) -> None:
    """Count a wrong password from this address (add then INCR: racing requests all count)."""
    key, timeout = _failures_key(request, link), int(PASSWORD_WINDOW.total_seconds())
    if cache.add(key, 1, timeout):
        return
    try:
        cache.incr(key)
    except ValueError:  # it expired between the two calls: a new window
        cache.add(key, 1, timeout)


def forget_failures(request: HttpRequest, link: ShareLink) -> None:
    cache.delete(_failures_key(request, link))
