"""The life of a CDN signing key: created → published → active → retiring → retired.

Each step is a service (called by the admin, ``manage.py rotate_signing_key`` and the beat
task); each refuses with ``SigningKeyError`` and a sentence a person can act on when the step
would break a URL. The database guarantees a single active key; CloudFront's key group is kept
equal to the keys in the states CloudFront must trust (published, active, retiring).
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record_system
from cdn import keypairs
from cdn.cloudfront import KEY_GROUP_FULL, KEY_GROUP_LIMIT, CdnError, cdn
from cdn.encryption import encrypt_private_key
from cdn.models import SigningKey
from cdn.signer import forget_active_key, retiring_trust

logger = logging.getLogger(__name__)
State = SigningKey.State


class SigningKeyError(Exception):
    """A key step that is refused, or that CloudFront refused."""


def _locked(key: SigningKey) -> SigningKey:
    return SigningKey.objects.select_for_update().get(pk=key.pk)


def _require_state(key: SigningKey, state: str, action: str, *, hint: str = "") -> None:
    """Refuse a step from the wrong state, saying what the key is and what to do instead."""
    if key.state != state:
        label = "new" if state == State.CREATED else state
        raise SigningKeyError(
            f"Only a {label} key can {action}; this one is {key.state}{hint or '.'}"
        )


def _trusted_ids(*, plus: str | None = None, minus: str | None = None) -> list[str]:
    ids = set(SigningKey.objects.trusted().values_list("public_key_id", flat=True))
    if plus:
        ids.add(plus)
    ids.discard(minus)
    return sorted(ids)


def signing_key_generate(*, algorithm: str | None = None) -> SigningKey:
    """A new key pair; the private half is stored encrypted and never shown again."""
    algorithm = algorithm or settings.SIGNING_KEY_ALGORITHM
    private_key = keypairs.generate_private_key(algorithm)
    return SigningKey.objects.create(
        algorithm=algorithm,
        public_key_pem=keypairs.public_pem(private_key),
        encrypted_private_key=encrypt_private_key(keypairs.private_pem(private_key)),
    )


@transaction.atomic
def signing_key_publish(*, key: SigningKey) -> SigningKey:
    """Upload the public key to CloudFront and add it to the trusted key group."""
    key = _locked(key)
    _require_state(key, State.CREATED, "be published")
    if SigningKey.objects.trusted().count() >= KEY_GROUP_LIMIT:
        raise SigningKeyError(KEY_GROUP_FULL)  # before creating anything in CloudFront
    backend = cdn()
    try:
        key_id = backend.publish_public_key(name=f"pettracker-key-{key.pk}", pem=key.public_key_pem)
        backend.set_trusted_keys(_trusted_ids(plus=key_id))
    except CdnError as exc:
        raise SigningKeyError(str(exc)) from exc
    key.public_key_id, key.state, key.published_at = key_id, State.PUBLISHED, timezone.now()
    key.save(update_fields=["public_key_id", "state", "published_at"])
    return key


def ready_to_sign_at(key: SigningKey) -> datetime.datetime | None:
    """When CloudFront's edges will all know a published key."""
    if key.published_at is None:
        return None
    return key.published_at + datetime.timedelta(seconds=settings.SIGNING_KEY_PROPAGATION_SECONDS)


@transaction.atomic
def signing_key_activate(*, key: SigningKey) -> SigningKey:
    """Make ``key`` the one that signs; the previous active key begins retiring."""
    key = _locked(key)
    hint = ": publish it to CloudFront first." if key.state == State.CREATED else ""
    _require_state(key, State.PUBLISHED, "be activated", hint=hint)
    now = timezone.now()
    ready_at = ready_to_sign_at(key)
    if ready_at > now:
        raise SigningKeyError(
            f"CloudFront is still spreading this key to its edges; activate it after "
            f"{ready_at:%Y-%m-%d %H:%M:%S} UTC."
        )
    previous = SigningKey.objects.select_for_update().filter(state=State.ACTIVE).first()
    if previous is not None:
        _begin_retiring(
            previous, now, trust_for=retiring_trust(settings.CDN_SIGNING_WINDOW_SECONDS)
        )
    key.state, key.activated_at = State.ACTIVE, now
    key.save(update_fields=["state", "activated_at"])
    transaction.on_commit(forget_active_key)
    return key


