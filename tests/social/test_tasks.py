"""The beat task: the digests due, in batches, each user at most once a period."""

import pytest

from social.models import DigestSend
from social.services import digests
from social.services.digests import digest_subscription_set
from social.tasks import send_digest_batch, send_digests
from tests.factories import PetFactory, ShareFactory, UserFactory
from tests.social.helpers import HOUR, added, yesterday

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://pets.example"


@pytest.fixture
def readers(owner):
    """Five people with daily digests who see the owner's busy pet."""
    pet = PetFactory(owner=owner, name="Pip")
    people = [UserFactory(username=f"reader{n}") for n in range(5)]
    for person in people:
        ShareFactory(pet=pet, grantee=person)
        digest_subscription_set(user=person, frequency="daily")
    added(pet, owner, yesterday().start + HOUR)
    return people


def test_two_runs_send_each_user_one_digest(readers, eager_celery, mailoutbox, monkeypatch):
    monkeypatch.setattr(digests, "BATCH_SIZE", 2)
    assert send_digests() == 5  # in three batches
    assert send_digests() == 0
    assert sorted(m.to[0] for m in mailoutbox) == sorted(p.email for p in readers)
    assert DigestSend.objects.filter(state="sent").count() == 5


def test_a_batch_retried_sends_to_none_twice(readers, mailoutbox):
    period = yesterday()
    ids = [p.pk for p in readers]
    assert send_digest_batch(period.frequency, period.key, ids[:3]) == 3
    assert send_digest_batch(period.frequency, period.key, ids) == 2
    assert len(mailoutbox) == 5


def test_without_the_sites_address_nothing_is_sent(readers, settings, mailoutbox, caplog):
    settings.SITE_URL = ""
    assert send_digests() == 0
    assert "SITE_URL" in caplog.text


def test_beat_sends_the_digests_hourly(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["send-digests"]
    assert entry == {"task": "social.tasks.send_digests", "schedule": 3600}
    from pettracker.celery import app

    assert entry["task"] in app.tasks


def test_a_batch_out_of_time_queues_the_rest_after_sending_at_least_one(
    readers, eager_celery, mailoutbox, monkeypatch
):
    monkeypatch.setattr("social.tasks.BATCH_SECONDS", 0)
    period = yesterday()
    assert send_digest_batch.delay(period.frequency, period.key, [p.pk for p in readers]).get()
    assert len(mailoutbox) == 5  # one a task, each queuing the rest


def test_one_users_digest_that_cannot_be_composed_stops_nobody_elses(
    readers, mailoutbox, monkeypatch, caplog
):
    first = readers[0]
    compose = digests.compose_digest

    def broken_for_the_first(user, period, **kwargs):
        if user.pk == first.pk:
            raise ValueError(f"bad data of {user.email}")
        return compose(user, period, **kwargs)

    monkeypatch.setattr(digests, "compose_digest", broken_for_the_first)
    period = yesterday()
    assert send_digest_batch(period.frequency, period.key, [p.pk for p in readers]) == 4
    assert sorted(m.to[0] for m in mailoutbox) == sorted(p.email for p in readers[1:])
    failed = DigestSend.objects.get(user=first)
    assert failed.state == DigestSend.State.FAILED  # on the dashboard, and not tried again
    assert failed.error == "ValueError: bad data of [address]"
    assert failed.finished_at is not None
    assert first.email not in caplog.text


def test_a_failure_before_the_decision_is_logged_and_the_batch_goes_on(
    readers, mailoutbox, monkeypatch, caplog
):
    first = readers[0]
    decide = digests._decide

    def database_gone_for_the_first(user, period, **kwargs):
        if user.pk == first.pk:
            raise ConnectionError("the database went away")
        return decide(user, period, **kwargs)

    monkeypatch.setattr(digests, "_decide", database_gone_for_the_first)
    period = yesterday()
    assert send_digest_batch(period.frequency, period.key, [p.pk for p in readers]) == 4
    assert not DigestSend.objects.filter(user=first).exists()  # due again next run
    assert "a digest failed" in caplog.text
    assert first.email not in caplog.text


def test_a_batch_reads_each_thumbnail_once_for_all_its_recipients(owner, mailoutbox, monkeypatch):
    pet = PetFactory(owner=owner, name="Pip")
    people = [UserFactory(username=f"reader{n}") for n in range(3)]
    for person in people:
        ShareFactory(pet=pet, grantee=person)
        digest_subscription_set(user=person, frequency="daily")
    for n in range(2):
        added(pet, owner, yesterday().start + HOUR * (n + 1), stored=True)
    reads = []
    storage = type(digests.default_storage._wrapped)
    storage_open = storage.open

    def counted_open(self, name, *args, **kwargs):
        reads.append(name)
        return storage_open(self, name, *args, **kwargs)

    monkeypatch.setattr(storage, "open", counted_open)
    period = yesterday()
    assert send_digest_batch(period.frequency, period.key, [p.pk for p in people]) == 3
    assert len(reads) == 2
    assert len(set(reads)) == 2
    for message in mailoutbox:  # each mail has both, all the same
        assert len([a for a in message.attachments if a.get_content_type() == "image/jpeg"]) == 2
