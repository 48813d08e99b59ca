"""How every page looks and reads, in a real browser: on a laptop (1280×800) and a phone
(390×844, touch), light and dark, as a visitor, the owner, a friend and a link holder. axe-core
finds no serious or critical WCAG 2.2 AA violation (the others are printed), no page scrolls
sideways on a phone, and a screenshot of each is kept as
``test-results/e2e/looks-<page>-<width>-<theme>.png``. Then the theme switch, the phone's menu,
the skip link and the focus ring of a gallery's tiles."""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass, field

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import Theme, User
from images.models import Photo
from images.services.favourites import favourite_set
from images.services.invitations import invitation_token, share_invitation_send
from images.services.sharing import share_link_create
from social.services.comments import comment_create
from social.services.digests import unsubscribe_token
from social.services.likes import like_set
from tests.e2e.helpers import LAPTOP, PHONE, SCREENS, axe_violations, log_in
from tests.factories import PetFactory, ShareFactory, UserFactory, ready_photo, store_renditions

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

# Phones this wide must not scroll sideways (the test resizes the phone's viewport to each).
PHONE_WIDTHS = (360, 390, 430)
THEMES = ("light", "dark")
# axe-core's rules about colours, all that a change of theme can break.
COLOUR_RULES = ["color-contrast", "link-in-text-block"]


@dataclass
class Findings:
    """What the pages did wrong, gathered so that one run reports every page at once."""

    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    pages: int = 0


@pytest.fixture
def world(signing_key):
    """Ann's Biscuit with three photos (one captioned, the cover), shared with Bob, and a link."""
    ann = UserFactory(username="ann")
    bob = UserFactory(username="bob")
    biscuit = PetFactory(owner=ann, name="Biscuit", birthday=datetime.date(2021, 5, 4))
    photos = [
        ready_photo(pet=biscuit, caption="Asleep on the radiator"),
        ready_photo(pet=biscuit),
        ready_photo(pet=biscuit),
    ]
    for photo, colour in zip(photos, ("#d9480f", "#2f9e44", "#1971c2"), strict=True):
        store_renditions(photo, colour=colour)
    biscuit.cover_photo = photos[0]
    biscuit.save()
    # A photo taken on this day two years ago: home shows "On this day" and a gallery two months.
    today = timezone.localdate()
    years_ago = today.replace(year=today.year - 2, day=min(today.day, 28))
    noon = datetime.datetime.combine(years_ago, datetime.time(12), tzinfo=datetime.UTC)
    store_renditions(ready_photo(pet=biscuit, taken_at=noon), colour="#9c36b5")
    PetFactory(owner=ann, name="Nibbles")  # a pet without photos: the empty cover
    ShareFactory(pet=biscuit, grantee=bob, role="viewer")
    _, token = share_link_create(pet=biscuit, created_by=ann, lifetime=datetime.timedelta(days=7))
    _, locked = share_link_create(
        pet=biscuit, created_by=ann, lifetime=None, label="Grandma", password="tea and biscuits"
    )
    # A second link whose holder may download (issue 16): its Download all button.
    downloads, downloads_token = share_link_create(
        pet=biscuit, created_by=ann, lifetime=datetime.timedelta(days=7)
    )
    type(downloads).objects.filter(pk=downloads.pk).update(allows_download=True)

    # A pending invitation (listed on the sharing page; its link's page for a visitor), and
    # Bob's hearts (his Favourites page).
    invitation = share_invitation_send(
        pet=biscuit, email="carol@example.com", role="viewer", invited_by=ann, base_url=""
    )
    for photo in photos[:2]:
        favourite_set(user=bob, photo=photo, on=True)
    # Issue 17's activity: Ann's photos turned ready just now (Bob's News, with thumbnails).
    Photo.objects.filter(pet=biscuit).update(processed_at=timezone.now())
    # Likes and comments on the captioned photo (issue 17): its page shows them, with a link
    # and a word too long for a phone's line.
    like_set(user=bob, photo=photos[0], on=True)
    comment_create(
        author=bob,
        photo=photos[0],
        text="He has found the warmest spot again! More at https://example.com/biscuit\n\n"
        "Sooooooooooooooooooooooooooooooooooooooooooooooooooooooooooo sleepy.",
    )
    comment_create(author=ann, photo=photos[0], text="Every afternoon, without fail.")
    return {
        "ann": ann,
        "pet": biscuit,
        "photo": photos[0],
        "token": token,
        "downloads_token": downloads_token,
        "invitation": invitation_token(invitation),
        "locked": locked,
        "unsubscribe": unsubscribe_token(ann),
    }


