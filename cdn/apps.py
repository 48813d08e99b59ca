from django.apps import AppConfig


class CdnConfig(AppConfig):
    name = "cdn"
    verbose_name = "CDN delivery"

    def ready(self) -> None:
        from cdn import checks  # noqa: F401  (registers the app's checks)
