"""The application's CDN signer: which key signs, for how long, and how often.

Pages carry plain, immutable rendition URLs (``<base>/renditions/<pet>/<photo>/<name>-<hash>.webp``,
no query string) and open them with CloudFront's signed cookies, one set per pet, scoped by the
cookie ``Path`` to that pet's renditions (``grant_pets``). The JSON API, whose clients may hold
no cookies, gets the same policy as a signed query (``Signer.url``). Originals, which may carry
GPS, get a canned policy per URL, for their owner only (``Signer.original_url``).

Every grant signed within one window of ``CDN_SIGNING_WINDOW_SECONDS`` expires at the same
moment, the end of the next window, so it is byte-identical for the whole window and costs one
signature per pet per window. A rendition policy names an absolute URL pattern, as CloudFront
requires: ``<CDN_BASE_URL>/renditions/<pet>/*`` for a CDN domain, ``http*://*/cdn/renditions/<pet>/*``
when the CDN is a path of the site (the local edge). A pet that was ever revoked has an access
floor (``cdn.revocation``): its grants carry ``DateGreaterThan`` = the floor, and the edge (and
the CloudFront Function) refuse any grant of that pet below it.

The active key is read from the database at most every ``ACTIVE_KEY_CACHE_SECONDS``, and parsed
once per key id; rotation keeps the previous key trusted for long enough to cover that (see
``retiring_trust``).
"""

from __future__ import annotations

import datetime
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from http.cookies import Morsel
from typing import TypeVar
from urllib.parse import quote, urlencode

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.http import content_disposition_header, http_date

from cdn.encryption import decrypt_private_key
from cdn.keypairs import HASH_OF
from cdn.models import SigningKey
from cdn.objects import DISPOSITION_PARAMETER, RENDITIONS_PREFIX, renditions_prefix
from cdn.signing import (
    Credentials,
    PrivateKey,
    append_query,
    canned_policy,
    custom_policy,
    load_private_key,
    signed_cookies,
    signed_query,
)

