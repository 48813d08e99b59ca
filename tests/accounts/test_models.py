import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from accounts.models import User
from tests.factories import UserFactory

LOOK_ALIKE = "That username looks too much like an existing one; choose another."
MIXED_SCRIPTS = (
    "That username mixes alphabets (such as Latin and Cyrillic); use letters of one alphabet."
)
TAKEN = "A user with that username already exists."
CYRILLIC_I = "\N{CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I}"
FULLWIDTH_OLIVIA = "".join(chr(ord(c) + 0xFEE0) for c in "olivia")


@pytest.mark.django_db
def test_the_project_uses_its_own_user_model(django_user_model):
    assert django_user_model is User


@pytest.mark.django_db
def test_two_accounts_cannot_share_an_email_address_whatever_its_case():
    UserFactory(username="a", email="pat@example.com")
    with pytest.raises(IntegrityError):
        UserFactory(username="b", email="PAT@example.com")


@pytest.mark.django_db
def test_many_accounts_may_have_no_email_address():
    UserFactory(username="a", email="")
    UserFactory(username="b", email="")
    assert User.objects.filter(email="").count() == 2


@pytest.mark.django_db
def test_it_refuses_a_username_mixing_scripts():
    with pytest.raises(ValidationError) as caught:
        User(username=f"ol{CYRILLIC_I}via", password="x").full_clean()
    assert caught.value.message_dict["username"] == [MIXED_SCRIPTS]


@pytest.mark.django_db
@pytest.mark.parametrize("look_alike", ["0livia", "o1ivia", "oIivia", "rnary"])
def test_it_refuses_a_username_that_looks_like_an_existing_one(look_alike):
    UserFactory(username="olivia")
    UserFactory(username="mary")
    with pytest.raises(ValidationError) as caught:
        User(username=look_alike, password="x").full_clean()
    assert caught.value.message_dict["username"] == [LOOK_ALIKE]


@pytest.mark.django_db
@pytest.mark.parametrize("same", ["Olivia", "OLIVIA", FULLWIDTH_OLIVIA])
def test_it_refuses_a_username_differing_only_in_case_or_width_as_taken(same):
    UserFactory(username="olivia")
    with pytest.raises(ValidationError) as caught:
        User(username=same, password="x").full_clean()
    assert caught.value.message_dict["username"] == [TAKEN]


@pytest.mark.django_db
def test_the_skeleton_follows_the_username():
    user = UserFactory(username="Olivia")
    assert user.username_skeleton == "olivia"
    user.username = "0scar"
    user.save(update_fields=["username"])
    assert User.objects.get(pk=user.pk).username_skeleton == "oscar"


@pytest.mark.django_db
def test_the_database_refuses_a_look_alike_that_skipped_validation():
    UserFactory(username="olivia")
    with pytest.raises(IntegrityError):
        User.objects.create(username="0livia")


@pytest.mark.django_db
def test_an_account_keeps_its_name_and_saves_even_if_the_rule_came_after_it():
    UserFactory(username="olivia")
    legacy = UserFactory(username="placeholder")
    # As the data migration leaves the younger of two look-alikes made before the rule.
    User.objects.filter(pk=legacy.pk).update(username=f"ol{CYRILLIC_I}via", username_skeleton=None)
    legacy = User.objects.get(pk=legacy.pk)
    legacy.first_name = "Liv"
    legacy.full_clean(exclude=["password"])
    legacy.save()
    assert User.objects.get(pk=legacy.pk).username_skeleton is None


@pytest.mark.django_db
def test_the_admins_add_form_applies_the_same_rule(admin_client):
    UserFactory(username="olivia")
    response = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "username": "0livia",
            "email": "",
            "usable_password": "true",
            "password1": "a sturdy passphrase 42",
            "password2": "a sturdy passphrase 42",
        },
    )
    assert response.status_code == 200
    assert LOOK_ALIKE in response.content.decode().replace("&#x27;", "'")
    assert not User.objects.filter(username="0livia").exists()
