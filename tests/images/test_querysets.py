import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from images.models import Access, Pet, Photo, ShareLink
from images.pure.memories import remembered_days
from tests.factories import PetFactory, PhotoFactory, ShareFactory, ShareLinkFactory, ready_photo

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("actor", "access", "sees"),
    [
        ("owner", Access.VIEW, True),
        ("owner", Access.CONTRIBUTE, True),
        ("owner", Access.MANAGE, True),
        ("friend", Access.VIEW, True),
        ("friend", Access.CONTRIBUTE, False),
        ("friend", Access.MANAGE, False),
        ("contributor", Access.VIEW, True),
        ("contributor", Access.CONTRIBUTE, True),
        ("contributor", Access.MANAGE, False),
        ("stranger", Access.VIEW, False),
        ("stranger", Access.CONTRIBUTE, False),
        ("stranger", Access.MANAGE, False),
    ],
)
def test_visible_to_decides_by_ownership_and_share_role(
    request, pet, stranger, actor, access, sees
):
    user = request.getfixturevalue(actor)
    photo = PhotoFactory(pet=pet)
    assert list(Pet.objects.visible_to(user, access)) == ([pet] if sees else [])
    assert list(Photo.objects.visible_to(user, access)) == ([photo] if sees else [])


@pytest.mark.parametrize("access", list(Access))
def test_anonymous_users_see_nothing(pet, access):
    PhotoFactory(pet=pet)
    assert not Pet.objects.visible_to(AnonymousUser(), access).exists()
    assert not Photo.objects.visible_to(AnonymousUser(), access).exists()
    assert not Pet.objects.visible_to(None, access).exists()


def test_deactivated_accounts_see_nothing_even_their_own_pets(pet, owner, friend):
    for user in (owner, friend):
        user.is_active = False
        user.save()
        assert not Pet.objects.visible_to(user).exists()


def test_a_pet_shared_and_owned_is_listed_once(owner, friend):
    mine = PetFactory(owner=owner)
    theirs = PetFactory(owner=friend)
    ShareFactory(pet=theirs, grantee=owner)
    ShareFactory(pet=mine, grantee=friend)
    assert sorted(Pet.objects.visible_to(owner), key=str) == sorted([mine, theirs], key=str)
    assert Pet.objects.visible_to(owner).count() == 2


def test_photos_of_other_pets_stay_invisible(pet, owner, stranger):
    PhotoFactory(pet=pet)
    strangers_photo = PhotoFactory(pet=PetFactory(owner=stranger))
    assert strangers_photo not in Photo.objects.visible_to(owner)
    assert list(Photo.objects.visible_to(stranger)) == [strangers_photo]


def test_deletable_by_owner_everything_uploader_their_own_viewer_nothing(
    pet, owner, friend, contributor, stranger
):
    owners_photo = PhotoFactory(pet=pet, uploader=owner)
    contributed = PhotoFactory(pet=pet, uploader=contributor)
    assert set(Photo.objects.deletable_by(owner)) == {owners_photo, contributed}
    assert list(Photo.objects.deletable_by(contributor)) == [contributed]
    assert not Photo.objects.deletable_by(friend).exists()
    assert not Photo.objects.deletable_by(stranger).exists()
    assert not Photo.objects.deletable_by(AnonymousUser()).exists()


def test_with_deletable_marks_each_photo_by_deletable_bys_rule(
    pet, owner, friend, contributor, stranger
):
    PhotoFactory(pet=pet, uploader=owner)
    PhotoFactory(pet=pet, uploader=contributor)
    for user in (owner, contributor, friend, stranger, AnonymousUser()):
        marked = {p.pk for p in Photo.objects.filter(pet=pet).with_deletable(user) if p.deletable}
        assert marked == set(Photo.objects.deletable_by(user).values_list("pk", flat=True))


def test_with_deletable_given_the_role_marks_the_same_photos(
    pet, owner, friend, contributor, stranger
):
    PhotoFactory(pet=pet, uploader=owner)
    PhotoFactory(pet=pet, uploader=contributor)
    PhotoFactory(pet=pet, uploader=friend)  # uploaded before their share became a viewer's
    for user in (owner, contributor, friend, stranger):
        role = Pet.objects.with_role(user).get(pk=pet.pk).role
        photos = Photo.objects.filter(pet=pet).with_deletable(user, role=role)
        marked = {p.pk for p in photos if p.deletable}
        assert marked == set(Photo.objects.deletable_by(user).values_list("pk", flat=True))


def test_an_uploader_whose_share_ended_can_no_longer_delete(pet, contributor):
    contributed = PhotoFactory(pet=pet, uploader=contributor)
    pet.shares.filter(grantee=contributor).delete()
    assert contributed not in Photo.objects.deletable_by(contributor)


