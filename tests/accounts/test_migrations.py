import pytest

BEFORE = [("accounts", "0003_user_quotas")]
AFTER = [("accounts", "0004_user_username_skeleton")]


@pytest.mark.django_db(transaction=True)
def test_existing_accounts_get_skeletons_and_older_look_alikes_keep_theirs(migrate):
    User = migrate(BEFORE).get_model("accounts", "User")
    olivia = User.objects.create(username="Olivia")
    twin = User.objects.create(username="0livia")  # made before the rule
    ted = User.objects.create(username="ted")
    User = migrate(AFTER).get_model("accounts", "User")
    skeletons = dict(User.objects.values_list("pk", "username_skeleton"))
    assert skeletons == {olivia.pk: "olivia", twin.pk: None, ted.pk: "ted"}
