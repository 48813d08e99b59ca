"""social's Celery tasks."""
