"""The application's CDN signer: which key signs, for how long, and how often.

Every URL signed within one window of ``CDN_SIGNING_WINDOW_SECONDS`` expires at the same
moment, the end of the next window, so it is byte-identical for the whole window: browsers and
the CDN cache it, and a page costs no signature once warm. Renditions are signed with one
wildcard policy per pet (``<base>/renditions/<pet>/*``), reused by every photo of that pet;
originals, which may carry GPS, get a canned policy per URL. Results are kept in memory.

The signed-cookie helpers (``Signer.pet_cookies``, ``attach_pet_cookies``) are not used by
pages yet; a later issue uses them to open a pet's renditions with cookies instead of a signed
query on every URL.

The active key is read from the database at most every ``ACTIVE_KEY_CACHE_SECONDS``; rotation
keeps the previous key trusted for long enough to cover that (see ``retiring_trust``).
"""

from __future__ import annotations

import datetime
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from cdn.encryption import decrypt_private_key
from cdn.keypairs import HASH_OF
from cdn.models import SigningKey
from cdn.objects import RENDITIONS_PREFIX, renditions_prefix
from cdn.signing import (
    Credentials,
    canned_policy,
    custom_policy,
    load_private_key,
    signed_cookies,
    signed_query,
)

ACTIVE_KEY_CACHE_SECONDS = 30
CLOCK_SKEW_SECONDS = 60  # CloudFront's clocks and ours may differ this much
CACHE_LIMIT = 20_000  # signed policies kept per window
T = TypeVar("T")


class NoSigningKey(Exception):
    """No key is active, so no URL can be signed."""

    def __init__(self):
        super().__init__(
            "No CDN signing key is active: run `python manage.py rotate_signing_key` "
            "(or rotate one from the admin)."
        )


