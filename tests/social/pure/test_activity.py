"""The activity's grouping and its sentences: events in, groups out, no Django."""

import datetime

import pytest

from social.pure.activity import (
    GAP,
    Event,
    Group,
    Kind,
    actors_text,
    complete_since,
    group_events,
    photos_text,
)

T0 = datetime.datetime(2026, 11, 20, 12, 0, tzinfo=datetime.UTC)
MINUTE = datetime.timedelta(minutes=1)
PEOPLE = {1: "Frank", 2: "Olivia", 3: "Ted", 4: "Sam", 5: "Ann"}
PETS = {"pip": "Pip", "biscuit": "Biscuit"}


def event(kind, minutes, actor, pet="pip", photo="p1", *, yours=False) -> Event:
    at, name = T0 + minutes * MINUTE, PEOPLE.get(actor, "")
    return Event(Kind(kind), at, actor, name, pet, PETS[pet], photo, yours)


def texts(events) -> list[str]:
    return [g.text for g in group_events(events)]


# --- Sentences ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actors", "text"),
    [
        (["Olivia"], "Olivia"),
        (["Olivia", "Ted"], "Olivia and Ted"),
        (["Olivia", "Ted", "Sam"], "Olivia, Ted and 1 other"),
        (["Olivia", "Ted", "Sam", "Ann"], "Olivia, Ted and 2 others"),
        ([""], "Someone"),
    ],
)
def test_people_are_named_two_at_most_then_counted(actors, text):
    assert actors_text(actors) == text


@pytest.mark.parametrize(("count", "text"), [(1, "a photo"), (2, "2 photos"), (12, "12 photos")])
def test_one_photo_is_a_photo_and_more_are_counted(count, text):
    assert photos_text(count) == text


def test_added_photos_say_who_how_many_and_of_which_pet():
    assert texts([event("added", 0, 1)]) == ["Frank added a photo of Pip"]
    five = [event("added", i, 1, photo=f"p{i}") for i in range(5)]
    assert texts(five) == ["Frank added 5 photos of Pip"]


def test_comments_count_the_photos_not_the_comments():
    one_photo_twice = [event("commented", 0, 2, "biscuit"), event("commented", 5, 2, "biscuit")]
    assert texts(one_photo_twice) == ["Olivia commented on a photo of Biscuit"]
    three = [event("commented", i, 2, "biscuit", photo=f"p{i}") for i in range(3)]
    assert texts(three) == ["Olivia commented on 3 photos of Biscuit"]


def test_comments_by_several_people_are_one_piece_of_news_naming_the_latest_first():
    comments = [event("commented", 0, 3, "biscuit"), event("commented", 10, 2, "biscuit")]
    assert texts(comments) == ["Olivia and Ted commented on a photo of Biscuit"]
    many = [event("commented", i, actor, "biscuit") for i, actor in enumerate([4, 5, 3, 2])]
    assert texts(many) == ["Olivia, Ted and 2 others commented on a photo of Biscuit"]


def test_someone_commenting_again_is_named_once_where_they_last_came():
    comments = [event("commented", 0, 2), event("commented", 5, 3), event("commented", 9, 2)]
    (group,) = group_events(comments)
    assert group.actors == ("Olivia", "Ted")
    assert group.events == 3


def test_comments_on_the_readers_own_photos_speak_of_your_photos():
    assert texts([event("commented", 0, 2, yours=True)]) == [
        "Olivia commented on your photo of Pip"
    ]
    three = [event("commented", i, 2, photo=f"p{i}", yours=True) for i in range(3)]
    assert texts(three) == ["Olivia commented on 3 of your photos of Pip"]


def test_comments_on_ones_own_photos_and_on_others_are_two_pieces_of_news():
    mine, theirs = event("commented", 0, 2, yours=True), event("commented", 1, 3, photo="p2")
    assert texts([mine, theirs]) == [
        "Ted commented on a photo of Pip",
        "Olivia commented on your photo of Pip",
    ]


def test_likes_speak_of_your_photos():
    assert texts([event("liked", 0, 3)]) == ["Ted liked your photo of Pip"]
    four = [event("liked", i, 3, photo=f"p{i}") for i in range(4)]
    assert texts(four) == ["Ted liked 4 of your photos of Pip"]
    two_people = [event("liked", 0, 3), event("liked", 1, 2)]
    assert texts(two_people) == ["Olivia and Ted liked your photo of Pip"]


def test_an_uploader_whose_account_is_gone_is_someone():
    gone = Event(Kind.ADDED, T0, None, "", "pip", "Pip", "p1")
    assert texts([gone]) == ["Someone added a photo of Pip"]


# --- Grouping -------------------------------------------------------------------------------


