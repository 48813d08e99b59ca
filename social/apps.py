from django.apps import AppConfig


class SocialConfig(AppConfig):
    name = "social"
    verbose_name = "Likes, comments and news"

    def ready(self) -> None:
        from social import signals

        signals.connect()
