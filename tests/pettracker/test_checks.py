"""Nothing published protects anything: a local run makes its own secrets, production refuses
the published ones, and the development server will not listen beyond this machine while a
published default (a demo password) still opens an account."""

from __future__ import annotations

import base64
import json
import stat

import pytest
from cryptography.fernet import Fernet
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.crypto import salted_hmac

from cdn.encryption import UndecryptableKey, decrypt_private_key
from images.pure.upload_tickets import SIGNATURE_FIELD, SIGNATURE_SALT
from pettracker.checks import check_no_published_secrets, is_loopback
from pettracker.defaults import PUBLISHED_ENCRYPTION_KEYS, PUBLISHED_SECRET_KEYS
from pettracker.management.commands.runserver import refuse_published_defaults
from tests.pettracker.helpers import PRODUCTION, load_settings

PUBLISHED = next(iter(PUBLISHED_SECRET_KEYS))
EVERYWHERE = "0.0.0.0"  # noqa: S104  (what a person types to be reached from a phone)


@pytest.fixture
def demo_data(settings):
    settings.DEBUG = True  # seed_demo refuses otherwise
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


@pytest.mark.slow  # loads the settings in a fresh interpreter
def test_a_local_run_makes_its_own_secrets_and_keeps_them(tmp_path):
    expression = "s.SECRET_KEY, s.SIGNING_KEY_ENCRYPTION_KEYS[0]"
    first = load_settings({"VAR_DIR": str(tmp_path)}, expression)
    again = load_settings({"VAR_DIR": str(tmp_path)}, expression)
    assert first.returncode == 0, first.stderr
    assert first.stdout == again.stdout
    assert PUBLISHED not in first.stdout
    assert not PUBLISHED_ENCRYPTION_KEYS & set(first.stdout.split())
    for name in ("secret_key", "signing_key_encryption_key"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600


@pytest.mark.slow  # loads the settings in a fresh interpreter
def test_the_encryption_key_is_not_derived_from_the_secret_key(tmp_path):
    result = load_settings(
        {"VAR_DIR": str(tmp_path), "SECRET_KEY": PUBLISHED}, "s.SIGNING_KEY_ENCRYPTION_KEYS"
    )
    assert result.returncode == 0, result.stderr
    assert not PUBLISHED_ENCRYPTION_KEYS & set(eval(result.stdout))  # noqa: S307


@pytest.mark.slow  # loads the settings in a fresh interpreter
def test_production_refuses_the_published_secret_key():
    result = load_settings({**PRODUCTION, "SECRET_KEY": PUBLISHED}, "s.SECRET_KEY")
    assert result.returncode != 0
    assert "SECRET_KEY is one published in PetTracker's source" in result.stderr


def _forged_upload(key: str) -> dict:
    """An upload policy for ``key`` signed with the published default key."""
    expires = (timezone.now() + timezone.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    document = {
        "expiration": expires,
        "conditions": [
            {"key": key},
            {"Content-Type": "image/webp"},
            ["content-length-range", 1, 99],
        ],
    }
    policy = base64.b64encode(json.dumps(document, separators=(",", ":")).encode()).decode()
    signature = salted_hmac(SIGNATURE_SALT, policy, secret=PUBLISHED, algorithm="sha256")
    return {
        "key": key,
        "Content-Type": "image/webp",
        "policy": policy,
        SIGNATURE_FIELD: signature.hexdigest(),
        "file": SimpleUploadedFile("x.webp", b"overwritten", content_type="image/webp"),
    }


@pytest.mark.django_db
def test_an_upload_policy_forged_with_the_published_key_is_refused(client):
    response = client.post("/uploads/", _forged_upload("renditions/someone/else/thumb-1.webp"))
    assert response.status_code == 403


def test_a_private_key_encrypted_under_the_published_key_cannot_be_opened():
    token = Fernet(next(iter(PUBLISHED_ENCRYPTION_KEYS))).encrypt(b"-----BEGIN PRIVATE KEY-----")
    with pytest.raises(UndecryptableKey):
        decrypt_private_key(token.decode())


def test_the_deploy_check_names_a_published_secret(settings):
    settings.SECRET_KEY = PUBLISHED
    (error,) = check_no_published_secrets(None)
    assert error.id == "pettracker.E002"
    assert "SECRET_KEY" in error.msg


def test_the_deploy_check_is_quiet_with_secrets_of_ones_own():
    assert check_no_published_secrets(None) == []


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        *[("127.0.0.1", True), ("::1", True), ("[::1]", True), ("localhost", True)],
        *[(EVERYWHERE, False), ("192.168.1.20", False), ("::", False), ("pets.local", False)],
    ],
)
def test_loopback_addresses_are_told_apart(address, loopback):
    assert is_loopback(address) is loopback


@pytest.mark.django_db
@pytest.mark.slow  # seed_demo draws the demo photos: about a second
def test_the_server_refuses_a_public_address_while_demo_passwords_work(demo_data):
    with pytest.raises(CommandError, match="demo accounts frank, olivia, sam"):
        refuse_published_defaults(EVERYWHERE)


@pytest.mark.django_db
@pytest.mark.slow  # seed_demo draws the demo photos: about a second
def test_the_server_listens_anywhere_once_the_demo_passwords_are_new(demo_data, capsys):
    call_command("seed_demo", "--new-passwords")
    assert "pettracker-demo" not in capsys.readouterr().out
    refuse_published_defaults(EVERYWHERE)  # no refusal


@pytest.mark.django_db
@pytest.mark.slow  # seed_demo draws the demo photos: about a second
def test_runserver_checks_a_public_address_before_serving(demo_data, monkeypatch):
    served = []
    monkeypatch.setattr(
        "django.core.management.commands.runserver.Command.run",
        lambda self, **options: served.append(self.addr),
    )
    call_command("runserver", "127.0.0.1:8765", use_reloader=False)
    with pytest.raises(CommandError, match=r"Refusing to listen on 0\.0\.0\.0"):
        call_command("runserver", f"{EVERYWHERE}:8765", use_reloader=False)
    assert served == ["127.0.0.1"]
