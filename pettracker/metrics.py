"""Counters shared by every process (web workers, Celery workers), kept in Redis, and the
Prometheus-style ``/metrics`` page that shows them with a few gauges from the database.

Counting never fails the work it counts: when Redis does not answer, the count is lost and
the request or task carries on. Nor does it slow it: counts are added up in the process and
sent at most once a ``FLUSH_SECONDS`` (and when read), in one round trip, rather than one per
count (the local edge counted every image it served that way).
"""

from __future__ import annotations

import atexit
import functools
import logging
import threading
from collections import Counter

import redis
from celery.signals import worker_process_shutdown
from django.conf import settings

logger = logging.getLogger(__name__)
PREFIX = "pettracker:metrics:"
FLUSH_SECONDS = 1.0

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


_pending: Counter[str] = Counter()
_lock = threading.Lock()
_timer: threading.Timer | None = None


def increment(name: str, amount: int = 1) -> None:
    """Count ``amount`` more of ``name``: in Redis within ``FLUSH_SECONDS``."""
    global _timer
    if name not in COUNTERS:
        raise ValueError(f"unknown counter {name!r}")
    if _redis() is None:
        return
    with _lock:
        _pending[name] += amount
        if _timer is None:
            _timer = threading.Timer(FLUSH_SECONDS, flush)
            _timer.daemon = True
            _timer.start()


def flush() -> None:
    """Send the counts made in this process since the last flush, in one round trip."""
    global _timer
    with _lock:
        pending = dict(_pending)
        _pending.clear()
        if _timer is not None:
            _timer.cancel()
            _timer = None
    client = _redis()
    if not pending or client is None:
        return
    try:
        pipeline = client.pipeline(transaction=False)
        for name, amount in pending.items():
            pipeline.incrby(PREFIX + name, amount)
        pipeline.execute()
    except redis.RedisError:
        logger.debug("metrics: could not count %s", ", ".join(pending), exc_info=True)


def counters() -> dict[str, int | None]:
    """Every counter's value (this process's pending counts sent first); ``None`` where Redis
    did not answer."""
    flush()
    client = _redis()
    try:
        values = client.mget([PREFIX + name for name in COUNTERS]) if client else None
    except redis.RedisError:
        values = None
    if values is None:
        return dict.fromkeys(COUNTERS)
    return {name: int(value or 0) for name, value in zip(COUNTERS, values, strict=True)}


# What a process counted in its last second is sent as it ends (a web worker restarting, a
# Celery child replaced after its tasks), not lost with the timer's thread.
atexit.register(flush)


@worker_process_shutdown.connect
def _flush_on_worker_shutdown(**kwargs) -> None:
    flush()
