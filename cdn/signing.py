"""CloudFront signed URLs and cookies, byte for byte as CloudFront defines them: pure functions
over strings, bytes and keys (no ORM, no settings), so they are easy to test and to benchmark.

A policy is a compact JSON document; it is signed with the key's algorithm (docs/architecture.md,
"Key algorithms", lists them) and travels URL-safe base64-encoded, with ``+``, ``=`` and ``/``
replaced by ``-``, ``_`` and ``~``. A canned policy is not sent at all: the URL carries
``Expires`` and CloudFront rebuilds the policy from the URL itself.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from enum import StrEnum

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

# The query parameters (and, prefixed "CloudFront-", the cookies) that carry a signature.
SIGNING_PARAMETERS = ("Expires", "Policy", "Signature", "Key-Pair-Id", "Hash-Algorithm")
COOKIE_PREFIX = "CloudFront-"

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey


class HashAlgorithm(StrEnum):
    SHA1 = "SHA1"  # CloudFront's default: no Hash-Algorithm parameter is sent
    SHA256 = "SHA256"


_HASHES = {HashAlgorithm.SHA1: hashes.SHA1, HashAlgorithm.SHA256: hashes.SHA256}


# --- Encoding ------------------------------------------------------------------------------

_TO_URL_SAFE = bytes.maketrans(b"+=/", b"-_~")
_FROM_URL_SAFE = bytes.maketrans(b"-_~", b"+=/")


def url_b64encode(data: bytes) -> str:
    """CloudFront's URL-safe base64: standard base64 with ``+=/`` replaced by ``-_~``."""
    return base64.b64encode(data).translate(_TO_URL_SAFE).decode("ascii")


def url_b64decode(text: str) -> bytes:
    """The inverse of ``url_b64encode``; ``ValueError`` for anything that is not one."""
    try:
        return base64.b64decode(text.encode("ascii").translate(_FROM_URL_SAFE), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise ValueError("not CloudFront's URL-safe base64") from exc


# --- Policies ------------------------------------------------------------------------------


def canned_policy(resource: str, date_less_than: int) -> str:
    """The policy CloudFront rebuilds for a URL carrying ``Expires`` (its order is fixed)."""
    return custom_policy(resource, date_less_than)


def custom_policy(
    resource: str,
    date_less_than: int,
    *,
    date_greater_than: int | None = None,
    ip_address: str | None = None,
) -> str:
    """A policy statement with CloudFront's conditions, compact JSON in botocore's key order.

    ``resource`` may hold the wildcards ``*`` (any run of characters) and ``?`` (one).
    """
    condition: dict[str, dict] = {"DateLessThan": {"AWS:EpochTime": int(date_less_than)}}
    if ip_address:
        cidr = ip_address if "/" in ip_address else f"{ip_address}/32"
        condition["IpAddress"] = {"AWS:SourceIp": cidr}
    if date_greater_than is not None:
        condition["DateGreaterThan"] = {"AWS:EpochTime": int(date_greater_than)}
    statement = {"Statement": [{"Resource": resource, "Condition": condition}]}
    return json.dumps(statement, separators=(",", ":"))


# --- Keys and signatures -------------------------------------------------------------------


def load_private_key(pem: bytes) -> PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise ValueError("CloudFront signs with RSA or ECDSA keys only")
    return key


def load_public_key(pem: bytes) -> PublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise ValueError("CloudFront verifies RSA or ECDSA keys only")
    return key


def sign(message: bytes, private_key: PrivateKey, algorithm: HashAlgorithm) -> bytes:
    """The signature CloudFront expects over ``message`` (the policy's bytes)."""
    digest = _HASHES[algorithm]()
    if isinstance(private_key, rsa.RSAPrivateKey):
        return private_key.sign(message, padding.PKCS1v15(), digest)
    return private_key.sign(message, ec.ECDSA(digest))


def signature_is_valid(
    message: bytes, signature: bytes, public_key: PublicKey, algorithm: HashAlgorithm
) -> bool:
    digest = _HASHES[algorithm]()
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, message, padding.PKCS1v15(), digest)
        else:
            public_key.verify(signature, message, ec.ECDSA(digest))
    except InvalidSignature:
        return False
    return True


# --- Signed URLs and cookies ----------------------------------------------------------------


@dataclass(frozen=True)
class Credentials:
    """Who signs: CloudFront's id for the public key, the private key, the hash to use."""

    key_pair_id: str
    private_key: PrivateKey
    algorithm: HashAlgorithm = HashAlgorithm.SHA1


def signed_query(
    policy: str, credentials: Credentials, *, canned_expires: int | None = None
) -> str:
    """The query string that authorises ``policy``: ``Expires=…`` for a canned policy (pass
    its expiry), ``Policy=…`` for a custom one; then ``Signature`` and ``Key-Pair-Id``."""
    signature = sign(policy.encode(), credentials.private_key, credentials.algorithm)
    if canned_expires is not None:
        params = [f"Expires={canned_expires}"]
    else:
        params = [f"Policy={url_b64encode(policy.encode())}"]
    params += [f"Signature={url_b64encode(signature)}", f"Key-Pair-Id={credentials.key_pair_id}"]
    if credentials.algorithm is not HashAlgorithm.SHA1:
        params.append(f"Hash-Algorithm={credentials.algorithm}")
    return "&".join(params)


def append_query(url: str, query: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{query}"


def canned_url(url: str, expires: int, credentials: Credentials) -> str:
    """``url`` signed with a canned policy valid until ``expires`` (epoch seconds)."""
    query = signed_query(canned_policy(url, expires), credentials, canned_expires=expires)
    return append_query(url, query)


def custom_url(url: str, policy: str, credentials: Credentials) -> str:
    """``url`` signed with a custom ``policy`` (whose resource must match it)."""
    return append_query(url, signed_query(policy, credentials))


def signed_cookies(
    policy: str, credentials: Credentials, *, canned_expires: int | None = None
) -> dict[str, str]:
    """The ``CloudFront-*`` cookie values for ``policy`` (canned: pass ``canned_expires``).

    Not used by pages yet (they sign URLs): ``cdn.signer.Signer.pet_cookies`` builds on it, and
    a later issue puts it to work, signing pages' images with cookies per pet. The local edge
    already verifies such cookies (``cdn.verification``).
    """
    signature = sign(policy.encode(), credentials.private_key, credentials.algorithm)
    cookies = (
        {"CloudFront-Expires": str(canned_expires)}
        if canned_expires is not None
        else {"CloudFront-Policy": url_b64encode(policy.encode())}
    )
    cookies["CloudFront-Signature"] = url_b64encode(signature)
    cookies["CloudFront-Key-Pair-Id"] = credentials.key_pair_id
    if credentials.algorithm is not HashAlgorithm.SHA1:
        cookies["CloudFront-Hash-Algorithm"] = str(credentials.algorithm)
    return cookies
