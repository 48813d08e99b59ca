"""The Celery application; its settings are the ``CELERY_*`` names in Django's settings."""

import os
from logging.config import dictConfig

from celery import Celery
from celery.signals import setup_logging
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pettracker.settings")

app = Celery("pettracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# One log line per task, with its id (connected to Celery's signals on import).
import pettracker.logs  # noqa: E402, F401


@setup_logging.connect
def _log_as_django_does(**kwargs) -> None:
    """Workers and beat log through settings.LOGGING (JSON lines in production), not
    Celery's own format."""
    dictConfig(settings.LOGGING)


# Tasks that fail for a reason of the moment (storage, network, CloudFront throttling) retry
# this many times, waiting TASK_RETRY_BACKOFF_SECONDS, then twice as long each time (at most
# 5 minutes).
TASK_MAX_RETRIES = 4


def retry_backoff(retries: int) -> int:
    """Seconds before the retry that follows ``retries`` earlier ones."""
    return min(300, settings.TASK_RETRY_BACKOFF_SECONDS * 2**retries)
