"""The project's own system checks, and the published-defaults rule a local server obeys."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.contrib import admin
from django.core import checks

from pettracker.defaults import PUBLISHED_ENCRYPTION_KEYS, PUBLISHED_SECRET_KEYS


def published_settings_in_use() -> list[str]:
    """The settings whose values anyone can read in PetTracker's source."""
    found = []
    if settings.SECRET_KEY in PUBLISHED_SECRET_KEYS:
        found.append("SECRET_KEY is the one published in PetTracker's source")
    if PUBLISHED_ENCRYPTION_KEYS & set(settings.SIGNING_KEY_ENCRYPTION_KEYS):
        found.append("SIGNING_KEY_ENCRYPTION_KEYS holds a key published in PetTracker's source")
    return found


def demo_accounts_with_published_passwords() -> list[str]:
    # Imported here: the command module pulls in the models, which a check module loaded
    # while apps are being set up must not.
    from accounts.models import User
    from images.management.commands.seed_demo import DEMO_USERS, demo_password

    users = User.objects.filter(username__in=DEMO_USERS, is_active=True)
    return sorted(u.username for u in users if u.check_password(demo_password(u.username)))


def published_defaults_in_use() -> list[str]:
    """What a stranger could use against this installation, each said as a person reads it."""
    found = published_settings_in_use()
    demo = demo_accounts_with_published_passwords()
    if demo:
        found.append(
            f"the demo accounts {', '.join(demo)} have the passwords printed in the README"
        )
    return found


def is_loopback(address: str) -> bool:
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


@checks.register(checks.Tags.security, deploy=True)
def check_no_published_secrets(app_configs, **kwargs) -> list[checks.CheckMessage]:
    return [
        checks.Error(
            f"{problem}.",
            hint="Set it from a secret made for this installation (see docs/deploy.md).",
            id="pettracker.E002",
        )
        for problem in published_settings_in_use()
    ]


@checks.register(checks.Tags.admin)
def check_admin_actions_declare_permissions(app_configs, **kwargs) -> list[checks.CheckMessage]:
    from pettracker.admin import actions_without_permission  # the site exists once apps are ready

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


@checks.register(checks.Tags.security, deploy=True)
def check_proxies_match_tls_proxy(app_configs, **kwargs) -> list[checks.CheckMessage]:
    if settings.SECURE_PROXY_SSL_HEADER and not settings.PROXIES:
        return [
            checks.Warning(
                "BEHIND_TLS_PROXY is on but PROXIES is empty: every client would have the "
                "proxy's address, so one person's failed log-ins would lock everyone out.",
                hint="Name the hops in front of the app: PROXIES=cloudfront,load-balancer.",
                id="pettracker.W001",
            )
        ]
    return []
