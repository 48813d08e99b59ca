from django.contrib.admin.apps import AdminConfig


class PetTrackerAdminConfig(AdminConfig):
    default_site = "pettracker.admin.PetTrackerAdminSite"
