"""The home page's photos, built once: the newest of the pets one sees, and those taken on
this day in earlier years, as the querysets would answer."""

import datetime

import pytest

from images.models import Photo
from images.views import home_photos
from images.views.home_photos import photos_shown
from tests.factories import PetFactory, PhotoFactory, ShareFactory, UserFactory, ready_photo

pytestmark = pytest.mark.django_db

DAY = datetime.datetime(2024, 5, 1, 12, tzinfo=datetime.UTC)


def taken(pet, *, days=0, **fields):
    return ready_photo(pet=pet, taken_at=DAY + datetime.timedelta(days=days), **fields)


def expected(user, limit):
    seen = Photo.objects.visible_to(user).ready().newest_taken_first()
    return [photo.pk for photo in seen[:limit]]


@pytest.mark.parametrize("pets", [1, 8, 9, 20])
def test_the_newest_are_those_the_querysets_give_for_any_number_of_pets(pets, friend):
    own = [PetFactory(owner=friend) for _ in range(pets)]
    for n, pet in enumerate(own):
        taken(pet, days=n)
        taken(pet, days=-n)
    PhotoFactory(pet=own[0], state="processing")  # not ready: never shown
    shown = photos_shown(friend, [pet.pk for pet in own], limit=12)
    assert [photo.pk for photo in shown] == expected(friend, 12)


def test_past_the_longest_list_the_pets_come_as_the_subquery(friend, monkeypatch):
    monkeypatch.setattr(home_photos, "LIST_LENGTHS", (8,))
    own = [PetFactory(owner=friend) for _ in range(9)]
    for n, pet in enumerate(own):
        taken(pet, days=n)
    shown = photos_shown(friend, [pet.pk for pet in own], limit=5)
    assert [photo.pk for photo in shown] == expected(friend, 5)


def test_a_pet_one_does_not_see_shows_nothing_whatever_ids_are_given(pet, friend, stranger):
    taken(pet)
    theirs = taken(PetFactory(owner=stranger))
    shown = photos_shown(friend, [pet.pk, theirs.pet_id], limit=12)
    assert theirs.pk not in [photo.pk for photo in shown]
    assert photos_shown(stranger, [pet.pk], limit=12) == []


def test_nobody_but_an_active_account_sees_any(pet, friend, django_assert_num_queries):
    taken(pet)
    friend.is_active = False
    with django_assert_num_queries(0):
        assert photos_shown(friend, [pet.pk], limit=12) == []


def test_each_photo_comes_with_its_uploader_and_the_viewers_heart(pet, friend, contributor):
    mine = taken(pet, uploader=contributor, caption="Asleep")
    other = taken(pet, days=-1)
    friend.favourites.create(photo=mine)
    with_orm = Photo.objects.for_tiles().get(pk=mine.pk)
    first, second = photos_shown(friend, [pet.pk], limit=12)
    assert (first.pk, second.pk) == (mine.pk, other.pk)
    assert (first.hearted, second.hearted) == (True, False)
    assert first.uploader.username == "contributor"
    for name in ("pet_id", "state", "caption", "placeholder_color", "taken_at", "taken_on"):
        assert getattr(first, name) == getattr(with_orm, name)
    assert first.local_taken_at() == with_orm.local_taken_at()


def test_it_is_one_query(pet, friend, django_assert_num_queries):
    for days in range(5):
        taken(pet, days=days)
    with django_assert_num_queries(1):
        photos_shown(friend, [pet.pk], limit=12)


def test_memories_are_the_photos_taken_on_this_day_in_earlier_years(pet, friend):
    then = taken(pet)  # 1 May 2024
    taken(pet, days=1)
    this_year = ready_photo(pet=pet, taken_at=DAY.replace(year=2026))
    shown = photos_shown(friend, [pet.pk], limit=12, today=datetime.date(2026, 5, 1))
    assert [photo.pk for photo in shown] == [then.pk]
    assert this_year.pk not in [photo.pk for photo in shown]


def test_the_28th_of_february_remembers_the_29th_in_a_common_year(pet, friend):
    leap_day = ready_photo(pet=pet, taken_at=datetime.datetime(2024, 2, 29, 9, tzinfo=datetime.UTC))
    day_before = ready_photo(
        pet=pet, taken_at=datetime.datetime(2024, 2, 28, 9, tzinfo=datetime.UTC)
    )

    def remembered(today):
        return {photo.pk for photo in photos_shown(friend, [pet.pk], limit=12, today=today)}

    assert remembered(datetime.date(2026, 2, 28)) == {leap_day.pk, day_before.pk}
    assert remembered(datetime.date(2028, 2, 28)) == {day_before.pk}
    assert remembered(datetime.date(2028, 2, 29)) == {leap_day.pk}


def test_a_revoked_share_shows_none_of_the_pets_photos_at_once(pet, friend):
    taken(pet)
    assert photos_shown(friend, [pet.pk], limit=12)
    pet.shares.filter(grantee=friend).delete()
    assert photos_shown(friend, [pet.pk], limit=12) == []


def test_a_shared_pet_and_ones_own_are_mixed_by_date(friend):
    other = UserFactory()
    theirs = PetFactory(owner=other)
    ShareFactory(pet=theirs, grantee=friend)
    own = PetFactory(owner=friend)
    a, b, c = taken(theirs, days=2), taken(own, days=1), taken(theirs, days=0)
    shown = photos_shown(friend, [own.pk, theirs.pk], limit=12)
    assert [photo.pk for photo in shown] == [a.pk, b.pk, c.pk]
