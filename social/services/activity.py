"""What each person has read of the activity."""

from __future__ import annotations

import datetime
import functools

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from social.models import ActivityRead, forget_activity_summary


@transaction.atomic
def activity_mark_read(*, user: User, until: datetime.datetime) -> datetime.datetime:
    """Mark ``user``'s activity read up to ``until`` (the newest news they were shown): what
    came after stays unread. Never moves back (an older page read later changes nothing), nor
    past now. The header's count and home's news, kept in the cache, are forgotten. Returns
    how far they have read now."""
    until = min(until, timezone.now())
    read, created = ActivityRead.objects.select_for_update().get_or_create(
        user=user, defaults={"seen_at": until}
    )
    if not created and read.seen_at < until:
        read.seen_at = until
        read.save(update_fields=["seen_at"])
    # Forgotten now, for this request's page, and again once committed: a page that read the
    # old summary meanwhile may have put it back.
    forget = functools.partial(forget_activity_summary, user.pk)
    forget()
    transaction.on_commit(forget)
    return read.seen_at
