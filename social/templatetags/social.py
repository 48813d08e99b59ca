"""What pages of other apps show of likes, comments and news (``{% load social %}``), as
django-contrib-comments attaches comments to other apps' objects: ``images`` renders the
photo page and the galleries and knows nothing of this app."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django import template
from django.db.models import Count, Window
from django.templatetags.static import static
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.html import Urlizer, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince

from cdn.signer import get_signer
from images.models import Photo
from pettracker.markup import fill
from social.models import COMMENT_MAX_LENGTH, THUMBS, Comment, Like, activity_summary
from social.pure.activity import Group, Kind
from social.pure.words import counted, liked_by

register = template.Library()

# Stands for the slide's photo id in the addresses the viewer is given (viewer.js's NO_ID).
NO_ID = "00000000-0000-0000-0000-000000000000"
# The photo page shows its newest comments, this many; "Show earlier comments" shows them all.
COMMENTS_SHOWN = 50
ALL_COMMENTS = "all"  # ?comments=all
# A link's text longer than this is cut (its address stays whole): long URLs wrap less badly.
LINK_TEXT_MAX = 60


class _CommentUrlizer(Urlizer):
    """Django's urlize with ``rel="nofollow noopener"`` on every link: nofollow, so that a
    comment lends the site's standing to no one; noopener, so that a page opened from it can
    never reach back into this one, however it is opened."""

    url_template = '<a href="{href}" rel="nofollow noopener"{attrs}>{url}</a>'


_urlize = _CommentUrlizer()


@register.filter
def comment_html(text: str) -> SafeString:
    """A comment's text made inert: every character escaped, web addresses (``http(s)://``,
    ``www.``, ``name.com``) made links, line breaks kept as ``<br>``. Django's ``Urlizer``
    escapes the text around the links itself (``autoescape``) and links only http(s): a
    ``javascript:`` address stays text."""
    linked = _urlize(str(text), trim_url_limit=LINK_TEXT_MAX, autoescape=True)
    return mark_safe(linked.replace("\n", "<br>"))  # noqa: S308 (escaped by the Urlizer)


@register.inclusion_tag("social/photo_social.html", takes_context=True)
def photo_social(context, photo: Photo) -> dict:
    """A photo's likes and comments on its page: the Like button, who likes it, the comments
    and the form to add one. Two queries, whatever the counts: the likes (at most one a
    person who sees the pet) and the newest COMMENTS_SHOWN comments with their authors and
    how many there are in all (``?comments=all``: every one). Nothing for a photo not ready:
    only ready photos are liked and commented on."""
    user = context["user"]
    if photo.state != Photo.State.READY or not user.is_authenticated:
        return {"shown": False}
    likers = list(Like.objects.filter(photo=photo).values_list("user_id", "user__username"))
    request = context.get("request")
    every = request is not None and request.GET.get("comments") == ALL_COMMENTS
    comments, total = _comments_shown(photo, every=every)
    owns_pet = photo.pet.owner_id == user.pk
    for comment in comments:
        comment.can_delete = owns_pet or comment.author_id == user.pk
    liked = any(user_id == user.pk for user_id, _ in likers)
    return {
        "shown": True,
        "photo": photo,
        "liked": liked,
        "likes": len(likers),
        "likes_text": counted(len(likers), "like", "likes"),
        "liked_by": liked_by([name for _, name in likers], you=user.username),
        "comments": comments,
        "comments_text": counted(total, "comment", "comments"),
        "earlier_url": (
            f"{reverse('photo_page', args=[photo.pk])}?comments={ALL_COMMENTS}#comments"
            if total > len(comments)
            else ""
        ),
        "max_length": COMMENT_MAX_LENGTH,
        "max_length_text": f"{COMMENT_MAX_LENGTH:,}",
        "csrf_token": context.get("csrf_token"),
        "request": context.get("request"),
    }


def _comments_shown(photo: Photo, *, every: bool) -> tuple[list[Comment], int]:
    """The photo's newest COMMENTS_SHOWN comments (or all), oldest first, and how many it has:
    one query (the count a window over every row, taken before the limit)."""
    newest = (
        Comment.objects.filter(photo=photo)
        .select_related("author")
        .annotate(total=Window(Count("pk")))
        .order_by("-created_at", "-pk")
    )
    comments = list(newest if every else newest[:COMMENTS_SHOWN])[::-1]
    return comments, (comments[0].total if comments else 0)


@register.simple_tag(takes_context=True)
def viewer_social(context) -> SafeString:
    """Attributes for the viewer's ``<script>`` (templates/includes/viewer_script.html) saying
    where a slide's counts come from and where its Like goes, with ``NO_ID`` for the slide's
    photo: on a share link's gallery its counts through the link, no Like; for a signed-in
    visitor elsewhere, their counts, their Like and the photo page's comments. No query: the
    counts are fetched per slide, when it shows (static/js/viewer_social.js)."""
    request = context.get("request")
    if request is None:
        return SafeString("")
    match = request.resolver_match
    module = static("js/viewer_social.js")
    if match is not None and match.url_name == "share_link":
        counts = reverse("social_link_counts", args=[match.kwargs["token"], NO_ID])
        return format_html('data-social-module="{}" data-social-counts="{}"', module, counts)
    if not request.user.is_authenticated:
        return SafeString("")
    return format_html(
        'data-social-module="{}" data-social-counts="{}" data-social-like="{}" '
        'data-social-page="{}"',
        module,
        reverse("social_counts", args=[NO_ID]),
        reverse("social_like", args=[NO_ID]),
        reverse("photo_page", args=[NO_ID]) + "#comments",
    )


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
        return {"news": ""}
    summary = activity_summary(user)
    return {"news": news_html(news_items(summary.groups, summary.thumbs, summary.seen_at))}


@register.simple_tag
def activity_list(groups: Iterable[Group], thumbs: dict, seen_at) -> SafeString:
    """The activity page's groups (``social.views.activity``), as home shows its own."""
    return news_html(news_items(groups, thumbs, seen_at))


# The news, newest first; unread ones say "New" (in words: seen and heard) and are edged. Made
# here rather than by a template loop, as the grid is (images.views.tiles): the loop and its two
# date filters a piece were a tenth of the home page's time.
_NEWS = '<ol class="news-list">{}</ol>'
_NEWS_ITEM = (
    '<li class="news-item{}"><a class="news-link" href="{}">{}<span class="news-text">{}</span>'
    '{}</a><time datetime="{}" title="{}">{}</time></li>'
)
_UNREAD = mark_safe(" unread")
_NEW = mark_safe('<span class="news-new">New</span> ')
_THUMBS = '<span class="news-thumbs">{}</span>'
_THUMB = '<img src="{}" width="48" height="48" alt="" loading="lazy">'


def news_html(items: Iterable[NewsItem]) -> SafeString:
    """The ``<ol>`` of ``items``; nothing when there are none."""
    # Safe: every piece is made by fill, which escapes what it is given.
    html = "".join(_news_item_html(item) for item in items)
    return fill(_NEWS, mark_safe(html)) if html else SafeString("")  # noqa: S308


def _news_item_html(item: NewsItem) -> str:
    thumbs = "".join(fill(_THUMB, src) for src in item.thumbs)
    latest = timezone.localtime(item.group.latest)
    return fill(
        _NEWS_ITEM,
        _UNREAD if item.unread else "",
        item.href,
        _NEW if item.unread else "",
        item.text,
        fill(_THUMBS, mark_safe(thumbs)) if thumbs else "",  # noqa: S308 (made by fill)
        latest.isoformat(),
        dateformat.format(latest, "j F Y, H:i"),
        item.ago,
    )
