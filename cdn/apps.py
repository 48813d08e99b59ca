from django.apps import AppConfig


class CdnConfig(AppConfig):
    name = "cdn"
    verbose_name = "CDN delivery"

    def ready(self) -> None:
        # The checks register themselves. The tasks too: a revocation in a page queues the
        # push by name (cdn.revocation.PUSH_TASK), so every process that may queue it, the
        # web's included, must have it registered, not only the workers that autodiscover
        # tasks (as images.apps does for its own).
        from cdn import checks, tasks  # noqa: F401
