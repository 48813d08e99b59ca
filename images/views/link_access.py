"""A share link's unlock, remembered in the browser's session: a link with a password opens
for a browser that typed it. Checking the password, and the throttle on guessing it, are
``images.services.link_access``'s; the one place that decides whether a request may use a
link is ``images.views.sharing.usable_link``.

The unlock names the link and a fingerprint of its password hash (an HMAC, so the session
holds nothing that helps guess the password): setting a new password changes the hash, and
every browser that unlocked with the old one must type the new one.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.crypto import constant_time_compare, salted_hmac

from images.models import ShareLink

UNLOCKED_SESSION_KEY = "share_links_unlocked"
UNLOCKS_KEPT = 50  # links one browser keeps unlocked (the oldest are forgotten)


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
