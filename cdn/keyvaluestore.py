"""The CloudFront KeyValueStore holding the pets' access floors, which the renditions'
viewer-request function reads at every edge (``cdn/functions/renditions_viewer_request.js``).

A key is a pet's id (lower-case, with hyphens), its value the floor in epoch seconds, as a
decimal string. Every write names the store's ETag (``IfMatch``), so a write that raced another
one is refused (``StaleETag``) instead of overwriting it: ``cdn.revocation`` reads the floors
after reading the ETag, which keeps a pushed floor from ever going down.

botocore signs this API with SigV4A, which needs the ``awscrt`` package (``botocore[crt]``):
without it every call fails before leaving the process (``MissingDependencyException``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings

# Keys put in one UpdateKeys call (all or nothing); revocations come a few at a time.
MAX_KEYS_PER_UPDATE = 50
# The codes of a write whose IfMatch no longer names the store's current version.
STALE_ETAG_CODES = {"ConflictException", "PreconditionFailed"}


class KvsError(Exception):
    """A KeyValueStore call that failed; the message says what CloudFront answered."""


class StaleETag(KvsError):
    """The store changed since its ETag was read: read it (and the floors) again."""


class KeyValueStore:
    """The store, through boto3's ``cloudfront-keyvaluestore`` client."""

    def __init__(self, client, arn: str):
        self.client, self.arn = client, arn

    def etag(self) -> str:
        """The store's current version, which the next write must name."""
        try:
            return self.client.describe_key_value_store(KvsARN=self.arn)["ETag"]
        except (ClientError, BotoCoreError) as exc:
            raise _translated(exc) from exc

    def put(self, values: Mapping[str, str], *, etag: str) -> str:
        """Put ``values`` (at most ``MAX_KEYS_PER_UPDATE``) in one all-or-nothing call, if the
        store is still at ``etag``; returns its new ETag."""
        if len(values) > MAX_KEYS_PER_UPDATE:
            raise ValueError(f"at most {MAX_KEYS_PER_UPDATE} keys a call")
        puts = [{"Key": key, "Value": value} for key, value in values.items()]
        return self._update(etag, Puts=puts)

    def delete(self, keys: Iterable[str], *, etag: str) -> str:
        """Delete ``keys`` (at most ``MAX_KEYS_PER_UPDATE``) in one all-or-nothing call, if
        the store is still at ``etag``; returns its new ETag."""
        deletes = [{"Key": key} for key in keys]
        if len(deletes) > MAX_KEYS_PER_UPDATE:
            raise ValueError(f"at most {MAX_KEYS_PER_UPDATE} keys a call")
        return self._update(etag, Deletes=deletes)

    def _update(self, etag: str, **changes) -> str:
        try:
            answer = self.client.update_keys(KvsARN=self.arn, IfMatch=etag, **changes)
        except (ClientError, BotoCoreError) as exc:
            raise _translated(exc) from exc
        return answer["ETag"]


def key_value_store() -> KeyValueStore | None:
    """The configured store, or ``None`` when ``CLOUDFRONT_KEY_VALUE_STORE_ARN`` is empty
    (no CloudFront: the local edge reads the floors from the database)."""
    arn = settings.CLOUDFRONT_KEY_VALUE_STORE_ARN
    if not arn:
        return None
    client = boto3.client(
        "cloudfront-keyvaluestore",
        region_name="us-east-1",  # a global service; the endpoint comes from the ARN
        config=Config(
            retries={"mode": "standard", "max_attempts": 3},
            connect_timeout=5,
            read_timeout=10,
        ),
    )
    return KeyValueStore(client, arn)


def _translated(exc: Exception) -> KvsError:
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        message = exc.response.get("Error", {}).get("Message", "")
        if code in STALE_ETAG_CODES:
            return StaleETag(f"the key value store changed meanwhile ({code})")
        return KvsError(f"the key value store refused the request ({code}): {message}")
    return KvsError(f"the key value store could not be reached: {exc}")
