"""Which days a date remembers: the home page's "On this day"."""

from __future__ import annotations

import calendar
import datetime
from typing import NamedTuple


class RememberedDays(NamedTuple):
    """Photos taken on (``month``, ``day``) or (``also_month``, ``also_day``), before
    ``before``: ``PhotoQuerySet.taken_on_days``'s values."""

    month: int
    day: int
    also_month: int
    also_day: int
    before: datetime.date


def remembered_days(today: datetime.date) -> RememberedDays:
    """``today``'s day and month in earlier years; in a year without 29 February, that day's
    photos come on the 28th. The second day is the first again on every other date, so that
    the query has one shape for every date (``pettracker.prepared``)."""
    also = (today.month, today.day)
    if also == (2, 28) and not calendar.isleap(today.year):
        also = (2, 29)
    return RememberedDays(today.month, today.day, *also, datetime.date(today.year, 1, 1))
