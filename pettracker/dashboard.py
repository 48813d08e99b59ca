"""The figures of the admin dashboard: the pipeline's state and the CDN keys' calendar."""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils import timezone
from kombu.exceptions import ChannelError

from cdn.models import UNPUSHED, AccessFloor, Invalidation, SigningKey
from images.models import PendingObjectDeletion, Photo, ReconciliationRun, Rendition
from pettracker.celery import app
from social.models import DigestSend

logger = logging.getLogger(__name__)
PROCESSING_QUEUE = "celery"  # Celery's default queue, where process_photo goes


@dataclass(frozen=True)
class DeletionOutbox:
    """Stored objects waiting to be deleted: ``waiting`` are tried by the beat task,
    ``set_aside`` failed for about a day and wait for a person (the admin's "Try again now")."""

    waiting: int
    set_aside: int
    oldest_waiting: datetime.datetime | None  # when the longest-waiting one was queued


@dataclass(frozen=True)
class PhotosHeldUp:
    unqueued: int  # their processing task could not be sent; beat sends it again
    awaiting_retry: int  # failed for a transient reason; processed again when due


@dataclass(frozen=True)
class AccessFloorCounts:
    """Pets' access floors (``cdn.revocation``): ``unpushed`` are revocations the CloudFront
    KeyValueStore may not hold yet (beat pushes them every 10 s, with backoff on failure)."""

    floors: int
    unpushed: int


# A digest still ``sending`` this long after it was decided: its worker died between the
# commit and the mail's end. It is not sent again (at most once); the dashboard says so.
DIGEST_INTERRUPTED_AFTER = datetime.timedelta(minutes=15)


@dataclass(frozen=True)
class DigestFigures:
    """Digest sends decided in the last day and week, by outcome, and the latest failures."""

    last_day: dict[str, int]  # sent, failed, interrupted, sending (under way), empty
    last_week: dict[str, int]
    latest_failures: list[DigestSend]

    LABELS = {
        "sent": "Sent",
        "failed": "Failed",
        "interrupted": "Interrupted (the worker died; not sent again)",
        "sending": "Being sent",
        "empty": "Nothing to say (no mail)",
    }

    @property
    def rows(self) -> list[tuple[str, str, int, int]]:
        """(outcome, its label, last day, last week), for the dashboard's table."""
        return [(k, label, self.last_day[k], self.last_week[k]) for k, label in self.LABELS.items()]


@dataclass(frozen=True)
class Figures:
    photos_by_state: dict[str, int]
    queue_depth: int | None  # None: the broker did not answer
    oldest_processing: Photo | None
    renditions_last_hour: int
    active_key: SigningKey | None
    next_rotation: datetime.datetime | None
    invalidation_paths_this_month: int
    last_reconciliation: ReconciliationRun | None = None
    deletions: DeletionOutbox | None = None
    photos_held_up: PhotosHeldUp | None = None
    floors_unpushed: int | None = None  # None: no KeyValueStore configured
    digests: DigestFigures | None = None

    @property
    def active_key_age(self) -> datetime.timedelta | None:
        if self.active_key is None or self.active_key.activated_at is None:
            return None
        return timezone.now() - self.active_key.activated_at


def photos_by_state() -> dict[str, int]:
    counts = dict(Photo.objects.order_by().values_list("state").annotate(n=Count("pk")))
    return {state: counts.get(state, 0) for state in Photo.State.values}


def deletion_outbox() -> DeletionOutbox:
    """The deletion outbox's figures, in one query."""
    waiting, set_aside = Q(set_aside_at__isnull=True), Q(set_aside_at__isnull=False)
    figures = PendingObjectDeletion.objects.aggregate(
        waiting=Count("pk", filter=waiting),
        set_aside=Count("pk", filter=set_aside),
        oldest=Min("created_at", filter=waiting),
    )
    return DeletionOutbox(figures["waiting"], figures["set_aside"], figures["oldest"])


def photos_held_up() -> PhotosHeldUp:
    """Photos waiting on beat rather than on a worker, in one query."""
    figures = Photo.objects.aggregate(
        unqueued=Count("pk", filter=Q(unqueued_since__isnull=False)),
        awaiting_retry=Count("pk", filter=Q(retry_at__isnull=False)),
    )
    return PhotosHeldUp(figures["unqueued"], figures["awaiting_retry"])


def access_floor_counts() -> AccessFloorCounts:
    """How many pets have an access floor, and how many of those floors are not pushed yet,
    in one query."""
    figures = AccessFloor.objects.aggregate(
        floors=Count("pk"), unpushed=Count("pk", filter=UNPUSHED)
    )
    return AccessFloorCounts(figures["floors"], figures["unpushed"])


def digest_figures(now: datetime.datetime, *, failures: int = 5) -> DigestFigures:
    """Digest sends of the last 24 hours and 7 days by outcome (one query), and the latest
    failures (another)."""
    interrupted = DigestSend.objects.interrupted(before=now - DIGEST_INTERRUPTED_AFTER)
    outcomes = {
        "sent": Q(state=DigestSend.State.SENT),
        "failed": Q(state=DigestSend.State.FAILED),
        "interrupted": interrupted,
        "sending": Q(state=DigestSend.State.SENDING) & ~interrupted,
        "empty": Q(state=DigestSend.State.EMPTY),
    }
    since = {"day": now - datetime.timedelta(days=1), "week": now - datetime.timedelta(days=7)}
    counts = DigestSend.objects.since(since["week"]).aggregate(
        **{
            f"{span}_{name}": Count("pk", filter=rule & Q(created_at__gte=start))
            for span, start in since.items()
            for name, rule in outcomes.items()
        }
    )
    latest = DigestSend.objects.filter(state=DigestSend.State.FAILED).select_related("user")
    return DigestFigures(
        last_day={name: counts[f"day_{name}"] for name in outcomes},
        last_week={name: counts[f"week_{name}"] for name in outcomes},
        latest_failures=list(latest.order_by("-created_at", "-pk")[:failures]),
    )


def last_reconciliation(*, succeeded: bool = False) -> ReconciliationRun | None:
    """The latest storage reconciliation (running, failed or done); with ``succeeded``, the
    latest that finished without an error."""
    runs = ReconciliationRun.objects.all()
    if succeeded:
        runs = runs.filter(finished_at__isnull=False, error="")
    return runs.order_by("-started_at", "-pk").first()


def queue_depth() -> int | None:
    """Messages waiting in the processing queue, or ``None`` when the broker is unreachable."""
    # One try, each step (connect, PING, LLEN) given up after the broker's socket timeouts
    # (CELERY_BROKER_TRANSPORT_OPTIONS, 1 s): a broker that accepts connections but never
    # answers must not hold the page, nor the web worker serving it.
    try:
        with app.connection_for_read() as connection:
            connection.ensure_connection(max_retries=0)
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
        last_reconciliation=last_reconciliation(),
        deletions=deletion_outbox(),
        photos_held_up=photos_held_up(),
        floors_unpushed=access_floor_counts().unpushed
        if settings.CLOUDFRONT_KEY_VALUE_STORE_ARN
        else None,
        digests=digest_figures(now),
    )