def test_photos_added_by_two_people_are_two_pieces_of_news():
    events = [event("added", 0, 1, photo="a"), event("added", 1, 2, photo="b")]
    assert texts(events) == ["Olivia added a photo of Pip", "Frank added a photo of Pip"]


def test_news_of_different_kinds_or_pets_is_never_mixed():
    events = [
        event("added", 0, 1),
        event("commented", 1, 1),
        event("liked", 2, 1),
        event("commented", 3, 1, pet="biscuit"),
    ]
    assert texts(events) == [
        "Frank commented on a photo of Biscuit",
        "Frank liked your photo of Pip",
        "Frank commented on a photo of Pip",
        "Frank added a photo of Pip",
    ]


def test_events_each_within_the_gap_of_the_one_before_are_one_group_however_long_the_chain():
    chain = [event("added", i * 100, 1, photo=f"p{i}") for i in range(5)]  # 100 min apart
    assert 4 * 100 * MINUTE > GAP
    assert texts(chain) == ["Frank added 5 photos of Pip"]


def test_a_gap_longer_than_two_hours_starts_another_group():
    at_gap = [event("added", 0, 1, photo="a"), event("added", 120, 1, photo="b")]
    assert texts(at_gap) == ["Frank added 2 photos of Pip"]
    past_gap = [event("added", 0, 1, photo="a"), event("added", 121, 1, photo="b")]
    assert texts(past_gap) == ["Frank added a photo of Pip", "Frank added a photo of Pip"]


def test_a_group_in_between_does_not_split_another():
    events = [
        event("commented", 0, 2, photo="a"),
        event("added", 30, 1, photo="x"),
        event("commented", 60, 3, photo="b"),
    ]
    assert texts(events) == [
        "Ted and Olivia commented on 2 photos of Pip",
        "Frank added a photo of Pip",
    ]


def test_groups_come_newest_first_by_their_latest_event_whatever_order_events_came_in():
    events = [
        event("added", 0, 1, photo="a"),
        event("liked", 500, 3, pet="biscuit"),
        event("added", 600, 1, photo="b"),  # a new group: 10 hours after the first
        event("commented", 300, 2),
    ]
    groups = group_events(list(reversed(events)))
    assert [(g.kind, g.latest) for g in groups] == [
        (Kind.ADDED, T0 + 600 * MINUTE),
        (Kind.LIKED, T0 + 500 * MINUTE),
        (Kind.COMMENTED, T0 + 300 * MINUTE),
        (Kind.ADDED, T0),
    ]


def test_a_group_knows_its_photos_newest_first_each_once_and_its_span():
    events = [
        event("commented", 0, 2, photo="a"),
        event("commented", 10, 3, photo="b"),
        event("commented", 20, 2, photo="a"),
    ]
    (group,) = group_events(events)
    assert group == Group(
        kind=Kind.COMMENTED,
        pet_id="pip",
        pet="Pip",
        actors=("Olivia", "Ted"),
        photo_ids=("a", "b"),
        earliest=T0,
        latest=T0 + 20 * MINUTE,
        events=3,
    )
    assert group.one_photo is None


def test_news_of_one_photo_names_it():
    (group,) = group_events(
        [event("commented", 0, 2, photo="a"), event("commented", 1, 3, photo="a")]
    )
    assert group.one_photo == "a"


def test_no_events_no_groups():
    assert group_events([]) == []


def test_a_group_is_unread_when_its_latest_event_came_after_what_was_read():
    (group,) = group_events([event("added", 0, 1, photo="a"), event("added", 10, 1, photo="b")])
    assert group.unread_after(None)
    assert group.unread_after(T0 + 5 * MINUTE)
    assert not group.unread_after(T0 + 10 * MINUTE)
    assert not group.unread_after(T0 + 11 * MINUTE)


# --- Bounded reads --------------------------------------------------------------------------


def newest_first(kind, minutes) -> list[Event]:
    return [event(kind, m, 1, photo=f"{kind}{m}") for m in sorted(minutes, reverse=True)]


def test_when_no_kind_was_cut_short_every_event_is_kept():
    kinds = [newest_first("added", [5, 1]), newest_first("liked", [9, 0])]
    assert len(complete_since(kinds, limit=3)) == 4


def test_when_one_kind_filled_its_limit_older_events_of_the_others_are_dropped():
    added = newest_first("added", [50, 40, 30])  # the limit: maybe more before 30
    liked = newest_first("liked", [45, 20, 10])
    kept = complete_since([added, liked], limit=3)
    assert sorted(e.at for e in kept) == [T0 + m * MINUTE for m in (30, 40, 45, 50)]


def test_the_latest_cut_of_several_kinds_wins():
    added = newest_first("added", [50, 40])
    liked = newest_first("liked", [45, 35])
    assert {e.at for e in complete_since([added, liked], limit=2)} == {
        T0 + m * MINUTE for m in (50, 40, 45)
    }
