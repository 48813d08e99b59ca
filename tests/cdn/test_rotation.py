import datetime
import uuid
from io import StringIO

import boto3
import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from accounts.models import AuditEntry
from cdn.encryption import decrypt_private_key
from cdn.models import SigningKey
from cdn.rotation import (
    SigningKeyError,
    signing_key_activate,
    signing_key_begin_retiring,
    signing_key_due,
    signing_key_generate,
    signing_key_publish,
    signing_key_retire,
    signing_key_rotate,
    signing_keys_maintain,
)
from cdn.signer import retiring_trust

State = SigningKey.State
pytestmark = pytest.mark.django_db


def later(**kwargs) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(**kwargs)


def test_a_generated_key_is_stored_encrypted_and_unpublished():
    key = signing_key_generate(algorithm="ecdsa-p256-sha256")
    assert key.state == State.CREATED
    assert key.public_key_id is None
    assert "PRIVATE KEY" not in key.encrypted_private_key
    assert decrypt_private_key(key.encrypted_private_key).startswith(b"-----BEGIN PRIVATE KEY")
    assert key.public_key_pem.startswith("-----BEGIN PUBLIC KEY")


def test_publishing_gives_the_key_its_cloudfront_id(make_signing_key):
    key = signing_key_publish(key=make_signing_key(state="created"))
    assert key.state == State.PUBLISHED
    assert key.public_key_id.startswith("LOCAL")
    assert key.published_at is not None


def test_a_key_is_published_once(make_signing_key):
    with pytest.raises(
        SigningKeyError, match="Only a new key can be published; this one is active"
    ):
        signing_key_publish(key=make_signing_key(state="active"))


def test_a_sixth_trusted_key_is_refused_with_the_key_group_limit(make_signing_key):
    make_signing_key(state="active")
    for _ in range(4):
        make_signing_key(state="retiring", trusted_until=later(hours=1))
    with pytest.raises(SigningKeyError, match="at most 5 keys in a key group"):
        signing_key_publish(key=make_signing_key(state="created"))


def test_activating_an_unpublished_key_is_refused(make_signing_key):
    with pytest.raises(SigningKeyError, match="publish it to CloudFront first"):
        signing_key_activate(key=make_signing_key(state="created"))


def test_activating_before_cloudfront_has_spread_the_key_is_refused(make_signing_key, settings):
    settings.SIGNING_KEY_PROPAGATION_SECONDS = 900
    with pytest.raises(SigningKeyError, match="still spreading this key"):
        signing_key_activate(key=make_signing_key(state="published"))


def test_activating_retires_the_previous_key_after_its_urls_can_have_expired(make_signing_key):
    old = make_signing_key(state="active")
    new = signing_key_activate(key=make_signing_key(state="published"))
    old.refresh_from_db()
    assert new.state == State.ACTIVE
    assert old.state == State.RETIRING
    expected = old.retiring_at + retiring_trust(600)
    assert old.trusted_until == expected


def test_the_active_key_cannot_begin_retiring(signing_key):
    with pytest.raises(SigningKeyError, match="activate another key"):
        signing_key_begin_retiring(key=signing_key)


def test_a_published_key_that_never_signed_may_retire_at_once(make_signing_key):
    key = signing_key_begin_retiring(key=make_signing_key(state="published"))
    assert key.state == State.RETIRING
    assert signing_key_retire(key=key).state == State.RETIRED


def test_retiring_before_the_signed_urls_expire_is_refused(make_signing_key):
    key = make_signing_key(state="retiring", trusted_until=later(minutes=5))
    with pytest.raises(SigningKeyError, match="retiring it before then would break them"):
        signing_key_retire(key=key)


def test_retiring_the_active_key_is_refused(signing_key):
    with pytest.raises(SigningKeyError, match="activate another key first"):
        signing_key_retire(key=signing_key)


def test_a_key_retires_once_its_urls_have_expired(make_signing_key):
    key = signing_key_retire(
        key=make_signing_key(state="retiring", trusted_until=later(seconds=-1))
    )
    assert key.state == State.RETIRED
    assert key.retired_at is not None


def test_a_rotation_from_nothing_leaves_one_active_key():
    key = signing_key_rotate()
    assert key.state == State.ACTIVE
    assert SigningKey.objects.get(state=State.ACTIVE) == key


def test_a_rotation_activates_a_new_key_and_retires_the_old(signing_key):
    new = signing_key_rotate()
    signing_key.refresh_from_db()
    assert new.pk != signing_key.pk
    assert new.state == State.ACTIVE
    assert signing_key.state == State.RETIRING


def test_a_rotation_waits_for_cloudfront_to_spread_the_new_key(signing_key, settings):
    settings.SIGNING_KEY_PROPAGATION_SECONDS = 900
    new = signing_key_rotate()
    assert new.state == State.PUBLISHED
    signing_key.refresh_from_db()
    assert signing_key.state == State.ACTIVE  # still signing meanwhile
    assert signing_key_rotate() == new  # no second key published
    SigningKey.objects.filter(pk=new.pk).update(published_at=later(seconds=-901))
    assert signing_key_rotate().state == State.ACTIVE


def test_a_key_is_due_when_none_is_active_or_it_is_too_old(make_signing_key, settings):
    assert signing_key_due()
    make_signing_key(state="active", activated_at=later(days=-89))
    assert not signing_key_due()
    settings.SIGNING_KEY_MAX_AGE_DAYS = 30
    assert signing_key_due()