def _begin_retiring(key: SigningKey, now, *, trust_for: datetime.timedelta) -> None:
    key.state, key.retiring_at, key.trusted_until = State.RETIRING, now, now + trust_for
    key.save(update_fields=["state", "retiring_at", "trusted_until"])


@transaction.atomic
def signing_key_begin_retiring(*, key: SigningKey) -> SigningKey:
    """Stop offering a published key that never signed; the active key retires only when
    another is activated, so that something always signs."""
    key = _locked(key)
    if key.state == State.ACTIVE:
        raise SigningKeyError(
            "The active key cannot begin retiring: activate another key (or rotate), "
            "and this one will retire by itself."
        )
    _require_state(key, State.PUBLISHED, "begin retiring")
    # It never signed a URL, so nothing relies on it.
    _begin_retiring(key, timezone.now(), trust_for=datetime.timedelta(0))
    return key


@transaction.atomic
def signing_key_retire(*, key: SigningKey) -> SigningKey:
    """Take a retiring key out of the key group once every URL it signed has expired."""
    key = _locked(key)
    hint = ": activate another key first." if key.state == State.ACTIVE else ""
    _require_state(key, State.RETIRING, "be retired", hint=hint)
    if key.trusted_until > timezone.now():
        raise SigningKeyError(
            f"URLs signed with this key are valid until {key.trusted_until:%Y-%m-%d %H:%M:%S} "
            "UTC; retiring it before then would break them."
        )
    backend = cdn()
    try:
        backend.set_trusted_keys(_trusted_ids(minus=key.public_key_id))
        backend.delete_public_key(key.public_key_id)
    except CdnError as exc:
        raise SigningKeyError(str(exc)) from exc
    key.state, key.retired_at = State.RETIRED, timezone.now()
    key.save(update_fields=["state", "retired_at"])
    return key


def signing_key_rotate() -> SigningKey:
    """A whole rotation: a published key ready to sign is activated (a key generated ahead,
    or else a new one, is published first when there is none). Where CloudFront still needs
    time to spread the new key, it is left published: ``rotate_signing_key --wait`` waits for
    it, and the beat task activates it when the active key is due.

    Returns the key that is (or will be) the active one.
    """
    candidate = SigningKey.objects.filter(state=State.PUBLISHED).order_by("-published_at").first()
    if candidate is None:
        # A key generated ahead (for the CloudFormation stack) is used before making another.
        generated = SigningKey.objects.filter(state=State.CREATED).order_by("created_at").first()
        candidate = signing_key_publish(key=generated or signing_key_generate())
    if ready_to_sign_at(candidate) <= timezone.now():
        candidate = signing_key_activate(key=candidate)
    return candidate


def signing_key_due(now=None) -> bool:
    """Whether the active key is missing or older than ``SIGNING_KEY_MAX_AGE_DAYS``."""
    active = SigningKey.objects.active()
    if active is None:
        return True
    age = (now or timezone.now()) - active.activated_at
    return age >= datetime.timedelta(days=settings.SIGNING_KEY_MAX_AGE_DAYS)


def signing_keys_maintain(*, via: str = "beat") -> dict[str, int]:
    """Beat: rotate when due (or finish a rotation waiting for CloudFront), and retire the
    retiring keys whose URLs have all expired; each step goes to the audit trail (actor
    "system"). Returns what it did, for the log."""
    done = {"rotated": 0, "retired": 0}
    # A rotation waiting for CloudFront is still due (the old key is still active), so the
    # next run activates its key once it has spread.
    if signing_key_due():
        key = signing_key_rotate()
        audit_record_system(
            action="signing_key.rotate", target=key, via=via, details={"state": key.state}
        )
        done["rotated"] = int(key.state == State.ACTIVE)
    for key in SigningKey.objects.filter(state=State.RETIRING, trusted_until__lte=timezone.now()):
        try:
            signing_key_retire(key=key)
        except SigningKeyError as refusal:
            logger.exception("could not retire signing key %s", key.public_key_id)
            details = {"refused": str(refusal)}
            audit_record_system(action="signing_key.retire", target=key, via=via, details=details)
            continue
        audit_record_system(action="signing_key.retire", target=key, via=via)
        done["retired"] += 1
    return done
