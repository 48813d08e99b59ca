"""Digests on real workers, killed mid-run: each user gets at most one digest a period."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path

from social.models import DigestSend
from social.services.digests import digest_subscription_set
from social.tasks import send_digests
from tests.factories import PetFactory, ShareFactory, UserFactory
from tests.images.helpers import wait_for
from tests.social.helpers import HOUR, added, yesterday

READERS = 30


def mails_to(folder: Path) -> list[str]:
    """The recipient of every message written to ``folder`` (Django's file back end separates
    messages by a line of dashes)."""
    recipients = []
    for path in folder.iterdir():
        for raw in path.read_bytes().split(b"-" * 79 + b"\n"):
            if raw.strip():
                recipients.append(email.message_from_bytes(raw, policy=policy.default)["To"])
    return recipients


def test_a_worker_killed_mid_run_leaves_each_user_at_most_one_digest(start_own_worker, tmp_path):
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    owner = UserFactory(username="kill-digest-owner")
    pet = PetFactory(owner=owner, name="Pip")
    readers = [UserFactory(username=f"kill-reader{n}") for n in range(READERS)]
    for reader in readers:
        ShareFactory(pet=pet, grantee=reader)
        digest_subscription_set(user=reader, frequency="daily")
    added(pet, owner, yesterday().start + HOUR)
    environment = {
        "DJANGO_SETTINGS_MODULE": "tests.social.worker_settings",
        "DIGEST_MAIL_DIR": str(mail_dir),
    }
    worker = start_own_worker(**environment)

    send_digests.delay()  # what beat sends: one batch of all the readers

    def mid_mail() -> bool:  # a few sent, and one decided whose mail is on its way
        states = list(DigestSend.objects.values_list("state", flat=True))
        return states.count("sent") >= 5 and "sending" in states

    wait_for(mid_mail, every=0.005)
    worker.kill()  # the machine dies mid-batch: a digest may be between its row and its mail
    in_flight = set(DigestSend.objects.filter(state="sending").values_list("pk", flat=True))
    assert len(in_flight) == 1  # one worker process: one digest was under way
    assert 5 <= DigestSend.objects.count() < READERS

    start_own_worker(**environment)
    send_digests.delay()  # beat, an hour later: those left are still due

    def all_decided_and_done() -> bool:
        rows = DigestSend.objects.exclude(pk__in=in_flight)
        return DigestSend.objects.count() == READERS and not rows.filter(state="sending")

    wait_for(all_decided_and_done, timeout=60)
    assert send_digests() == 0  # beat again: nobody is due any more

    recipients = mails_to(mail_dir)
    assert len(recipients) == len(set(recipients))  # nobody got two
    sent = set(DigestSend.objects.filter(state="sent").values_list("user__email", flat=True))
    interrupted = set(
        DigestSend.objects.filter(pk__in=in_flight).values_list("user__email", flat=True)
    )
    assert DigestSend.objects.filter(pk__in=in_flight, state="sending").count() == len(in_flight)
    assert sent == {reader.email for reader in readers} - interrupted
    assert sent <= set(recipients) <= sent | interrupted  # its mail may or may not have gone
