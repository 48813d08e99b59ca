"""The periods a digest covers, on the site's clock: a daily digest the previous local day, a
weekly one the previous ISO week (Monday to Monday). Plain functions of dates and time zones.

A period is named by its key (``2026-11-25``, ``2026-W48``): the unique constraint of the sends
is on (user, frequency, key), so one user gets at most one digest a period.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

DAILY, WEEKLY = "daily", "weekly"
_DAY_KEY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WEEK_KEY = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True)
class Period:
    """What one digest covers: [start, end), both aware instants (UTC)."""

    frequency: str
    key: str
    start: datetime.datetime
    end: datetime.datetime


def _midnight(day: datetime.date, zone: ZoneInfo) -> datetime.datetime:
    # The first instant of ``day`` on the zone's clock, in UTC. Where a change of clock skips
    # midnight itself (a few zones), the wall time 00:00 does not exist; zoneinfo then reads it
    # with the offset before the change, which lands on the day's first real instant's hour.
    local = datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)
    return local.astimezone(datetime.UTC)


def _day(day: datetime.date, zone: ZoneInfo) -> Period:
    start, end = _midnight(day, zone), _midnight(day + datetime.timedelta(days=1), zone)
    return Period(DAILY, day.isoformat(), start, end)


def _week(monday: datetime.date, zone: ZoneInfo) -> Period:
    year, week, _ = monday.isocalendar()
    end = _midnight(monday + datetime.timedelta(days=7), zone)
    return Period(WEEKLY, f"{year}-W{week:02d}", _midnight(monday, zone), end)


def latest_period(frequency: str, *, now: datetime.datetime, zone: ZoneInfo) -> Period:
    """The last whole period before ``now``: yesterday, or last week, on ``zone``'s clock."""
    today = now.astimezone(zone).date()
    if frequency == DAILY:
        return _day(today - datetime.timedelta(days=1), zone)
    if frequency == WEEKLY:
        this_monday = today - datetime.timedelta(days=today.weekday())
        return _week(this_monday - datetime.timedelta(days=7), zone)
    raise ValueError(f"no period for the frequency {frequency!r}")


def period_of_key(frequency: str, key: str, *, zone: ZoneInfo) -> Period:
    """The period a key names (as ``latest_period`` made it); ValueError for anything else."""
    try:
        if frequency == DAILY and _DAY_KEY.match(key):
            return _day(datetime.date.fromisoformat(key), zone)
        if frequency == WEEKLY and (match := _WEEK_KEY.match(key)):
            year, week = int(match[1]), int(match[2])
            return _week(datetime.date.fromisocalendar(year, week, 1), zone)
    except ValueError:
        pass  # a date that does not exist
    raise ValueError(f"{key!r} is not a {frequency} period")