ACTIVE_KEY_CACHE_SECONDS = 30
CLOCK_SKEW_SECONDS = 60  # CloudFront's clocks and ours may differ this much
# Every grant starts this long before its window did (its DateGreaterThan, unless the pet's
# access floor is later): an edge whose clock is behind ours still honours it, and an access
# floor older than that can never refuse it (cdn.revocation prunes such floors).
GRANT_HEAD_START_SECONDS = 2 * CLOCK_SKEW_SECONDS
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
    """The expiry of every grant signed at ``now``: the end of the next window, so a grant
    lives between one and two windows and stays the same throughout the current one."""
    return (int(now) // window + 2) * window


def grant_start(expires: int, window: int, floor: int | None) -> int:
    """A grant's ``DateGreaterThan``: shortly before its window began, or the pet's access
    floor when that is later (a grant opens a pet's renditions only from its floor on, see
    ``cdn.revocation``). So every grant names when it starts, and a floor older than a window
    and a bit refuses no grant signed now."""
    window_start = expires - 2 * window
    return max(floor or 0, window_start - GRANT_HEAD_START_SECONDS)


def longest_url_life(window: int) -> datetime.timedelta:
    """The longest a signed URL (or cookie) stays valid: signed at the start of a window, it
    expires at the end of the next one (``window_expiry``)."""
    return datetime.timedelta(seconds=2 * window)


def retiring_trust(window: int) -> datetime.timedelta:
    """How long a key must stay trusted after it stopped being the active one: a process may
    sign with it until its key cache expires, and what it signed lives that long more."""
    slack = datetime.timedelta(seconds=ACTIVE_KEY_CACHE_SECONDS + CLOCK_SKEW_SECONDS)
    return longest_url_life(window) + slack


_parsed_keys: dict[tuple[str, str], PrivateKey] = {}


def load_active_credentials() -> Credentials:
    """The active key's credentials. Its private key is decrypted and parsed once per key
    (parsing an RSA key with its checks costs ~50 ms), then reused from memory."""
    key = SigningKey.objects.active()
    if key is None:
        raise NoSigningKey()
    cache_key = (key.public_key_id, key.encrypted_private_key)
    private_key = _parsed_keys.get(cache_key)
    if private_key is None:
        private_key = load_private_key(decrypt_private_key(key.encrypted_private_key))
        if len(_parsed_keys) >= 8:
            _parsed_keys.clear()  # rotation makes a few keys a year: this never grows
        _parsed_keys[cache_key] = private_key
    return Credentials(key.public_key_id, private_key, HASH_OF[key.algorithm])


@dataclass
class _Loaded:
    credentials: Credentials | None  # None: no key was active
    until: float


@dataclass(frozen=True)
class Grant:
    """The signed cookies that open one pet's renditions, and where and until when they apply."""

    path: str  # the cookie Path: the pet's renditions under the CDN's path
    cookies: Mapping[str, str]
    expires: int  # epoch seconds, the policy's DateLessThan
    marker: str  # what identifies this grant: unchanged, the browser holds it already


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

    def object_url(self, key: str) -> str:
        """The plain CDN URL of a stored object: what pages carry (their cookies open it)."""
        return f"{self.base_url}/{key}"

    def url(
        self, key: str, *, floor: int | None = None, origin: str = "", until: int | None = None
    ) -> str:
        """A rendition's URL signed with its pet's policy in the query string (for API
        clients, which may hold no cookies); ``floor`` is the pet's access floor, ``origin``
        the site's (``resource_base``). ``until`` (epoch seconds) ends it sooner than the
        window's expiry: a share link's preview image lives no longer than the link."""
        if not key.startswith(RENDITIONS_PREFIX):
            raise ValueError("only renditions are signed per pet; originals: original_url()")
        prefix = key[: key.index("/", len(RENDITIONS_PREFIX)) + 1]
        credentials, expires = self._credentials(), self.expiry()
        if until is not None:
            expires = min(expires, int(until))
        start, base = grant_start(expires, self.window, floor), self.resource_base(origin)
        query = self._signed(
            ("query", credentials.key_pair_id, base, prefix, expires, start),
            lambda: signed_query(self._prefix_policy(base, prefix, expires, start), credentials),
        )
        return f"{self.base_url}/{key}?{query}"

    def original_url(self, key: str, *, origin: str = "", download_name: str = "") -> str:
        """``key`` signed alone with a canned policy (an original: one object, its owner).
        A canned policy names the exact URL CloudFront sees, so when the CDN is a path of the
        site, ``origin`` (``https://example.com``) must say which site. With
        ``download_name``, the object comes as an attachment of that name (the parameter is
        signed with the URL: nobody can change it)."""
        url = f"{self.resource_base(origin)}/{key}"
        if download_name:
            disposition = content_disposition_header(True, download_name)
            url += f"?{urlencode({DISPOSITION_PARAMETER: disposition}, quote_via=quote)}"
        credentials, expires = self._credentials(), self.expiry()
        query = self._signed(
            ("canned", credentials.key_pair_id, url, expires),
            lambda: signed_query(canned_policy(url, expires), credentials, canned_expires=expires),
        )
        return append_query(url, query)

    def pet_grant(self, pet_id, *, floor: int | None = None, origin: str = "") -> Grant:
        """The signed cookies covering every rendition of one pet until the window's expiry."""
        prefix = renditions_prefix(pet_id)
        credentials, expires = self._credentials(), self.expiry()
        start, base = grant_start(expires, self.window, floor), self.resource_base(origin)
        cookies = self._signed(
            ("cookies", credentials.key_pair_id, base, prefix, expires, start),
            lambda: signed_cookies(self._prefix_policy(base, prefix, expires, start), credentials),
        )
        marker = f"{expires}.{start}.{credentials.key_pair_id}"
        return Grant(f"{path_of(self.base_url)}/{prefix}", cookies, expires, marker)

    def expiry(self) -> int:
        return window_expiry(self._clock(), self.window)

    def now(self) -> float:
        return self._clock()

    def resource_base(self, origin: str = "") -> str:
        """The absolute URL the CDN's objects have, which a policy's ``Resource`` names: the CDN
        base URL, or, when the CDN is a path of the site, the site's ``origin``
        (``https://example.com``) before it. Never a host wildcard: ``*`` matches across the
        query string too, so ``http*://*/cdn/renditions/<pet>/*`` would also open
        ``/cdn/renditions/<other pet>/…?x=/cdn/renditions/<pet>/``."""
        if is_absolute(self.base_url):
            return self.base_url
        if not is_absolute(origin):
            raise ValueError("the CDN is a path of the site: pass the site's origin")
        return origin.rstrip("/") + self.base_url

    def _prefix_policy(self, base: str, prefix: str, expires: int, start: int) -> str:
        """Every object under ``prefix`` (one pet's renditions) from ``start`` until
        ``expires``."""
        return custom_policy(f"{base}/{prefix}*", expires, date_greater_than=start)

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


def is_absolute(url: str) -> bool:
    return url.startswith(("https://", "http://"))


def path_of(base_url: str) -> str:
    """The path part of the CDN base URL (``/cdn``, or ``""`` for a CDN domain's root)."""
    if "://" in base_url:
        rest = base_url.split("://", 1)[1]
        return "/" + rest.split("/", 1)[1] if "/" in rest else ""
    return base_url


def host_of(base_url: str) -> str:
    """The host of the CDN base URL, ``""`` when the CDN is a path of the site."""
    if "://" not in base_url:
        return ""
    return base_url.split("://", 1)[1].split("/", 1)[0].rsplit("@", 1)[-1].split(":", 1)[0]


_signer: Signer | None = None


def get_signer() -> Signer:
    """This process's signer, for the configured CDN base URL and window."""
    global _signer
    if _signer is None:
        _signer = Signer(base_url=settings.CDN_BASE_URL, window=settings.CDN_SIGNING_WINDOW_SECONDS)
    return _signer


# --- Cookies on pages ------------------------------------------------------------------------

GRANTS_SESSION_KEY = "cdn_grants"


def grant_pets(request, response, floors: Mapping, pet_ids: Iterable) -> int:
    """Set on ``response`` the signed cookies that open the renditions of ``pet_ids`` (each
    with its access floor from ``floors``), unless the browser holds them already: the session
    remembers which grant each pet's cookies carry, so they are set again only when the window
    turned, the pet's floor rose or the key changed. Returns how many pets were granted.

    The cookies are ``HttpOnly; SameSite=Lax``, ``Secure`` except on a plain-HTTP development
    site, scoped by ``Path`` to the pet's renditions (and by ``CDN_COOKIE_DOMAIN`` to the CDN's
    sub-domain when it has one), and expire with their policy."""
    # A visitor without a session (a share link's) is not given one just for this: their
    # cookies are set on every page instead.
    remembers = request.user.is_authenticated or request.session.session_key is not None
    held = request.session.get(GRANTS_SESSION_KEY, {}) if remembers else {}
    signer = get_signer()
    now, changed, origin = signer.now(), {}, site_origin(request)
    for pet_id in dict.fromkeys(pet_ids):
        if revoked_during(request, floors.get(pet_id)):
            continue  # the next page (or gallery.js's regrant) asks again
        grant = signer.pet_grant(pet_id, floor=floors.get(pet_id), origin=origin)
        if held.get(str(pet_id)) == grant.marker:
            continue
        _set_grant_cookies(request, response, grant, max_age=max(1, int(grant.expires - now)))
        changed[str(pet_id)] = grant.marker
    if changed and remembers:
        kept = {pet: marker for pet, marker in held.items() if _unexpired(marker, now)}
        request.session[GRANTS_SESSION_KEY] = kept | changed
    return len(changed)


def revoked_during(request, floor: int | None) -> bool:
    """Whether the pet's floor may have risen while the view ran: its visibility check may
    predate the revocation, and a grant signed now would carry the new floor and be honoured.
    A floor lies 59 s before its revocation (``cdn.revocation``); this errs on the safe side."""
    started = getattr(request, "cdn_view_started_at", None)
    return floor is not None and started is not None and floor >= started - CLOCK_SKEW_SECONDS


def site_origin(request) -> str:
    """The site's origin as the request names it, which the local edge rebuilds the same way
    (``cdn.edge``): what a policy names when the CDN is a path of the site."""
    return f"{request.scheme}://{request.get_host()}"


def forget_grants(request) -> None:
    """Set every pet's cookies again on the next pages (the browser lost some)."""
    request.session.pop(GRANTS_SESSION_KEY, None)


def _set_grant_cookies(request, response, grant: Grant, *, max_age: int) -> None:
    """The grant's cookies as ``Set-Cookie`` headers. A page of several pets sets cookies of
    the same names on different paths, which ``response.set_cookie`` cannot (it keeps one per
    name): each morsel is kept under its own key, and Django writes every morsel's header."""
    secure = request.is_secure() or not settings.DEBUG
    for name, value in grant.cookies.items():
        morsel = Morsel()
        morsel.set(name, value, value)  # CloudFront's URL-safe base64 needs no quoting
        morsel["max-age"] = max_age
        morsel["expires"] = http_date(time.time() + max_age)
        morsel["path"] = grant.path
        if settings.CDN_COOKIE_DOMAIN:
            morsel["domain"] = settings.CDN_COOKIE_DOMAIN
        morsel["secure"], morsel["httponly"], morsel["samesite"] = secure, True, "Lax"
        response.cookies[f"{name}:{grant.path}"] = morsel


def _unexpired(marker: str, now: float) -> bool:
    expires = marker.split(".", 1)[0]
    return expires.isdigit() and int(expires) > now


def forget_active_key() -> None:
    if _signer is not None:
        _signer.forget_key()


@receiver(setting_changed)
def _reset_on_setting_change(setting, **kwargs) -> None:
    global _signer
    if setting in ("CDN_BASE_URL", "CDN_SIGNING_WINDOW_SECONDS"):
        _signer = None
