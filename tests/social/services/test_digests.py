"""One digest: what it holds, the mail it is, and at most one a period."""

import email
import re
from email import policy

import pytest
from django.core import mail
from django.db import IntegrityError
from django.utils import timezone

from images.models import Photo
from images.services.photos import photo_process, photo_reprocess
from social.models import DigestSend, DigestSubscription, digest_reads
from social.pure.digest_periods import latest_period
from social.services import digests
from social.services.digests import (
    compose_digest,
    digest_send,
    digest_subscription_set,
    user_of_unsubscribe_token,
    users_due,
)
from tests.factories import PetFactory, ShareFactory, UserFactory
from tests.images import corpus
from tests.images.helpers import stored_photo
from tests.social.helpers import HOUR, added, commented, yesterday

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://pets.example"


@pytest.fixture
def period(friend):
    """Yesterday, whose daily digest the friend chose."""
    digest_subscription_set(user=friend, frequency="daily")
    return yesterday()


@pytest.fixture
def activity(owner, friend, contributor, stranger, pet, period):
    """What happened around the friend in and around the period (``pet``: Biscuit, the
    owner's, seen by the friend and the contributor)."""
    during = period.start + HOUR
    old = added(pet, owner, period.start - HOUR)  # before the period
    added(pet, contributor, during, stored=True)
    added(pet, contributor, during + HOUR, stored=True)
    added(pet, owner, during, stored=True)
    added(pet, owner, period.end)  # after it: the next period's
    added(pet, friend, during)  # the friend's own (as if they could upload): not news to them
    commented(old, owner, during, text="First of many")
    commented(old, friend, during, text="My own words")  # theirs
    commented(old, contributor, period.start - HOUR, text="Too early")
    # The friend's own pet: a contributor's photos and a comment are news to its owner.
    own = PetFactory(owner=friend, name="Pip")
    ShareFactory(pet=own, grantee=contributor, role="contributor")
    commented(added(own, contributor, during), contributor, during, text="Look!")
    # A pet no longer shared with the friend, and one never shared: nothing of them.
    revoked = PetFactory(owner=stranger, name="Rex")
    share = ShareFactory(pet=revoked, grantee=friend)
    commented(added(revoked, stranger, during), stranger, during)
    share.delete()
    added(PetFactory(owner=stranger, name="Ziggy"), stranger, during)
    return {"own": own}


def test_a_digest_holds_exactly_the_news_of_its_period_by_others(friend, activity, period):
    composed = compose_digest(friend, period)
    assert composed.items == 3 + 1 + 1 + 1  # Biscuit: 3 photos, 1 comment; Pip: 1 and 1
    text = composed.message.body
    assert "Biscuit: 3 new photos by contributor and owner; 1 comment" in text
    assert "Pip: 1 new photo by contributor; 1 comment" in text
    assert "First of many" in text
    assert "Look!" in text
    for absent in ("Rex", "Ziggy", "My own words", "Too early"):
        assert absent not in text


def test_the_reads_find_exactly_these_rows(friend, pet, activity, period):
    reads = digest_reads(friend, since=period.start, until=period.end)
    biscuit, pip = str(pet.pk), str(activity["own"].pk)
    assert sorted(reads.photo_counts) == sorted(
        [(biscuit, "Biscuit", "contributor", 2), (biscuit, "Biscuit", "owner", 1),
         (pip, "Pip", "contributor", 1)]
    )  # fmt: skip
    assert sorted(reads.comments) == sorted(
        [(biscuit, "Biscuit", "owner", "First of many"), (pip, "Pip", "contributor", "Look!")]
    )
    assert reads.thumbnails[0][0] == biscuit  # the newest photo first
    assert sorted(pet_id for pet_id, _ in reads.thumbnails) == sorted([biscuit] * 3 + [pip])
    assert reads.items == 6


def test_the_mail_is_one_line_of_subject_text_html_inline_images_and_unsubscribe_headers(
    friend, activity, period
):
    message = compose_digest(friend, period).message
    assert message.subject == "News of Biscuit and 1 more on PetTracker"
    parsed = email.message_from_bytes(message.message().as_bytes(), policy=policy.default)
    assert parsed.get_content_type() == "multipart/related"
    # Folded, being long: whitespace inside its angle brackets is ignored (RFC 2369, 2). Its
    # token is signed with the time it was made (the second may have turned since): the one
    # that turns off the friend's digests.
    header = "".join(parsed["List-Unsubscribe"].split())
    token = re.fullmatch(r"<https://pets\.example/digests/unsubscribe/([^/]+)/>", header)[1]
    assert user_of_unsubscribe_token(token) == friend
    link = f"https://pets.example/digests/unsubscribe/{token}/"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link in message.body
    html = next(p for p in parsed.walk() if p.get_content_type() == "text/html").get_content()
    assert link.replace("&", "&amp;") in html
    images = [p for p in parsed.walk() if p.get_content_type() == "image/jpeg"]
    assert len(images) == 3  # Biscuit's three stored photos (Pip's was not stored: left out)
    cids = {p["Content-ID"].strip("<>") for p in images}
    assert cids == set(re.findall(r'src="cid:([^"]+)"', html))
    assert all(len(p.get_content()) < 64 * 1024 for p in images)


