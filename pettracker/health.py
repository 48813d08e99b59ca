"""Liveness checks of what a request or a task needs: the database and the broker."""

from __future__ import annotations

import logging

from django.db import DatabaseError, connection
from kombu import Connection
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 2


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
    """True when the Celery broker at ``url`` accepts a connection within two seconds."""
    broker = Connection(url, connect_timeout=BROKER_TIMEOUT_SECONDS)
    try:
        broker.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT_SECONDS)
    except (OperationalError, OSError) as exc:
        logger.warning("health check: broker unreachable at %s: %s", broker.as_uri(), exc)
        return False
    finally:
        broker.release()
    return True
