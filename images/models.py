"""Pets, their photos and renditions, who they are shared with, and the CDN signing keys.

Public ids are UUIDs (they appear in URLs and object keys); rows carry no business logic:
writes go through ``images.services``, reads through ``images.querysets``.
"""

from __future__ import annotations

import hashlib
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from images.querysets import (
    InvalidationQuerySet,
    PendingObjectDeletionQuerySet,
    PetQuerySet,
    PhotoQuerySet,
    ShareLinkQuerySet,
    SigningKeyQuerySet,
    UploadTicketQuerySet,
)


class PetSpecies(models.TextChoices):
    DOG = "dog", "Dog"
    CAT = "cat", "Cat"
    BIRD = "bird", "Bird"
    RABBIT = "rabbit", "Rabbit"
    RODENT = "rodent", "Hamster, guinea pig or other rodent"
    FISH = "fish", "Fish"
    REPTILE = "reptile", "Reptile"
    HORSE = "horse", "Horse"
    OTHER = "other", "Other"


class PhotoState(models.TextChoices):
    PENDING = "pending", "Waiting for upload"
    PROCESSING = "processing", "Processing"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class RenditionName(models.TextChoices):
    THUMB = "thumb", "Thumbnail (256 px square)"
    MEDIUM = "medium", "Medium (1024 px)"
    LARGE = "large", "Large (2048 px)"


class ShareRole(models.TextChoices):
    VIEWER = "viewer", "Viewer (sees the gallery)"
    CONTRIBUTOR = "contributor", "Contributor (sees and uploads)"


class SigningKeyState(models.TextChoices):
    CREATED = "created", "Created"
    PUBLISHED = "published", "Published to CloudFront"
    ACTIVE = "active", "Active (signs new URLs)"
    RETIRING = "retiring", "Retiring (still trusted)"
    RETIRED = "retired", "Retired"


class SigningKeyAlgorithm(models.TextChoices):
    RSA_SHA1 = "rsa-2048-sha1", "RSA-2048, SHA-1 (CloudFront's default)"
    RSA_SHA256 = "rsa-2048-sha256", "RSA-2048, SHA-256"
    ECDSA_SHA256 = "ecdsa-p256-sha256", "ECDSA P-256, SHA-256"


