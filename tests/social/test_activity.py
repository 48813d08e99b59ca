"""The activity's reads: exactly which events each person hears about, within the window, in
a fixed number of queries; and the header's count of unread news, cached and capped."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.utils import timezone

import social.models
from images.models import Share
from social.models import (
    ACTIVITY_WINDOW,
    activity_of,
    activity_summary,
    summary_cache_key,
    unread_activity_count,
)
from social.pure.activity import Kind
from social.services.activity import activity_mark_read
from tests.factories import PetFactory, ShareFactory, UserFactory
from tests.social.activity_helpers import added, ago, commented, liked

pytestmark = pytest.mark.django_db


def heard(user) -> list[tuple]:
    """(kind, who, photo) of each event ``user`` hears about, newest first per kind."""
    return [(e.kind, e.actor, e.photo_id) for e in activity_of(user)]


@pytest.fixture
def photos(pet, owner, contributor):
    """Biscuit's photos: the owner's and the contributor's, ready an hour ago."""
    return {
        "owner's": added(pet, owner, at=ago(hours=1)),
        "contributor's": added(pet, contributor, at=ago(hours=1)),
    }


# --- Photos added -----------------------------------------------------------------------------


def test_photos_added_reach_everyone_who_sees_the_pet_but_their_uploader(
    pet, owner, friend, contributor, stranger, photos
):
    mine, theirs = photos["owner's"].pk, photos["contributor's"].pk
    assert heard(owner) == [(Kind.ADDED, "contributor", theirs)]
    assert heard(contributor) == [(Kind.ADDED, "owner", mine)]
    assert sorted(heard(friend)) == sorted(
        [(Kind.ADDED, "owner", mine), (Kind.ADDED, "contributor", theirs)]
    )
    assert heard(stranger) == []


def test_a_photo_counts_when_it_turned_ready_not_before(pet, owner, contributor):
    from tests.factories import PhotoFactory

    PhotoFactory(pet=pet, uploader=contributor, state="processing")
    PhotoFactory(pet=pet, uploader=contributor, state="failed", error="Not an image")
    assert heard(owner) == []


def test_an_event_carries_the_pet_and_when_it_happened(pet, owner, contributor):
    when = ago(minutes=5)
    photo = added(pet, contributor, at=when)
    (event,) = activity_of(owner)
    assert (event.pet_id, event.pet, event.at, event.actor_id, event.photo_id) == (
        pet.pk,
        "Biscuit",
        when,
        contributor.pk,
        photo.pk,
    )


# --- Comments -------------------------------------------------------------------------------


def test_comments_reach_everyone_who_sees_the_photo_but_their_author(
    pet, owner, friend, contributor, stranger, photos
):
    photo = photos["contributor's"]
    commented(photo, friend)
    assert (Kind.COMMENTED, "friend", photo.pk) in heard(owner)
    assert (Kind.COMMENTED, "friend", photo.pk) in heard(contributor)
    assert Kind.COMMENTED not in [kind for kind, *_ in heard(friend)]
    assert heard(stranger) == []


# --- Likes ----------------------------------------------------------------------------------


def test_likes_reach_only_the_photos_uploader(pet, owner, friend, contributor, photos):
    liked(photos["contributor's"], friend)
    liked(photos["owner's"], contributor)
    liked(photos["owner's"], owner)  # one's own like is not news
    likes = {
        user.username: [e for e in heard(user) if e[0] is Kind.LIKED]
        for user in (owner, friend, contributor)
    }
    assert likes == {
        "owner": [(Kind.LIKED, "contributor", photos["owner's"].pk)],
        "friend": [],
        "contributor": [(Kind.LIKED, "friend", photos["contributor's"].pk)],
    }


# --- Who no longer sees, who never did ------------------------------------------------------


def test_a_friend_whose_share_was_revoked_hears_nothing_more_of_the_pet(pet, owner, friend, photos):
    commented(photos["owner's"], owner)
    assert heard(friend) != []
    Share.objects.filter(pet=pet, grantee=friend).delete()
    assert heard(friend) == []


def test_a_contributor_revoked_hears_of_no_like_of_their_old_uploads(
    pet, friend, contributor, photos
):
    liked(photos["contributor's"], friend)
    Share.objects.filter(pet=pet, grantee=contributor).delete()
    assert heard(contributor) == []


