"""Words for people in templates: ``{% load words %}``.

- ``{{ pet.name|possessive }}``: "Miso's", "Nibbles'".
- ``{{ delta|in_words }}``: a ``timedelta`` as "15 minutes", "1 hour, 30 minutes".
"""

from __future__ import annotations

import datetime

from django import template
from django.utils.timesince import timesince

from pettracker import text

register = template.Library()

_EPOCH = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)


@register.filter
def possessive(name) -> str:
    return text.possessive(name)


@register.filter
def in_words(delta: datetime.timedelta | None) -> str:
    """A ``timedelta`` in words, in its two largest units; "" for anything else."""
    if not isinstance(delta, datetime.timedelta):
        return ""
    return timesince(_EPOCH, _EPOCH + delta)
