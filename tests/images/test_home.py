import pytest

from tests.factories import PetFactory, PhotoFactory

pytestmark = pytest.mark.django_db


def test_visitors_get_the_welcome_page(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Create an account" in response.content


def test_it_lists_my_pets_and_the_pets_shared_with_me_apart(client, pet, owner, friend):
    PhotoFactory.create_batch(2, pet=pet)
    theirs = PetFactory(owner=friend, name="Pip")
    client.force_login(friend)
    response = client.get("/")
    assert [p.name for p in response.context["my_pets"]] == ["Pip"]
    assert [p.name for p in response.context["shared_pets"]] == ["Biscuit"]
    assert b"2 photos" in response.content
    assert theirs.name.encode() in response.content


def test_it_never_lists_someone_elses_unshared_pet(client, pet, stranger):
    client.force_login(stranger)
    response = client.get("/")
    assert b"Biscuit" not in response.content


def test_its_queries_do_not_grow_with_the_number_of_pets(
    client, owner, django_assert_max_num_queries
):
    PetFactory.create_batch(20, owner=owner)
    client.force_login(owner)
    with django_assert_max_num_queries(6):
        client.get("/")
