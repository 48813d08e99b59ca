"""CDN invalidations: queued paths, batched into as few ``CreateInvalidation`` calls as
CloudFront's limits allow, then followed until CloudFront says they are done.

Rendition keys are content-hashed, so a changed picture gets a new URL and needs no
invalidation: only deletions (and privacy changes) queue paths. CloudFront allows 3,000 file
paths and 15 wildcard paths in progress per distribution; what does not fit waits in the
queue for the next run. A batch is written before it is sent and carries its id as the
``CallerReference``, so a time-out or a throttle is retried without creating a duplicate.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from cdn.cloudfront import Cdn, cdn
from cdn.models import Invalidation, PendingInvalidation
from pettracker.metrics import increment

logger = logging.getLogger(__name__)

MAX_FILE_PATHS_IN_FLIGHT = 3000
MAX_WILDCARD_PATHS_IN_FLIGHT = 15
FREE_PATHS_PER_MONTH = 1000


def is_wildcard(path: str) -> bool:
    return "*" in path


def choose_paths(pending: list[str], *, file_room: int, wildcard_room: int) -> list[str]:
    """The distinct paths, oldest first, that fit in the room CloudFront leaves (pure)."""
    chosen, seen = [], set()
    for path in pending:
        if path in seen:
            continue
        room = wildcard_room if is_wildcard(path) else file_room
        if room <= 0:
            continue
        seen.add(path)
        chosen.append(path)
        if is_wildcard(path):
            wildcard_room -= 1
        else:
            file_room -= 1
    return chosen


def _room(distribution_id: str) -> tuple[int, int]:
    """File and wildcard paths CloudFront will still take for this distribution."""
    busy = Invalidation.objects.filter(
        distribution_id=distribution_id,
        status__in=[Invalidation.Status.QUEUED, Invalidation.Status.IN_PROGRESS],
    ).aggregate(paths=Sum("path_count"), wildcards=Sum("wildcard_count"))
    paths, wildcards = busy["paths"] or 0, busy["wildcards"] or 0
    return (
        MAX_FILE_PATHS_IN_FLIGHT - (paths - wildcards),
        MAX_WILDCARD_PATHS_IN_FLIGHT - wildcards,
    )


@transaction.atomic
def invalidation_batch_create(*, distribution_id: str) -> Invalidation | None:
    """Move queued paths into one new batch, deduplicated, within CloudFront's limits."""
    file_room, wildcard_room = _room(distribution_id)
    pending = list(PendingInvalidation.objects.values_list("path", flat=True)[:20_000])
    paths = choose_paths(pending, file_room=file_room, wildcard_room=wildcard_room)
    if not paths:
        return None
    PendingInvalidation.objects.filter(path__in=paths).delete()
    return Invalidation.objects.create(
        distribution_id=distribution_id,
        paths=paths,
        path_count=len(paths),
        wildcard_count=sum(1 for path in paths if is_wildcard(path)),
    )


def _send(invalidation: Invalidation, backend: Cdn) -> None:
    Invalidation.objects.filter(pk=invalidation.pk).update(attempts=invalidation.attempts + 1)
    try:
        cloudfront_id, status = backend.create_invalidation(
            paths=invalidation.paths, caller_reference=str(invalidation.pk)
        )
    except Exception as exc:
        Invalidation.objects.filter(pk=invalidation.pk).update(last_error=str(exc)[:1000])
        raise
    increment("invalidation_paths", invalidation.path_count)
    now = timezone.now()
    done = status == "Completed"
    Invalidation.objects.filter(pk=invalidation.pk).update(
        cloudfront_id=cloudfront_id,
        status=Invalidation.Status.COMPLETED if done else Invalidation.Status.IN_PROGRESS,
        submitted_at=now,
        completed_at=now if done else None,
        last_error="",
    )


def invalidations_submit() -> int:
    """Send the batches CloudFront has not accepted yet, then batch and send what is queued,
    until the queue is empty or CloudFront's limits are reached. Returns the batches sent.
    ``Throttled`` and other ``CdnError`` propagate for the task to retry later."""
    backend = cdn()
    sent = 0
    queued = Invalidation.objects.filter(
        distribution_id=backend.distribution_id, status=Invalidation.Status.QUEUED
    ).order_by("created_at")
    for invalidation in queued:
        _send(invalidation, backend)
        sent += 1
    while batch := invalidation_batch_create(distribution_id=backend.distribution_id):
        _send(batch, backend)
        sent += 1
    return sent


def invalidations_poll() -> int:
    """Ask CloudFront about the invalidations in progress; returns how many completed."""
    backend = cdn()
    completed = 0
    for invalidation in Invalidation.objects.in_flight(backend.distribution_id):
        if backend.invalidation_status(invalidation.cloudfront_id) == "Completed":
            Invalidation.objects.filter(pk=invalidation.pk).update(
                status=Invalidation.Status.COMPLETED, completed_at=timezone.now()
            )
            completed += 1
    return completed
