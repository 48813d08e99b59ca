"""Likes and comments in a real browser, on a laptop and on a phone: a friend likes a photo and
comments on it from its page without the page reloading, then likes another from the viewer; a
share link's holder sees the counts in the viewer and no Like. axe finds nothing serious;
screenshots go to test-results/e2e/social-*.png."""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import expect

from images.services.sharing import share_link_create
from social.models import Comment, Like
from social.services.comments import comment_create
from social.services.likes import like_set
from tests.e2e.helpers import SCREENS, axe_violations, log_in
from tests.factories import PetFactory, ShareFactory, UserFactory, ready_photo, store_renditions

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


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


def no_console_errors(console_errors) -> None:
    assert [e for e in console_errors if not e.startswith("Failed to load resource")] == []


def open_viewer(page) -> None:
    page.locator("#gallery .tile a").first.click()
    page.wait_for_selector(".pswp--open .pswp__img:not(.pswp__img--placeholder)")


@pytest.mark.parametrize("screen", SCREENS)
def test_a_friend_likes_and_comments_on_a_photo_page_without_reloading(
    person, live_server, biscuit, output_dir, console_errors, screen
):
    photo = biscuit.photos.get(caption="Asleep on the radiator")
    comment_create(author=biscuit.owner, photo=photo, text="He sleeps there every afternoon.")
    page = person(**SCREENS[screen])
    log_in(page, "bob")
    page.goto(f"/photos/{photo.pk}/")
    page.evaluate("() => { window.stillTheSamePage = true; }")

    like = page.locator("button.like")
    expect(like).to_have_attribute("aria-pressed", "false")
    assert like.bounding_box()["height"] >= 44
    like.click()
    expect(like).to_have_attribute("aria-pressed", "true")
    expect(page.locator("[data-like-count]")).to_have_text("1 like")
    expect(page.locator("[data-likers]")).to_have_text(" · Liked by you")
    assert Like.objects.filter(photo=photo, user__username="bob").exists()

    text = "Look at him! https://example.com/biscuit and some <b>markup</b>"
    page.fill("#comment-text", text)
    expect(page.locator("[data-comment-counter]")).to_have_text(f"{len(text)} of 2,000 characters")
    page.click("[data-comment-form] button[type=submit]")
    expect(page.locator("[data-social-status]")).to_have_text("Your comment is posted.")
    expect(page.locator(".comment")).to_have_count(2)
    expect(page.locator("[data-comment-count]")).to_have_text("2 comments")
    mine = page.locator(".comment").nth(1)
    expect(mine.locator(".comment-text")).to_have_text(text)  # the markup as text, not bold
    assert mine.locator(".comment-text b").count() == 0
    link = mine.locator(".comment-text a")
    expect(link).to_have_attribute("href", "https://example.com/biscuit")
    expect(link).to_have_attribute("rel", "nofollow noopener")
    assert page.input_value("#comment-text") == ""
    assert page.evaluate("() => window.stillTheSamePage") is True  # no reload
    no_serious_violations(page)
    page.locator("#comments").scroll_into_view_if_needed()
    page.screenshot(path=str(output_dir / f"social-photo-{screen}.png"), full_page=True)

    # An empty comment is refused in words, in the live region; nothing is posted.
    page.fill("#comment-text", "   ")
    page.evaluate("() => document.querySelector('#comment-text').required = false")
    page.click("[data-comment-form] button[type=submit]")
    expect(page.locator("[data-social-status]")).to_contain_text("the comment is empty")
    assert Comment.objects.count() == 2

    # Bob deletes his own comment (the owner's has no Delete for him), after a confirmation.
    assert page.locator(".comment").nth(0).locator("[data-comment-delete]").count() == 0
    page.once("dialog", lambda dialog: dialog.accept())
    mine.locator("[data-comment-delete] button").click()
    expect(page.locator(".comment")).to_have_count(1)
    expect(page.locator("[data-social-status]")).to_have_text("The comment was deleted.")
    assert list(Comment.objects.values_list("author__username", flat=True)) == ["ann"]
    assert page.evaluate("() => window.stillTheSamePage") is True
    no_console_errors(console_errors)


