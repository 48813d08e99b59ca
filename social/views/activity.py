"""The activity page: everyone's news of the last days, and where one has read up to."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from images.views.common import render_granting
from social.models import (
    ACTIVITY_PAGE_ROWS,
    ACTIVITY_WINDOW,
    ALL_READ_ATTRIBUTE,
    activity_of,
    activity_seen_at,
    thumbnail_keys,
)
from social.pure.activity import Kind, group_events
from social.services.activity import activity_mark_read

GROUPS_PER_PAGE = 20


@login_required
@require_safe
def activity_page(request: HttpRequest) -> HttpResponse:
    """The news of ``ACTIVITY_WINDOW``, ``GROUPS_PER_PAGE`` a page, what was unread marked;
    then everything up to the newest shown is read.

    A GET marks it read: it is the visitor's own state, as a mail reader marks what it opened;
    a request forged from elsewhere could only clear their badge, which a glance would do,
    and the page works without script."""
    user = request.user
    seen_at = activity_seen_at(user)  # read before marking: the page shows what was new
    groups = group_events(activity_of(user, limit=ACTIVITY_PAGE_ROWS))
    page = Paginator(groups, GROUPS_PER_PAGE).get_page(request.GET.get("page"))
    if page.object_list:
        read = activity_mark_read(user=user, until=page.object_list[0].latest)
        # Read up to the newest news there is: the header has nothing to count, and need not
        # read the activity again to say so (the summary was forgotten by the reading).
        setattr(request, ALL_READ_ATTRIBUTE, read >= groups[0].latest)
    context = {
        "page": page,
        "thumbs": thumbnail_keys(page.object_list),
        "seen_at": seen_at,
        "window_days": ACTIVITY_WINDOW.days,
    }
    # Thumbnails are a garnish: without a signing key the page still says what happened.
    pets = [g.pet_id for g in page.object_list if g.kind is Kind.ADDED]
    return render_granting(
        request, "social/activity.html", context, pet_ids=pets, images_optional=True
    )
