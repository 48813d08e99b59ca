"""Posting and deleting comments through the pages and the scripts: what each answers, and
that nothing typed is lost when a comment is refused."""

from __future__ import annotations

from html import unescape

import pytest

from social.models import Comment
from social.services.comments import comment_create

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


def test_a_posted_comment_comes_back_to_it_on_the_photo_page(actors, photo):
    response = actors["viewer"].post(f"/photos/{photo.pk}/comments/", {"text": "Good boy!"})
    comment = Comment.objects.get()
    assert response["Location"] == f"/photos/{photo.pk}/#comment-{comment.pk}"
    page = actors["viewer"].get(response["Location"]).content.decode()
    assert "Your comment is posted." in page
    assert f'id="comment-{comment.pk}"' in page


def test_a_script_gets_the_comment_as_the_page_shows_it(actors, photo):
    response = actors["viewer"].post(
        f"/photos/{photo.pk}/comments/", {"text": "<b>bold</b> see https://example.com"}, **JSON
    )
    assert response.status_code == 201
    answer = response.json()
    assert answer["comments"] == 1
    assert "&lt;b&gt;bold&lt;/b&gt;" in answer["html"]
    assert "<b>" not in answer["html"]
    assert 'rel="nofollow noopener"' in answer["html"]
    assert "Delete" in answer["html"]  # its author may delete it


def test_an_empty_comment_says_so_and_keeps_nothing(actors, photo):
    response = actors["viewer"].post(f"/photos/{photo.pk}/comments/", {"text": "  \n "}, **JSON)
    assert response.status_code == 400
    assert "empty" in response.json()["error"]
    assert not Comment.objects.exists()


def test_a_comment_too_long_is_refused_with_the_text_typed_kept_in_the_form(actors, photo):
    text = "Such a good dog & friend " * 100  # 2,500 characters
    response = actors["viewer"].post(f"/photos/{photo.pk}/comments/", {"text": text})
    assert response.status_code == 400
    page = unescape(response.content.decode())
    assert "at most 2,000 characters" in page
    assert "too many" in page
    assert text in page  # in the form, to shorten and post again
    assert not Comment.objects.exists()


def test_past_the_rate_a_429_says_when_to_try_again(actors, photo, friend, settings):
    settings.COMMENTS_PER_MINUTE = 1
    comment_create(author=friend, photo=photo, text="first")
    response = actors["viewer"].post(f"/photos/{photo.pk}/comments/", {"text": "second"}, **JSON)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "try again in" in response.json()["error"]
    page = actors["viewer"].post(f"/photos/{photo.pk}/comments/", {"text": "second"})
    assert page.status_code == 429
    assert "second</textarea>" in page.content.decode()


def test_a_deleted_comment_goes_back_to_the_photos_comments(actors, photo, friend):
    comment = comment_create(author=friend, photo=photo, text="Oops")
    response = actors["viewer"].post(f"/comments/{comment.pk}/delete/")
    assert response["Location"] == f"/photos/{photo.pk}/#comments"
    assert "The comment was deleted." in actors["viewer"].get(response["Location"]).content.decode()
    assert not Comment.objects.exists()


def test_a_script_deleting_a_comment_gets_the_count_left(actors, photo, friend, owner):
    comment = comment_create(author=friend, photo=photo, text="Oops")
    comment_create(author=owner, photo=photo, text="Stays")
    response = actors["owner"].post(f"/comments/{comment.pk}/delete/", **JSON)
    assert response.json() == {"deleted": comment.pk, "comments": 1}


def test_someone_who_sees_a_comment_but_may_not_delete_it_is_told_why(actors, photo, owner):
    comment = comment_create(author=owner, photo=photo, text="Mine")
    response = actors["viewer"].post(f"/comments/{comment.pk}/delete/", **JSON)
    assert response.status_code == 403
    assert response.json()["error"] == (
        "Only the comment's author or the pet's owner may delete it."
    )
    assert actors["viewer"].post(f"/comments/{comment.pk}/delete/").status_code == 403


def test_anonymous_posts_are_sent_to_log_in_and_back_to_the_photo(actors, photo):
    response = actors["anonymous"].post(f"/photos/{photo.pk}/comments/", {"text": "hi"})
    assert response["Location"] == f"/accounts/login/?next=/photos/{photo.pk}/"


def test_the_actions_answer_only_post(actors, photo, friend):
    comment = comment_create(author=friend, photo=photo, text="hi")
    for path in (f"/photos/{photo.pk}/comments/", f"/comments/{comment.pk}/delete/"):
        assert actors["viewer"].get(path).status_code == 405


def test_a_post_without_the_csrf_token_is_refused(friend, photo):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(friend)
    assert client.post(f"/photos/{photo.pk}/comments/", {"text": "hi"}).status_code == 403
    assert client.post(f"/photos/{photo.pk}/like/").status_code == 403
    assert not Comment.objects.exists()
