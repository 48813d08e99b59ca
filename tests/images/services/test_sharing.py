"""The sharing services: shares with people (granted, changed, revoked) and share links
(only their token's hash stored, revoked once)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.services import user_deactivate
from cdn import revocation
from cdn.models import AccessFloor
from cdn.revocation import access_floors, raised_floor
from images.models import Pet, Share, ShareLink, hash_share_token
from images.services.pets import pet_create, pet_delete
from images.services.sharing import (
    share_grant,
    share_link_create,
    share_link_revoke,
    share_links_expire,
    share_revoke,
)
from tests.factories import PetFactory

pytestmark = pytest.mark.django_db


def test_share_grant_creates_then_changes_the_role_in_one_row(owner, friend):
    pet = pet_create(owner=owner, name="Miso")
    share_grant(pet=pet, grantee=friend, role=Share.Role.VIEWER, granted_by=owner)
    share = share_grant(pet=pet, grantee=friend, role=Share.Role.CONTRIBUTOR, granted_by=owner)
    assert share.role == Share.Role.CONTRIBUTOR
    assert share.created_by == owner
    assert Share.objects.count() == 1


@pytest.mark.parametrize("bad", ["owner", "inactive", "role"])
def test_share_grant_refuses_nonsense(owner, friend, bad):
    pet = pet_create(owner=owner, name="Miso")
    grantee, role = friend, Share.Role.VIEWER
    if bad == "owner":
        grantee = owner
    elif bad == "inactive":
        friend.is_active = False
        friend.save()
    else:
        role = "admin"
    with pytest.raises(ValidationError):
        share_grant(pet=pet, grantee=grantee, role=role, granted_by=owner)
    assert not Share.objects.exists()


def test_share_revoke_removes_access_at_once(pet, friend):
    share_revoke(share=pet.shares.get(grantee=friend))
    assert not Pet.objects.visible_to(friend).exists()


def test_share_link_create_stores_only_the_hash_of_the_token(pet, owner):
    link, token = share_link_create(pet=pet, created_by=owner, lifetime=datetime.timedelta(days=1))
    assert len(token) >= 40
    assert token not in link.token_hash
    assert ShareLink.objects.get(token_hash=hash_share_token(token)) == link
    assert link.expires_at > timezone.now() + datetime.timedelta(hours=23)


def test_share_link_create_refuses_a_lifetime_in_the_past(pet, owner):
    with pytest.raises(ValidationError):
        share_link_create(pet=pet, created_by=owner, lifetime=datetime.timedelta(0))


def test_share_link_revoke_keeps_the_first_revocation_time(pet, owner):
    link, _ = share_link_create(pet=pet, created_by=owner, lifetime=datetime.timedelta(days=1))
    share_link_revoke(link=link)
    link.refresh_from_db()
    first = link.revoked_at
    share_link_revoke(link=link)
    link.refresh_from_db()
    assert link.revoked_at == first
    assert not ShareLink.objects.active().exists()


def test_an_expired_link_raises_its_pets_floor_once(owner, pet):
    link, _ = share_link_create(pet=pet, created_by=owner, lifetime=datetime.timedelta(hours=1))
    assert share_links_expire() == 0  # still valid
    later = link.expires_at + datetime.timedelta(seconds=30)
    assert share_links_expire(now=later) == 1
    floor = access_floors([pet.pk])[pet.pk]
    assert floor >= int(link.expires_at.timestamp()) - 59
    assert share_links_expire(now=later + datetime.timedelta(minutes=1)) == 0
    assert access_floors([pet.pk])[pet.pk] == floor


def test_a_revoked_or_long_expired_link_is_left_alone(owner, pet):
    revoked, _ = share_link_create(pet=pet, created_by=owner, lifetime=datetime.timedelta(hours=1))
    share_link_revoke(link=revoked)
    floor = access_floors([pet.pk])[pet.pk]
    assert share_links_expire(now=revoked.expires_at + datetime.timedelta(seconds=1)) == 0
    old, _ = share_link_create(pet=pet, created_by=owner, lifetime=datetime.timedelta(hours=1))
    assert share_links_expire(now=old.expires_at + datetime.timedelta(days=2)) == 0
    assert access_floors([pet.pk])[pet.pk] == floor


def test_revoking_a_share_a_link_or_deleting_the_pet_raises_its_floor(owner, pet, friend):
    assert access_floors([pet.pk]) == {}
    share_revoke(share=pet.shares.get(grantee=friend))
    first = access_floors([pet.pk])[pet.pk]
    link, _ = share_link_create(pet=pet, created_by=owner, lifetime=datetime.timedelta(days=1))
    share_link_revoke(link=link)
    second = access_floors([pet.pk])[pet.pk]
    assert second > first
    pet_id = pet.pk
    pet_delete(pet=pet)
    assert access_floors([pet_id])[pet_id] > second


def test_revoking_a_share_raises_the_floor_once(pet, friend, monkeypatch):
    monkeypatch.setattr(revocation.time, "time", lambda: 1_900_000_000)
    share_revoke(share=pet.shares.get(grantee=friend))
    assert access_floors([pet.pk])[pet.pk] == raised_floor(None, 1_900_000_000)


def test_revoking_a_link_twice_raises_the_floor_once(owner, pet):
    link, _ = share_link_create(pet=pet, created_by=owner, lifetime=datetime.timedelta(days=1))
    share_link_revoke(link=link)
    floor = access_floors([pet.pk])[pet.pk]
    share_link_revoke(link=link)
    assert access_floors([pet.pk])[pet.pk] == floor


def test_deactivating_an_account_raises_the_floor_of_every_pet_it_reached(owner, pet, friend):
    theirs = PetFactory(owner=friend)
    unrelated = PetFactory()
    user_deactivate(user=friend)
    assert set(access_floors([pet.pk, theirs.pk, unrelated.pk])) == {pet.pk, theirs.pk}


def test_an_expired_link_is_not_revoked_again_once_its_floor_was_pruned(owner, pet, settings):
    link, _ = share_link_create(pet=pet, created_by=owner, lifetime=datetime.timedelta(hours=1))
    assert share_links_expire(now=link.expires_at + datetime.timedelta(seconds=30)) == 1
    AccessFloor.objects.all().delete()  # pruned, as access_floors_prune does in time
    later = link.expires_at + 2 * datetime.timedelta(seconds=settings.CDN_SIGNING_WINDOW_SECONDS)
    assert share_links_expire(now=later + datetime.timedelta(seconds=1)) == 0
