"""What every page's header shows of the activity: how many pieces of news are unread."""

from __future__ import annotations

from functools import cached_property

from django.http import HttpRequest

from social.models import ALL_READ_ATTRIBUTE, UNREAD_CAP, unread_activity_count


class UnreadActivity:
    """The header's count, read only if the page shows it (and then from the cache, mostly:
    ``unread_activity_count``)."""

    def __init__(self, request: HttpRequest) -> None:
        self._request = request

    @cached_property
    def count(self) -> int:
        user = getattr(self._request, "user", None)
        if user is None or not user.is_authenticated:
            return 0
        if getattr(self._request, ALL_READ_ATTRIBUTE, False):
            return 0
        return unread_activity_count(user)

    @property
    def shown(self) -> str:
        """ "3", or "99+" past ``UNREAD_CAP``."""
        return f"{UNREAD_CAP}+" if self.count > UNREAD_CAP else str(self.count)


def unread_of(request: HttpRequest) -> UnreadActivity:
    """The request's one ``UnreadActivity``: a kept page's key and, when the page is made, its
    header read the count once between them."""
    unread = getattr(request, "_activity_unread", None)
    if unread is None:
        unread = request._activity_unread = UnreadActivity(request)
    return unread


def activity(request: HttpRequest) -> dict:
    """Template context: ``activity_unread``, 0 for visitors (lazy: no query, no cache read,
    not even the session's user, unless a template asks for its ``count``)."""
    return {"activity_unread": unread_of(request)}


def unread_shown(request: HttpRequest) -> str:
    """The count the header shows, for the key of pages kept whole (``pettracker.pages``)."""
    return unread_of(request).shown
