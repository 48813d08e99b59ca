"""Work queued for the workers, by task name.

The services queue tasks, and the tasks call the services: sending by name through Celery's
registry lets the services do so without importing ``images.tasks`` (the tasks import them).
Tests check that every name here is a registered task.
"""

from __future__ import annotations

from pettracker.celery import app

PROCESS_PHOTO = "images.tasks.process_photo"
DELETE_PENDING_OBJECTS = "images.tasks.delete_pending_objects"


def send(task_name: str, *args) -> None:
    """Queue ``task_name`` with ``args``; raises when the broker does not take it."""
    app.tasks[task_name].delay(*args)
