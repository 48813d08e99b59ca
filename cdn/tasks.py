"""Celery tasks of the CDN: key rotation, invalidations and access floors, sent by beat."""

from __future__ import annotations

from celery import shared_task

from cdn.cloudfront import CdnError
from cdn.invalidations import invalidations_poll, invalidations_submit
from cdn.revocation import access_floors_prune, access_floors_push
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


@shared_task
def push_access_floors() -> int:
    """After a revocation commits, and beat every 10 s: push the raised access floors to the
    CloudFront KeyValueStore. Failures are recorded on the rows and retried by the next sweep
    once their backoff is over, so the task itself never retries."""
    return access_floors_push()


@shared_task
def prune_access_floors() -> int:
    """Beat, hourly: drop the access floors old enough that every grant they refuse has
    expired, from the KeyValueStore then the database. A failed deletion keeps its floors for
    the next run, so the task itself never retries."""
    return access_floors_prune()