def test_visitors_have_no_activity(photos):
    assert activity_of(AnonymousUser()) == []


def test_other_pets_news_reaches_only_their_people(pet, owner, stranger):
    other = PetFactory(owner=stranger, name="Pip")
    friend_of_stranger = UserFactory(username="olivia")
    ShareFactory(pet=other, grantee=friend_of_stranger)
    added(other, stranger)
    assert heard(owner) == []
    assert [e.pet for e in activity_of(friend_of_stranger)] == ["Pip"]


# --- The window and the bounds --------------------------------------------------------------


def test_only_the_last_thirty_days_are_news(pet, owner, friend, contributor):
    added(pet, contributor, at=ago(days=31))
    old = added(pet, contributor, at=ago(days=40))
    commented(old, friend, at=ago(days=31))
    liked(old, friend, at=ago(days=31))
    assert ACTIVITY_WINDOW.days == 30
    assert heard(owner) == []
    recent = added(pet, contributor, at=ago(days=29))
    assert heard(owner) == [(Kind.ADDED, "contributor", recent.pk)]


def test_since_limits_what_is_read_to_later_events(pet, owner, contributor):
    added(pet, contributor, at=ago(hours=3))
    later = added(pet, contributor, at=ago(hours=1))
    assert [e.photo_id for e in activity_of(owner, since=ago(hours=2))] == [later.pk]


def test_each_kind_reads_at_most_its_limit_and_nothing_older_than_a_cut(
    pet, owner, friend, contributor
):
    photos = [added(pet, contributor, at=ago(minutes=m)) for m in (10, 20, 30)]
    commented(photos[0], friend, at=ago(minutes=15))
    commented(photos[0], friend, at=ago(minutes=25))  # older than the added photos' cut
    events = activity_of(owner, limit=2)
    assert sorted((e.kind, e.photo_id) for e in events) == sorted(
        [(Kind.ADDED, photos[0].pk), (Kind.ADDED, photos[1].pk), (Kind.COMMENTED, photos[0].pk)]
    )


def test_the_reads_are_four_queries_however_many_events(
    pet, owner, friend, contributor, django_assert_num_queries
):
    for i in range(5):
        photo = added(pet, contributor, at=ago(minutes=i))
        commented(photo, friend)
        liked(added(pet, owner), friend)
    with django_assert_num_queries(4):  # the pets, then each kind
        assert len(activity_of(owner)) == 15


def test_an_uploader_whose_account_is_gone_is_no_one_by_name(pet, owner, contributor):
    added(pet, contributor)
    contributor.delete()
    assert heard(owner)[0][1] == ""


# --- The summary: the header's count and home's news ------------------------------------------


def test_the_unread_count_is_of_groups_after_what_was_read(pet, owner, friend, contributor):
    first = added(pet, contributor, at=ago(hours=5))
    added(pet, contributor, at=ago(hours=4, minutes=30))  # with the first: one group
    commented(first, friend, at=ago(hours=1))
    assert unread_activity_count(owner) == 2
    activity_mark_read(user=owner, until=ago(hours=2))
    assert unread_activity_count(owner) == 1  # the comment


def test_the_summary_is_kept_a_while_and_forgotten_when_read(
    pet, owner, contributor, django_assert_num_queries
):
    added(pet, contributor, at=ago(minutes=5))
    with django_assert_num_queries(6):  # how far one read, four reads, the thumbnails
        summary = activity_summary(owner)
    assert (summary.unread, len(summary.groups), summary.seen_at) == (1, 1, None)
    added(pet, contributor, at=ago(hours=4))  # news the cached summary does not know yet
    with django_assert_num_queries(0):
        assert unread_activity_count(owner) == 1
    activity_mark_read(user=owner, until=ago(hours=3))
    assert cache.get(summary_cache_key(owner.pk)) is None
    assert unread_activity_count(owner) == 1  # the 5-minute one; the 4-hour one is read