@pytest.mark.parametrize("screen", SCREENS)
def test_a_friend_likes_a_photo_from_the_viewer(
    person, live_server, biscuit, output_dir, console_errors, screen
):
    page = person(**SCREENS[screen])
    log_in(page, "bob")
    page.goto(f"/pets/{biscuit.pk}/")
    open_viewer(page)
    shown = page.evaluate("() => window.pswp.currSlide.data.photo")
    like = page.locator(".viewer-like")
    expect(like).to_be_visible()
    expect(like).to_have_attribute("aria-pressed", "false")
    box = like.bounding_box()
    assert box["height"] >= 44
    like.click()
    expect(like).to_have_attribute("aria-pressed", "true")
    expect(like).to_contain_text("Like · 1")
    assert Like.objects.filter(photo_id=shown, user__username="bob").exists()
    comments = page.locator(".viewer-comments")
    expect(comments).to_have_attribute("href", f"/photos/{shown}/#comments")
    page.screenshot(path=str(output_dir / f"social-viewer-{screen}.png"))
    no_serious_violations(page)
    comments.click()
    page.wait_for_url(f"**/photos/{shown}/#comments")
    expect(page.locator("button.like")).to_have_attribute("aria-pressed", "true")
    no_console_errors(console_errors)


@pytest.mark.parametrize("screen", SCREENS)
def test_a_link_holder_sees_the_counts_in_the_viewer_and_no_like(
    person, live_server, biscuit, output_dir, console_errors, screen
):
    _, token = share_link_create(
        pet=biscuit, created_by=biscuit.owner, lifetime=datetime.timedelta(days=7)
    )
    for photo in biscuit.photos.all():
        like_set(user=biscuit.owner, photo=photo, on=True)
        comment_create(author=biscuit.owner, photo=photo, text="A good boy")
    page = person(**SCREENS[screen])
    page.goto(f"/s/{token}/")
    open_viewer(page)
    counts = page.locator(".pswp__viewer-social")
    expect(counts).to_be_visible()
    expect(page.locator(".viewer-likes")).to_have_text("1 like")
    expect(page.locator(".viewer-comments")).to_have_text("1 comment")
    assert page.locator(".viewer-like").count() == 0
    assert page.locator(".pswp__viewer-social a").count() == 0  # the photo page is not theirs
    page.screenshot(path=str(output_dir / f"social-link-viewer-{screen}.png"))
    no_serious_violations(page)
    no_console_errors(console_errors)


@pytest.mark.parametrize("screen", SCREENS)
def test_a_friends_like_and_comment_reach_the_owners_news_at_once(
    person, live_server, biscuit, output_dir, console_errors, screen
):
    """Issue 17's journey across its parts: Ann has her home open; Bob, in his own browser,
    likes a photo and comments on it with the buttons; Ann's next page counts two pieces of
    news in the header and shows them on home, and the activity page clears the count."""
    photo = biscuit.photos.get(caption="Asleep on the radiator")
    ann = person(**SCREENS[screen])
    log_in(ann, "ann")
    ann.goto("/")
    expect(ann.locator(".activity-link .badge")).to_have_count(0)

    bob = person(**SCREENS[screen])
    log_in(bob, "bob")
    bob.goto(f"/photos/{photo.pk}/")
    bob.locator("button.like").click()
    expect(bob.locator("button.like")).to_have_attribute("aria-pressed", "true")
    bob.fill("#comment-text", "He has found the warmest spot again!")
    bob.click("[data-comment-form] button[type=submit]")
    expect(bob.locator("[data-social-status]")).to_have_text("Your comment is posted.")

    ann.reload()  # her next page, well within the news' minute in the cache
    badge = ann.locator(".activity-link")
    expect(badge).to_have_attribute("aria-label", "Activity, 2 unread")
    news = [" ".join(t.split()) for t in ann.locator(".news-item .news-link").all_inner_texts()]
    assert news == [
        "New bob commented on your photo of Biscuit",
        "New bob liked your photo of Biscuit",
    ]
    no_serious_violations(ann)
    ann.screenshot(path=str(output_dir / f"social-owners-news-{screen}.png"), full_page=True)

    ann.click("text=bob commented on your photo of Biscuit")
    ann.wait_for_url(f"**/photos/{photo.pk}/#comments")
    expect(ann.locator(".comment-text").last).to_have_text("He has found the warmest spot again!")
    ann.goto("/activity/")
    expect(ann.locator(".activity-link .badge")).to_have_count(0)
    no_console_errors(console_errors)
