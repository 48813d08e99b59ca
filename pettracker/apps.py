from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class PetTrackerAdminConfig(AdminConfig):
    default_site = "pettracker.admin.PetTrackerAdminSite"


class PetTrackerConfig(AppConfig):
    """The project package as an app: its system checks and its runserver."""

    name = "pettracker"
    default = True

    def ready(self) -> None:
        from pettracker import checks  # noqa: F401  (registers the checks)