def test_readable_by_shows_unfinished_photos_only_to_the_owner_and_their_uploader(
    pet, owner, friend, contributor, stranger
):
    ready = PhotoFactory(pet=pet, state=Photo.State.READY)
    owners = PhotoFactory(pet=pet, uploader=owner, state=Photo.State.FAILED)
    contributed = PhotoFactory(pet=pet, uploader=contributor, state=Photo.State.PENDING)
    assert set(Photo.objects.readable_by(owner)) == {ready, owners, contributed}
    assert set(Photo.objects.readable_by(contributor)) == {ready, contributed}
    assert list(Photo.objects.readable_by(friend)) == [ready]
    assert not Photo.objects.readable_by(stranger).exists()
    assert not Photo.objects.readable_by(AnonymousUser()).exists()


def test_an_uploader_who_no_longer_sees_the_pet_no_longer_reads_their_upload(pet, contributor):
    contributed = PhotoFactory(pet=pet, uploader=contributor, state=Photo.State.FAILED)
    pet.shares.filter(grantee=contributor).update(role="viewer")
    assert contributed in Photo.objects.readable_by(contributor)  # still sees the pet
    pet.shares.filter(grantee=contributor).delete()
    assert contributed not in Photo.objects.readable_by(contributor)


def test_active_share_links_are_neither_revoked_nor_expired(pet):
    live = ShareLinkFactory(pet=pet)
    ShareLinkFactory(pet=pet, revoked_at=timezone.now())
    later = timezone.now() + datetime.timedelta(days=8)
    assert list(ShareLink.objects.active()) == [live]
    assert not ShareLink.objects.active(now=later).exists()


def test_a_links_is_active_agrees_with_the_active_queryset(pet):
    ShareLinkFactory(pet=pet)
    ShareLinkFactory(pet=pet, revoked_at=timezone.now())
    later = timezone.now() + datetime.timedelta(days=8)
    for now in (timezone.now(), later):
        active = set(ShareLink.objects.active(now=now))
        assert {link for link in ShareLink.objects.all() if link.is_active(now)} == active


def test_usage_counts_every_photo_a_user_uploaded_pending_ones_by_declared_size(
    pet, owner, contributor
):
    PhotoFactory(pet=pet, uploader=owner, state=Photo.State.PENDING, size=4000)  # declared
    PhotoFactory(pet=pet, uploader=owner, state=Photo.State.PROCESSING, size=300)
    PhotoFactory(pet=pet, uploader=owner, state=Photo.State.READY, size=20)
    PhotoFactory(pet=pet, uploader=owner, state=Photo.State.FAILED, size=1, error="not an image")
    PhotoFactory(pet=pet, uploader=contributor, size=50_000)  # to the owner's pet, not by them
    usage = Photo.objects.uploaded_by(owner).usage()
    assert (usage.photos, usage.bytes) == (4, 4321)
    assert tuple(Photo.objects.uploaded_by(PetFactory().owner).usage()) == (0, 0)


def test_nth_newest_created_at_is_when_the_nth_newest_photo_since_a_moment_was_made(pet):
    now = timezone.now()
    for age in (5, 30, 90):
        photo = PhotoFactory(pet=pet)
        Photo.objects.filter(pk=photo.pk).update(created_at=now - datetime.timedelta(seconds=age))
    since = now - datetime.timedelta(seconds=60)
    recent = Photo.objects.all()
    assert recent.nth_newest_created_at(2, since=since) == now - datetime.timedelta(seconds=30)
    assert recent.nth_newest_created_at(3, since=since) is None  # the third is older


def test_photo_counts_are_what_each_persons_gallery_shows(pet, owner, friend, contributor):
    ready_photo(pet=pet)
    PhotoFactory(pet=pet, state="processing")
    PhotoFactory(pet=pet, state="failed", error="Not an image")
    PhotoFactory(pet=pet, state="pending")

    def count(user) -> int:
        return Pet.objects.visible_to(user).with_gallery_counts(user).get(pk=pet.pk).photo_count

    assert count(friend) == 1  # a viewer's gallery: ready photos only
    assert count(contributor) == count(owner) == 3  # also processing and failed, never pending


def test_on_a_28_february_without_a_29th_the_29ths_memories_come_too(pet):
    leap_day = ready_photo(
        pet=pet, taken_at=datetime.datetime(2024, 2, 29, 12, tzinfo=datetime.UTC)
    )
    day_before = ready_photo(
        pet=pet, taken_at=datetime.datetime(2024, 2, 28, 9, tzinfo=datetime.UTC)
    )

    def remembered(today):
        return Photo.objects.taken_on_days(*remembered_days(today))

    assert set(remembered(datetime.date(2026, 2, 28))) == {leap_day, day_before}
    assert set(remembered(datetime.date(2028, 2, 28))) == {day_before}  # 2028 has its own 29th
    assert set(remembered(datetime.date(2028, 2, 29))) == {leap_day}


def test_with_hearted_says_which_photos_the_user_marked(pet, owner, friend):
    hearted, other = ready_photo(pet=pet), ready_photo(pet=pet)
    friend.favourites.create(photo=hearted)
    owner.favourites.create(photo=other)  # someone else's heart is not the friend's
    marked = dict(Photo.objects.with_hearted(friend).values_list("pk", "hearted"))
    assert marked == {hearted.pk: True, other.pk: False}