def test_hostile_names_and_comments_are_text_in_the_mail(owner, friend, period):
    pet = PetFactory(owner=owner, name="<img src=x onerror=alert(1)>\nBcc: all@example.com")
    ShareFactory(pet=pet, grantee=friend)
    photo = added(pet, owner, period.start + HOUR)
    commented(photo, owner, period.start + HOUR, text='<script>alert("x")</script>\x07\u202e')
    message = compose_digest(friend, period).message
    assert "\n" not in message.subject
    assert message.subject.startswith("News of <img src=x onerror=alert(1)> Bcc:")
    html = message.alternatives[0].content
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_nothing_happened_is_no_mail_and_is_remembered(friend, period, mailoutbox):
    send = digest_send(user_id=friend.pk, period=period)
    assert send.state == DigestSend.State.EMPTY
    assert mailoutbox == []
    assert digest_send(user_id=friend.pk, period=period) is None


def test_a_digest_is_sent_once_a_period_however_often_it_is_asked(
    friend, activity, period, mailoutbox
):
    send = digest_send(user_id=friend.pk, period=period)
    assert send.state == DigestSend.State.SENT
    assert send.items == 6
    assert send.finished_at is not None
    assert digest_send(user_id=friend.pk, period=period) is None
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [friend.email]


def test_a_worker_that_decided_first_wins_the_race(friend, activity, period, monkeypatch):
    """Another worker inserts the period's row while this one composes: the unique constraint
    refuses this one's, and it sends nothing."""
    compose = digests.compose_digest

    def compose_while_another_decides(user, period, **kwargs):
        composed = compose(user, period, **kwargs)
        digests._decide(user, period, state=DigestSend.State.SENDING, items=1)
        return composed

    monkeypatch.setattr(digests, "compose_digest", compose_while_another_decides)
    assert digest_send(user_id=friend.pk, period=period) is None
    assert mail.outbox == []
    assert DigestSend.objects.get().state == DigestSend.State.SENDING


def test_the_row_is_committed_before_the_mail_goes(friend, activity, period, monkeypatch):
    seen = []

    def send(message, *args, **kwargs):
        seen.append(DigestSend.objects.values_list("state", flat=True).get())
        return 1

    monkeypatch.setattr("django.core.mail.EmailMessage.send", send)
    digest_send(user_id=friend.pk, period=period)
    assert seen == [DigestSend.State.SENDING]


def test_a_mail_that_fails_is_recorded_with_its_error_and_no_address(
    friend, activity, period, monkeypatch
):
    def refuse(message, *args, **kwargs):
        raise ConnectionRefusedError(f"refused for {friend.email} by the relay")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    send = digest_send(user_id=friend.pk, period=period)
    send.refresh_from_db()
    assert send.state == DigestSend.State.FAILED
    assert send.error == "ConnectionRefusedError: refused for [address] by the relay"
    assert digest_send(user_id=friend.pk, period=period) is None  # not tried again


def test_the_period_is_unique_per_user_and_frequency(friend, period):
    digests._decide(friend, period, state=DigestSend.State.SENT, items=1)
    with pytest.raises(IntegrityError):
        DigestSend.objects.create(
            user=friend,
            frequency=period.frequency,
            period_key=period.key,
            period_start=period.start,
            period_end=period.end,
            state=DigestSend.State.SENDING,
        )


def test_those_due_chose_the_frequency_have_an_address_and_see_a_busy_pet(
    owner, friend, contributor, stranger, activity, period
):
    for user in (owner, friend, contributor):
        digest_subscription_set(user=user, frequency="daily")
    quiet = UserFactory(username="quiet")
    digest_subscription_set(user=quiet, frequency="daily")
    digest_subscription_set(user=stranger, frequency="off")
    assert set(users_due(period)) == {owner.pk, friend.pk, contributor.pk}
    type(friend).objects.filter(pk=contributor.pk).update(email="")
    type(friend).objects.filter(pk=owner.pk).update(is_active=False)
    digest_send(user_id=friend.pk, period=period)
    assert users_due(period) == []