class Pet(models.Model):
    Species = PetSpecies

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pets"
    )
    name = models.CharField(max_length=100)
    species = models.CharField(max_length=20, choices=Species.choices, default=Species.DOG)
    birthday = models.DateField(null=True, blank=True)
    cover_photo = models.ForeignKey(
        "Photo", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PetQuerySet.as_manager()

    class Meta:
        ordering = ["name", "created_at"]
        indexes = [models.Index(fields=["owner", "name"], name="pet_owner_name_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(species__in=PetSpecies.values),
                name="pet_species_valid",
            ),
            models.CheckConstraint(condition=~models.Q(name=""), name="pet_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name


class Photo(models.Model):
    State = PhotoState

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    pet = models.ForeignKey(Pet, on_delete=models.CASCADE, related_name="photos")
    # The photo outlives its uploader's account: it belongs to the pet.
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="uploaded_photos",
    )
    original_key = models.CharField(max_length=255, unique=True)
    # Shown as the download name only; it never reaches a storage key.
    original_filename = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(help_text="Bytes of the original, as announced.")
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    caption = models.CharField(max_length=500, blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    error = models.TextField(blank=True, help_text="Why processing failed, for people.")
    content_hash = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the original's bytes."
    )
    duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="An earlier photo of the same pet with exactly the same bytes.",
    )
    placeholder_color = models.CharField(max_length=7, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Processing runs started.")
    # S3 only: the ETag of the original as it was when the upload completed; processing reads
    # that object or none, so replaying the ticket cannot swap the bytes behind a photo.
    original_etag = models.CharField(max_length=100, blank=True)
    unqueued_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Waiting to be processed, but its task could not be sent to the broker "
        "(beat sends it again).",
    )
    retry_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Failed for a reason of the server's (storage unreachable): processed again "
        "from then.",
    )
    transient_failures = models.PositiveSmallIntegerField(
        default=0, help_text="Times processing failed for a reason of the server's."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    objects = PhotoQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["pet", "-created_at"], name="photo_gallery_idx"),
            models.Index(fields=["state", "updated_at"], name="photo_state_idx"),
            models.Index(fields=["pet", "content_hash"], name="photo_duplicate_idx"),
            models.Index(fields=["uploader", "-created_at"], name="photo_uploader_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=PhotoState.values),
                name="photo_state_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(state="failed") | models.Q(error=""),
                name="photo_error_only_when_failed",
            ),
            models.CheckConstraint(
                condition=models.Q(state="failed") | models.Q(retry_at__isnull=True),
                name="photo_retry_only_when_failed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pet} · {self.id}"


class Rendition(models.Model):
    Name = RenditionName

    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="renditions")
    name = models.CharField(max_length=20, choices=Name.choices)
    key = models.CharField(max_length=255, unique=True)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    bytes = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["photo", "width"]
        constraints = [
            models.UniqueConstraint(fields=["photo", "name"], name="rendition_unique_per_photo"),
            models.CheckConstraint(
                condition=models.Q(name__in=RenditionName.values),
                name="rendition_name_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.photo_id} · {self.name}"


class Share(models.Model):
    Role = ShareRole

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    pet = models.ForeignKey(Pet, on_delete=models.CASCADE, related_name="shares")
    grantee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shares_received"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.VIEWER)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="shares_granted",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pet", "created_at"]
        indexes = [models.Index(fields=["grantee", "role"], name="share_grantee_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["pet", "grantee"],
                name="share_unique_per_pet_and_grantee",
                violation_error_message="This pet is already shared with that person.",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=ShareRole.values),
                name="share_role_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pet} → {self.grantee} ({self.role})"


def hash_share_token(token: str) -> str:
    """The stored form of a share-link token: SHA-256, so a database leak reveals no link."""
    return hashlib.sha256(token.encode()).hexdigest()


class ShareLink(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    pet = models.ForeignKey(Pet, on_delete=models.CASCADE, related_name="share_links")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="share_links_created",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ShareLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["pet", "-created_at"], name="sharelink_pet_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="sharelink_expires_after_creation",
            ),
        ]

    def __str__(self) -> str:
        return f"Link to {self.pet} until {self.expires_at:%Y-%m-%d %H:%M}"


class SigningKey(models.Model):
    """A CloudFront key pair; see DESIGN.md, "Signing and keys", for the life cycle."""

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


class PendingObjectDeletion(models.Model):
    """A stored object whose row is gone, waiting for a worker to delete it.

    Written in the same transaction as the deletion, so a broker outage cannot leave a deleted
    photo's original (and its GPS) behind in storage. Each key is tried on its own: one that
    cannot be deleted backs off and, failing for long, is set aside for a person to look at,
    and holds no other key back. A key ending in ``/`` stands for every object under it (a
    deleted photo's renditions, whatever a failed run left there).
    """

    key = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    not_before = models.DateTimeField(
        default=timezone.now,
        help_text="Tried from then: after a failure, the next try; for an original whose "
        "upload ticket was still valid, when the ticket has expired.",
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    set_aside_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Failed too often to be tried again automatically; retried from the admin.",
    )

    objects = PendingObjectDeletionQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]
        indexes = [
            models.Index(fields=["set_aside_at", "not_before"], name="deletion_due_idx"),
        ]

    def __str__(self) -> str:
        return self.key


class UploadTicket(models.Model):
    """An upload ticket given out: kept when its photo is deleted, so that deleting pending
    photos neither resets the rate of tickets nor frees quota while their uploads can still
    land (their tickets stay valid until ``expires_at``)."""

    photo_id = models.UUIDField(primary_key=True)  # no foreign key: it outlives the photo
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    original_key = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    objects = UploadTicketQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["uploader", "-created_at"], name="ticket_uploader_idx")]

    def __str__(self) -> str:
        return self.original_key


class ReconciliationRun(models.Model):
    """One comparison of what storage holds with what the rows reference
    (``images.reconciliation``): the latest is shown on the dashboard and in ``/metrics``."""

    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    dry_run = models.BooleanField(default=False)
    objects_seen = models.PositiveIntegerField(default=0)
    orphans = models.PositiveIntegerField(
        default=0, help_text="Objects no row references, older than the safety margin."
    )
    orphans_queued = models.PositiveIntegerField(
        default=0, help_text="Orphans queued for deletion (none in a dry run)."
    )
    recent_unreferenced = models.PositiveIntegerField(
        default=0, help_text="Unreferenced objects younger than the margin, left for now."
    )
    missing_originals = models.PositiveIntegerField(default=0)
    missing_renditions = models.PositiveIntegerField(default=0)
    reprocessed = models.PositiveIntegerField(
        default=0, help_text="Photos queued to make their missing renditions again."
    )
    empty_directories_removed = models.PositiveIntegerField(default=0)
    examples = models.JSONField(
        default=dict, blank=True, help_text="A few keys of each kind, to look into."
    )
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        get_latest_by = "started_at"

    def __str__(self) -> str:
        return f"Reconciliation of {self.started_at:%Y-%m-%d %H:%M}"