def reset_link(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return f"/accounts/password/reset/{uid}/{default_token_generator.make_token(user)}/"


# --- What each person opens ------------------------------------------------------------------
# A page is a path to open, or a function that brings the browser to it.


def signup_errors(page) -> None:
    page.goto("/accounts/signup/")
    page.fill("#id_username", "x")
    page.click("main form button[type=submit]")
    page.wait_for_selector(".field.has-error")


def locked_out(page) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", "nobody")
    page.fill("#id_password", "wrong password")
    page.click("main form button[type=submit]")
    page.wait_for_selector("text=Too many failed log-ins")


def wrong_link_password(path: str):
    def open_refused(page) -> None:
        page.goto(path)
        page.fill("#id_password", "not the password")
        page.click("main form button[type=submit]")
        page.wait_for_selector(".field.has-error")

    return open_refused


def refusing_a_new_link(path: str):
    def open_refused(page) -> None:
        page.goto(path)
        page.fill("#id_password", "short")  # under the length a link's password needs
        page.click(".link-form button[type=submit]")
        page.wait_for_selector(".error-summary")

    return open_refused


def changing_a_link(path: str):
    def open_change(page) -> None:
        page.goto(path)
        page.click(".link-change summary")
        page.click(".revoke-all summary")

    return open_change


def uploading(path: str):
    def open_upload(page) -> None:
        page.goto(path)
        page.set_input_files(
            "#files",
            [
                {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not a photo"},
                {"name": "report.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4"},
            ],
        )
        page.wait_for_selector('.upload[data-state="refused"]')

    return open_upload


def selecting(path: str, then: str | None = None):
    """The gallery in the select mode with its first photo ticked; ``then``: the action's
    page (Delete…, Move to another pet…) that the bar's button opens."""

    def select(page) -> None:
        page.goto(path)
        page.click(".select-toggle")
        page.click("#gallery .tile >> nth=0")
        page.wait_for_selector(".selection-count:has-text('1 selected')")
        if then:
            page.click(f"#selection button:has-text('{then}')")
            page.wait_for_selector(".selection-confirm")

    return select


def refusing_a_comment(path: str):
    """A comment too long (pasted past the field's limit): refused in the live region."""

    def open_refused(page) -> None:
        page.goto(path)
        page.eval_on_selector("#comment-text", "field => field.removeAttribute('maxlength')")
        page.fill("#comment-text", "Biscuit! " * 250)
        page.click("[data-comment-form] button[type=submit]")
        page.wait_for_selector("[data-social-status].error")

    return open_refused


def unsubscribing(path: str):
    def press_stop(page) -> None:
        page.goto(path)
        page.click("main form button[type=submit]")
        page.wait_for_selector("text=Digests are off")

    return press_stop


def refusing_a_digest_choice(page) -> None:
    """The choice's own page, when what was posted is not a choice (a form altered)."""
    page.goto("/accounts/")
    page.eval_on_selector(
        "#id_frequency", "s => { s.add(new Option('Hourly', 'hourly')); s.value = 'hourly'; }"
    )
    page.click(".digest-choice button[type=submit]")
    page.wait_for_selector(".field.has-error")


def pages_of(world) -> dict[str, dict[str, object]]:
    pet, photo = world["pet"], world["photo"]
    return {
        "visitor": {
            "welcome": "/",
            "login": "/accounts/login/",
            "signup": "/accounts/signup/",
            "signup-errors": signup_errors,
            "password-reset": "/accounts/password/reset/",
            "password-reset-sent": "/accounts/password/reset/sent/",
            "password-reset-confirm": reset_link(world["ann"]),
            "not-found": "/no-such-page/",
            "link": f"/s/{world['token']}/",  # the link holder: a visitor with the link
            "link-downloads": f"/s/{world['downloads_token']}/",  # downloads allowed
            "link-dead": "/s/no-such-link/",  # a link that opens nothing (a 404 of its own)
            "link-password": f"/s/{world['locked']}/",
            "link-password-wrong": wrong_link_password(f"/s/{world['locked']}/"),
            "locked-out": locked_out,
            "invitation": f"/invitations/{world['invitation']}/",
            "invitation-dead": "/invitations/no-such-invitation/",
            # The digests' unsubscribe link (no log-in): its button, what it did, a bad link.
            "digest-unsubscribe": f"/digests/unsubscribe/{world['unsubscribe']}/",
            "digest-unsubscribed": unsubscribing(f"/digests/unsubscribe/{world['unsubscribe']}/"),
            "digest-unsubscribe-bad": "/digests/unsubscribe/no-such-token/",
        },
        "owner": {
            "home": "/",
            "pets": "/pets/",
            "gallery": f"/pets/{pet.pk}/",
            "photo": f"/photos/{photo.pk}/",
            "sharing": f"/pets/{pet.pk}/sharing/",
            "sharing-link-change": changing_a_link(f"/pets/{pet.pk}/sharing/"),
            "sharing-link-refused": refusing_a_new_link(f"/pets/{pet.pk}/sharing/"),
            "pet-form": f"/pets/{pet.pk}/edit/",
            "pet-new": "/pets/new/",
            "password-change": "/accounts/password/change/",
            "account": "/accounts/",
            "account-digests-refused": refusing_a_digest_choice,
            "upload": uploading(f"/pets/{pet.pk}/upload/"),
            "gallery-select": selecting(f"/pets/{pet.pk}/"),
            "photos-delete": selecting(f"/pets/{pet.pk}/", then="Delete"),
            "photos-move": selecting(f"/pets/{pet.pk}/", then="Move"),
            "activity": "/activity/",  # last: it marks the news read
        },
        "friend": {
            "home-friend": "/",
            "shared": "/shared/",
            "gallery-friend": f"/pets/{pet.pk}/",
            "photo-friend": f"/photos/{photo.pk}/",
            "photo-friend-comment-refused": refusing_a_comment(f"/photos/{photo.pk}/"),
            # COMMENTS_SHOWN is 1 here (the test's): the newest with "Show earlier comments".
            "photo-friend-all-comments": f"/photos/{photo.pk}/?comments=all",
            "favourites": "/favourites/",
            "invitation-friend": f"/invitations/{world['invitation']}/",
            "activity-friend": "/activity/",
        },
    }


USERNAMES = {"owner": "ann", "friend": "bob"}


def settle(page) -> None:
    """Every image loaded (or failed), lazy ones too, and back at the top."""
    page.eval_on_selector_all("img", "images => images.forEach(i => i.loading = 'eager')")
    page.wait_for_function("() => Array.from(document.images).every(i => i.complete)")


def sideways_scroll(page) -> int:
    """How far the page scrolls sideways (0: none)."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def look_at(page, name: str, width: int, output_dir, findings: Findings) -> None:
    """The page as it is now: its sideways scroll on phones, axe and a screenshot per theme."""
    findings.pages += 1
    settle(page)
    if width < 1000:
        for phone in PHONE_WIDTHS:
            page.set_viewport_size({"width": phone, "height": 844})
            if (extra := sideways_scroll(page)) > 0:
                findings.failures.append(f"{name} at {phone} px scrolls {extra} px sideways")
        page.set_viewport_size(PHONE["viewport"])
    for theme in THEMES:
        page.emulate_media(color_scheme=theme)
        # The page's structure is the same in both themes: in the second, only its colours.
        serious, others = axe_violations(page, only=None if theme == THEMES[0] else COLOUR_RULES)
        where = f"{name} {width} {theme}"
        findings.failures += [f"{where}: {v}" for v in serious]
        findings.notes += [f"{where}: {v}" for v in others]
        shot = output_dir / f"looks-{name}-{width}-{theme}.png"
        page.screenshot(path=str(shot), full_page=True, scale="css")
    page.emulate_media(color_scheme="light")


@pytest.mark.parametrize("width", SCREENS)
def test_every_page_passes_axe_and_fits_the_screen_in_both_themes(
    person, live_server, world, output_dir, settings, console_errors, width, monkeypatch
):
    settings.AXES_FAILURE_LIMIT = 1  # the lock-out page after one wrong password
    # The photo page's "Show earlier comments", with the two comments of the world.
    monkeypatch.setattr("social.templatetags.social.COMMENTS_SHOWN", 1)
    started = time.monotonic()
    findings = Findings()
    for role, pages in pages_of(world).items():
        page = person(**SCREENS[width])
        if role in USERNAMES:
            log_in(page, USERNAMES[role])
        for name, target in pages.items():
            if callable(target):
                target(page)
            else:
                page.goto(target)
            look_at(page, name, width, output_dir, findings)
        if role == "owner" and width < 1000:
            page.goto("/")
            page.click(".menu-toggle")
            look_at(page, "menu", width, output_dir, findings)
    print(f"{findings.pages} pages at {width} px in {time.monotonic() - started:.1f} s")
    print("\n".join(["axe, neither serious nor critical:", *findings.notes]))
    assert findings.failures == []
    # A style or script the Content-Security-Policy blocked would show here; the pages' own
    # refusals (the 404, the lock-out's 429, the upload's 415) are not the pages' errors.
    assert [e for e in console_errors if not e.startswith("Failed to load resource")] == []


# --- The theme switch ------------------------------------------------------------------------


def background_of(page) -> str:
    return page.evaluate("() => getComputedStyle(document.body).backgroundColor")


def test_the_owners_choice_of_theme_is_remembered_on_the_account(person, live_server, world):
    page = person(**LAPTOP, color_scheme="light")
    log_in(page, "ann")
    page.goto(f"/pets/{world['pet'].pk}/")
    assert page.get_attribute("html", "data-theme") is None  # follows the system: light
    light = background_of(page)

    page.click('.theme-switch button[value="dark"]')
    page.wait_for_url(f"**/pets/{world['pet'].pk}/")  # back on the same page
    assert page.get_attribute("html", "data-theme") == "dark"
    assert background_of(page) != light
    assert page.get_attribute('.theme-switch button[value="dark"]', "aria-pressed") == "true"
    world["ann"].refresh_from_db()
    assert world["ann"].theme == Theme.DARK

    # Another browser, the same account: dark from the first paint.
    elsewhere = person(**LAPTOP, color_scheme="light")
    log_in(elsewhere, "ann")
    assert elsewhere.get_attribute("html", "data-theme") == "dark"

    page.click('.theme-switch button[value="system"]')
    assert page.get_attribute("html", "data-theme") is None
    assert background_of(page) == light


def test_a_link_holder_chooses_dark_in_the_phones_menu_and_keeps_it_by_cookie(
    person, live_server, world, output_dir
):
    page = person(**PHONE, color_scheme="light")
    link = f"/s/{world['token']}/"
    page.goto(link)
    assert not page.is_visible(".theme-switch")  # in the closed menu
    page.click(".menu-toggle")
    assert page.get_attribute(".menu-toggle", "aria-expanded") == "true"
    page.click('.theme-switch button[value="dark"]')
    page.wait_for_url(f"**{link}")
    assert page.get_attribute("html", "data-theme") == "dark"
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["theme"]["value"] == "dark"
    assert cookies["theme"]["httpOnly"]
    assert "sessionid" not in cookies  # share-link visitors still get no session
    page.screenshot(
        path=str(output_dir / "looks-link-theme-390-dark.png"), full_page=True, scale="css"
    )


# --- The phone's menu, the skip link, focus ----------------------------------------------------


def test_on_a_phone_the_header_is_a_menu_that_fits(person, live_server, world):
    page = person(**PHONE)
    log_in(page, "ann")
    page.goto("/pets/")
    logout = page.locator(".site-nav button", has_text="Log out")
    assert not logout.is_visible()
    assert sideways_scroll(page) == 0
    page.click(".menu-toggle")
    assert logout.is_visible()
    box = logout.bounding_box()
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 390
    assert box["height"] >= 44
    current = page.locator('.site-nav a[aria-current="page"]')
    assert current.inner_text() == "My pets"
    page.keyboard.press("Escape")
    assert not logout.is_visible()
    assert page.evaluate("() => document.activeElement.className") == "menu-toggle"


def test_the_skip_link_comes_first_and_a_focused_tile_shows_its_ring(
    person, live_server, world, output_dir
):
    page = person(**LAPTOP)
    log_in(page, "ann")
    page.goto(f"/pets/{world['pet'].pk}/")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "skip-link"
    assert page.is_visible(".skip-link")
    page.keyboard.press("Enter")
    assert page.evaluate("() => location.hash") == "#main"

    page.locator("#gallery a").first.focus()
    ring = page.evaluate(
        """() => {
            const tile = document.activeElement.closest('.tile');
            const style = getComputedStyle(tile);
            return {style: style.outlineStyle, width: style.outlineWidth,
                    overflow: style.overflow};
        }"""
    )
    assert ring == {"style": "solid", "width": "3px", "overflow": "visible"}
    box = page.locator("#gallery").bounding_box()
    around = {"x": box["x"] - 8, "y": box["y"] - 8, "width": box["width"] + 16, "height": 200}
    page.screenshot(path=str(output_dir / "looks-tile-focus-1280-light.png"), clip=around)
