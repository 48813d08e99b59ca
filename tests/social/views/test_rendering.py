"""What the photo page and the galleries show of likes and comments (social's template tags on
images' pages): hostile text inert, links marked, the queries bounded."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import resolve

from images.models import Photo
from social.models import Comment, Like
from social.templatetags.social import comment_html
from tests.factories import PhotoFactory, ShareFactory, UserFactory

pytestmark = pytest.mark.django_db

HOSTILE = [
    "<script>alert('x')</script>",
    "<b>markup</b> and <i>more</i>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    '<a href="javascript:alert(1)">click</a>',
    "&lt;already escaped&gt;",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_escaped_on_the_photo_page(actors, photo, friend, text):
    Comment.objects.create(photo=photo, author=friend, text=text)
    page = actors["owner"].get(f"/photos/{photo.pk}/").content.decode()
    shown = re.search(r'<div class="comment-text">(.*?)</div>', page, re.S).group(1)
    assert "<" not in shown  # no markup of the comment's own, no link made
    assert unescape(shown) == text  # and the reader sees exactly what was written


def test_web_addresses_become_links_marked_nofollow_noopener(actors, photo, friend):
    text = "Look: https://example.com/dogs?a=1&b=2 and www.example.org, not javascript:alert(1)"
    Comment.objects.create(photo=photo, author=friend, text=text)
    page = actors["viewer"].get(f"/photos/{photo.pk}/").content.decode()
    assert (
        '<a href="https://example.com/dogs?a=1&amp;b=2" rel="nofollow noopener">'
        "https://example.com/dogs?a=1&amp;b=2</a>"
    ) in page
    assert '<a href="http://www.example.org" rel="nofollow noopener">www.example.org</a>,' in page
    assert 'href="javascript' not in page


def test_links_never_carry_a_quote_out_of_their_attribute():
    html = str(comment_html('https://example.com/"onmouseover="alert(1)'))
    assert 'onmouseover="' not in html
    assert re.fullmatch(r'<a href="[^"]*" rel="nofollow noopener">[^<]*</a>[^<"]*', html)


def test_line_breaks_are_kept_and_nothing_else_is_markup():
    assert str(comment_html("one\n\ntwo <3")) == "one<br><br>two &lt;3"


def test_a_very_long_word_is_wrapped_by_the_style_sheet(actors, photo, friend):
    Comment.objects.create(photo=photo, author=friend, text="a" * 2000)
    page = actors["viewer"].get(f"/photos/{photo.pk}/").content.decode()
    assert '<div class="comment-text">' + "a" * 2000 + "</div>" in page
    with open("static/css/app.css") as css:
        assert ".comment-text { overflow-wrap: anywhere; }" in css.read()


def test_the_page_says_who_wrote_when_and_offers_delete_to_those_allowed(
    actors, photo, friend, contributor
):
    mine = Comment.objects.create(photo=photo, author=friend, text="Mine")
    theirs = Comment.objects.create(photo=photo, author=contributor, text="Theirs")
    page = actors["viewer"].get(f"/photos/{photo.pk}/").content.decode()
    assert f'action="/comments/{mine.pk}/delete/"' in page
    assert f'action="/comments/{theirs.pk}/delete/"' not in page
    assert f'<time datetime="{mine.created_at.isoformat()}' in page
    owners = actors["owner"].get(f"/photos/{photo.pk}/").content.decode()
    assert f'action="/comments/{theirs.pk}/delete/"' in owners  # the pet's owner: any


def test_the_like_button_is_pressed_for_those_who_like_it(actors, photo, friend, owner):
    Like.objects.create(photo=photo, user=friend)
    page = actors["viewer"].get(f"/photos/{photo.pk}/").content.decode()
    like = re.search(r'<button[^>]*class="secondary like"[^>]*>', page).group(0)
    assert 'aria-pressed="true"' in like
    assert "1 like" in page
    assert "Liked by you" in page
    owners = actors["owner"].get(f"/photos/{photo.pk}/").content.decode()
    assert 'aria-pressed="false"' in re.search(
        r'<button[^>]*class="secondary like"[^>]*>', owners
    ).group(0)
    assert "Liked by friend" in owners


def test_like_and_favourite_are_told_apart(actors, photo):
    page = unescape(actors["viewer"].get(f"/photos/{photo.pk}/").content.decode())
    assert "Favourite" in page  # the heart: one's own
    assert 'class="thumb"' in page
    assert "> Like</button>" in page
    assert "Everyone who sees Biscuit's photos sees it." in page


def test_the_comment_form_has_a_label_and_the_limit(actors, photo):
    page = actors["contributor"].get(f"/photos/{photo.pk}/").content.decode()
    assert '<label for="comment-text">Add a comment</label>' in page
    assert 'maxlength="2000"' in page
    assert "js/social" in page


def test_a_photo_not_ready_shows_nothing_of_likes_or_comments(actors, pet):
    processing = PhotoFactory(pet=pet, state=Photo.State.PROCESSING)
    page = actors["owner"].get(f"/photos/{processing.pk}/").content.decode()
    assert 'id="comments"' not in page


def _photo_page_queries(client, photo) -> int:
    client.get(f"/photos/{photo.pk}/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/photos/{photo.pk}/").status_code == 200
    return len(queries)


def test_the_photo_pages_queries_do_not_grow_with_likes_and_comments(actors, pet, photo, friend):
    Comment.objects.create(photo=photo, author=friend, text="one")
    Like.objects.create(photo=photo, user=friend)
    few = _photo_page_queries(actors["owner"], photo)
    for n in range(10):
        person = UserFactory(username=f"pal{n}")
        ShareFactory(pet=pet, grantee=person)
        Like.objects.create(photo=photo, user=person)
        Comment.objects.create(photo=photo, author=person, text=f"comment {n}")
    many = _photo_page_queries(actors["owner"], photo)
    assert many == few


# --- The viewer's addresses on galleries: no query -------------------------------------------


def _viewer_attributes(client, path) -> str:
    page = client.get(path).content.decode()
    return re.search(r'<script type="module"[^>]*js/viewer[^>]*>', page).group(0)


def test_a_signed_in_gallery_tells_the_viewer_where_counts_likes_and_comments_are(
    actors, pet, photo
):
    script = _viewer_attributes(actors["viewer"], f"/pets/{pet.pk}/")
    zero = "00000000-0000-0000-0000-000000000000"
    assert f'data-social-counts="/photos/{zero}/social/"' in script
    assert f'data-social-like="/photos/{zero}/like/"' in script
    assert f'data-social-page="/photos/{zero}/#comments"' in script
    assert "viewer_social" in script


def test_a_link_gallery_gives_the_counts_through_the_link_and_no_like(client, photo, link_token):
    script = _viewer_attributes(client, f"/s/{link_token}/")
    assert f'data-social-counts="/s/{link_token}/photos/' in script
    assert "data-social-like" not in script
    assert "data-social-page" not in script


def test_the_viewers_addresses_cost_no_query(friend, django_assert_num_queries):
    request = RequestFactory().get("/")
    request.user = friend
    request.resolver_match = resolve("/")
    template = Template("{% load social %}{% viewer_social %}")
    with django_assert_num_queries(0):
        html = template.render(Context({"request": request}))
    assert "data-social-like" in html


def test_the_photo_page_shows_the_newest_comments_in_order_and_links_to_the_earlier(
    actors, photo, friend, settings
):
    from social.templatetags import social as tags

    for n in range(tags.COMMENTS_SHOWN + 2):
        Comment.objects.create(photo=photo, author=friend, text=f"Comment number {n}")
    page = actors["owner"].get(f"/photos/{photo.pk}/").content.decode()
    shown = re.findall(r"Comment number (\d+)", page)
    assert shown == [str(n) for n in range(2, tags.COMMENTS_SHOWN + 2)]  # oldest of them first
    assert f"{tags.COMMENTS_SHOWN + 2} comments" in page  # all counted
    assert f'href="/photos/{photo.pk}/?comments=all#comments"' in page
    assert "Show earlier comments" in page
    everything = actors["owner"].get(f"/photos/{photo.pk}/?comments=all").content.decode()
    assert re.findall(r"Comment number (\d+)", everything) == [
        str(n) for n in range(tags.COMMENTS_SHOWN + 2)
    ]
    assert "Show earlier comments" not in everything


def test_a_photo_with_few_comments_offers_no_earlier_ones(actors, photo, friend):
    Comment.objects.create(photo=photo, author=friend, text="only one")
    assert (
        "Show earlier comments" not in actors["owner"].get(f"/photos/{photo.pk}/").content.decode()
    )


def test_the_photo_pages_queries_stay_the_same_past_the_comments_shown(
    actors, photo, friend, monkeypatch
):
    monkeypatch.setattr("social.templatetags.social.COMMENTS_SHOWN", 3)
    Comment.objects.create(photo=photo, author=friend, text="one")
    few = _photo_page_queries(actors["owner"], photo)
    for n in range(6):
        Comment.objects.create(photo=photo, author=friend, text=f"comment {n}")
    assert _photo_page_queries(actors["owner"], photo) == few
    page = actors["owner"].get(f"/photos/{photo.pk}/").content.decode()
    assert page.count('class="comment"') == 3
