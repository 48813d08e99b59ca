"""``pettracker.prepared.Prepared``: a queryset built once answers as the queryset would for
any values, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime
import gc
import threading
import uuid
import weakref

import pytest
from django.db import connections

from accounts.models import User
from images.models import Pet, Photo
from pettracker.prepared import Prepared
from tests.factories import PetFactory, ready_photo

pytestmark = pytest.mark.django_db


def _photos_of(user_id: int, pet_id: uuid.UUID):
    user = User(pk=user_id, is_active=True)
    return (
        Photo.objects.visible_to(user)
        .filter(pet_id=pet_id)
        .order_by("created_at")
        .values_list("pk", "pet__name", "created_at", "caption")
    )


PHOTOS_OF = Prepared(_photos_of, user_id=-918_273_645, pet_id=uuid.UUID(int=0xFEED_F00D))


def test_it_answers_what_the_queryset_answers_for_every_value(owner, friend, stranger, pet):
    photos = [ready_photo(pet=pet, caption=f"No. {n}") for n in range(3)]
    other = ready_photo(pet=PetFactory(owner=stranger))
    for user in (owner, friend, stranger):
        for pet_id in (pet.pk, other.pet_id, uuid.uuid4()):
            expected = list(_photos_of(user.pk, pet_id))
            assert PHOTOS_OF.run(user_id=user.pk, pet_id=pet_id) == expected
    assert [row[0] for row in PHOTOS_OF.run(user_id=friend.pk, pet_id=pet.pk)] == [
        photo.pk for photo in photos
    ]


def test_its_rows_carry_the_fields_types(owner, pet):
    ready_photo(pet=pet, caption="Asleep")
    ((pk, name, created, caption),) = PHOTOS_OF.run(user_id=owner.pk, pet_id=pet.pk)
    assert isinstance(pk, uuid.UUID)
    assert isinstance(created, datetime.datetime)
    assert created.tzinfo is not None
    assert (name, caption) == ("Biscuit", "Asleep")


def test_it_takes_a_uuid_as_text_too(owner, pet):
    ready_photo(pet=pet)
    assert PHOTOS_OF.run(user_id=owner.pk, pet_id=str(pet.pk)) == list(_photos_of(owner.pk, pet.pk))


def test_it_wants_every_value_and_no_other():
    with pytest.raises(TypeError, match="expected values for"):
        PHOTOS_OF.run(user_id=1)
    with pytest.raises(TypeError, match="expected values for"):
        PHOTOS_OF.run(user_id=1, pet_id=uuid.uuid4(), extra=2)


def test_a_placeholder_the_query_does_not_take_is_refused():
    unused = Prepared(lambda pet_id: Pet.objects.values_list("pk"), pet_id=uuid.UUID(int=7))
    with pytest.raises(ValueError, match="pet_id"):
        unused.run(pet_id=uuid.uuid4())


def test_placeholders_are_ints_uuids_or_dates():
    with pytest.raises(TypeError, match="ints, UUIDs or dates"):
        Prepared(lambda name: Pet.objects.filter(name=name), name="Rex")


def test_small_int_placeholders_are_refused():
    with pytest.raises(ValueError, match="at least"):
        Prepared(lambda user_id: Pet.objects.filter(owner_id=user_id), user_id=1)


def _taken_before(pet_id: uuid.UUID, before: datetime.date):
    return Photo.objects.filter(pet_id=pet_id, taken_on__lt=before).values_list("pk", flat=False)


TAKEN_BEFORE = Prepared(_taken_before, pet_id=uuid.UUID(int=0xDA7E), before=datetime.date(3, 2, 1))


def test_a_date_placeholder_takes_any_date(pet):
    old = ready_photo(pet=pet, taken_at=datetime.datetime(2020, 5, 1, 12, tzinfo=datetime.UTC))
    ready_photo(pet=pet, taken_at=datetime.datetime(2024, 5, 1, 12, tzinfo=datetime.UTC))
    for before in (datetime.date(2019, 1, 1), datetime.date(2021, 1, 1), datetime.date(2030, 1, 1)):
        expected = list(_taken_before(pet.pk, before))
        assert TAKEN_BEFORE.run(pet_id=pet.pk, before=before) == expected
    assert TAKEN_BEFORE.run(pet_id=pet.pk, before=datetime.date(2021, 1, 1)) == [(old.pk,)]


def test_date_placeholders_are_dates_before_the_year_1000():
    with pytest.raises(ValueError, match="before the year 1000"):
        Prepared(_taken_before, pet_id=uuid.UUID(int=7), before=datetime.date(2020, 1, 1))
    with pytest.raises(TypeError, match=r"datetime\.datetime"):
        Prepared(
            _taken_before,
            pet_id=uuid.UUID(int=7),
            before=datetime.datetime(3, 2, 1, tzinfo=datetime.UTC),
        )


def test_int_placeholders_fit_in_32_bits():
    """Django finds no row for a number past a column's range (PostgreSQL's integer, 32 bits,
    for a month or a day): such a placeholder would make the query empty for every value."""
    with pytest.raises(ValueError, match="32 bits"):
        Prepared(lambda user_id: Pet.objects.filter(owner_id=user_id), user_id=-7_346_219_854)


@pytest.mark.django_db(transaction=True)
def test_a_thread_that_ends_takes_its_compiled_query_with_it(owner):
    """Each thread has its own connection, and a compiled query keeps it: kept by the
    ``Prepared`` beyond the thread's life, every thread a server ever started would keep its
    connection's wrapper (and the compiled query) for good."""
    seen = {}

    def run():
        PHOTOS_OF.run(user_id=owner.pk, pet_id=uuid.uuid4())
        seen["connection"] = weakref.ref(connections["default"])
        connections["default"].close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    gc.collect()
    assert seen["connection"]() is None
