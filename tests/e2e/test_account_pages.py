"""Sign-up, the e-mail address page and the upload page's limits, in a real browser on a laptop
and on a phone: what a newcomer reads, and that a look-alike name is refused in words."""

from __future__ import annotations

import pytest

from accounts.confirmation import Confirmation, confirmation_token
from images.models import Pet
from tests.e2e.helpers import log_in
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

SCREENS = {"laptop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def sign_up(page, username: str, email: str) -> None:
    page.goto("/accounts/signup/")
    page.fill("#id_username", username)
    page.fill("#id_email", email)
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("main form button[type=submit]")


@pytest.mark.parametrize("screen", SCREENS)
def test_a_newcomer_signs_up_and_is_told_to_confirm_the_address(
    person, output_dir, console_errors, screen
):
    page = person()
    page.set_viewport_size(SCREENS[screen])
    sign_up(page, f"newcomer-{screen}", f"newcomer-{screen}@example.com")
    page.wait_for_url("**/")
    assert f"sent a message to newcomer-{screen}@example.com" in page.inner_text("main")
    page.screenshot(path=str(output_dir / f"signup-welcome-{screen}.png"), full_page=True)
    page.goto("/accounts/email/")
    page.screenshot(path=str(output_dir / f"email-{screen}.png"), full_page=True)
    assert console_errors == []


@pytest.mark.parametrize("screen", SCREENS)
def test_a_look_alike_username_is_refused_in_words(person, output_dir, screen):
    UserFactory(username="olivia")
    page = person()
    page.set_viewport_size(SCREENS[screen])
    sign_up(page, "0livia", "someone@example.com")
    assert "looks too much like an existing one" in page.inner_text("main")
    sign_up(page, "oliv\u0456a", "someone@example.com")  # with a Cyrillic i
    assert "mixes alphabets" in page.inner_text("main")
    page.screenshot(path=str(output_dir / f"signup-look-alike-{screen}.png"), full_page=True)


@pytest.mark.parametrize("screen", SCREENS)
def test_the_upload_page_shows_the_quota(person, live_server, output_dir, screen):
    owner = UserFactory(username="owner", photo_quota=500)
    pet = Pet.objects.create(owner=owner, name="Biscuit")
    page = person()
    page.set_viewport_size(SCREENS[screen])
    page.goto("/accounts/login/")
    page.fill("#id_username", "owner")
    page.fill("#id_password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/")
    page.goto(f"/pets/{pet.pk}/upload/")
    assert "0 of 500 photos" in page.inner_text("main")
    page.screenshot(path=str(output_dir / f"upload-quota-{screen}.png"), full_page=True)


@pytest.mark.parametrize("screen", SCREENS)
def test_the_pages_around_the_address_read_well(person, output_dir, screen):
    owner = UserFactory(username="owner", email="")
    token = confirmation_token(Confirmation(user_id=owner.pk, email="o@example.com", was=""))
    page = person()
    page.set_viewport_size(SCREENS[screen])
    log_in(page, "owner")
    page.goto("/accounts/password/change/")
    assert "see or change it" in page.inner_text("main")
    page.screenshot(path=str(output_dir / f"password-{screen}.png"), full_page=True)
    page.goto(f"/accounts/email/confirm/{token}/")
    page.screenshot(path=str(output_dir / f"email-confirm-{screen}.png"), full_page=True)
    page.click("main form button[type=submit]")
    owner.refresh_from_db()
    assert owner.email == "o@example.com"


@pytest.mark.parametrize("screen", SCREENS)
def test_inviting_an_address_says_the_same_either_way(person, output_dir, screen):
    owner = UserFactory(username="owner")
    pet = Pet.objects.create(owner=owner, name="Biscuit")
    page = person()
    page.set_viewport_size(SCREENS[screen])
    log_in(page, "owner")
    page.goto(f"/pets/{pet.pk}/sharing/")
    page.fill("#id_who", "nobody@example.com")
    page.click("form:has(#id_who) button[type=submit]")
    page.wait_for_load_state()
    expected = (
        "We've sent nobody@example.com an invitation: Biscuit is shared with them once they "
        "accept it."
    )
    assert expected in page.inner_text("main")
    page.screenshot(path=str(output_dir / f"sharing-invite-{screen}.png"), full_page=True)
