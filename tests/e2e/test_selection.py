"""Many photos at once in a real browser (static/js/selection.js): in a gallery's select mode,
the mouse ticks a tile and shift-click a range, the keyboard (Tab, Space, shift+Space, Esc) does
the same, a tap ticks on a phone, and the viewer stays closed; then the selection bar moves
photos to another pet, deletes them after one confirmation and makes one the cover. Screenshots
at 1280 and 390 px go to test-results/e2e/."""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import expect

from images.models import Pet, Photo
from tests.e2e.helpers import LAPTOP, PHONE, axe_violations, log_in
from tests.factories import PetFactory, PhotoFactory, UserFactory, ready_photo, store_renditions

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

COLOURS = ["#1971c2", "#2b8a3e", "#e8590c", "#7048e8", "#c2255c", "#0c8599"]


@pytest.fixture
def gallery(signing_key):
    """Ann's Pebble with six photos (newest first, as the grid shows them), and her Nibbles."""
    ann = UserFactory(username="ann")
    pebble = PetFactory(owner=ann, name="Pebble")
    nibbles = PetFactory(owner=ann, name="Nibbles")
    start = datetime.datetime(2024, 5, 1, tzinfo=datetime.UTC)
    for i, colour in enumerate(COLOURS):
        photo = ready_photo(
            pet=pebble,
            caption=f"Photo {len(COLOURS) - i}",
            taken_at=start + datetime.timedelta(hours=i),
        )
        store_renditions(photo, colour=colour)
    photos = list(Photo.objects.filter(pet=pebble).newest_taken_first())
    return pebble, nibbles, photos


def open_gallery(person, pet, screen=LAPTOP):
    page = person(**screen)
    log_in(page, "ann")
    page.goto(f"/pets/{pet.pk}/")
    return page


def tile(page, n: int):
    return page.locator("#gallery .tile").nth(n)


def ticked(page) -> list[bool]:
    return page.eval_on_selector_all(
        "#gallery .tile", "tiles => tiles.map(t => !!t.querySelector('.pick input:checked'))"
    )


def test_the_mouse_ticks_a_tile_and_shift_click_a_range_without_opening_the_viewer(
    person, gallery, output_dir, console_errors
):
    pet, _nibbles, _photos = gallery
    page = open_gallery(person, pet)
    page.click(".select-toggle")
    expect(page.locator(".select-toggle")).to_have_text("Done")
    tile(page, 1).click()
    expect(page.locator(".selection-count")).to_have_text("1 selected")
    tile(page, 4).click(modifiers=["Shift"])
    expect(page.locator(".selection-count")).to_have_text("4 selected")
    assert ticked(page) == [False, True, True, True, True, False]
    assert page.locator(".pswp").count() == 0  # the viewer never opened
    assert "#photo=" not in page.url
    expect(page.locator("button[formaction$='/photos/cover/']")).to_be_disabled()
    tile(page, 4).click()
    expect(page.locator(".selection-count")).to_have_text("3 selected")
    page.screenshot(path=str(output_dir / "selection-gallery-1280.png"))
    serious, _others = axe_violations(page)
    assert serious == []
    page.click(".select-all")
    expect(page.locator(".selection-count")).to_have_text("6 selected")
    page.click(".select-none")
    expect(page.locator(".selection-count")).to_have_text("0 selected")
    page.click(".select-toggle")
    tile(page, 0).locator("a").click()  # out of the select mode, a tile opens the viewer again
    expect(page.locator(".pswp")).to_be_visible()
    assert console_errors == []


def test_the_keyboard_ticks_with_space_a_range_with_shift_and_esc_leaves(person, gallery):
    pet, _nibbles, _photos = gallery
    page = open_gallery(person, pet)
    page.focus(".select-toggle")
    page.keyboard.press("Enter")
    expect(page.locator(".select-toggle")).to_have_text("Done")
    first = tile(page, 0).locator("a")
    first.focus()
    expect(first).to_have_attribute("role", "checkbox")
    expect(first).to_have_attribute("aria-label", "Select Photo 1")
    page.keyboard.press("Space")
    expect(first).to_have_attribute("aria-checked", "true")
    page.keyboard.press("Tab")  # the next tile's link: the boxes are out of the tab order
    page.keyboard.press("Tab")
    expect(tile(page, 2).locator("a")).to_be_focused()
    page.keyboard.press("Shift+Space")
    assert ticked(page) == [True, True, True, False, False, False]
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator(".selection-count")).to_have_text("4 selected")
    assert page.locator(".pswp").count() == 0
    assert "#photo=" not in page.url
    page.keyboard.press("Escape")
    expect(page.locator(".select-toggle")).to_have_text("Select")
    expect(page.locator(".select-toggle")).to_be_focused()
    expect(first).not_to_have_attribute("role", "checkbox")


