"""Unlocking a share link with its password, and the throttle on guessing it.

Every guess is counted before its password is hashed (an atomic ``add`` then ``incr`` in the
cache), and refused once the count passes the limit, so guesses sent side by side cannot all
be checked while the first ones are still being hashed. Two counts, each for
``PASSWORD_WINDOW`` from its first guess:

- per link and guesser (``images.pure.addresses.guesser_of``: an IPv4 address, an IPv6 /64):
  ``GUESSES_PER_GUESSER``, after which that guesser gets the password form's 429;
- per link from everywhere: ``GUESSES_PER_LINK``, after which nobody new opens the link until
  the window ends (plain 429): a guesser with many addresses gets no further, and the password
  hasher's cost per link is bounded. Browsers that typed the password before still open it.

The right password forgets its guesser's count and is taken back from the link's, so people
who know it never use up the link's guesses. The cache holds no address
(hashed) and keeps nothing longer than the window: 10 minutes, the longest the cache keeps
anything (``MAX_TIMEOUT`` in ``CACHES``). In production the cache is the shared Redis, so the
counts hold across every process; ``locmem://`` counts per process. A cache that does not
answer forgets the counts (``pettracker.cache``): guesses are then bounded by the hasher's cost
alone, for as long as Redis is down.
"""

from __future__ import annotations

import contextlib
import datetime
import enum
import hashlib

from django.contrib.auth.hashers import check_password
from django.core.cache import cache

from images.models import ShareLink
from images.pure.addresses import guesser_of

GUESSES_PER_GUESSER = 5
GUESSES_PER_LINK = 100
PASSWORD_WINDOW = datetime.timedelta(minutes=10)


class Unlock(enum.Enum):
    OPENED = "opened"  # the right password, or none needed
    WRONG = "wrong"  # a wrong password, with guesses left
    GUESSER_THROTTLED = "guesser throttled"  # this guesser spent its guesses
    LINK_THROTTLED = "link throttled"  # the link took all the guesses it takes for now


def share_link_unlock(*, link: ShareLink, password: str, address: str) -> Unlock:
    """Check ``password`` against ``link``'s, from the client at ``address``: counted first,
    hashed only when the count allows. A wrong guess that spends the last one answers
    ``GUESSER_THROTTLED``, as every guess after it does until the window ends."""
    if not link.has_password:
        return Unlock.OPENED
    refused = share_link_unlock_refusal(link=link, address=address)
    if refused is not None:
        return refused
    guesser_key = _guesser_key(link, address)
    if _count(guesser_key) > GUESSES_PER_GUESSER:
        return Unlock.GUESSER_THROTTLED
    if _count(_link_key(link)) > GUESSES_PER_LINK:
        return Unlock.LINK_THROTTLED
    if check_password(password, link.password_hash):
        cache.delete(guesser_key)
        with contextlib.suppress(ValueError):  # (expired meanwhile)
            cache.decr(_link_key(link))  # the link's guesses are the wrong ones
        return Unlock.OPENED
    if cache.get(guesser_key, 0) >= GUESSES_PER_GUESSER:
        return Unlock.GUESSER_THROTTLED
    return Unlock.WRONG


def share_link_unlock_refusal(*, link: ShareLink, address: str) -> Unlock | None:
    """Why a guess at ``link``'s password from ``address`` would be refused now (the link's
    count first: it says more), or None. Reads only: a page asking for the password shows
    it."""
    if not link.has_password:
        return None
    if cache.get(_link_key(link), 0) >= GUESSES_PER_LINK:
        return Unlock.LINK_THROTTLED
    if cache.get(_guesser_key(link, address), 0) >= GUESSES_PER_GUESSER:
        return Unlock.GUESSER_THROTTLED
    return None


def _count(key: str) -> int:
    """Add one to ``key``'s count (a new window when there is none): the count after it."""
    timeout = int(PASSWORD_WINDOW.total_seconds())
    if cache.add(key, 1, timeout):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # it expired between the two calls: a new window
        cache.add(key, 1, timeout)
        return 1


def _guesser_key(link: ShareLink, address: str) -> str:
    guesser = hashlib.sha256(guesser_of(address).encode()).hexdigest()[:32]
    return f"share-link-password:{link.pk}:{guesser}"


def _link_key(link: ShareLink) -> str:
    return f"share-link-password:{link.pk}"
