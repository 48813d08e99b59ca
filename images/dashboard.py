"""The figures of the admin dashboard: the pipeline's state and the CDN keys' calendar."""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count
from django.utils import timezone
from kombu.exceptions import ChannelError

from images.models import Invalidation, Photo, Rendition, SigningKey

logger = logging.getLogger(__name__)
PROCESSING_QUEUE = "celery"  # Celery's default queue, where process_photo goes


@dataclass(frozen=True)
class Figures:
    photos_by_state: dict[str, int]
    queue_depth: int | None  # None: the broker did not answer
    oldest_processing: Photo | None
    renditions_last_hour: int
    active_key: SigningKey | None
    next_rotation: datetime.datetime | None
    invalidation_paths_this_month: int

    @property
    def active_key_age(self) -> datetime.timedelta | None:
        if self.active_key is None or self.active_key.activated_at is None:
            return None
        return timezone.now() - self.active_key.activated_at


def photos_by_state() -> dict[str, int]:
    counts = dict(Photo.objects.order_by().values_list("state").annotate(n=Count("pk")))
    return {state: counts.get(state, 0) for state in Photo.State.values}


def queue_depth() -> int | None:
    """Messages waiting in the processing queue, or ``None`` when the broker is unreachable."""
    from pettracker.celery import app

    try:
        with app.connection_for_read() as connection:
            connection.ensure_connection(max_retries=1)
            try:
                declared = connection.default_channel.queue_declare(PROCESSING_QUEUE, passive=True)
            except ChannelError:
                return 0  # Redis drops an empty queue's key: nothing is waiting
            return declared.message_count
    except Exception:  # any broker failure: the page says "unavailable" rather than fail
        logger.warning("the broker did not answer the dashboard", exc_info=True)
        return None


def dashboard_figures(now: datetime.datetime | None = None) -> Figures:
    now = now or timezone.now()
    active = SigningKey.objects.active()
    max_age = datetime.timedelta(days=settings.SIGNING_KEY_MAX_AGE_DAYS)
    return Figures(
        photos_by_state=photos_by_state(),
        queue_depth=queue_depth(),
        oldest_processing=Photo.objects.filter(state=Photo.State.PROCESSING)
        .order_by("updated_at")
        .first(),
        renditions_last_hour=Rendition.objects.filter(
            created_at__gte=now - datetime.timedelta(hours=1)
        ).count(),
        active_key=active,
        next_rotation=active.activated_at + max_age if active and active.activated_at else None,
        invalidation_paths_this_month=Invalidation.objects.paths_in_month(now),
    )
