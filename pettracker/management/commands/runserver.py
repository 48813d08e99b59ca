"""Django's development server (with static files), refusing to listen beyond loopback while
published defaults are in use: anyone on the network could log in with a demo password."""

from __future__ import annotations

from django.contrib.staticfiles.management.commands.runserver import Command as RunserverCommand
from django.core.management.base import CommandError

from pettracker.checks import is_loopback, published_defaults_in_use


class Command(RunserverCommand):
    def run(self, **options) -> None:
        if not is_loopback(self.addr):
            refuse_published_defaults(self.addr)
        super().run(**options)


def refuse_published_defaults(address: str) -> None:
    found = published_defaults_in_use()
    if found:
        raise CommandError(
            f"Refusing to listen on {address}, beyond this machine, while "
            + "; ".join(found)
            + ". Listen on 127.0.0.1, or give the demo accounts new passwords "
            "(manage.py seed_demo --new-passwords, or manage.py changepassword <name>) and set "
            "any published secret from a new one."
        )