def test_the_summary_holds_homes_newest_groups_and_their_first_thumbnails(
    pet, owner, contributor, monkeypatch
):
    monkeypatch.setattr(social.models, "HOME_GROUPS", 2)
    photos = [added(pet, contributor, at=ago(minutes=m)) for m in (1, 2, 3, 4, 5)]
    added(pet, contributor, at=ago(hours=5))
    added(pet, contributor, at=ago(hours=10))
    summary = activity_summary(owner)
    assert [g.text for g in summary.groups] == [
        "contributor added 5 photos of Biscuit",
        "contributor added a photo of Biscuit",
    ]
    assert summary.unread == 3
    assert set(summary.thumbs) == {p.pk for p in photos[:4]} | {summary.groups[1].photo_ids[0]}
    assert (
        summary.thumbs[photos[0].pk]
        == f"renditions/{pet.pk}/{photos[0].pk}/thumb-{photos[0].pk.hex[:8]}.webp"
    )


def test_the_unread_count_stops_past_its_cap(pet, owner, contributor, monkeypatch):
    monkeypatch.setattr(social.models, "UNREAD_CAP", 2)
    for hours in (1, 4, 7, 10):  # four groups: each more than two hours from the next
        added(pet, contributor, at=ago(hours=hours))
    assert unread_activity_count(owner) == 3  # "2+"


def test_nobody_has_unread_news_of_their_own_doing(pet, owner):
    added(pet, owner)
    assert unread_activity_count(owner) == 0


def test_a_revoked_share_takes_its_news_from_the_cached_summary_at_once(pet, friend, contributor):
    from images.services.sharing import share_revoke

    added(pet, contributor)
    assert unread_activity_count(friend) == 1  # cached
    share_revoke(share=Share.objects.get(pet=pet, grantee=friend))
    assert unread_activity_count(friend) == 0
    assert activity_summary(friend).groups == []


def test_a_new_share_brings_its_news_at_once(pet, stranger, contributor):
    added(pet, contributor)
    assert unread_activity_count(stranger) == 0  # cached
    ShareFactory(pet=pet, grantee=stranger)
    assert unread_activity_count(stranger) == 1


def test_a_new_comment_or_like_is_news_on_the_next_page_not_a_minute_later(
    owner, friend, pet, django_capture_on_commit_callbacks
):
    from social.models import activity_summary
    from social.services.comments import comment_create
    from social.services.likes import like_set
    from tests.factories import ready_photo

    photo = ready_photo(pet=pet, uploader=owner)
    before = activity_summary(owner)  # cached for a minute
    with django_capture_on_commit_callbacks(execute=True):
        comment_create(author=friend, photo=photo, text="What a face")
        like_set(user=friend, photo=photo, on=True)
    after = activity_summary(owner)
    assert len(after.groups) == len(before.groups) + 2


def test_a_photo_turning_ready_or_a_pet_renamed_is_on_the_next_page(
    owner, friend, pet, django_capture_on_commit_callbacks
):
    from images.models import Photo
    from images.services.pets import pet_update
    from social.models import activity_summary
    from tests.factories import PhotoFactory

    processing = PhotoFactory(pet=pet, uploader=owner, state=Photo.State.PROCESSING)
    assert activity_summary(friend).groups == []  # cached for a minute
    with django_capture_on_commit_callbacks(execute=True):
        processing.state, processing.processed_at = Photo.State.READY, timezone.now()
        processing.save()  # as processing's last write
    (group,) = activity_summary(friend).groups
    assert "Biscuit" in group.text
    with django_capture_on_commit_callbacks(execute=True):
        pet_update(pet=pet, name="Crumpet", species=pet.species)
    (group,) = activity_summary(friend).groups
    assert "Crumpet" in group.text


def test_a_deleted_comment_leaves_the_news_on_the_next_page(
    owner, friend, pet, django_capture_on_commit_callbacks
):
    from social.services.comments import comment_delete, comments_delete

    photo = added(pet, owner, at=ago(days=2))
    first, second = commented(photo, friend), commented(photo, friend, at=ago(hours=5))
    assert len(activity_summary(owner).groups) == 2  # cached for a minute
    with django_capture_on_commit_callbacks(execute=True):
        comment_delete(comment=first)
    assert len(activity_summary(owner).groups) == 1
    with django_capture_on_commit_callbacks(execute=True):  # as the admin's removal
        comments_delete(comments=social.models.Comment.objects.filter(pk=second.pk))
    assert activity_summary(owner).groups == []
