"""What ``images``' pages show of likes, comments and news: ``{% load social %}``.

``images`` knows nothing of this app (pyproject.toml's import contracts): its templates show
social things through these tags, as django-contrib-comments attaches to other apps' objects.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince

from cdn.signer import get_signer
from images.views.tiles import Tile, tiles
from social.models import activity_of, activity_seen_at
from social.pure.activity import Group, Kind, group_events

register = template.Library()

# --- The activity ---------------------------------------------------------------------------

HOME_GROUPS = 10  # the home page's latest news
THUMBS = 4  # added photos shown beside their news


@dataclass(frozen=True)
class NewsItem:
    group: Group
    text: str
    href: str
    unread: bool
    ago: str
    thumbs: list[Tile]


def news_items(groups: Iterable[Group], photos: dict, seen_at) -> list[NewsItem]:
    """The groups as the pages show them, with the thumbnails of the added photos among
    ``photos`` (one query for all their renditions). The page must grant the cookies of those
    photos' pets: home grants every pet with a ready photo (its card's cover), the activity
    page those it shows."""
    groups = list(groups)
    wanted = [
        photos[pk]
        for group in groups
        if group.kind is Kind.ADDED
        for pk in group.photo_ids[:THUMBS]
        if pk in photos
    ]
    made = (
        {t.photo.pk: t for t in tiles(wanted, get_signer(), pet_name=_pet_name)} if wanted else {}
    )
    now = timezone.now()
    return [
        NewsItem(
            group,
            group.text,
            _href(group),
            group.unread_after(seen_at),
            _ago(group.latest, now),
            [made[pk] for pk in group.photo_ids[:THUMBS] if pk in made and made[pk].ready]
            if group.kind is Kind.ADDED
            else [],
        )
        for group in groups
    ]


def _pet_name(photo) -> str:
    return photo.pet_name


def _href(group: Group) -> str:
    """Where the news leads: one photo's page (at its comments, for comments), else the
    pet's gallery."""
    if group.kind is not Kind.ADDED and group.one_photo is not None:
        page = reverse("photo_page", args=[group.one_photo])
        return f"{page}#comments" if group.kind is Kind.COMMENTED else page
    return reverse("pet_gallery", args=[group.pet_id])


def _ago(moment: datetime.datetime, now: datetime.datetime) -> str:
    """ "2 hours ago", "just now"."""
    if now - moment < datetime.timedelta(minutes=1):
        return "just now"
    return f"{timesince(moment, now, depth=1)} ago"


@register.inclusion_tag("social/activity_feed.html", takes_context=True)
def activity_feed(context) -> dict:
    """Home's news: the latest ``HOME_GROUPS`` groups of what others did, unread ones marked.
    Four queries (how far one read, three kinds of events) and one for the thumbnails'
    renditions. Showing them marks nothing read: the activity page does."""
    user = context["request"].user
    if not user.is_authenticated:
        return {"items": []}
    activity = activity_of(user)
    groups = group_events(activity.events)[:HOME_GROUPS]
    return {"items": news_items(groups, activity.photos, activity_seen_at(user))}


@register.inclusion_tag("social/activity_list.html")
def activity_list(groups: Iterable[Group], photos: dict, seen_at) -> dict:
    """The activity page's groups (``social.views.activity``), as home shows its own."""
    return {"items": news_items(groups, photos, seen_at)}
