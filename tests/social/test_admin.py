"""The comments' admin: found by what they say, who wrote them and about which pet; removed
(never added or edited) through the service, each removal in the audit trail."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEntry
from social.models import Comment
from tests.factories import PetFactory, UserFactory, ready_photo

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/social/comment/"


@pytest.fixture
def comments(pet, friend, owner):
    photo = ready_photo(pet=pet)
    other = ready_photo(pet=PetFactory(owner=owner, name="Pepper"))
    return [
        Comment.objects.create(photo=photo, author=friend, text="What a lovely beach day"),
        Comment.objects.create(photo=other, author=owner, text="Pepper asleep again"),
    ]


def listed(response) -> list[str]:
    return [comment.text for comment in response.context["cl"].result_list]


def test_comments_are_listed_with_author_pet_and_excerpt(admin_client, comments):
    page = admin_client.get(CHANGELIST).content.decode()
    for text in ("What a lovely beach day", "Pepper asleep again", "friend", "Biscuit"):
        assert text in page


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("beach", ["What a lovely beach day"]),  # the text
        ("friend", ["What a lovely beach day"]),  # the author's username
        ("Pepper", ["Pepper asleep again"]),  # the pet's name (and the text)
    ],
)
def test_comments_are_found_by_text_author_or_pet(admin_client, comments, query, found):
    assert listed(admin_client.get(CHANGELIST, {"q": query})) == found


def test_the_list_filters_by_date(admin_client, comments):
    Comment.objects.filter(pk=comments[1].pk).update(
        created_at=datetime.datetime(2020, 5, 1, tzinfo=datetime.UTC)
    )
    assert listed(admin_client.get(CHANGELIST, {"created_at__year": "2020"})) == [
        "Pepper asleep again"
    ]
    assert "By created at" in admin_client.get(CHANGELIST).content.decode()  # the filter


def test_the_lists_queries_do_not_grow_with_the_comments(admin_client, comments, pet, friend):
    admin_client.get(CHANGELIST)
    with CaptureQueriesContext(connection) as few:
        admin_client.get(CHANGELIST)
    for n in range(8):
        author = UserFactory(username=f"writer{n}")
        Comment.objects.create(photo=ready_photo(pet=pet), author=author, text=f"n{n}")
    with CaptureQueriesContext(connection) as many:
        admin_client.get(CHANGELIST)
    assert len(many) == len(few)


def test_comments_are_not_added_nor_their_text_edited(admin_client, comments):
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403
    comment = comments[0]
    page = admin_client.get(f"{CHANGELIST}{comment.pk}/change/").content.decode()
    assert "<textarea" not in page
    admin_client.post(f"{CHANGELIST}{comment.pk}/change/", {"text": "Changed"})
    comment.refresh_from_db()
    assert comment.text == "What a lovely beach day"


def test_comments_removed_in_bulk_are_audited_with_what_they_said(admin_client, comments):
    selected = {"action": "delete_selected", "_selected_action": [c.pk for c in comments]}
    confirm = admin_client.post(CHANGELIST, selected)
    assert "Are you sure" in confirm.content.decode()
    assert Comment.objects.count() == 2  # nothing removed before the confirmation
    admin_client.post(CHANGELIST, {**selected, "post": "yes"})
    assert not Comment.objects.exists()
    entries = AuditEntry.objects.filter(action="comment.remove").order_by("target_id")
    assert [e.details["text"] for e in entries] == [c.text for c in comments]
    assert {e.actor_username for e in entries} == {"admin"}
    assert entries[0].details["author"] == "friend"


def test_a_comment_removed_from_its_page_is_audited(admin_client, comments):
    comment = comments[0]
    admin_client.post(f"{CHANGELIST}{comment.pk}/delete/", {"post": "yes"})
    assert not Comment.objects.filter(pk=comment.pk).exists()
    entry = AuditEntry.objects.get(action="comment.remove")
    assert entry.target_id == str(comment.pk)
    assert entry.details == {
        "author": "friend",
        "photo": str(comment.photo_id),
        "text": "What a lovely beach day",
    }


def test_staff_without_the_delete_permission_cannot_remove(client, comments):
    staff = UserFactory(username="moderator", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_comment"))
    client.force_login(staff)
    page = client.get(CHANGELIST)
    assert page.status_code == 200
    assert "delete_selected" not in page.content.decode()
    selected = {"action": "delete_selected", "_selected_action": [comments[0].pk], "post": "yes"}
    client.post(CHANGELIST, selected)
    assert client.post(f"{CHANGELIST}{comments[0].pk}/delete/", {"post": "yes"}).status_code == 403
    assert Comment.objects.count() == 2
    assert not AuditEntry.objects.filter(action="comment.remove").exists()


def test_a_long_word_is_cut_in_the_list_and_wraps_on_the_comments_page(admin_client, pet, friend):
    long_word = "S" + "o" * 300 + " sleepy"
    comment = Comment.objects.create(photo=ready_photo(pet=pet), author=friend, text=long_word)
    listing = admin_client.get(CHANGELIST).content.decode()
    assert long_word[:79] + "…" in listing
    assert long_word[:120] not in listing
    page = admin_client.get(f"{CHANGELIST}{comment.pk}/change/").content.decode()
    assert "css/admin_comments" in page  # whose rule wraps the text


def test_a_comment_is_named_by_who_wrote_it_when_and_how_it_starts(pet, friend):
    comment = Comment.objects.create(
        photo=ready_photo(pet=pet), author=friend, text="What a lovely beach day " * 3
    )
    comment.refresh_from_db()
    day = f"{comment.created_at:%d %b %Y}"
    assert str(comment) == f"friend's comment of {day}: “What a lovely beach day What a lovely be…”"


def test_removing_a_comment_from_its_page_goes_back_to_the_search(admin_client, comments):
    search = f"{CHANGELIST}?q=beach"
    admin_client.get(search)
    changelist_filters = "_changelist_filters=q%3Dbeach"
    response = admin_client.post(
        f"{CHANGELIST}{comments[0].pk}/delete/?{changelist_filters}", {"post": "yes"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{CHANGELIST}?q=beach"
