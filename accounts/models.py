from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower


class User(AbstractUser):
    """A PetTracker account; log-in is by username, e-mail serves password resets."""

    email = models.EmailField("email address", blank=True)
    # Upload limits of this account; empty means the site's defaults (PHOTO_QUOTA_COUNT and
    # PHOTO_QUOTA_BYTES). Counted over the photos this user uploaded, pending ones included.
    photo_quota = models.PositiveIntegerField(
        "photo quota",
        null=True,
        blank=True,
        help_text="Photos this user may keep. Empty: the site's default.",
    )
    storage_quota = models.PositiveBigIntegerField(
        "storage quota (bytes)",
        null=True,
        blank=True,
        help_text="Bytes of originals this user may keep. Empty: the site's default.",
    )

    objects = UserManager()

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            # One account per address, whatever its case, so a reset mail has one recipient.
            models.UniqueConstraint(
                Lower("email"),
                name="accounts_user_email_ci_unique",
                condition=~models.Q(email=""),
                violation_error_message="An account with this e-mail address already exists.",
            ),
        ]


class AuditEntry(models.Model):
    """Who did what to which object, when and from where: written for every admin action on
    users, shares, signing keys and deletions; never changed afterwards."""

    actor = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept as text too, so the entry still says who it was after the account is deleted.
    actor_username = models.CharField(max_length=150)
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField(max_length=200, blank=True)
    details = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["action", "-created_at"], name="audit_action_idx")]

    def __str__(self) -> str:
        return f"{self.actor_username} {self.action} {self.target_repr}".strip()
