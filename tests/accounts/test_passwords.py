import re

import pytest

from tests.factories import PASSWORD


@pytest.mark.django_db
def test_changing_the_password_needs_the_old_one_and_keeps_the_session(client, owner):
    client.force_login(owner)
    url = "/accounts/password/change/"
    bad = client.post(
        url,
        {
            "old_password": "nope",
            "new_password1": "fresh pass 9876",
            "new_password2": "fresh pass 9876",
        },
    )
    assert "Your old password was entered incorrectly" in bad.content.decode()
    good = client.post(
        url,
        {
            "old_password": PASSWORD,
            "new_password1": "fresh pass 9876",
            "new_password2": "fresh pass 9876",
        },
    )
    assert good["Location"] == "/accounts/password/change/done/"
    owner.refresh_from_db()
    assert owner.check_password("fresh pass 9876")
    assert client.get("/").context["user"] == owner


@pytest.mark.django_db
def test_password_change_is_for_logged_in_users_only(client):
    response = client.get("/accounts/password/change/")
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.django_db
def test_a_password_reset_mails_a_one_time_link_that_sets_a_new_password(client, owner, mailoutbox):
    client.post("/accounts/password/reset/", {"email": "OWNER@example.com"})
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["owner@example.com"]
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", mailoutbox[0].body)[1]
    form_url = client.get(link)["Location"]  # Django swaps the token for a session marker
    response = client.post(
        form_url, {"new_password1": "brand new pass 55", "new_password2": "brand new pass 55"}
    )
    assert response["Location"] == "/accounts/password/reset/done/"
    owner.refresh_from_db()
    assert owner.check_password("brand new pass 55")
    assert "This link no longer works" in client.get(link, follow=True).content.decode()


@pytest.mark.django_db
def test_a_password_reset_does_not_reveal_whether_an_address_has_an_account(client, mailoutbox):
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert response["Location"] == "/accounts/password/reset/sent/"
    assert mailoutbox == []