def test_photos_move_to_another_pet_and_the_others_are_deleted_after_one_confirmation(
    person, gallery, output_dir
):
    pet, nibbles, photos = gallery
    page = open_gallery(person, pet)
    page.click(".select-toggle")
    tile(page, 0).click()
    tile(page, 1).click()
    page.click("#selection button:has-text('Move to another pet')")
    expect(page.locator("h1")).to_have_text("Move 2 photos of Pebble")
    page.screenshot(path=str(output_dir / "selection-move-1280.png"), full_page=True)
    page.check("text=Nibbles")
    page.click("button:has-text('Move')")
    expect(page.locator(".message.success")).to_have_text("2 photos moved to Nibbles.")
    assert {p.pk for p in Photo.objects.filter(pet=nibbles)} == {photos[0].pk, photos[1].pk}
    expect(page.locator("#gallery .tile")).to_have_count(4)

    page.click(".select-toggle")
    tile(page, 0).click()
    tile(page, 2).click(modifiers=["Shift"])
    page.click("#selection button:has-text('Delete')")
    expect(page.locator("h1")).to_have_text("Delete 3 photos?")
    expect(page.locator(".picked-list img")).to_have_count(3)
    page.screenshot(path=str(output_dir / "selection-delete-1280.png"), full_page=True)
    page.click("button:has-text('Delete 3 photos')")
    expect(page.locator(".message.success")).to_have_text("3 photos deleted.")
    assert list(Photo.objects.filter(pet=pet)) == [photos[5]]


def test_on_a_phone_a_tap_ticks_and_the_one_photo_becomes_the_cover(
    person, gallery, output_dir, console_errors
):
    pet, _nibbles, photos = gallery
    page = open_gallery(person, pet, PHONE)
    page.tap(".select-toggle")
    tile(page, 3).tap()
    expect(page.locator(".selection-count")).to_have_text("1 selected")
    assert page.locator(".pswp").count() == 0
    page.screenshot(path=str(output_dir / "selection-gallery-390.png"))
    serious, _others = axe_violations(page)
    assert serious == []
    page.tap("#selection button:has-text('Make cover')")
    expect(page.locator(".message.success")).to_have_text("That photo is now Pebble's cover.")
    assert Pet.objects.get(pk=pet.pk).cover_photo_id == photos[3].pk
    assert console_errors == []


def test_without_javascript_the_same_form_selects_and_deletes(person, gallery, console_errors):
    pet, _nibbles, photos = gallery
    page = open_gallery(person, pet, {**LAPTOP, "java_script_enabled": False})
    page.click("text=Select")
    page.wait_for_url("**/?page=*&select=1")
    page.check(f"input[name=photo][value='{photos[0].pk}']")
    page.check(f"input[name=photo][value='{photos[1].pk}']")
    page.click("#selection button:has-text('Delete')")
    expect(page.locator("h1")).to_have_text("Delete 2 photos?")
    page.click("button:has-text('Delete 2 photos')")
    expect(page.locator(".message.success")).to_have_text("2 photos deleted.")
    assert Photo.objects.filter(pet=pet).count() == 4


def test_select_all_with_a_failed_photo_deletes_it_but_downloads_only_once_it_is_unticked(
    person, gallery, console_errors
):
    pet, _nibbles, _photos = gallery
    failed = PhotoFactory(
        pet=pet, uploader=pet.owner, state=Photo.State.FAILED, error="Not an image",
        taken_at=datetime.datetime(2024, 5, 2, tzinfo=datetime.UTC),
    )  # fmt: skip
    page = open_gallery(person, pet)
    page.click(".select-toggle")
    page.click(".select-all")
    expect(page.locator(".selection-count")).to_have_text("7 selected")
    download = page.locator("#selection button:has-text('Download')").first
    expect(download).to_be_disabled()
    expect(download).to_have_attribute("title", "Only photos that are ready can be downloaded.")
    expect(page.locator("#selection button:has-text('Delete')")).to_be_enabled()
    page.locator(f"#gallery .tile:has(a[href='/photos/{failed.pk}/'])").click()
    expect(page.locator(".selection-count")).to_have_text("6 selected")
    expect(download).to_be_enabled()
    assert console_errors == []


def test_without_javascript_a_download_with_a_failed_photo_says_why_and_leads_back(person, gallery):
    pet, _nibbles, photos = gallery
    failed = PhotoFactory(pet=pet, uploader=pet.owner, state=Photo.State.FAILED, error="x")
    page = open_gallery(person, pet, {**LAPTOP, "java_script_enabled": False})
    page.click("text=Select")
    page.wait_for_url("**/?page=*&select=1")
    page.check(f"input[name=photo][value='{photos[0].pk}']")
    page.check(f"input[name=photo][value='{failed.pk}']")
    page.click("#selection button:text-is('Download')")
    expect(page.locator("h1")).to_have_text("Nothing was done")
    expect(page.locator("[role=alert]")).to_contain_text("1 of the 2 photos you chose is not ready")
    page.click("text=Back to Pebble")
    page.wait_for_url(f"**/pets/{pet.pk}/")
