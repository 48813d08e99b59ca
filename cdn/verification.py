"""How CloudFront decides whether a request is signed: a pure function, used by the local edge.

The signature comes from the query string when it carries any signing parameter, otherwise
from the ``CloudFront-*`` cookies. A canned policy is rebuilt from the requested URL and
``Expires``; a custom policy travels in ``Policy``. The signature must verify against a trusted
public key over the policy's exact bytes, and then the policy's conditions must hold: the time
window, the client's address, and the resource pattern (``*`` and ``?``) against the URL.

The URL is the full one CloudFront sees (``https://host/path?other=parameters``), so a policy
naming a bare path (``/cdn/renditions/...``) opens nothing, as at CloudFront. ``verify`` returns
what the verified policy grants, for the checks CloudFront leaves to a function (the pets'
access floors, ``cdn.revocation``).
"""

from __future__ import annotations

import functools
import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote, unquote_plus

from cdn.signing import (
    COOKIE_PREFIX,
    SIGNING_PARAMETERS,
    HashAlgorithm,
    PublicKey,
    canned_policy,
    signature_is_valid,
    url_b64decode,
)


class Refused(Exception):
    """A request CloudFront would answer with 403; the message says why, for logs and tests."""


@dataclass(frozen=True)
class SignedRequest:
    url: str  # as requested, absolute (scheme://host/path?query), without the signing parameters
    query: Mapping[str, str]  # the signing parameters found in the query string
    cookies: Mapping[str, str]
    client_ip: str
    now: int  # epoch seconds


def signing_query(query_string: str) -> dict[str, str]:
    """The signing parameters of a raw query string, as CloudFront reads them: their names
    exactly as written (a percent-encoded name is not one), each at most once."""
    found: dict[str, str] = {}
    for part in filter(None, query_string.split("&")):
        raw_name, _, value = part.partition("=")
        name = unquote_plus(raw_name)
        if name not in SIGNING_PARAMETERS:
            continue
        if raw_name != name:
            raise Refused(f"the signing parameter {name} is percent-encoded")
        if name in found:
            raise Refused(f"the signing parameter {name} appears twice")
        found[name] = unquote(value)
    return found


@dataclass(frozen=True)
class Verified:
    """What a policy whose signature and conditions hold grants."""

    key_pair_id: str
    canned: bool
    date_less_than: int
    date_greater_than: int | None  # None: the policy has no DateGreaterThan
    resource: str | None  # None: a canned policy (the URL itself), or a custom one for anything


def verify(request: SignedRequest, trusted_keys: Mapping[str, PublicKey]) -> Verified:
    """What the policy grants if CloudFront would serve ``request``; ``Refused`` otherwise.

    ``trusted_keys`` is asked only for the request's key id (``.get``), so it may be a cache
    that reads the keys again when it does not know one."""
    params = _signing_parameters(request)
    key_pair_id = _required(params, "Key-Pair-Id")
    signature = _decoded(_required(params, "Signature"), "Signature")
    algorithm = _hash_algorithm(params.get("Hash-Algorithm"))
    public_key = trusted_keys.get(key_pair_id)
    if public_key is None:
        raise Refused(f"key {key_pair_id!r} is not in the trusted key group")
    policy, canned = _policy(params, request.url)
    if not signature_is_valid(policy, signature, public_key, algorithm):
        raise Refused("the signature does not match the policy")
    statement = _statement(policy)
    not_after, not_before = _check_conditions(statement.get("Condition"), request)
    resource = None if canned else statement.get("Resource")
    if not canned:
        _check_resource(resource, request.url)
    return Verified(key_pair_id, canned, not_after, not_before, resource)


def _signing_parameters(request: SignedRequest) -> dict[str, str]:
    in_query = {name: request.query[name] for name in SIGNING_PARAMETERS if name in request.query}
    if in_query:
        return in_query
    return {
        name: request.cookies[COOKIE_PREFIX + name]
        for name in SIGNING_PARAMETERS
        if COOKIE_PREFIX + name in request.cookies
    }


def _required(params: Mapping[str, str], name: str) -> str:
    value = params.get(name)
    if not value:
        raise Refused(f"missing {name}")
    return value


def _decoded(value: str, name: str) -> bytes:
    try:
        return url_b64decode(value)
    except ValueError:
        raise Refused(f"{name} is not URL-safe base64") from None


def _hash_algorithm(value: str | None) -> HashAlgorithm:
    if value is None:
        return HashAlgorithm.SHA1
    try:
        return HashAlgorithm(value)
    except ValueError:
        raise Refused(f"unknown Hash-Algorithm {value!r}") from None


def _policy(params: Mapping[str, str], url: str) -> tuple[bytes, bool]:
    """The signed policy's bytes, and whether it is canned."""
    expires, encoded = params.get("Expires"), params.get("Policy")
    if (expires is None) == (encoded is None):
        raise Refused("exactly one of Expires and Policy is needed")
    if encoded is not None:
        return _decoded(encoded, "Policy"), False
    if not expires.isdigit() or len(expires) > 12:
        raise Refused("Expires is not a time in epoch seconds")
    return canned_policy(url, int(expires)).encode(), True


def _statement(policy: bytes) -> dict:
    try:
        document = json.loads(policy)
        (statement,) = document["Statement"]
    except (ValueError, KeyError, TypeError):
        raise Refused("the policy is not one CloudFront policy statement") from None
    if not isinstance(statement, dict):
        raise Refused("the policy statement is not an object")
    return statement


def _epoch(condition: Mapping, name: str) -> int | None:
    value = condition.get(name)
    if value is None:
        return None
    moment = value.get("AWS:EpochTime") if isinstance(value, dict) else None
    if isinstance(moment, bool) or not isinstance(moment, int):
        raise Refused(f"{name} is not an AWS:EpochTime")
    return moment


def _check_conditions(condition, request: SignedRequest) -> tuple[int, int | None]:
    """``DateLessThan`` and ``DateGreaterThan`` once every condition holds."""
    if not isinstance(condition, dict):
        raise Refused("the policy has no Condition")
    not_after = _epoch(condition, "DateLessThan")
    if not_after is None:
        raise Refused("the policy has no DateLessThan")
    if request.now >= not_after:
        raise Refused("the signature has expired")
    not_before = _epoch(condition, "DateGreaterThan")
    if not_before is not None and request.now < not_before:
        raise Refused("the signature is not valid yet")
    if "IpAddress" in condition:
        _check_address(condition["IpAddress"], request.client_ip)
    return not_after, not_before


def _check_address(condition, client_ip: str) -> None:
    source = condition.get("AWS:SourceIp") if isinstance(condition, dict) else None
    try:
        network = ipaddress.ip_network(source, strict=False)
        address = ipaddress.ip_address(client_ip)
    except (TypeError, ValueError):
        raise Refused("the policy's IpAddress or the client's address is malformed") from None
    if address not in network:
        raise Refused(f"{client_ip} is outside {network}")


def _check_resource(resource, url: str) -> None:
    # CloudFront: a custom policy without a Resource is valid for every object.
    if resource is None:
        return
    if not isinstance(resource, str) or not _pattern(resource).fullmatch(url):
        raise Refused("the policy's Resource does not cover this URL")


@functools.lru_cache(maxsize=1024)
def _pattern(resource: str) -> re.Pattern:
    """CloudFront's wildcards: ``*`` is any run of characters, ``?`` exactly one."""
    parts = ("." if char == "?" else ".*" if char == "*" else re.escape(char) for char in resource)
    return re.compile("".join(parts), re.DOTALL)
