"""Comments: kept tidied, refused when empty, too long or too fast, deleted by those allowed."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from images.services.errors import TooFast
from social.models import Comment, CommentPost
from social.pure.comment_text import CommentTooLong, EmptyComment
from social.services.comments import (
    comment_create,
    comment_delete,
    comments_delete,
)
from tests.factories import PetFactory, ready_photo

pytestmark = pytest.mark.django_db


@pytest.fixture
def photo(pet):
    return ready_photo(pet=pet)


def posted_ago(comment, ago: datetime.timedelta) -> None:
    """As if ``comment`` had been posted ``ago`` (its row and the post the rate counts)."""
    when = timezone.now() - ago
    CommentPost.objects.filter(author=comment.author, created_at=comment.created_at).update(
        created_at=when
    )
    Comment.objects.filter(pk=comment.pk).update(created_at=when)


def test_a_comment_is_kept_tidied(photo, friend):
    comment = comment_create(author=friend, photo=photo, text="  Good\x00 boy!\u202e\n\n\n\nYes.  ")
    comment.refresh_from_db()
    assert comment.text == "Good boy!\n\nYes."
    assert (comment.author, comment.photo) == (friend, photo)


def test_an_empty_comment_is_refused_and_nothing_kept(photo, friend):
    with pytest.raises(EmptyComment):
        comment_create(author=friend, photo=photo, text=" \n\t ")
    assert not Comment.objects.exists()


def test_a_comment_too_long_is_refused_and_nothing_kept(photo, friend):
    with pytest.raises(CommentTooLong) as refused:
        comment_create(author=friend, photo=photo, text="x" * 2001)
    assert "1 too many" in str(refused.value)
    assert not Comment.objects.exists()


def test_past_the_rate_a_minute_a_comment_is_refused_saying_when_to_try(photo, friend, settings):
    settings.COMMENTS_PER_MINUTE = 3
    for n in range(3):
        comment_create(author=friend, photo=photo, text=f"Number {n}")
    with pytest.raises(TooFast) as refused:
        comment_create(author=friend, photo=photo, text="One more")
    assert 1 <= refused.value.retry_after <= 60
    assert "3 comments a minute is the most allowed; try again in" in str(refused.value)
    assert Comment.objects.count() == 3


def test_the_rate_frees_up_as_the_oldest_leaves_the_minute(photo, friend, settings):
    settings.COMMENTS_PER_MINUTE = 2
    now = timezone.now()
    for seconds_ago in (50, 10):
        comment = comment_create(author=friend, photo=photo, text="hi")
        posted_ago(comment, datetime.timedelta(seconds=seconds_ago))
    with pytest.raises(TooFast) as refused:
        comment_create(author=friend, photo=photo, text="too soon")
    assert 9 <= refused.value.retry_after <= 11  # when the one of 50 s ago leaves the minute
    CommentPost.objects.filter(created_at__lt=now - datetime.timedelta(seconds=30)).update(
        created_at=now - datetime.timedelta(seconds=61)
    )
    comment_create(author=friend, photo=photo, text="now it goes")


def test_past_the_rate_a_day_the_wait_is_said_in_hours(photo, friend, settings):
    settings.COMMENTS_PER_DAY = 2
    for hours_ago in (20, 5):
        comment = comment_create(author=friend, photo=photo, text="hi")
        posted_ago(comment, datetime.timedelta(hours=hours_ago))
    with pytest.raises(TooFast) as refused:
        comment_create(author=friend, photo=photo, text="again")
    assert str(refused.value) == "2 comments a day is the most allowed; try again in 4 hours."


def test_the_rate_is_each_authors_own_across_photos(pet, photo, friend, contributor, settings):
    settings.COMMENTS_PER_MINUTE = 1
    comment_create(author=friend, photo=photo, text="mine")
    comment_create(author=contributor, photo=photo, text="theirs")
    with pytest.raises(TooFast):
        comment_create(author=friend, photo=ready_photo(pet=pet), text="another photo")


def test_deleting_comments_gives_back_none_of_the_rate(photo, friend, owner, settings):
    settings.COMMENTS_PER_MINUTE = 3
    for n in range(2):
        comment_delete(comment=comment_create(author=friend, photo=photo, text=f"Spam {n}"))
    comment_create(author=friend, photo=photo, text="Spam 2")
    comments_delete(comments=Comment.objects.filter(author=friend))  # the owner removes it
    assert not Comment.objects.exists()
    with pytest.raises(TooFast):
        comment_create(author=friend, photo=photo, text="Spam 3")


def test_posts_older_than_a_day_are_forgotten_as_the_author_posts(photo, friend):
    posted_ago(comment_create(author=friend, photo=photo, text="old"), datetime.timedelta(days=2))
    comment_create(author=friend, photo=photo, text="new")
    assert CommentPost.objects.filter(author=friend).count() == 1


def test_deleting_a_comment_twice_deletes_it_once(photo, friend):
    comment = comment_create(author=friend, photo=photo, text="Oops")
    assert comment_delete(comment=comment) is True
    assert comment_delete(comment=comment) is False
    assert not Comment.objects.exists()


def test_comments_are_deleted_in_bulk(photo, friend, owner):
    for author in (friend, owner, friend):
        comment_create(author=author, photo=photo, text="hello")
    assert comments_delete(comments=Comment.objects.filter(author=friend)) == 2
    assert list(Comment.objects.values_list("author__username", flat=True)) == ["owner"]


def test_a_deleted_photo_or_pet_takes_its_comments(pet, photo, friend):
    other = ready_photo(pet=PetFactory(owner=pet.owner))
    comment_create(author=friend, photo=photo, text="on the first")
    comment_create(author=friend, photo=other, text="on the other")
    photo.delete()
    assert list(Comment.objects.values_list("text", flat=True)) == ["on the other"]
    other.pet.delete()
    assert not Comment.objects.exists()


def test_who_may_delete_a_comment(pet, photo, owner, friend, contributor, stranger):
    comment = comment_create(author=friend, photo=photo, text="hello")
    deletable = {
        user.username: Comment.objects.deletable_by(user).filter(pk=comment.pk).exists()
        for user in (owner, friend, contributor, stranger)
    }
    assert deletable == {"owner": True, "friend": True, "contributor": False, "stranger": False}


def test_an_author_who_lost_the_share_no_longer_deletes_it(pet, photo, friend):
    comment = comment_create(author=friend, photo=photo, text="hello")
    pet.shares.filter(grantee=friend).delete()
    assert not Comment.objects.deletable_by(friend).filter(pk=comment.pk).exists()
