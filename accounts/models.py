from typing import NamedTuple

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower

from accounts.usernames import mixes_scripts, skeleton

LOOK_ALIKE = "That username looks too much like an existing one; choose another."
MIXED_SCRIPTS = (
    "That username mixes alphabets (such as Latin and Cyrillic); use letters of one alphabet."
)


class UploadQuota(NamedTuple):
    """How many photos, and how many bytes of originals, a user may keep."""

    photos: int
    bytes: int


class Theme(models.TextChoices):
    """How pages look to a person: as their system says (``prefers-color-scheme``), or always
    light or dark. Pages name a chosen theme on ``<html data-theme>``; none follows the system."""

    SYSTEM = "system", "System"
    LIGHT = "light", "Light"
    DARK = "dark", "Dark"


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
    # What the username looks like (accounts/usernames.py): look-alike usernames share it, so
    # the unique index refuses the second of two racing sign-ups. save() keeps it in step.
    # NULL (not "", which would collide) only for the younger of two look-alikes that
    # predate the rule (migration 0004).
    username_skeleton = models.TextField(null=True, unique=True, editable=False)  # noqa: DJ001
    # db_default too: code that predates the column (a rolling deploy's older instances, old
    # migrations' models) still inserts users.
    theme = models.CharField(
        "theme", max_length=6, choices=Theme.choices, default=Theme.SYSTEM, db_default=Theme.SYSTEM
    )

    objects = UserManager()
    _stored_username: str | None = None  # as loaded: only a new or changed name is checked

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

    @classmethod
    def from_db(cls, db, field_names, values) -> "User":
        user = super().from_db(db, field_names, values)
        user._stored_username = user.__dict__.get("username")
        return user

    def clean(self) -> None:
        super().clean()  # NFKC-normalises the username (AbstractBaseUser) and the address
        if self.username and self.username != self._stored_username:
            self.clean_new_username()

    def clean_new_username(self) -> None:
        """Refuse a username that mixes scripts, or that differs only in case from an
        account's or looks like one. Every path that validates the model runs this: sign-up,
        user_create, the admin's forms."""
        if mixes_scripts(self.username):
            raise ValidationError({"username": MIXED_SCRIPTS}, code="mixed_scripts")
        others = User.objects.exclude(pk=self.pk)
        if others.filter(username__iexact=self.username).exists():
            raise ValidationError({"username": self.unique_error_message(User, ["username"])})
        if others.filter(username_skeleton=skeleton(self.username)).exists():
            raise ValidationError({"username": LOOK_ALIKE}, code="look_alike")

    def save(self, **kwargs) -> None:
        # The skeleton is derived from the username, on every path that writes one (sign-up,
        # the admin, createsuperuser, fixtures): were it left to callers, the unique index
        # would guard nothing. An unchanged name keeps its skeleton, NULL included.
        update_fields = kwargs.get("update_fields")
        writes_username = update_fields is None or "username" in update_fields
        loaded = "username" in self.__dict__  # not a deferred field left unread
        if writes_username and loaded and self.username != self._stored_username:
            self.username_skeleton = skeleton(self.username)
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "username_skeleton"}
        super().save(**kwargs)
        if writes_username:
            self._stored_username = self.__dict__.get("username")

    def upload_quota(self) -> UploadQuota:
        """This user's own quota where an administrator set one, else the site's."""
        return UploadQuota(
            photos=settings.PHOTO_QUOTA_COUNT if self.photo_quota is None else self.photo_quota,
            bytes=settings.PHOTO_QUOTA_BYTES if self.storage_quota is None else self.storage_quota,
        )


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

    @property
    def refusal(self) -> str:
        """Why the action was refused ("" when it was done)."""
        details = self.details if isinstance(self.details, dict) else {}
        return str(details.get("refused", ""))
