"""The sharing services: shares with people (granted, changed, revoked) and share links
(only their token's hash stored, revoked once)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from images.models import Pet, Share, ShareLink, hash_share_token
from images.services.pets import pet_create
from images.services.sharing import (
    share_grant,
    share_link_create,
    share_link_revoke,
    share_revoke,
)

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
