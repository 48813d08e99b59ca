"""The sharing services: shares with people (granted, changed, revoked) and share links
(only their token's hash stored, revoked once)."""

import datetime

import pytest
from django.contrib.auth.hashers import check_password
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
    share_link_record_open,
    share_link_revoke,
    share_link_update,
    share_links_expire,
    share_links_revoke_all,
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


# --- Links people manage ---------------------------------------------------------------------

DAY = datetime.timedelta(days=1)


def test_a_link_is_made_with_its_label_password_downloads_and_expiry(pet, owner):
    link, _ = share_link_create(
        pet=pet,
        created_by=owner,
        lifetime=7 * DAY,
        label="  Grandma  ",
        password="biscuits!",
        allows_download=True,
    )
    link.refresh_from_db()
    assert link.label == "Grandma"
    assert link.has_password
    assert "biscuits!" not in link.password_hash
    assert check_password("biscuits!", link.password_hash)
    assert link.allows_download
    assert round((link.expires_at - link.created_at) / DAY) == 7


def test_a_link_without_a_label_is_numbered_and_allows_no_downloads(pet, owner):
    first, _ = share_link_create(pet=pet, created_by=owner, lifetime=DAY)
    second, _ = share_link_create(pet=pet, created_by=owner, lifetime=DAY, label="   ")
    assert (first.label, second.label) == ("Link 1", "Link 2")
    assert not first.allows_download
    assert not first.has_password


def test_a_link_never_expires_only_when_told_so(pet, owner):
    link, _ = share_link_create(pet=pet, created_by=owner, lifetime=None)
    assert link.expires_at is None
    assert link.is_active(now=timezone.now() + 3650 * DAY)


@pytest.mark.parametrize("lifetime", [datetime.timedelta(0), -DAY, 366 * DAY])
def test_a_link_lives_from_a_moment_to_a_year(pet, owner, lifetime):
    with pytest.raises(ValidationError):
        share_link_create(pet=pet, created_by=owner, lifetime=lifetime)
    assert not ShareLink.objects.exists()


def test_a_label_longer_than_its_column_is_refused(pet, owner):
    with pytest.raises(ValidationError):
        share_link_create(pet=pet, created_by=owner, lifetime=DAY, label="x" * 61)


def test_renaming_or_extending_a_link_changes_only_that_and_revokes_nothing(pet, owner):
    link, _ = share_link_create(pet=pet, created_by=owner, lifetime=DAY, password="secret1")
    share_link_update(link=link, label="Vet", lifetime=30 * DAY)
    link.refresh_from_db()
    assert link.label == "Vet"
    assert round((link.expires_at - timezone.now()) / DAY) == 30
    assert check_password("secret1", link.password_hash)
    assert access_floors([pet.pk]) == {}


def test_a_link_extended_to_never_revokes_nothing(pet, owner):
    link, _ = share_link_create(pet=pet, created_by=owner, lifetime=DAY)
    share_link_update(link=link, lifetime=None)
    link.refresh_from_db()
    assert link.expires_at is None
    assert access_floors([pet.pk]) == {}


@pytest.mark.parametrize(
    ("made", "change"),
    [
        ({"lifetime": 30 * DAY}, {"lifetime": DAY}),
        ({"lifetime": None}, {"lifetime": 365 * DAY}),
        ({"lifetime": DAY}, {"password": "a new one"}),
        ({"lifetime": DAY, "password": "old one"}, {"password": "a new one"}),
        ({"lifetime": DAY, "allows_download": True}, {"allows_download": False}),
    ],
    ids=["shorter", "never-to-a-year", "password-set", "password-changed", "downloads-off"],
)
def test_a_change_that_lets_fewer_in_revokes_at_the_cdn(pet, owner, made, change):
    link, _ = share_link_create(pet=pet, created_by=owner, **made)
    share_link_update(link=link, **change)
    assert pet.pk in access_floors([pet.pk])


def test_removing_a_password_or_allowing_downloads_revokes_nothing(pet, owner):
    link, _ = share_link_create(pet=pet, created_by=owner, lifetime=DAY, password="old one")
    share_link_update(link=link, password=None, allows_download=True)
    link.refresh_from_db()
    assert not link.has_password
    assert link.allows_download
    assert access_floors([pet.pk]) == {}


def test_a_revoked_link_cannot_be_changed(pet, owner):
    link, _ = share_link_create(pet=pet, created_by=owner, lifetime=DAY)
    share_link_revoke(link=link)
    with pytest.raises(ValidationError):
        share_link_update(link=link, lifetime=None)
    link.refresh_from_db()
    assert link.expires_at is not None


def test_revoke_all_revokes_every_active_link_and_raises_the_floor_once(pet, owner, monkeypatch):
    calls = []
    monkeypatch.setattr(
        "images.services.sharing.renditions_revoke", lambda ids, **kw: calls.append(list(ids))
    )
    links = [share_link_create(pet=pet, created_by=owner, lifetime=DAY)[0] for _ in range(3)]
    other_pet = PetFactory(owner=owner)
    elsewhere, _ = share_link_create(pet=other_pet, created_by=owner, lifetime=DAY)
    assert share_links_revoke_all(pet=pet) == 3
    assert calls == [[pet.pk]]
    assert not ShareLink.objects.filter(pk__in=[link.pk for link in links]).active().exists()
    assert ShareLink.objects.active().get() == elsewhere


def test_revoke_all_without_links_changes_nothing(pet):
    assert share_links_revoke_all(pet=pet) == 0
    assert access_floors([pet.pk]) == {}


def test_revoke_all_keeps_the_first_revocation_time(pet, owner):
    link, _ = share_link_create(pet=pet, created_by=owner, lifetime=DAY)
    share_link_revoke(link=link)
    link.refresh_from_db()
    first = link.revoked_at
    share_links_revoke_all(pet=pet)
    link.refresh_from_db()
    assert link.revoked_at == first


def test_openings_are_counted_in_the_database(pet, owner):
    link, _ = share_link_create(pet=pet, created_by=owner, lifetime=DAY)
    stale = ShareLink.objects.get(pk=link.pk)  # read before the openings
    moment = timezone.now()
    share_link_record_open(link=link, now=moment)
    share_link_record_open(link=stale, now=moment)
    link.refresh_from_db()
    assert (link.opens, link.last_opened_at) == (2, moment)


def test_links_that_never_expire_are_left_alone_by_the_expiry_sweep(pet, owner):
    share_link_create(pet=pet, created_by=owner, lifetime=None)
    assert share_links_expire(now=timezone.now() + 400 * DAY) == 0
    assert access_floors([pet.pk]) == {}
