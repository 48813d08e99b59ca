"""The admin site: Django's, with the operations dashboard added, and rules that hold for
every model admin registered on it, ours and third parties' alike:

- no list filter may look up a secret field (an ordered look-up such as
  ``encrypted_private_key__gte=<prefix>`` is an oracle: the row count tells the prefix);
- every action declares the permission it needs (``manage.py check`` fails otherwise);
- an action's selection holds only ids the model can have (400 otherwise, not a 500);
- an autocompleted field given a value its key cannot hold shows the form again with the
  error (Django's widget looked the value up unchecked: a 500), in inlines too.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import BadRequest, FieldDoesNotExist, ValidationError
from django.db import connection, models
from django.db.models.constants import LOOKUP_SEP
from django.template.response import TemplateResponse
from django.urls import path

from cdn.invalidations import FREE_PATHS_PER_MONTH
from pettracker.dashboard import dashboard_figures

# Fields whose values, or any order or prefix of them, must never be learnt through the admin.
SECRET_FIELDS = frozenset(
    {
        "accounts.User.password",
        "cdn.SigningKey.encrypted_private_key",
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


class MalformedSelectionRefused:
    """Mixed into every registered model admin by the site: Django filters an action's posted
    selection by primary key unchecked, so an id the model cannot have (``not-a-uuid``, an
    integer past the column's range) is a ValidationError, ValueError or OverflowError: a
    500. It is a malformed request."""

    def response_action(self, request, queryset):
        for value in request.POST.getlist(ACTION_CHECKBOX_NAME):
            if not fits(self.model._meta.pk, value):
                plural = self.model._meta.verbose_name_plural
                raise BadRequest(f"{value[:50]!r} is not the id of one of the {plural}.")
        return super().response_action(request, queryset)


def fits(field: models.Field, value) -> bool:
    """Whether ``field`` can hold ``value`` (a row with it may or may not exist)."""
    try:
        python = field.to_python(value)
    except ValidationError:
        return False
    if python is None:
        return False
    if isinstance(field, models.IntegerField):  # the auto fields too
        low, high = connection.ops.integer_field_range(field.get_internal_type())
        return (low is None or low <= python) and (high is None or python <= high)
    return True


class _FittingValuesOnly:
    """Django's autocomplete widget shows a form again by looking up the posted values in
    the related model unchecked (``AutocompleteMixin.optgroups``): leave out those the
    related key cannot hold. The form field has refused them already."""

    def optgroups(self, name, value, attr=None):
        remote = self.field.remote_field
        opts = remote.model._meta
        target = opts.get_field(getattr(remote, "field_name", None) or opts.pk.name)
        return super().optgroups(name, [v for v in value if fits(target, v)], attr)


class CheckedAutocompleteSelect(_FittingValuesOnly, AutocompleteSelect):
    pass


class CheckedAutocompleteSelectMultiple(_FittingValuesOnly, AutocompleteSelectMultiple):
    pass


class AutocompleteValuesChecked:
    """Mixed into every registered model admin and its inlines by the site: autocompleted
    fields get the widgets above."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = CheckedAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = CheckedAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)


SITE_RULES = (SecretLookupsRefused, MalformedSelectionRefused, AutocompleteValuesChecked)


def with_rules(admin_class: type, rules: tuple[type, ...]) -> type:
    """``admin_class`` with the ``rules`` it lacks mixed in."""
    missing = tuple(rule for rule in rules if not issubclass(admin_class, rule))
    return type(admin_class.__name__, (*missing, admin_class), {}) if missing else admin_class


class PetTrackerAdminSite(admin.AdminSite):
    site_header = "PetTracker administration"
    site_title = "PetTracker admin"

    def register(self, model_or_iterable, admin_class=None, **options) -> None:
        admin_class = with_rules(admin_class or admin.ModelAdmin, SITE_RULES)
        inlines = [
            with_rules(inline, (AutocompleteValuesChecked,)) for inline in admin_class.inlines
        ]
        if inlines != list(admin_class.inlines):
            admin_class = type(admin_class.__name__, (admin_class,), {"inlines": inlines})
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
