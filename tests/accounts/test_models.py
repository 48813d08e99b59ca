import pytest
from django.db import IntegrityError

from accounts.models import User
from tests.factories import UserFactory


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
