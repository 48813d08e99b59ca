"""Demo users, pets, shares and photos for a local run. Safe to run again: it adds nothing
twice and resets the demo passwords to the ones it prints."""

from __future__ import annotations

import secrets
import zlib
from dataclasses import dataclass

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.models import User
from accounts.services import user_create
from images.models import Pet, Share
from images.pure.demo_images import demo_photo
from images.services.pets import pet_create
from images.services.sharing import share_grant
from images.services.uploads import photo_import

PHOTOS_PER_PET = 3


@dataclass(frozen=True)
class DemoPet:
    owner: str
    name: str
    species: str
    shared_with: tuple[tuple[str, str], ...] = ()


DEMO_USERS = {
    "olivia": "owns Biscuit and Miso; contributes to Pip",
    "frank": "a friend: views Biscuit; owns Pip",
    "sam": "a stranger: sees none of the others' pets",
}
DEMO_PETS = (
    DemoPet("olivia", "Biscuit", Pet.Species.DOG, (("frank", Share.Role.VIEWER),)),
    DemoPet("olivia", "Miso", Pet.Species.CAT),
    DemoPet("frank", "Pip", Pet.Species.BIRD, (("olivia", Share.Role.CONTRIBUTOR),)),
    DemoPet("sam", "Nibbles", Pet.Species.RABBIT),
)


def demo_password(username: str) -> str:
    return f"{username}-pettracker-demo"


class Command(BaseCommand):
    help = "Create demo users, pets, shares and photos (local runs only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG=false. Demo accounts have published passwords.",
        )
        parser.add_argument(
            "--new-passwords",
            action="store_true",
            help="Give the demo accounts new random passwords instead of the published ones "
            "(needed before the server listens beyond this machine).",
        )

    def handle(self, *args, force: bool = False, new_passwords: bool = False, **options) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to create demo accounts with DEBUG=false: their passwords are public. "
                "Use --force if this really is a throwaway installation."
            )
        passwords = {
            name: secrets.token_urlsafe(12) if new_passwords else demo_password(name)
            for name in DEMO_USERS
        }
        with transaction.atomic():
            users = {name: self._user(name, passwords[name]) for name in DEMO_USERS}
            for spec in DEMO_PETS:
                self._pet(spec, users)
        self.stdout.write(self.style.SUCCESS("Demo data ready. Log in as:"))
        for name, role in DEMO_USERS.items():
            self.stdout.write(f"  {name:<8} password {passwords[name]:<28} {role}")

    def _user(self, username: str, password: str) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            return user_create(
                username=username,
                email=f"{username}@example.com",
                password=password,
            )
        user.set_password(password)
        user.is_active = True
        user.save(update_fields=["password", "is_active"])
        return user

    def _pet(self, spec: DemoPet, users: dict[str, User]) -> None:
        owner = users[spec.owner]
        pet = Pet.objects.filter(owner=owner, name=spec.name).first()
        if pet is None:
            pet = pet_create(owner=owner, name=spec.name, species=spec.species)
        for grantee, role in spec.shared_with:
            share_grant(pet=pet, grantee=users[grantee], role=role, granted_by=owner)
        missing = PHOTOS_PER_PET - pet.photos.count()
        for index in range(max(0, missing)):
            seed = zlib.crc32(f"{spec.owner}/{spec.name}/{index}".encode())
            photo_import(
                pet=pet, uploader=owner, content=demo_photo(seed=seed), content_type="image/jpeg"
            )
