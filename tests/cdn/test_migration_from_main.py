"""A database made before the CDN models moved to the ``cdn`` app (the ``main`` of issue 12:
``images`` 0005, no ``cdn``) migrates to the new layout and keeps everything: the signing keys
(their encrypted private keys byte for byte), the invalidations and paths waiting for one, a key
manager's permission, and the photos."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from accounts.models import User
from cdn.models import Invalidation, PendingInvalidation, SigningKey
from images.models import Photo

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

BEFORE = [("cdn", None), ("images", "0005_reliability")]


def migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)  # a fresh one sees what was applied


def latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.fixture
def database_of_main():
    """The database as the previous layout left it; migrated forward again afterwards."""
    executor = migrate(BEFORE)
    yield executor.loader.project_state(BEFORE[1:]).apps
    migrate(latest())


def made_on_main(apps) -> dict:
    """Rows written through the previous layout's models (all of them in ``images``)."""
    now = timezone.now()
    OldUser = apps.get_model("accounts", "User")
    OldPet = apps.get_model("images", "Pet")
    OldPhoto = apps.get_model("images", "Photo")
    OldKey = apps.get_model("images", "SigningKey")
    OldInvalidation = apps.get_model("images", "Invalidation")
    OldPending = apps.get_model("images", "PendingInvalidation")
    OldContentType = apps.get_model("contenttypes", "ContentType")
    OldPermission = apps.get_model("auth", "Permission")

    manager = OldUser.objects.create(username="keykeeper", is_staff=True)
    key_type, _ = OldContentType.objects.get_or_create(app_label="images", model="signingkey")
    manage, _ = OldPermission.objects.get_or_create(
        content_type=key_type,
        codename="manage_signing_keys",
        defaults={"name": "Can generate, publish, activate and retire keys"},
    )
    manager.user_permissions.add(manage)
    owner = OldUser.objects.create(username="owner-on-main")
    pet = OldPet.objects.create(owner=owner, name="Biscuit")
    photo = OldPhoto.objects.create(
        pet=pet,
        uploader=owner,
        original_key="originals/1/2026/11/on-main.jpg",
        content_type="image/jpeg",
        size=1234,
        state="ready",
    )
    active = OldKey.objects.create(
        public_key_id="K2MAIN",
        public_key_pem="-----BEGIN PUBLIC KEY-----\nmain\n-----END PUBLIC KEY-----\n",
        encrypted_private_key="gAAAAA-encrypted-on-main",
        state="active",
        published_at=now,
        activated_at=now,
    )
    retiring = OldKey.objects.create(
        public_key_id="K1MAIN",
        public_key_pem="-----BEGIN PUBLIC KEY-----\nold\n-----END PUBLIC KEY-----\n",
        encrypted_private_key="gAAAAA-older-on-main",
        state="retiring",
        published_at=now - datetime.timedelta(days=90),
        trusted_until=now + datetime.timedelta(hours=1),
    )
    invalidation = OldInvalidation.objects.create(
        distribution_id="E2MAIN", paths=["/renditions/x/*"], path_count=1, status="in_progress"
    )
    OldPending.objects.create(path="/renditions/y/thumb.webp")
    return {
        "manager": manager.pk,
        "photo": photo.pk,
        "keys": {active.pk: "gAAAAA-encrypted-on-main", retiring.pk: "gAAAAA-older-on-main"},
        "invalidation": invalidation.pk,
        "permission": manage.pk,
    }


def test_the_previous_layouts_database_migrates_and_keeps_everything(database_of_main):
    made = made_on_main(database_of_main)
    migrate(latest())

    assert {key.pk: key.encrypted_private_key for key in SigningKey.objects.all()} == made["keys"]
    assert SigningKey.objects.active().public_key_id == "K2MAIN"
    assert SigningKey.objects.trusted().count() == 2
    invalidation = Invalidation.objects.get(pk=made["invalidation"])
    assert (invalidation.paths, invalidation.status) == (["/renditions/x/*"], "in_progress")
    assert list(PendingInvalidation.objects.values_list("path", flat=True)) == [
        "/renditions/y/thumb.webp"
    ]
    assert Photo.objects.get(pk=made["photo"]).original_key == "originals/1/2026/11/on-main.jpg"

    # The permission moved with its content type: the same row, still granted.
    manager = User.objects.get(pk=made["manager"])
    assert manager.has_perm("cdn.manage_signing_keys")
    assert not manager.has_perm("images.manage_signing_keys")
    permission = Permission.objects.get(pk=made["permission"])
    assert permission.content_type == ContentType.objects.get_for_model(SigningKey)
    assert not ContentType.objects.filter(app_label="images", model="signingkey").exists()


def test_the_move_can_be_undone(database_of_main):
    made = made_on_main(database_of_main)
    migrate(latest())
    executor = migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE[1:]).apps
    OldKey = apps.get_model("images", "SigningKey")
    assert {k.pk: k.encrypted_private_key for k in OldKey.objects.all()} == made["keys"]
    OldContentType = apps.get_model("contenttypes", "ContentType")
    assert OldContentType.objects.filter(app_label="images", model="signingkey").exists()
