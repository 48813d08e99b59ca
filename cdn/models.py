"""The CDN's signing keys, its cache invalidations and the pets' access floors.

The keys' and invalidations' tables were made by the ``images`` app and keep their names
(``db_table``): the models moved here without a table being touched
(``cdn/migrations/0001_initial.py``). The access floors' table is the CDN's own.
"""

from __future__ import annotations

import datetime
import uuid

from django.db import models
from django.utils import timezone


class SigningKeyQuerySet(models.QuerySet):
    def trusted(self) -> SigningKeyQuerySet:
        """Keys CloudFront trusts: in the key group and not yet retired."""
        State = self.model.State
        return self.filter(state__in=[State.PUBLISHED, State.ACTIVE, State.RETIRING])

    def active(self):
        """The one key that signs now, or ``None``."""
        return self.filter(state=self.model.State.ACTIVE).first()


class InvalidationQuerySet(models.QuerySet):
    def in_flight(self, distribution_id: str) -> InvalidationQuerySet:
        """Invalidations CloudFront is still working on (they count against its limits)."""
        return self.filter(distribution_id=distribution_id, status=self.model.Status.IN_PROGRESS)

    def paths_in_month(self, moment=None) -> int:
        """Paths submitted in ``moment``'s calendar month (UTC): CloudFront bills those above
        the first 1,000 a month, a wildcard counting as one."""
        moment = (moment or timezone.now()).astimezone(datetime.UTC)
        start = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        end = (start + datetime.timedelta(days=32)).replace(day=1)
        month = self.filter(submitted_at__gte=start, submitted_at__lt=end)
        return month.aggregate(total=models.Sum("path_count"))["total"] or 0


class SigningKeyState(models.TextChoices):
    CREATED = "created", "Created"
    PUBLISHED = "published", "Published to CloudFront"
    ACTIVE = "active", "Active (signs new URLs)"
    RETIRING = "retiring", "Retiring (still trusted)"
    RETIRED = "retired", "Retired"


class SigningKeyAlgorithm(models.TextChoices):
    """What new keys use (``SIGNING_KEY_ALGORITHM``); docs/architecture.md, "Key algorithms"."""

    RSA_SHA1 = "rsa-2048-sha1", "RSA-2048, SHA-1 (CloudFront's default)"
    RSA_SHA256 = "rsa-2048-sha256", "RSA-2048, SHA-256"
    ECDSA_SHA256 = "ecdsa-p256-sha256", "ECDSA P-256, SHA-256"


class SigningKey(models.Model):
    """A CloudFront key pair; docs/architecture.md, "A signing key's life", has its life cycle."""

    State = SigningKeyState
    Algorithm = SigningKeyAlgorithm

    public_key_id = models.CharField(
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        help_text="CloudFront's id for the public key (the Key-Pair-Id); set on publishing.",
    )
    algorithm = models.CharField(
        max_length=20, choices=Algorithm.choices, default=Algorithm.RSA_SHA1
    )
    public_key_pem = models.TextField()
    # Fernet token (MultiFernet over SIGNING_KEY_ENCRYPTION_KEYS); never shown, never exported.
    encrypted_private_key = models.TextField(editable=False)
    state = models.CharField(max_length=20, choices=State.choices, default=State.CREATED)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    retiring_at = models.DateTimeField(null=True, blank=True)
    trusted_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Every URL and cookie this key signed has expired by then.",
    )
    retired_at = models.DateTimeField(null=True, blank=True)

    objects = SigningKeyQuerySet.as_manager()

    class Meta:
        db_table = "images_signingkey"
        ordering = ["-created_at"]
        permissions = [("manage_signing_keys", "Can generate, publish, activate and retire keys")]
        constraints = [
            # The database, not just the code, guarantees that exactly one key signs.
            models.UniqueConstraint(
                fields=["state"],
                condition=models.Q(state="active"),
                name="signingkey_one_active",
                violation_error_message="Another signing key is already active.",
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=SigningKeyState.values),
                name="signingkey_state_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(state="created") | models.Q(public_key_id__isnull=False),
                name="signingkey_published_has_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_key_id or 'unpublished key'} ({self.state})"


class PendingInvalidation(models.Model):
    """A CDN path to invalidate (a deleted photo's objects), waiting for the next batch."""

    path = models.CharField(max_length=512)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "images_pendinginvalidation"
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.path


class InvalidationStatus(models.TextChoices):
    QUEUED = "queued", "Queued (not yet accepted by the CDN)"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"


class Invalidation(models.Model):
    """One CloudFront ``CreateInvalidation``: a batch of paths, deduplicated.

    Its id is the request's ``CallerReference``, so sending the same batch again after a
    time-out or a throttle makes CloudFront answer with the invalidation it already has.
    """

    Status = InvalidationStatus

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    distribution_id = models.CharField(max_length=64, blank=True)
    paths = models.JSONField(default=list)
    path_count = models.PositiveIntegerField(default=0)
    wildcard_count = models.PositiveIntegerField(default=0)
    cloudfront_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = InvalidationQuerySet.as_manager()

    class Meta:
        db_table = "images_invalidation"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="invalidation_status_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=InvalidationStatus.values),
                name="invalidation_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.path_count} paths ({self.get_status_display()})"


# Floors the edge's store may not hold yet: never pushed, or raised since.
UNPUSHED = models.Q(pushed_floor__isnull=True) | models.Q(pushed_floor__lt=models.F("floor"))


class AccessFloorQuerySet(models.QuerySet):
    def unpushed(self) -> AccessFloorQuerySet:
        return self.filter(UNPUSHED)

    def due(self, now=None) -> AccessFloorQuerySet:
        """Unpushed floors whose next try is due."""
        return self.unpushed().filter(not_before__lte=now or timezone.now())


class AccessFloor(models.Model):
    """A pet's access floor (``cdn.revocation``): a grant opens the pet's renditions only if
    its ``DateGreaterThan`` (none counts as 0) is at least ``floor``, in epoch seconds. Raised
    by every revocation, never lowered; pushed to the CloudFront KeyValueStore the viewer-request
    function reads, ``pushed_floor`` being what the store is known to hold."""

    pet_id = models.UUIDField(primary_key=True)  # a pet's id: the CDN knows no Pet rows
    floor = models.BigIntegerField()
    pushed_floor = models.BigIntegerField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)  # failed pushes since the last success
    last_error = models.TextField(blank=True)
    not_before = models.DateTimeField(default=timezone.now)  # the next push, after a failure
    updated_at = models.DateTimeField(auto_now=True)

    objects = AccessFloorQuerySet.as_manager()

    class Meta:
        db_table = "cdn_accessfloor"
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["not_before"], name="accessfloor_not_before_idx")]

    def __str__(self) -> str:
        return f"{self.pet_id} ≥ {self.floor}"
