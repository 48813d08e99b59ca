"""A labelled password link in a real browser: the owner makes it on the sharing page, a link
holder opens it in a browser of their own, types a wrong password then the right one and sees
the gallery's images. axe finds nothing serious on any of the pages, at 1280 and 390 px;
screenshots are kept as ``test-results/e2e/share-links-<step>-<width>.png``."""

from __future__ import annotations

import pytest

from images.models import ShareLink
from tests.e2e.helpers import SCREENS, axe_violations, log_in
from tests.factories import PetFactory, UserFactory, ready_photo, store_renditions

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def looks_right(page, step: str, width: int, output_dir) -> None:
    serious, _ = axe_violations(page)
    assert serious == [], f"{step}: {serious}"
    shot = output_dir / f"share-links-{step}-{width}.png"
    page.screenshot(path=str(shot), full_page=True, scale="css")


def image_widths(page) -> list[int]:
    page.eval_on_selector_all("#gallery img", "images => images.forEach(i => i.loading = 'eager')")
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('#gallery img')).every(i => i.complete)"
    )
    return page.eval_on_selector_all("#gallery img", "images => images.map(i => i.naturalWidth)")


@pytest.mark.parametrize("width", SCREENS)
def test_a_labelled_password_link_opens_with_the_right_password_only(
    person, live_server, signing_key, output_dir, console_errors, width
):
    ann = UserFactory(username="ann")
    pet = PetFactory(owner=ann, name="Biscuit")
    for colour in ("#d9480f", "#2f9e44"):
        store_renditions(ready_photo(pet=pet, caption=f"In {colour}"), colour=colour)

    owner = person(**SCREENS[width])
    log_in(owner, "ann")
    owner.goto(f"/pets/{pet.pk}/sharing/")
    owner.fill("#id_label", "Grandma")
    owner.select_option("#id_lifetime", "30")
    owner.fill("#id_password", "tea and biscuits")
    owner.click(".link-form button[type=submit]")
    owner.wait_for_selector("#new-link-url")
    url = owner.input_value("#new-link-url")
    assert "Your new link, Grandma" in owner.inner_text(".new-link")
    facts = owner.eval_on_selector_all(
        ".link-facts div", "rows => rows.map(r => r.innerText.replace(/\\s+/g, ' '))"
    )
    assert "Password Yes" in facts
    assert "Downloads No" in facts
    owner.click(".link-change summary")  # the link's form of changes, open, is checked too
    looks_right(owner, "sharing", width, output_dir)

    holder = person(**SCREENS[width])  # a fresh browser: no session, no cookies
    holder.goto(url)
    assert holder.inner_text("h1") == "This gallery has a password"
    assert "Biscuit" not in holder.content()
    assert "Grandma" not in holder.content()
    looks_right(holder, "password", width, output_dir)

    holder.fill("#id_password", "coffee and cake")
    holder.click("main form button[type=submit]")
    holder.wait_for_selector(".field.has-error")
    assert "That password isn't right." in holder.inner_text("main")
    assert "Biscuit" not in holder.content()
    looks_right(holder, "password-wrong", width, output_dir)

    holder.fill("#id_password", "tea and biscuits")
    holder.click("main form button[type=submit]")
    holder.wait_for_selector("#gallery")
    assert holder.inner_text("h1") == "Biscuit"
    assert all(w > 0 for w in image_widths(holder))
    assert len(image_widths(holder)) == 2
    looks_right(holder, "gallery", width, output_dir)

    link = ShareLink.objects.get(pet=pet)
    assert (link.label, link.opens) == ("Grandma", 1)
    # Errors the pages wrote: the wrong password's own 403 is the page's answer, not an error.
    assert [e for e in console_errors if not e.startswith("Failed to load resource")] == []
