"""Counters shared by every process (web workers, Celery workers), kept in Redis, and the
Prometheus-style ``/metrics`` page that shows them with a few gauges from the database.

Counting never fails the work it counts: when Redis does not answer, the count is lost and
the request or task carries on.
"""

from __future__ import annotations

import functools
import logging

import redis
from django.conf import settings

logger = logging.getLogger(__name__)
PREFIX = "pettracker:metrics:"

# name → help text; all are counters (they only go up).
COUNTERS = {
    "edge_served": "Objects the local edge served (200, 206, 304).",
    "edge_refused": "Requests the local edge refused (403).",
    "renditions_made": "Renditions written by the workers.",
    "photos_ready": "Photos that finished processing.",
    "photos_failed": "Photos that failed processing.",
    "uploads_completed": "Uploads completed by browsers.",
    "invalidation_paths": "Paths sent to CloudFront invalidations.",
}


@functools.cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=0.25, socket_connect_timeout=0.25)


def _redis() -> redis.Redis | None:
    url = settings.METRICS_REDIS_URL
    return _client(url) if url.startswith(("redis://", "rediss://", "unix://")) else None


def increment(name: str, amount: int = 1) -> None:
    if name not in COUNTERS:
        raise ValueError(f"unknown counter {name!r}")
    client = _redis()
    if client is None:
        return
    try:
        client.incrby(PREFIX + name, amount)
    except redis.RedisError:
        logger.debug("metrics: could not count %s", name, exc_info=True)


def counters() -> dict[str, int | None]:
    """Every counter's value; ``None`` where Redis did not answer."""
    client = _redis()
    try:
        values = client.mget([PREFIX + name for name in COUNTERS]) if client else None
    except redis.RedisError:
        values = None
    if values is None:
        return dict.fromkeys(COUNTERS)
    return {name: int(value or 0) for name, value in zip(COUNTERS, values, strict=True)}
