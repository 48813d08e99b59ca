"""Celery tasks of the CDN: key rotation and invalidations, sent by beat."""

from __future__ import annotations

from celery import shared_task

from cdn.cloudfront import CdnError
from cdn.invalidations import invalidations_poll, invalidations_submit
from cdn.rotation import signing_keys_maintain
from pettracker.celery import TASK_MAX_RETRIES, retry_backoff


@shared_task
def maintain_signing_keys() -> dict[str, int]:
    """Beat: rotate the CDN signing key when due and retire keys once safe."""
    return signing_keys_maintain()


def _retrying_cdn_errors(task, work):
    """Run ``work``; when CloudFront throttles or cannot be reached, try again later."""
    try:
        return work()
    except CdnError as exc:
        raise task.retry(exc=exc, countdown=retry_backoff(task.request.retries)) from exc


@shared_task(bind=True, max_retries=TASK_MAX_RETRIES)
def submit_invalidations(self) -> int:
    """Beat: batch the queued CDN paths into invalidations; retried when throttled."""
    return _retrying_cdn_errors(self, invalidations_submit)


@shared_task(bind=True, max_retries=TASK_MAX_RETRIES)
def poll_invalidations(self) -> int:
    """Beat: follow the invalidations in progress until CloudFront has finished them."""
    return _retrying_cdn_errors(self, invalidations_poll)
