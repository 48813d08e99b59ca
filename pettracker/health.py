"""Liveness checks of what a request or a task needs: the database and the broker."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import DatabaseError, connection
from kombu import Connection
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 2
# Each of the check's two tries (connect, then PING) gives up after this long, so a broker
# that accepts connections but never answers is reported within BROKER_TIMEOUT_SECONDS.
BROKER_TRY_SECONDS = 0.75


def database_ok() -> bool:
    """True when the default database answers a trivial query."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("health check: database unreachable")
        return False
    return True


def broker_ok(url: str) -> bool:
    """True when the Celery broker at ``url`` accepts a connection and answers a PING within
    two seconds."""
    broker = Connection(
        url,
        connect_timeout=BROKER_TRY_SECONDS,
        transport_options={
            **settings.CELERY_BROKER_TRANSPORT_OPTIONS,
            "socket_timeout": BROKER_TRY_SECONDS,
            "socket_connect_timeout": BROKER_TRY_SECONDS,
        },
    )
    try:
        broker.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT_SECONDS)
    except (OperationalError, OSError) as exc:
        logger.warning("health check: broker unreachable at %s: %s", broker.as_uri(), exc)
        return False
    finally:
        broker.release()
    return True
