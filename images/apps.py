from django.apps import AppConfig


class ImagesConfig(AppConfig):
    name = "images"
    verbose_name = "Pets and photos"

    def ready(self) -> None:
        # The services queue tasks by name (images.jobs): every process that may queue one,
        # the web's included, must have them registered, not only the workers that
        # autodiscover them. Imported here, once the models are loaded.
        from accounts.signals import user_deactivated
        from images import tasks  # noqa: F401
        from images.services.sharing import user_access_revoke

        user_deactivated.connect(user_access_revoke, dispatch_uid="images.user_access_revoke")

        from images import signals

        signals.connect()
