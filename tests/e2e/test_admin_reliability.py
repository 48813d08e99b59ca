"""The admin's reliability pages in a real browser, on a laptop and on a phone: the dashboard's
storage and deletion-outbox panels with something in them, the set-aside deletions its link
leads to, and a reconciliation run with its example keys. What a person must read is there,
and a phone does not have to scroll sideways to read it."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.utils import timezone

from images.models import PendingObjectDeletion, Photo, ReconciliationRun
from tests.e2e.helpers import log_in
from tests.factories import PetFactory, PhotoFactory, UserFactory

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

SCREENS = {"laptop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
PET_ID, PHOTO_ID = uuid.UUID(int=0xA1), uuid.UUID(int=0xB2)
# A whole photo's renditions (a key ending in "/"): long, and without a space to break at.
STUCK_KEY = f"renditions/{PET_ID}/{PHOTO_ID}/"
STUCK_ERROR = (
    "ClientError: An error occurred (AccessDenied) when calling the DeleteObjects operation: "
    "User: arn:aws:iam::123456789012:user/pettracker-web is not authorized to perform: "
    "s3:DeleteObject on resource: arn:aws:s3:::pettracker-photos/" + STUCK_KEY
)
EXAMPLES = {
    "orphans": [
        f"renditions/{uuid.UUID(int=n)}/{uuid.UUID(int=n + 1)}/large-{'c0ffee' * 10}.webp"
        for n in range(3)
    ],
    "missing_originals": [f"originals/42/2025/03/{uuid.UUID(int=0xD00D)}.jpg"],
    "missing_renditions": [
        f"renditions/{PET_ID}/{uuid.UUID(int=0xE1)}/medium-{'ab12' * 16}.webp",
    ],
}
OVERFLOWING = """() => Array.from(document.querySelectorAll('body *'))
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
  .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
            + (e.className && typeof e.className === 'string' ? '.' + e.className : ''))"""


def troubled_storage() -> ReconciliationRun:
    """A finished reconciliation that found things, deletions waiting and one set aside, a
    photo whose task could not be sent and one failed awaiting its retry."""
    now = timezone.now()
    run = ReconciliationRun.objects.create(
        started_at=now - datetime.timedelta(hours=3),
        finished_at=now - datetime.timedelta(hours=3) + datetime.timedelta(minutes=4),
        objects_seen=1834,
        orphans=3,
        orphans_queued=3,
        recent_unreferenced=2,
        missing_originals=1,
        missing_renditions=1,
        reprocessed=1,
        empty_directories_removed=5,
        examples=EXAMPLES,
    )
    for key in EXAMPLES["orphans"][:2]:
        PendingObjectDeletion.objects.create(key=key)
    PendingObjectDeletion.objects.filter(key=EXAMPLES["orphans"][0]).update(
        created_at=now - datetime.timedelta(minutes=40)
    )
    PendingObjectDeletion.objects.create(
        key=STUCK_KEY,
        attempts=17,
        last_error=STUCK_ERROR,
        set_aside_at=now - datetime.timedelta(hours=1),
        not_before=now + datetime.timedelta(hours=6),
    )
    pet = PetFactory(name="Juniper")
    PhotoFactory(pet=pet, state=Photo.State.PENDING, unqueued_since=now)
    PhotoFactory(
        pet=pet,
        state=Photo.State.FAILED,
        error="Storage could not be reached.",
        retry_at=now + datetime.timedelta(minutes=5),
    )
    return run


def figure(page, name: str) -> str:
    return page.inner_text(f"[data-figure={name}]").strip()


def panel(page, caption: str) -> str:
    return page.inner_text(f"#content-main .module:has(caption:text-is('{caption}'))")


def read_on(page, screen: str, output_dir, name: str) -> None:
    """Screenshot the whole page; on a phone, it must not scroll sideways."""
    page.screenshot(path=str(output_dir / f"admin-{name}-{screen}.png"), full_page=True)
    if screen == "phone":
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= page.evaluate("window.innerWidth") + 1, page.evaluate(OVERFLOWING)


@pytest.mark.parametrize("screen", SCREENS)
def test_an_admin_reads_the_storage_and_the_deletions_waiting(
    person, output_dir, console_errors, screen
):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    run = troubled_storage()
    page = person()
    page.set_viewport_size(SCREENS[screen])
    log_in(page, "root")

    # The dashboard: the reconciliation's figures and what waits on beat.
    page.goto("/admin/dashboard/")
    storage = panel(page, "Storage reconciliation")
    assert f"{timezone.localtime(run.started_at):%Y-%m-%d %H:%M}" in storage
    assert figure(page, "reconciliation-orphans") == (
        "3, 3 queued for deletion (2 younger ones left for now)"
    )
    assert figure(page, "reconciliation-missing-originals") == "1"
    assert figure(page, "reconciliation-missing-renditions") == "1"
    assert figure(page, "reconciliation-reprocessed") == "1"
    assert figure(page, "reconciliation-empty-directories") == "5"
    for label in ("Orphaned objects found", "Photos missing their original", "Renditions missing"):
        assert label in storage
    outbox = panel(page, "Waiting on beat")
    assert "Deletions set aside (failed for a day)" in outbox
    assert figure(page, "deletions-waiting") == "2"
    assert figure(page, "deletions-oldest").startswith("queued 40\xa0minutes ago")
    assert figure(page, "deletions-set-aside") == "1"
    assert figure(page, "photos-unqueued") == "1"
    assert figure(page, "photos-awaiting-retry") == "1"
    read_on(page, screen, output_dir, "dashboard")

    # Its link leads to the set-aside deletions, and only those.
    page.click("[data-figure=deletions-set-aside] a")
    page.wait_for_url("**/admin/images/pendingobjectdeletion/?set_aside=yes")
    assert page.locator("#result_list tbody tr").count() == 1
    assert page.inner_text("#result_list .field-key") == STUCK_KEY
    assert page.inner_text("#result_list .field-short_error") == f"{STUCK_ERROR[:79]}…"
    assert page.inner_text("#result_list .field-attempts") == "17"
    # Not the back-off's time: beat does not try a set-aside deletion again by itself.
    assert page.inner_text("#result_list .field-next_try") == 'when someone picks "Try again now"'
    assert "Set aside (failed for a day)" in page.inner_text("#changelist-filter")
    read_on(page, screen, output_dir, "deletions-set-aside")

    # The run the dashboard links to, with the keys it found.
    page.goto("/admin/dashboard/")
    page.click("[data-figure=reconciliation-run] a")
    page.wait_for_url(f"**/admin/images/reconciliationrun/{run.pk}/change/")
    details = page.inner_text("#content-main")
    for label in ("Orphans", "Missing originals", "Missing renditions", "Examples"):
        assert label in details
    for keys in EXAMPLES.values():
        for key in keys:
            assert key in details
    assert "<br>" not in details  # markup shown as text
    read_on(page, screen, output_dir, "reconciliation-run")
    assert not [error for error in console_errors if "Content Security Policy" in error]


@pytest.mark.parametrize("screen", SCREENS)
def test_an_admin_reads_why_the_last_reconciliation_failed(
    person, output_dir, console_errors, screen
):
    """The error, long keys and all, wraps within the panel rather than widen the page."""
    UserFactory(username="root", is_staff=True, is_superuser=True)
    troubled_storage()
    failed = ReconciliationRun.objects.create(
        finished_at=timezone.now(), orphans=1, error=STUCK_ERROR
    )
    page = person()
    page.set_viewport_size(SCREENS[screen])
    log_in(page, "root")
    page.goto("/admin/dashboard/")
    last_run = figure(page, "reconciliation-run")
    assert f"{timezone.localtime(failed.started_at):%Y-%m-%d %H:%M}" in last_run
    assert "failed: the figures below are what it found before the error" in last_run
    assert figure(page, "reconciliation-error") == STUCK_ERROR
    read_on(page, screen, output_dir, "dashboard-failed-run")
    assert not [error for error in console_errors if "Content Security Policy" in error]
