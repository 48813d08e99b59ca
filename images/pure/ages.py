"""A pet's age in words, from its birthday (pure)."""

from __future__ import annotations

import datetime


def age_in_words(birthday: datetime.date | None, today: datetime.date) -> str:
    """ "3 weeks old", "5 months old", "1 year old", "2 years old"; "born today" on the day;
    "" without a birthday, or one still to come."""
    if birthday is None or birthday > today:
        return ""
    months = (today.year - birthday.year) * 12 + today.month - birthday.month
    if today.day < birthday.day:
        months -= 1
    if months >= 12:
        return _counted(months // 12, "year")
    if months >= 1:
        return _counted(months, "month")
    days = (today - birthday).days
    if days >= 7:
        return _counted(days // 7, "week")
    return "born today" if days == 0 else _counted(days, "day")


def _counted(number: int, unit: str) -> str:
    return f"{number} {unit}{'' if number == 1 else 's'} old"
