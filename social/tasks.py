"""social's Celery tasks: thin, taking ids, calling the services.

Beat names ``send_digests`` by its string and workers find these tasks by autodiscovery; no
service queues one by name (as ``images.jobs`` does), so the web process need not register
them.
"""

from __future__ import annotations

import logging
import time

from celery import shared_task
from django.conf import settings

from social.services import digests

logger = logging.getLogger(__name__)

# A batch stops starting digests after this long and queues what is left as a new batch: it
# ends before the soft time limit (CELERY_TASK_SOFT_TIME_LIMIT, 240 s), which would otherwise
# interrupt a mail being sent.
BATCH_SECONDS = 150


@shared_task
def send_digests() -> int:
    """Beat, hourly: queue the digests due for the periods just ended (yesterday, last week),
    BATCH_SIZE users a task. Users served already are not due again: running twice, or an hour
    later, queues only those left. Returns how many users were queued."""
    if not settings.SITE_URL:
        logger.error("digests are not sent: SITE_URL is not set (their links need it)")
        return 0
    queued = 0
    for period in digests.periods_due():
        due = digests.users_due(period)
        for start in range(0, len(due), digests.BATCH_SIZE):
            batch = due[start : start + digests.BATCH_SIZE]
            send_digest_batch.delay(period.frequency, period.key, batch)
            queued += len(batch)
    if queued:
        logger.info("digests queued for %d users", queued)
    return queued


@shared_task
def send_digest_batch(frequency: str, period_key: str, user_ids: list[int]) -> int:
    """Send each user's digest for the period, at most once each (``digest_send``); one
    user's failure is logged (no address) and the others go on. Returns how many mails
    went."""
    period = digests.period_named(frequency, period_key)
    deadline = time.monotonic() + BATCH_SECONDS
    sent = 0
    thumbnails = digests.ThumbnailMemo()  # a pet's thumbnails made once for its recipients
    for index, user_id in enumerate(user_ids):
        if index and time.monotonic() > deadline:  # one at least: the rest goes on
            send_digest_batch.delay(frequency, period_key, user_ids[index:])
            break
        try:
            send = digests.digest_send(user_id=user_id, period=period, thumbnails=thumbnails)
        except Exception as exc:  # one user's failure (the database, before the decision)
            # blocks nobody else's digest; with no row decided, the next run tries again.
            logger.warning("a digest failed before it was decided: %s", type(exc).__name__)
            continue
        sent += bool(send and send.state == send.State.SENT)
    return sent