def test_maintenance_rotates_when_due_and_retires_what_is_safe(make_signing_key, settings):
    old = make_signing_key(state="active", activated_at=later(days=-91))
    expired = make_signing_key(state="retiring", trusted_until=later(seconds=-1))
    assert signing_keys_maintain() == {"rotated": 1, "retired": 1}
    old.refresh_from_db()
    expired.refresh_from_db()
    assert old.state == State.RETIRING
    assert expired.state == State.RETIRED
    assert signing_keys_maintain() == {"rotated": 0, "retired": 0}


def test_maintenance_by_beat_is_audited_as_the_system(make_signing_key):
    make_signing_key(state="active", activated_at=later(days=-91))
    expired = make_signing_key(state="retiring", trusted_until=later(seconds=-1))
    signing_keys_maintain()
    entries = {entry.action: entry for entry in AuditEntry.objects.all()}
    assert set(entries) == {"signing_key.rotate", "signing_key.retire"}
    assert {entry.actor_username for entry in entries.values()} == {"system"}
    assert entries["signing_key.retire"].target_id == str(expired.pk)
    assert entries["signing_key.rotate"].details == {"via": "beat", "state": "active"}


def test_a_rotation_by_the_command_is_audited_as_the_system(signing_key):
    call_command("rotate_signing_key", stdout=StringIO())
    entry = AuditEntry.objects.get()
    assert (entry.actor_username, entry.action) == ("system", "signing_key.rotate")
    assert entry.details["via"] == "manage.py rotate_signing_key"


def test_the_command_rotates_and_says_until_when_the_old_key_is_trusted(signing_key, capsys):
    call_command("rotate_signing_key")
    out = capsys.readouterr().out
    assert "is now active" in out
    assert f"Key {signing_key.public_key_id} is retiring: trusted until" in out


def test_the_command_with_if_due_leaves_a_fresh_key_alone(signing_key, capsys):
    call_command("rotate_signing_key", "--if-due")
    assert "not due; nothing to do" in capsys.readouterr().out
    assert SigningKey.objects.count() == 1


def test_the_command_reports_a_refusal_as_a_command_error(make_signing_key, monkeypatch):
    def refuse():
        raise SigningKeyError("CloudFront refused the request (AccessDenied): no")

    monkeypatch.setattr("cdn.management.commands.rotate_signing_key.signing_key_rotate", refuse)
    with pytest.raises(CommandError, match="AccessDenied"):
        call_command("rotate_signing_key")


@pytest.mark.usefixtures("aws_credentials")
def test_a_first_rotation_publishes_the_key_and_its_group_to_cloudfront(settings, moto_endpoint):
    settings.CLOUDFRONT_DISTRIBUTION_ID = "E1PETTRACKER"
    settings.CLOUDFRONT_ENDPOINT_URL = moto_endpoint
    settings.CLOUDFRONT_KEY_GROUP_NAME = f"group-{uuid.uuid4()}"
    settings.SIGNING_KEY_PROPAGATION_SECONDS = 0
    key = signing_key_rotate()
    client = boto3.client("cloudfront", endpoint_url=moto_endpoint, region_name="us-east-1")
    published = client.get_public_key(Id=key.public_key_id)["PublicKey"]["PublicKeyConfig"]
    assert published["EncodedKey"].strip() == key.public_key_pem.strip()
    groups = [
        item["KeyGroup"]["KeyGroupConfig"]
        for item in client.list_key_groups()["KeyGroupList"]["Items"]
    ]
    (group,) = [g for g in groups if g["Name"] == settings.CLOUDFRONT_KEY_GROUP_NAME]
    assert group["Items"] == [key.public_key_id]


def test_private_keys_are_re_encrypted_under_the_newest_encryption_key(
    make_signing_key, settings, capsys
):
    old = settings.SIGNING_KEY_ENCRYPTION_KEYS
    key = make_signing_key(state="active")
    plain = decrypt_private_key(key.encrypted_private_key)
    newest = Fernet.generate_key().decode()
    settings.SIGNING_KEY_ENCRYPTION_KEYS = [newest, *old]
    call_command("reencrypt_signing_keys")
    assert "Re-encrypted 1 signing key(s)" in capsys.readouterr().out
    settings.SIGNING_KEY_ENCRYPTION_KEYS = [newest]  # the old key can now be dropped
    key.refresh_from_db()
    assert decrypt_private_key(key.encrypted_private_key) == plain


def test_re_encryption_refuses_when_a_key_cannot_be_opened(make_signing_key, settings):
    make_signing_key(state="active")
    settings.SIGNING_KEY_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CommandError, match="Nothing was changed"):
        call_command("reencrypt_signing_keys")


def test_a_rotation_publishes_a_key_already_generated_before_making_another(make_signing_key):
    generated = make_signing_key(state="created")  # e.g. by cloudfront_stack --generate-key
    key = signing_key_rotate()
    assert key.pk == generated.pk
    assert key.state == State.ACTIVE
    assert SigningKey.objects.count() == 1


def test_if_due_replaces_an_active_key_the_encryption_keys_cannot_open(signing_key, settings):
    settings.SIGNING_KEY_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]  # var/ made anew
    call_command("rotate_signing_key", "--if-due", stdout=StringIO(), stderr=StringIO())
    signing_key.refresh_from_db()
    assert signing_key.state == State.RETIRING
    assert SigningKey.objects.active().pk != signing_key.pk
