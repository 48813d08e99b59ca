import datetime

import pytest
from django.utils import timezone

from tests.factories import PetFactory, PhotoFactory, ready_photo

pytestmark = pytest.mark.django_db


def test_visitors_get_the_welcome_page(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Create an account" in response.content


def test_it_lists_my_pets_and_the_pets_shared_with_me_apart(client, pet, owner, friend):
    ready_photo(pet=pet)
    ready_photo(pet=pet)
    PhotoFactory(pet=pet, state="failed", error="Not an image")  # not in a viewer's gallery
    theirs = PetFactory(owner=friend, name="Pip")
    client.force_login(friend)
    response = client.get("/")
    assert [card.name for card in response.context["my_pets"]] == ["Pip"]
    assert [card.name for card in response.context["shared_pets"]] == ["Biscuit"]
    assert b"2 photos" in response.content
    assert theirs.name.encode() in response.content


def test_a_pets_cover_is_its_chosen_photo_or_else_its_newest(client, pet, owner):
    older, newer = ready_photo(pet=pet), ready_photo(pet=pet)
    client.force_login(owner)
    (card,) = client.get("/").context["my_pets"]
    assert card.cover.photo_id == newer.pk
    pet.cover_photo = older
    pet.save()
    (card,) = client.get("/").context["my_pets"]
    assert card.cover.photo_id == older.pk
    assert card.cover.src.startswith(f"/cdn/renditions/{pet.pk}/{older.pk}/thumb-")


def test_recent_photos_are_the_newest_i_may_see(client, pet, friend, stranger):
    mine = ready_photo(pet=PetFactory(owner=friend))
    shared = ready_photo(pet=pet)
    ready_photo(pet=PetFactory(owner=stranger))
    client.force_login(friend)
    recent = [t.photo for t in client.get("/").context["recent"]]
    assert recent == [shared, mine]


def test_it_never_lists_someone_elses_unshared_pet(client, pet, stranger):
    client.force_login(stranger)
    response = client.get("/")
    assert b"Biscuit" not in response.content


def test_its_queries_do_not_grow_with_the_number_of_pets(
    client, owner, django_assert_max_num_queries
):
    for pet in PetFactory.create_batch(20, owner=owner):
        ready_photo(pet=pet)
    client.force_login(owner)
    client.get("/")  # the first visit of the window also stores the pets' cookies' grants
    # session, user, the pets' cards (with their access floors), their covers' renditions,
    # the memories, the recent photos, their renditions (the news and the header's count:
    # social's summary, cached)
    with django_assert_max_num_queries(7):
        client.get("/")


def test_on_this_day_shows_photos_taken_on_this_date_in_earlier_years(client, owner, pet):
    today = timezone.localdate()
    years_ago = today.replace(year=today.year - 2) if (today.month, today.day) != (2, 29) else None
    if years_ago is None:
        pytest.skip("29 February: no such day two years ago")
    noon = datetime.time(12, tzinfo=timezone.get_current_timezone())
    then = ready_photo(pet=pet, taken_at=datetime.datetime.combine(years_ago, noon))
    ready_photo(pet=pet, taken_at=datetime.datetime.combine(today, noon))  # this year: not a memory
    other_day = years_ago - datetime.timedelta(days=1)
    ready_photo(pet=pet, taken_at=datetime.datetime.combine(other_day, noon))
    client.force_login(owner)
    response = client.get("/")
    assert [t.photo for t in response.context["on_this_day"]] == [then]
    html = response.content.decode()
    assert '<h2 id="on-this-day">On this day</h2>' in html
    assert f'<h3 class="month">{years_ago.year} · 2 years ago</h3>' in html


def test_on_this_day_is_left_out_when_there_is_nothing(client, owner, pet):
    client.force_login(owner)
    assert b"On this day" not in client.get("/").content


def test_a_memory_is_not_shown_again_among_the_recent_photos(client, owner, pet):
    today = timezone.localdate()
    if (today.month, today.day) == (2, 29):
        pytest.skip("no 29 February last year")
    noon = datetime.time(12, tzinfo=timezone.get_current_timezone())
    memory = ready_photo(
        pet=pet, taken_at=datetime.datetime.combine(today.replace(year=today.year - 1), noon)
    )
    client.force_login(owner)
    response = client.get("/")
    assert [t.photo for t in response.context["on_this_day"]] == [memory]
    assert memory not in [t.photo for t in response.context["recent"]]
    assert response.content.decode().count(f'data-photo="{memory.pk}"') == 1


def test_the_recent_photos_are_twelve_besides_the_memories_each_photo_once(client, owner, pet):
    today = timezone.localdate()
    if (today.month, today.day) == (2, 29):
        pytest.skip("29 February: no such day two years ago")
    noon = datetime.time(12, tzinfo=timezone.get_current_timezone())
    # Fourteen photos and a memory newer than all of them: among the newest the page reads, the
    # memory must not cost the recent photos one of their twelve.
    memories = [
        ready_photo(
            pet=pet, taken_at=datetime.datetime.combine(today.replace(year=today.year - n), noon)
        )
        for n in (1, 2)
    ]
    others = [
        ready_photo(
            pet=pet,
            taken_at=datetime.datetime.combine(today, noon) - datetime.timedelta(days=400 + n),
        )
        for n in range(14)
    ]
    client.force_login(owner)
    response = client.get("/")
    assert [t.photo for t in response.context["on_this_day"]] == memories
    recent = [t.photo for t in response.context["recent"]]
    assert recent == others[:12]
