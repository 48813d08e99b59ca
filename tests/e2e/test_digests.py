"""The digests in a real browser: the choice on the account page, and the unsubscribe link
opened without logging in."""

from __future__ import annotations

import base64
import email
from email import policy

import pytest
from django.utils import timezone

from social.models import DigestSend, DigestSubscription
from social.services.digests import compose_digest, digest_subscription_set, unsubscribe_token
from tests.e2e.helpers import SCREENS, axe_violations, log_in
from tests.factories import PetFactory, ShareFactory, UserFactory
from tests.social.helpers import HOUR, added, commented, yesterday

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", SCREENS)
def test_a_person_chooses_daily_digests_then_stops_them_from_the_mails_link(
    person, live_server, output_dir, console_errors, width, signing_key
):
    reader = UserFactory(username="reader")
    page = person(**SCREENS[width])
    log_in(page, "reader")
    page.goto("/accounts/")
    assert page.input_value("#id_frequency") == "weekly"
    box = page.locator(".digest-choice button[type=submit]").bounding_box()
    assert box["height"] >= 44
    page.select_option("#id_frequency", "daily")
    page.click(".digest-choice button[type=submit]")
    page.wait_for_url("**/accounts/")
    assert "Saved: a digest each day" in page.inner_text("[role=status]")
    assert page.input_value("#id_frequency") == "daily"
    assert axe_violations(page)[0] == []
    page.screenshot(path=str(output_dir / f"digests-chosen-{width}.png"), full_page=True)
    assert DigestSubscription.frequency_of(reader) == "daily"

    # The link in a digest, in another browser where nobody is logged in.
    visitor = person(**SCREENS[width])
    visitor.goto(f"/digests/unsubscribe/{unsubscribe_token(reader)}/")
    assert DigestSubscription.frequency_of(reader) == "daily"  # opening it changed nothing
    visitor.click("main form button[type=submit]")
    visitor.wait_for_selector("text=Digests are off")
    assert axe_violations(visitor)[0] == []
    visitor.screenshot(path=str(output_dir / f"digests-unsubscribed-{width}.png"), full_page=True)
    assert DigestSubscription.frequency_of(reader) == "off"
    assert console_errors == []


@pytest.mark.parametrize("width", SCREENS)
def test_the_digests_html_reads_well_with_its_inline_images(
    person, live_server, output_dir, width, settings
):
    """The mail as a mail client shows it: its cid: images given as data: URIs."""
    settings.SITE_URL = "https://pets.example"
    owner, reader = UserFactory(username="frank"), UserFactory(username="olivia")
    pets = [PetFactory(owner=owner, name=name) for name in ("Pip", "Biscuit <b>&</b>")]
    period = yesterday()
    for pet in pets:
        ShareFactory(pet=pet, grantee=reader)
        photos = [added(pet, owner, period.start + HOUR, stored=True) for _ in range(3)]
    commented(photos[0], owner, period.start + HOUR, text="<script>alert(1)</script> Asleep again")
    digest_subscription_set(user=reader, frequency="daily")
    message = compose_digest(reader, period).message
    parsed = email.message_from_bytes(message.message().as_bytes(), policy=policy.default)
    html = next(p for p in parsed.walk() if p.get_content_type() == "text/html").get_content()
    for part in parsed.walk():
        if part.get_content_type() == "image/jpeg":
            data = base64.b64encode(part.get_content()).decode()
            cid = part["Content-ID"].strip("<>")
            html = html.replace(f"cid:{cid}", f"data:image/jpeg;base64,{data}")
    assert "cid:" not in html  # every image the HTML names is attached
    page = person(**SCREENS[width])
    page.set_content(html)
    assert page.locator("img").count() == 6
    assert page.evaluate("() => [...document.images].every(i => i.naturalWidth === 256)")
    assert page.locator("script").count() == 0
    page.screenshot(path=str(output_dir / f"digest-mail-{width}.png"), full_page=True)


@pytest.mark.parametrize("width", SCREENS)
def test_an_admin_reads_the_digests_sent_failed_and_interrupted(
    person, live_server, output_dir, console_errors, width
):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    period = yesterday()
    for n, state in enumerate(["sent", "sent", "failed", "sending"]):
        send = DigestSend.objects.create(
            user=UserFactory(username=f"reader{n}"),
            frequency="daily",
            period_key=period.key,
            period_start=period.start,
            period_end=period.end,
            state=state,
            error="SMTPRecipientsRefused: {'[address]': (550, b'5.1.1 mailbox unavailable')}"
            if state == "failed"
            else "",
        )
        DigestSend.objects.filter(pk=send.pk).update(created_at=timezone.now() - 2 * HOUR)
    page = person(**SCREENS[width])
    log_in(page, "root")
    page.goto("/admin/dashboard/")
    assert page.inner_text("[data-figure=digests-day-sent]") == "2"
    assert page.inner_text("[data-figure=digests-day-interrupted]") == "1"
    assert "mailbox unavailable" in page.inner_text("[data-figure=digest-failures]")
    # Django's own breadcrumbs are links told by colour alone; the admin's, not the dashboard's.
    serious = [v for v in axe_violations(page)[0] if ".breadcrumbs" not in v]
    assert serious == []
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.screenshot(path=str(output_dir / f"digests-dashboard-{width}.png"), full_page=True)
    page.click("[data-figure=digest-failures] a")
    page.wait_for_url("**/admin/social/digestsend/*/change/")
    assert "mailbox unavailable" in page.inner_text("#content")
    page.screenshot(path=str(output_dir / f"digests-admin-send-{width}.png"), full_page=True)
    assert console_errors == []
