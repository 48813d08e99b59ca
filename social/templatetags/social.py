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
from social.models import THUMBS, activity_summary
from social.pure.activity import Group, Kind

register = template.Library()

# --- The activity ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NewsItem:
    group: Group
    text: str
    href: str
    unread: bool
    ago: str
    thumbs: list[str]  # the URLs of the first added photos' thumb renditions


def news_items(groups: Iterable[Group], thumbs: dict, seen_at) -> list[NewsItem]:
    """The groups as the pages show them, with the thumbnails ``thumbs`` has keys for (plain
    CDN URLs, no query: the page must grant their pets' cookies; home grants every pet with a
    ready photo, its card's cover, and the activity page those it shows)."""
    signer, now = get_signer(), timezone.now()
    return [
        NewsItem(
            group,
            group.text,
            _href(group),
            group.unread_after(seen_at),
            _ago(group.latest, now),
            [signer.object_url(thumbs[pk]) for pk in group.photo_ids[:THUMBS] if pk in thumbs]
            if group.kind is Kind.ADDED
            else [],
        )
        for group in groups
    ]


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
    """Home's news: the latest groups of what others did, unread ones marked, from the
    summary the header's count shares (``activity_summary``: no query while it is cached).
    Showing them marks nothing read: the activity page does."""
    user = context["request"].user
    if not user.is_authenticated:
        return {"items": []}
    summary = activity_summary(user)
    return {"items": news_items(summary.groups, summary.thumbs, summary.seen_at)}


@register.inclusion_tag("social/activity_list.html")
def activity_list(groups: Iterable[Group], thumbs: dict, seen_at) -> dict:
    """The activity page's groups (``social.views.activity``), as home shows its own."""
    return {"items": news_items(groups, thumbs, seen_at)}
