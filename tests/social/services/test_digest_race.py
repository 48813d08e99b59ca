"""Two workers sending the same user's digest at the same moment: one mail."""

import threading

import pytest
from django.db import connection

from social.models import DigestSend
from social.services import digests
from social.services.digests import digest_send, digest_subscription_set
from tests.social.helpers import HOUR, added, yesterday


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_for_one_digest_send_one_mail(
    owner, friend, pet, monkeypatch, mailoutbox, settings
):
    settings.SITE_URL = "https://pets.example"
    digest_subscription_set(user=friend, frequency="daily")
    period = yesterday()
    added(pet, owner, period.start + HOUR)
    both_composed = threading.Barrier(2, timeout=10)
    compose = digests.compose_digest

    def compose_then_wait(user, period, **kwargs):
        composed = compose(user, period, **kwargs)
        both_composed.wait()  # each has decided to send, neither has written its row
        return composed

    monkeypatch.setattr(digests, "compose_digest", compose_then_wait)
    results = []

    def worker():
        try:
            results.append(digest_send(user_id=friend.pk, period=period))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(r is None for r in results) == [False, True]
    assert len(mailoutbox) == 1
    assert DigestSend.objects.get().state == DigestSend.State.SENT
