"""A share that ends ends its news at once: the grantee's cached summary (the header's count
and home's news, ``social.models.activity_summary``) is forgotten when the share is deleted,
however (``share_revoke``, the admin, a pet's deletion cascading), so the pet's news goes with
the next page rather than up to a minute later. A new share's news comes at once the same way.
"""

from __future__ import annotations

import functools

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from images.models import Share
from social.models import forget_activity_summary


def _forget_grantees_summary(sender, instance: Share, **kwargs) -> None:
    forget = functools.partial(forget_activity_summary, instance.grantee_id)
    forget()
    transaction.on_commit(forget)  # and again: a page may have read it meanwhile


def connect() -> None:
    for signal in (post_delete, post_save):
        signal.connect(
            _forget_grantees_summary, sender=Share, dispatch_uid=f"social.share_{signal}"
        )
