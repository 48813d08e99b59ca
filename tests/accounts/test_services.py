import pytest
from django.core.exceptions import ValidationError

from accounts.models import User
from accounts.services import user_create
from tests.factories import UserFactory


@pytest.mark.django_db
def test_a_sign_up_that_loses_a_race_to_a_look_alike_is_told_why(monkeypatch):
    UserFactory(username="olivia")
    checks = []
    full_clean = User.full_clean

    def first_check_runs_before_olivia_exists(user, *args, **kwargs):
        checks.append(user.username)
        if len(checks) > 1:
            full_clean(user, *args, **kwargs)

    monkeypatch.setattr(User, "full_clean", first_check_runs_before_olivia_exists)
    with pytest.raises(ValidationError) as caught:
        user_create(username="0livia", email="", password="a sturdy passphrase 42")
    assert caught.value.message_dict["username"] == [
        "That username looks too much like an existing one; choose another."
    ]
    assert checks == ["0livia", "0livia"]
    assert not User.objects.filter(username="0livia").exists()
