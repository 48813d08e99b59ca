"""Upload tickets: where and how a browser may POST one original, straight to storage.

With S3 the ticket is a presigned POST (``generate_presigned_post``) whose policy S3 enforces:
the exact key, the announced Content-Type, 1 byte to the announced size (which the uploader's
quota counted), a few minutes of validity.
Locally the ticket has the same shape and points at our own upload endpoint, which enforces
the same policy itself (``verify_local_upload``), signed with an HMAC of the project's secret.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import hmac
import json
from dataclasses import dataclass

SIGNATURE_SALT = "images.pure.upload_tickets.local-policy"
SIGNATURE_FIELD = "x-pettracker-signature"


@dataclass(frozen=True)
class UploadPolicy:
    key: str
    content_type: str
    max_bytes: int
    expires_at: datetime.datetime


@dataclass(frozen=True)
class Ticket:
    url: str
    fields: dict[str, str]
    expires_at: datetime.datetime


class UploadRefused(Exception):
    """An upload the policy does not allow; ``status`` is the HTTP answer."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def local_ticket(policy: UploadPolicy, *, url: str, key: bytes) -> Ticket:
    document = {
        "expiration": policy.expires_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "conditions": [
            {"key": policy.key},
            {"Content-Type": policy.content_type},
            ["content-length-range", 1, policy.max_bytes],
        ],
    }
    encoded = base64.b64encode(json.dumps(document, separators=(",", ":")).encode()).decode()
    fields = {
        "key": policy.key,
        "Content-Type": policy.content_type,
        "policy": encoded,
        SIGNATURE_FIELD: _sign(encoded, key),
    }
    return Ticket(url=url, fields=fields, expires_at=policy.expires_at)


def verify_local_upload(
    fields: dict[str, str], *, file_size: int, key: bytes, now=None
) -> UploadPolicy:
    """The policy of a POST to the local endpoint, if the POST obeys it.

    Raises ``UploadRefused`` with the status S3 would answer in spirit: 403 for a forged,
    expired or disobeyed policy, 400 for an empty file, 413 for one over the size limit.
    """
    encoded = fields.get("policy", "")
    if not hmac.compare_digest(_sign(encoded, key), fields.get(SIGNATURE_FIELD, "")):
        raise UploadRefused(403, "This upload ticket's signature does not match its policy.")
    policy = _read_policy(encoded)
    if (now or datetime.datetime.now(datetime.UTC)) >= policy.expires_at:
        raise UploadRefused(403, "This upload ticket has expired; ask for a new one.")
    if fields.get("key") != policy.key:
        raise UploadRefused(403, "This upload ticket is for another file.")
    if fields.get("Content-Type") != policy.content_type:
        raise UploadRefused(403, "The file's type differs from the one this ticket allows.")
    if file_size < 1:
        raise UploadRefused(400, "The file is empty.")
    if file_size > policy.max_bytes:
        raise UploadRefused(413, f"The file is larger than {policy.max_bytes:,} bytes.")
    return policy


def signing_key(secret: str) -> bytes:
    """The HMAC key of local tickets, derived from the project's secret as Django's
    ``salted_hmac`` derives its keys (so tickets signed before this moved here stay valid)."""
    return hashlib.sha256((SIGNATURE_SALT + secret).encode()).digest()


def _sign(encoded_policy: str, key: bytes) -> str:
    return hmac.new(key, encoded_policy.encode(), hashlib.sha256).hexdigest()


def _read_policy(encoded: str) -> UploadPolicy:
    # The signature matched, so the document is ours; this only unpacks it.
    try:
        document = json.loads(base64.b64decode(encoded, validate=True))
        conditions = document["conditions"]
        expires_at = datetime.datetime.strptime(document["expiration"], "%Y-%m-%dT%H:%M:%S.%fZ")
        return UploadPolicy(
            key=conditions[0]["key"],
            content_type=conditions[1]["Content-Type"],
            max_bytes=int(conditions[2][2]),
            expires_at=expires_at.replace(tzinfo=datetime.UTC),
        )
    except (ValueError, KeyError, IndexError, TypeError, binascii.Error):
        raise UploadRefused(400, "This upload ticket's policy cannot be read.") from None


# How long after its ticket expired an upload may still be landing (S3 checks the policy's
# expiry when the request starts; a large file on a slow line takes minutes).
UPLOAD_LANDING_GRACE = datetime.timedelta(minutes=15)
