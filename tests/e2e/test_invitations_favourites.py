"""Invitations and favourites in a real browser, on a laptop and on a phone: the owner invites an
address, the mailed link leads a newcomer through sign-up to Accept and the pet's gallery; a
friend hearts a photo in the viewer and finds it on the Favourites page. axe finds nothing
serious on the pages on the way; screenshots go to test-results/e2e/."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from images.models import Favourite, Pet
from tests.e2e.helpers import SCREENS, axe_violations, log_in
from tests.factories import (
    PASSWORD,
    PetFactory,
    ShareFactory,
    UserFactory,
    ready_photo,
    store_renditions,
)

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

LINK = re.compile(r"https?://[^/\s]+(/invitations/[^/\s]+/)")


@pytest.fixture
def biscuit(signing_key):
    """Ann's Biscuit with two photos, shared with Bob as a viewer."""
    ann = UserFactory(username="ann")
    bob = UserFactory(username="bob")
    pet = PetFactory(owner=ann, name="Biscuit")
    for caption, colour in (("Asleep on the radiator", "#d9480f"), ("In the garden", "#2f9e44")):
        store_renditions(ready_photo(pet=pet, caption=caption), colour=colour)
    ShareFactory(pet=pet, grantee=bob, role="viewer")
    return pet


def no_serious_violations(page) -> None:
    serious, _ = axe_violations(page)
    assert serious == []


@pytest.mark.parametrize("screen", SCREENS)
def test_an_invited_address_signs_up_from_the_mail_and_sees_the_pet(
    person, live_server, biscuit, output_dir, console_errors, screen
):
    owner = person(**SCREENS[screen])
    log_in(owner, "ann")
    owner.goto(f"/pets/{biscuit.pk}/sharing/")
    owner.fill("#id_who", "carol@example.com")
    owner.click("form:has(#id_who) button[type=submit]")
    owner.wait_for_selector("table.invitations")
    assert "We've sent carol@example.com an invitation" in owner.inner_text("main")
    assert "carol@example.com" in owner.inner_text("table.invitations")
    no_serious_violations(owner)
    owner.screenshot(path=str(output_dir / f"invite-sent-{screen}.png"), full_page=True)

    [message] = [m for m in mail.outbox if m.to == ["carol@example.com"]]
    link = LINK.search(message.body).group(1)

    carol = person(**SCREENS[screen])
    carol.goto(link)
    assert "ann shared Biscuit with you" in carol.inner_text("h1")
    no_serious_violations(carol)
    carol.screenshot(path=str(output_dir / f"invitation-{screen}.png"), full_page=True)
    carol.click("text=Create an account")
    assert carol.input_value("#id_email") == "carol@example.com"
    carol.fill("#id_username", "carol")
    carol.fill("#id_password1", PASSWORD)
    carol.fill("#id_password2", PASSWORD)
    carol.click("main form button[type=submit]")
    carol.wait_for_url(f"**{link}")
    carol.screenshot(path=str(output_dir / f"invitation-accept-{screen}.png"), full_page=True)
    carol.click("text=Accept as carol")
    carol.wait_for_url(f"**/pets/{biscuit.pk}/")
    expect(carol.locator("#gallery .tile img")).to_have_count(2)
    assert "You can now see Biscuit." in carol.inner_text("main")
    assert list(Pet.objects.visible_to(biscuit.shares.get(grantee__username="carol").grantee)) == [
        biscuit
    ]
    assert [e for e in console_errors if not e.startswith("Failed to load resource")] == []


@pytest.mark.parametrize("screen", SCREENS)
def test_a_friend_hearts_a_photo_in_the_viewer_and_finds_it_in_favourites(
    person, live_server, biscuit, output_dir, console_errors, screen
):
    page = person(**SCREENS[screen])
    log_in(page, "bob")
    page.goto(f"/pets/{biscuit.pk}/")
    page.locator("#gallery .tile a").first.click()
    page.wait_for_selector(".pswp--open .pswp__img:not(.pswp__img--placeholder)")
    heart = page.locator(".pswp__button--viewer-favourite")
    expect(heart).to_have_attribute("aria-pressed", "false")
    expect(heart).to_have_attribute("aria-label", "Add to favourites")
    box = heart.bounding_box()
    assert box["width"] >= 44
    assert box["height"] >= 44
    heart.click()
    expect(heart).to_have_attribute("aria-pressed", "true")
    expect(heart).to_have_attribute("aria-label", "Remove from favourites")
    page.screenshot(path=str(output_dir / f"viewer-heart-{screen}.png"))
    shown = page.evaluate("() => window.pswp.currSlide.data.photo")
    assert list(Favourite.objects.values_list("photo_id", flat=True).all()) == [
        biscuit.photos.get(pk=shown).pk
    ]

    page.keyboard.press("Escape")
    page.click(".menu-toggle") if page.is_visible(".menu-toggle") else None
    page.click("nav.site-nav >> text=Favourites")
    page.wait_for_url("**/favourites/")
    expect(page.locator("#gallery .tile")).to_have_count(1)
    assert page.get_attribute("#gallery .tile a", "data-photo") == shown
    no_serious_violations(page)
    page.screenshot(path=str(output_dir / f"favourites-{screen}.png"), full_page=True)

    # The photo's own page says it is a favourite, and its button takes the heart off.
    page.goto(f"/photos/{shown}/")
    button = page.locator("button.favourite")
    expect(button).to_have_attribute("aria-pressed", "true")
    button.click()
    expect(page.locator("button.favourite")).to_have_attribute("aria-pressed", "false")
    assert not Favourite.objects.exists()
    assert [e for e in console_errors if not e.startswith("Failed to load resource")] == []