def test_weekly_is_the_default_and_a_choice_is_a_row(friend, stranger):
    assert DigestSubscription.frequency_of(stranger) == "weekly"
    assert not DigestSubscription.objects.exists()
    digest_subscription_set(user=friend, frequency="off")
    digest_subscription_set(user=friend, frequency="daily")
    assert DigestSubscription.objects.get().frequency == "daily"
    with pytest.raises(ValueError, match="frequency"):
        digest_subscription_set(user=friend, frequency="hourly")


def test_a_user_whose_choice_changed_since_the_batch_gets_nothing(friend, activity, period):
    digest_subscription_set(user=friend, frequency="off")
    assert digest_send(user_id=friend.pk, period=period) is None
    assert not DigestSend.objects.exists()


def test_a_digest_attaches_six_thumbnails_at_most_taken_in_turns_from_each_pet(
    owner, friend, pet, period
):
    other = PetFactory(owner=owner, name="Rex")
    ShareFactory(pet=other, grantee=friend)
    busy = [added(pet, owner, period.start + HOUR * (n + 2), stored=True) for n in range(8)]
    quiet = added(other, owner, period.start + HOUR, stored=True)
    message = compose_digest(friend, period).message
    images = [a for a in message.attachments if a.get_content_type() == "image/jpeg"]
    assert len(images) == 6
    assert "8 new photos by owner" in message.body
    reads = digest_reads(friend, since=period.start, until=period.end)
    keys = [key for _, key in reads.thumbnails]
    assert quiet.renditions.get(name="thumb").key in keys  # not crowded out by the busy pet
    assert busy[-1].renditions.get(name="thumb").key == keys[0]  # the newest first


def test_the_decision_cannot_be_made_inside_a_callers_transaction(friend, activity, period):
    from django.db import transaction

    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        digest_send(user_id=friend.pk, period=period)


def test_a_photo_processed_again_is_not_news_in_the_digest_of_the_day_it_was(
    owner, friend, pet, period
):
    """An admin's "Process again" today of a photo first ready a month ago: today's digest
    tells nothing of it (``processed_at`` keeps when it first turned ready)."""
    photo = photo_process(photo_id=stored_photo(pet, corpus.jpeg(size=(64, 48))).pk)
    Photo.objects.filter(pk=photo.pk).update(processed_at=period.start - 30 * 24 * HOUR)
    photo_reprocess(photo=Photo.objects.get(pk=photo.pk))
    assert photo_process(photo_id=photo.pk).state == Photo.State.READY
    today = latest_period("daily", now=timezone.now() + 24 * HOUR, zone=digests.site_zone())
    assert compose_digest(friend, today).message is None
    assert friend.pk not in users_due(today)


def test_the_reads_fetch_only_the_quoted_comments_and_count_the_rest_in_sql(
    owner, friend, pet, period, django_assert_max_num_queries
):
    photo = added(pet, owner, period.start - HOUR)
    for n in range(12):
        commented(photo, owner, period.start + HOUR + n * HOUR / 60, text=f"Comment {n}")
    with django_assert_max_num_queries(4):
        reads = digest_reads(friend, since=period.start, until=period.end)
    assert reads.comment_counts == {str(pet.pk): 12}
    assert [text for *_, text in reads.comments] == ["Comment 9", "Comment 10", "Comment 11"]
    assert reads.items == 12
    composed = compose_digest(friend, period)
    assert "Biscuit: 12 comments" in composed.message.body
    assert "Comment 11" in composed.message.body
    assert "Comment 8" not in composed.message.body


def test_those_due_are_found_by_subqueries_each_once(owner, friend, pet, period):
    """Someone who owns busy pets and is shared others is one row, with no join across
    their pets and shares (rows pets × shares, folded by DISTINCT)."""
    digest_subscription_set(user=owner, frequency="daily")
    for name in ("Rex", "Ziggy"):
        mine = PetFactory(owner=owner, name=name)
        theirs = PetFactory(owner=friend, name=f"{name}'s friend")
        ShareFactory(pet=theirs, grantee=owner)
        added(mine, friend, period.start + HOUR)
        added(theirs, friend, period.start + HOUR)
    assert list(users_due(period)) == sorted([owner.pk, friend.pk])
    sql = str(
        digests.digest_candidates(
            period.frequency, key=period.key, start=period.start, end=period.end
        ).query
    ).upper()
    assert "DISTINCT" not in sql
    joined = sql.split(" WHERE ")[0]
    assert "_SHARE" not in joined
    assert "_PET" not in joined