def window_expiry(now: float, window: int) -> int:
    """The expiry of every URL signed at ``now``: the end of the next window, so a URL lives
    between one and two windows and stays the same throughout the current one."""
    return (int(now) // window + 2) * window


def longest_url_life(window: int) -> datetime.timedelta:
    """The longest a signed URL (or cookie) stays valid: signed at the start of a window, it
    expires at the end of the next one (``window_expiry``)."""
    return datetime.timedelta(seconds=2 * window)


def retiring_trust(window: int) -> datetime.timedelta:
    """How long a key must stay trusted after it stopped being the active one: a process may
    sign with it until its key cache expires, and what it signed lives that long more."""
    slack = datetime.timedelta(seconds=ACTIVE_KEY_CACHE_SECONDS + CLOCK_SKEW_SECONDS)
    return longest_url_life(window) + slack


def load_active_credentials() -> Credentials:
    key = SigningKey.objects.active()
    if key is None:
        raise NoSigningKey()
    private_key = load_private_key(decrypt_private_key(key.encrypted_private_key))
    return Credentials(key.public_key_id, private_key, HASH_OF[key.algorithm])


@dataclass
class _Loaded:
    credentials: Credentials | None  # None: no key was active
    until: float


class Signer:
    def __init__(
        self,
        *,
        base_url: str,
        window: int,
        load_credentials: Callable[[], Credentials] = load_active_credentials,
        clock: Callable[[], float] = time.time,
    ):
        self.base_url, self.window = base_url, window
        self._load_credentials, self._clock = load_credentials, clock
        self._loaded: _Loaded | None = None
        self._queries: dict[tuple, object] = {}
        self._lock = threading.Lock()
        self.signatures = 0  # how many signatures this signer has made (benchmarks, tests)

    def url(self, key: str) -> str:
        """The signed CDN URL of a stored object."""
        if key.startswith(RENDITIONS_PREFIX):
            prefix = key[: key.index("/", len(RENDITIONS_PREFIX)) + 1]
            return f"{self.base_url}/{key}?{self._prefix_query(prefix)}"
        return self.original_url(key)

    def original_url(self, key: str) -> str:
        """``key`` signed alone, with a canned policy (for originals: one object, one owner)."""
        url = f"{self.base_url}/{key}"
        credentials, expires = self._credentials(), self.expiry()
        query = self._signed(
            ("canned", credentials.key_pair_id, url, expires),
            lambda: signed_query(canned_policy(url, expires), credentials, canned_expires=expires),
        )
        return f"{url}?{query}"

    def pet_cookies(self, pet_id) -> tuple[str, dict[str, str]]:
        """Signed cookies covering every rendition of one pet, and the cookie ``Path``.

        Not used by pages yet: kept for signed cookies on pages, a later issue."""
        prefix = renditions_prefix(pet_id)
        credentials, expires = self._credentials(), self.expiry()
        cookies = self._signed(
            ("cookies", credentials.key_pair_id, prefix, expires),
            lambda: signed_cookies(self._prefix_policy(prefix, expires), credentials),
        )
        return f"{_path_of(self.base_url)}/{prefix}", cookies

    def expiry(self) -> int:
        return window_expiry(self._clock(), self.window)

    def _prefix_query(self, prefix: str) -> str:
        credentials, expires = self._credentials(), self.expiry()
        return self._signed(
            (credentials.key_pair_id, prefix, expires),
            lambda: signed_query(self._prefix_policy(prefix, expires), credentials),
        )

    def _prefix_policy(self, prefix: str, expires: int) -> str:
        """Every object under ``prefix`` (one pet's renditions) until ``expires``."""
        return custom_policy(f"{self.base_url}/{prefix}*", expires)

    def _signed(self, cache_key: tuple, sign: Callable[[], T]) -> T:
        """What ``sign()`` made for ``cache_key`` in this window, signing only the first time."""
        signed = self._queries.get(cache_key)
        if signed is None:
            signed = sign()
            with self._lock:
                self.signatures += 1
                if len(self._queries) >= CACHE_LIMIT:
                    self._queries.clear()  # bounded memory: what is still needed is signed again
                self._queries[cache_key] = signed
        return signed

    def _credentials(self) -> Credentials:
        loaded, now = self._loaded, self._clock()
        if loaded is None or now >= loaded.until:
            try:
                credentials = self._load_credentials()
            except NoSigningKey:
                credentials = None  # remembered too: a page of N photos asks only once
            loaded = _Loaded(credentials, now + ACTIVE_KEY_CACHE_SECONDS)
            self._loaded = loaded
        if loaded.credentials is None:
            raise NoSigningKey()
        return loaded.credentials

    def forget_key(self) -> None:
        """Read the active key again on the next signature (called after a rotation)."""
        self._loaded = None


def _path_of(base_url: str) -> str:
    """The path part of the CDN base URL (``/cdn``, or ``""`` for a CDN domain's root)."""
    if "://" in base_url:
        rest = base_url.split("://", 1)[1]
        return "/" + rest.split("/", 1)[1] if "/" in rest else ""
    return base_url


_signer: Signer | None = None


def get_signer() -> Signer:
    """This process's signer, for the configured CDN base URL and window."""
    global _signer
    if _signer is None:
        _signer = Signer(base_url=settings.CDN_BASE_URL, window=settings.CDN_SIGNING_WINDOW_SECONDS)
    return _signer


def signed_url(key: str) -> str:
    return get_signer().url(key)


def attach_pet_cookies(response, pet_id) -> None:
    """Set the signed cookies that open every rendition of ``pet_id`` on ``response``:
    ``Secure; HttpOnly``, on the pet's renditions path only, for the browser session.

    No view calls it yet: a later issue uses it to sign pages with cookies."""
    path, cookies = get_signer().pet_cookies(pet_id)
    for name, value in cookies.items():
        response.set_cookie(name, value, path=path, secure=True, httponly=True, samesite="Lax")


def forget_active_key() -> None:
    if _signer is not None:
        _signer.forget_key()


@receiver(setting_changed)
def _reset_on_setting_change(setting, **kwargs) -> None:
    global _signer
    if setting in ("CDN_BASE_URL", "CDN_SIGNING_WINDOW_SECONDS"):
        _signer = None
