"""Downloads in a real browser (issue 16): a share link's holder, allowed to download, saves the
whole gallery as a ZIP and one photo from the viewer; a friend saves a photo from its page. axe
checks the pages with their buttons, and screenshots at 1280 and 390 px go to
test-results/e2e/."""

from __future__ import annotations

import datetime
import zipfile

import pytest
from playwright.sync_api import expect

from images.models import ShareLink
from images.services.sharing import share_link_create
from tests.e2e.helpers import SCREENS, axe_violations, log_in
from tests.factories import (
    PetFactory,
    ShareFactory,
    UserFactory,
    ready_photo,
    store_full,
    store_renditions,
)

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

CAPTIONS = ["Asleep on the radiator", "Asleep on the radiator", "In the garden"]


@pytest.fixture
def world(signing_key):
    ann, bob = UserFactory(username="ann"), UserFactory(username="bob")
    pet = PetFactory(owner=ann, name="Biscuit")
    ShareFactory(pet=pet, grantee=bob, role="viewer")
    photos = []
    for index, caption in enumerate(CAPTIONS):
        when = datetime.datetime(2024, 6, 1 + index // 2, 10, index, tzinfo=datetime.UTC)
        photo = ready_photo(pet=pet, caption=caption, taken_at=when, taken_on=when.date())
        store_renditions(photo, colour=("#d9480f", "#2f9e44", "#1971c2")[index])
        store_full(photo, size=(640, 480))
        photos.append(photo)
    link, token = share_link_create(pet=pet, created_by=ann, lifetime=datetime.timedelta(days=7))
    ShareLink.objects.filter(pk=link.pk).update(allows_download=True)
    return {"pet": pet, "photos": photos, "token": token}


def serious_violations(page) -> list[str]:
    serious, _ = axe_violations(page)
    return serious


@pytest.mark.parametrize("width", SCREENS)
def test_a_link_holder_downloads_the_gallery_as_a_zip_and_a_photo_from_the_viewer(
    person, world, output_dir, console_errors, tmp_path, width
):
    page = person(**SCREENS[width])
    page.goto(f"/s/{world['token']}/")
    button = page.get_by_role("link", name="Download all")
    expect(button).to_be_visible()
    assert button.bounding_box()["height"] >= 44
    assert serious_violations(page) == []
    page.screenshot(path=str(output_dir / f"downloads-link-{width}.png"), full_page=True)

    with page.expect_download() as download:
        button.click()
    assert download.value.suggested_filename == "Biscuit photos.zip"
    saved = tmp_path / "gallery.zip"
    download.value.save_as(saved)
    with zipfile.ZipFile(saved) as archive:
        assert archive.testzip() is None
        assert sorted(archive.namelist()) == [
            "2024-06-01 Asleep on the radiator (2).jpg",
            "2024-06-01 Asleep on the radiator.jpg",
            "2024-06-02 In the garden.jpg",
        ]
        assert all(len(archive.read(name)) > 1000 for name in archive.namelist())

    page.locator("#gallery .tile a").first.click()
    viewer_button = page.get_by_role("link", name="Download this photo")
    expect(viewer_button).to_be_visible()
    page.wait_for_selector(".pswp--open .pswp__img:not(.pswp__img--placeholder)")
    page.wait_for_timeout(400)  # the opening animation: axe reads colours as they end
    assert serious_violations(page) == []
    page.screenshot(path=str(output_dir / f"downloads-viewer-{width}.png"))
    with page.expect_download() as download:
        viewer_button.click()
    assert download.value.suggested_filename == "2024-06-02 In the garden.jpg"
    saved = tmp_path / "one.jpg"
    download.value.save_as(saved)
    assert saved.read_bytes()[:2] == b"\xff\xd8"  # a JPEG
    assert console_errors == []


def test_a_friend_downloads_a_photo_from_its_page_but_not_its_original(
    person, world, output_dir, console_errors
):
    page = person(**SCREENS[1280])
    log_in(page, "bob")
    photo = world["photos"][2]
    page.goto(f"/photos/{photo.pk}/")
    expect(page.get_by_role("link", name="Download original")).to_have_count(0)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download", exact=True).click()
    assert download.value.suggested_filename == "2024-06-02 In the garden.jpg"
    assert console_errors == []


def test_a_link_without_downloads_shows_no_download_button(person, world, signing_key):
    ShareLink.objects.update(allows_download=False)
    page = person(**SCREENS[1280])
    page.goto(f"/s/{world['token']}/")
    expect(page.locator("#gallery .tile").first).to_be_visible()
    expect(page.get_by_role("link", name="Download all")).to_have_count(0)
    page.locator("#gallery .tile a").first.click()
    expect(page.locator(".pswp")).to_be_visible()
    expect(page.get_by_role("link", name="Download this photo")).to_have_count(0)


@pytest.mark.parametrize("width", SCREENS)
def test_a_friend_selects_two_photos_in_the_gallery_and_saves_them_as_a_zip(
    person, world, output_dir, console_errors, tmp_path, width
):
    page = person(**SCREENS[width])
    log_in(page, "bob")
    page.goto(f"/pets/{world['pet'].pk}/")
    page.get_by_role("link", name="Select", exact=True).click()
    expect(page.get_by_role("button", name="Delete…")).to_have_count(0)  # a viewer's bar
    page.locator("#gallery .tile > a").nth(0).click()
    page.locator("#gallery .tile > a").nth(2).click()
    expect(page.locator(".selection-count")).to_have_text("2 selected")
    assert serious_violations(page) == []
    page.screenshot(path=str(output_dir / f"downloads-selection-{width}.png"))
    with page.expect_download() as download:
        page.get_by_role("button", name="Download", exact=True).click()
    assert download.value.suggested_filename == "Biscuit photos.zip"
    saved = tmp_path / "chosen.zip"
    download.value.save_as(saved)
    with zipfile.ZipFile(saved) as archive:
        assert archive.testzip() is None
        assert sorted(archive.namelist()) == [
            "2024-06-01 Asleep on the radiator.jpg",
            "2024-06-02 In the garden.jpg",
        ]
    assert console_errors == []


def test_a_friend_downloads_the_photo_shown_in_the_gallerys_viewer(
    person, world, console_errors, tmp_path
):
    page = person(**SCREENS[1280])
    log_in(page, "bob")
    page.goto(f"/pets/{world['pet'].pk}/")
    page.locator("#gallery .tile a").first.click()
    page.wait_for_selector(".pswp--open .pswp__img:not(.pswp__img--placeholder)")
    button = page.get_by_role("link", name="Download this photo")
    expect(button).to_be_visible()
    with page.expect_download() as download:
        button.click()
    assert download.value.suggested_filename == "2024-06-02 In the garden.jpg"
    page.keyboard.press("ArrowRight")
    with page.expect_download() as download:
        button.click()
    assert download.value.suggested_filename.startswith("2024-06-01 Asleep on the radiator")
    assert console_errors == []
