"""The admin site: Django's, with the operations dashboard added."""

from __future__ import annotations

from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import path

from images.dashboard import dashboard_figures
from images.delivery.invalidations import FREE_PATHS_PER_MONTH


class PetTrackerAdminSite(admin.AdminSite):
    site_header = "PetTracker administration"
    site_title = "PetTracker admin"

    def get_urls(self):
        dashboard = path("dashboard/", self.admin_view(self.dashboard), name="dashboard")
        return [dashboard, *super().get_urls()]

    def dashboard(self, request):
        context = {
            **self.each_context(request),
            "title": "Dashboard",
            "figures": dashboard_figures(),
            "free_paths": FREE_PATHS_PER_MONTH,
        }
        return TemplateResponse(request, "admin/dashboard.html", context)
