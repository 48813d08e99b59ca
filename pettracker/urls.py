from django.contrib import admin
from django.urls import include, path

from pettracker.views import favicon, healthz, metrics

urlpatterns = [
    path("", include("images.urls")),
    path("", include("social.urls")),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    # Pages link favicon.svg; browsers still ask for this one on pages that do not (the admin).
    path("favicon.ico", favicon),
]

# Django's error pages, except JSON under /api/ (DEBUG=false only; see pettracker.errors).
handler400 = "pettracker.errors.bad_request"
handler403 = "pettracker.errors.permission_denied"
handler404 = "pettracker.errors.page_not_found"
handler500 = "pettracker.errors.server_error"
