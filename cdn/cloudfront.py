"""CDN management: CloudFront's API (public keys, the trusted key group, invalidations), or,
where no distribution is managed, the local edge's stand-in that records the same calls.

Both answer the same small interface, chosen in ``cdn()`` from settings; the services in
``cdn.rotation`` and ``cdn.invalidations`` never ask which it is.
"""

from __future__ import annotations

import hashlib
from typing import Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings

KEY_GROUP_LIMIT = 5  # public keys in one key group (a CloudFront quota)
KEY_GROUP_FULL = (
    f"CloudFront allows at most {KEY_GROUP_LIMIT} keys in a key group; retire a key first."
)
THROTTLING_CODES = {
    "Throttling",
    "ThrottlingException",
    "TooManyInvalidationsInProgress",
    "RequestLimitExceeded",
}


class CdnError(Exception):
    """A CDN call that failed; the message says what to do about it."""


class Throttled(CdnError):
    """CloudFront asked us to slow down (or has too much in progress): try again later."""


class Cdn(Protocol):
    distribution_id: str

    def publish_public_key(self, *, name: str, pem: str) -> str: ...
    def set_trusted_keys(self, key_ids: list[str]) -> None: ...
    def delete_public_key(self, key_id: str) -> None: ...
    def create_invalidation(
        self, *, paths: list[str], caller_reference: str
    ) -> tuple[str, str]: ...
    def invalidation_status(self, invalidation_id: str) -> str: ...


def cdn() -> Cdn:
    if settings.CLOUDFRONT_DISTRIBUTION_ID:
        client = boto3.client(
            "cloudfront",
            endpoint_url=settings.CLOUDFRONT_ENDPOINT_URL,
            config=Config(retries={"mode": "standard", "max_attempts": 3}),
        )
        return CloudFrontApi(
            client, settings.CLOUDFRONT_DISTRIBUTION_ID, settings.CLOUDFRONT_KEY_GROUP_NAME
        )
    return LocalCdn()


def check_key_group_size(key_ids: list[str]) -> None:
    """A key group trusts at most ``KEY_GROUP_LIMIT`` keys."""
    if len(key_ids) > KEY_GROUP_LIMIT:
        raise CdnError(KEY_GROUP_FULL)


def _translated(exc: Exception) -> CdnError:
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        message = exc.response.get("Error", {}).get("Message", "")
        if code in THROTTLING_CODES:
            return Throttled(f"CloudFront is throttling us ({code}); it will be retried.")
        if code == "TooManyPublicKeysInKeyGroup":
            return CdnError(KEY_GROUP_FULL)
        return CdnError(f"CloudFront refused the request ({code}): {message}")
    return CdnError(f"CloudFront could not be reached: {exc}")


class CloudFrontApi:
    """The real thing, through boto3. Every call is safe to repeat: a public key with the same
    PEM is adopted rather than created twice, and the key group is found by its name."""

    def __init__(self, client, distribution_id: str, key_group_name: str):
        self.client = client
        self.distribution_id = distribution_id
        self.key_group_name = key_group_name

    def publish_public_key(self, *, name: str, pem: str) -> str:
        try:
            existing = self._public_key_with(pem)
            if existing:
                return existing
            answer = self.client.create_public_key(
                PublicKeyConfig={
                    "CallerReference": name,
                    "Name": name,
                    "EncodedKey": pem,
                    "Comment": "PetTracker signing key",
                }
            )
        except (ClientError, BotoCoreError) as exc:
            raise _translated(exc) from exc
        return answer["PublicKey"]["Id"]

    def _public_key_with(self, pem: str) -> str | None:
        wanted = pem.strip()
        for summary in self._all("list_public_keys", "PublicKeyList"):
            if summary.get("EncodedKey", "").strip() == wanted:
                return summary["Id"]
        return None

    def _all(self, operation: str, list_name: str) -> list[dict]:
        items, marker = [], None
        while True:
            page = getattr(self.client, operation)(**({"Marker": marker} if marker else {}))
            listing = page.get(list_name, {})
            items += listing.get("Items", [])
            marker = listing.get("NextMarker")
            if not marker:
                return items

    def set_trusted_keys(self, key_ids: list[str]) -> None:
        """Make the key group trust exactly ``key_ids`` (creating the group if needed)."""
        if not key_ids:
            raise CdnError("A CloudFront key group must trust at least one key.")
        check_key_group_size(key_ids)
        config = {"Name": self.key_group_name, "Items": sorted(key_ids)}
        try:
            group_id = self._key_group_id()
            if group_id is None:
                self.client.create_key_group(KeyGroupConfig=config)
                return
            current = self.client.get_key_group(Id=group_id)
            config["Comment"] = current["KeyGroup"]["KeyGroupConfig"].get("Comment", "")
            self.client.update_key_group(
                KeyGroupConfig=config, Id=group_id, IfMatch=current["ETag"]
            )
        except (ClientError, BotoCoreError) as exc:
            raise _translated(exc) from exc

    def _key_group_id(self) -> str | None:
        for item in self._all("list_key_groups", "KeyGroupList"):
            group = item["KeyGroup"]
            if group["KeyGroupConfig"]["Name"] == self.key_group_name:
                return group["Id"]
        return None

    def delete_public_key(self, key_id: str) -> None:
        try:
            etag = self.client.get_public_key(Id=key_id)["ETag"]
            self.client.delete_public_key(Id=key_id, IfMatch=etag)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "NoSuchPublicKey":
                return  # already gone: deleting is idempotent
            raise _translated(exc) from exc
        except BotoCoreError as exc:
            raise _translated(exc) from exc

    def create_invalidation(self, *, paths: list[str], caller_reference: str) -> tuple[str, str]:
        try:
            answer = self.client.create_invalidation(
                DistributionId=self.distribution_id,
                InvalidationBatch={
                    "Paths": {"Quantity": len(paths), "Items": paths},
                    "CallerReference": caller_reference,
                },
            )
        except (ClientError, BotoCoreError) as exc:
            raise _translated(exc) from exc
        return answer["Invalidation"]["Id"], _status(answer["Invalidation"]["Status"])

    def invalidation_status(self, invalidation_id: str) -> str:
        try:
            answer = self.client.get_invalidation(
                DistributionId=self.distribution_id, Id=invalidation_id
            )
        except (ClientError, BotoCoreError) as exc:
            raise _translated(exc) from exc
        return _status(answer["Invalidation"]["Status"])


def _status(status: str) -> str:
    """CloudFront's two invalidation states, however an endpoint capitalises them."""
    return "Completed" if status.lower() == "completed" else "InProgress"


class LocalCdn:
    """The local edge caches nothing and trusts the database's keys directly: each call is
    recorded by the services' rows and succeeds at once."""

    distribution_id = ""

    def publish_public_key(self, *, name: str, pem: str) -> str:
        # CloudFront-like ids (14 upper-case characters), the same for the same key.
        return "LOCAL" + hashlib.sha256(pem.strip().encode()).hexdigest()[:9].upper()

    def set_trusted_keys(self, key_ids: list[str]) -> None:
        check_key_group_size(key_ids)

    def delete_public_key(self, key_id: str) -> None:
        return None

    def create_invalidation(self, *, paths: list[str], caller_reference: str) -> tuple[str, str]:
        return f"LOCAL{caller_reference.replace('-', '')[:9].upper()}", "Completed"

    def invalidation_status(self, invalidation_id: str) -> str:
        return "Completed"
