"""The activity in a real browser, on a laptop and on a phone: a friend's comment and like and
a contributor's uploads (made through the models: the like and comment buttons are another
part's) reach the owner's home as grouped news with their thumbnails, the header counts them
unread, and the activity page shows them and clears the count. axe finds nothing serious;
screenshots go to test-results/e2e/activity-*.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import SCREENS, axe_violations, log_in
from tests.factories import PetFactory, ShareFactory, UserFactory, ready_photo, store_renditions
from tests.social.activity_helpers import added, ago, commented, liked

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def biscuit(signing_key):
    """Ann's Biscuit, shared with Bob (viewer) and Carol (contributor). Carol added three
    photos an hour ago; Bob just liked Ann's photo and commented on it."""
    ann = UserFactory(username="ann")
    bob = UserFactory(username="bob")
    carol = UserFactory(username="carol")
    pet = PetFactory(owner=ann, name="Biscuit")
    ShareFactory(pet=pet, grantee=bob, role="viewer")
    ShareFactory(pet=pet, grantee=carol, role="contributor")
    mine = ready_photo(pet=pet, caption="Asleep on the radiator", processed_at=ago(days=3))
    store_renditions(mine, colour="#d9480f")
    for minutes, colour in ((62, "#2f9e44"), (61, "#1971c2"), (60, "#f08c00")):
        store_renditions(added(pet, carol, at=ago(minutes=minutes)), colour=colour)
    liked(mine, bob, at=ago(minutes=3))
    commented(mine, bob, at=ago(minutes=2), text="What a sleepy dog")
    return pet


def no_serious_violations(page) -> None:
    serious, _ = axe_violations(page)
    assert serious == []


def news_texts(page) -> list[str]:
    return [" ".join(t.split()) for t in page.locator(".news-item .news-link").all_inner_texts()]


@pytest.mark.parametrize("screen", SCREENS)
def test_the_owner_finds_the_news_on_home_and_reading_it_clears_the_count(
    person, live_server, biscuit, output_dir, console_errors, screen
):
    page = person(**SCREENS[screen])
    log_in(page, "ann")
    page.goto("/")

    badge = page.locator(".activity-link")
    expect(badge).to_be_visible()  # on a phone too: outside the menu
    expect(badge).to_have_attribute("aria-label", "Activity, 3 unread")
    expect(badge.locator(".badge")).to_have_text("3")
    assert news_texts(page) == [
        "New bob commented on your photo of Biscuit",
        "New bob liked your photo of Biscuit",
        "New carol added 3 photos of Biscuit",
    ]
    # The added photos' thumbnails: opened by the cookies home sets for Biscuit.
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.news-thumbs img'))"
        ".filter(i => i.complete && i.naturalWidth > 0).length === 3"
    )
    no_serious_violations(page)
    page.screenshot(path=str(output_dir / f"activity-home-{screen}.png"), full_page=True)

    page.click("text=See all")
    page.wait_for_url("**/activity/")
    assert news_texts(page)[0] == "New bob commented on your photo of Biscuit"  # what was new
    expect(page.locator(".activity-link .badge")).to_have_count(0)  # and is read now
    expect(page.locator(".activity-link")).to_have_attribute("aria-current", "page")
    no_serious_violations(page)
    page.screenshot(path=str(output_dir / f"activity-page-{screen}.png"), full_page=True)

    page.click("text=bob commented on your photo of Biscuit")
    page.wait_for_url("**/photos/*/#comments")
    page.goto("/")
    assert [t.startswith("New ") for t in news_texts(page)] == [False, False, False]
    expect(page.locator(".activity-link .badge")).to_have_count(0)
    assert [e for e in console_errors if not e.startswith("Failed to load resource")] == []
