from django.apps import AppConfig


class SocialConfig(AppConfig):
    name = "social"
    verbose_name = "Likes, comments and news"

    def ready(self) -> None:
        # The tasks too: beat names them, and every process that may queue one must have them
        # registered (as images.apps and cdn.apps do for theirs).
        from pettracker.pages import frame_reader
        from social import signals, tasks  # noqa: F401
        from social.context_processors import unread_shown

        signals.connect()
        # Pages kept whole (the gallery) are kept per count the header shows.
        frame_reader(unread_shown)
