"""The admin site: Django's, with the operations dashboard added, and two rules that hold for
every model admin registered on it, ours and third parties' alike:

- no list filter may look up a secret field (an ordered look-up such as
  ``encrypted_private_key__gte=<prefix>`` is an oracle: the row count tells the prefix);
- every action declares the permission it needs (``manage.py check`` fails otherwise).
"""

from __future__ import annotations

from django.contrib import admin
from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.db.models.constants import LOOKUP_SEP
from django.template.response import TemplateResponse
from django.urls import path

from images.dashboard import dashboard_figures
from images.delivery.invalidations import FREE_PATHS_PER_MONTH

# Fields whose values, or any order or prefix of them, must never be learnt through the admin.
SECRET_FIELDS = frozenset(
    {
        "accounts.User.password",
        "images.SigningKey.encrypted_private_key",
        "images.ShareLink.token_hash",
    }
)


def lookup_touches_secret(model, lookup: str) -> bool:
    """Whether ``lookup`` (``pet__share_links__token_hash__gte``) reaches a secret field,
    directly or through relations."""
    for part in lookup.split(LOOKUP_SEP):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return False  # a transform or a comparison: the fields are behind us
        if f"{model._meta.label}.{field.name}" in SECRET_FIELDS:
            return True
        if not field.is_relation or field.related_model is None:
            return False
        model = field.related_model
    return False


class SecretLookupsRefused:
    """Mixed into every registered model admin by the site: Django allows any look-up on a
    model's own fields, so a filter in the query string could probe a secret one."""

    def lookup_allowed(self, lookup, value, request=None) -> bool:
        if lookup_touches_secret(self.model, lookup):
            return False  # the changelist answers 400 (DisallowedModelAdminLookup), logged
        return super().lookup_allowed(lookup, value, request)


class PetTrackerAdminSite(admin.AdminSite):
    site_header = "PetTracker administration"
    site_title = "PetTracker admin"

    def register(self, model_or_iterable, admin_class=None, **options) -> None:
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, SecretLookupsRefused):
            admin_class = type(admin_class.__name__, (SecretLookupsRefused, admin_class), {})
        super().register(model_or_iterable, admin_class, **options)

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


def actions_without_permission(site: admin.AdminSite) -> list[str]:
    """``app.Model: action`` for each action on ``site`` that declares no permission."""
    missing = []
    for model, model_admin in site._registry.items():
        for function, name, _ in model_admin._get_base_actions():
            if not getattr(function, "allowed_permissions", ()):
                missing.append(f"{model._meta.label}: {name}")
    return missing


@checks.register(checks.Tags.admin)
def check_admin_actions_declare_permissions(app_configs, **kwargs) -> list[checks.CheckMessage]:
    return [
        checks.Error(
            f"The admin action {action} declares no permission, so staff who may only view "
            "can run it.",
            hint="Decorate it with @admin.action(permissions=[...]) and, where no model "
            "permission fits, define has_<name>_permission on its ModelAdmin.",
            id="pettracker.E001",
        )
        for action in actions_without_permission(admin.site)
    ]
