"""Pets, their photos and renditions, who they are shared with; and the querysets that decide
who may see and do what.

Public ids are UUIDs (they appear in URLs and object keys); rows carry no business logic:
writes go through ``images.services``. Reads go through the querysets below, the one place
that decides who may do what: views, the API, the admin's previews and tasks all ask their
methods, and none filters by owner or share by hand. What a user may not see is simply absent
from the queryset, so views answer 404 for it.
"""

from __future__ import annotations

import datetime
import hashlib
import uuid
from enum import StrEnum
from typing import TYPE_CHECKING, NamedTuple

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce, Now
from django.utils import timezone
from django.utils.crypto import salted_hmac

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


# --- Reads: who may see and do what --------------------------------------------------------


class Access(StrEnum):
    """What someone wants to do with a pet (and its photos)."""

    VIEW = "view"  # see the gallery: owner, viewer, contributor
    CONTRIBUTE = "contribute"  # upload photos: owner, contributor
    MANAGE = "manage"  # edit, delete, share the pet: owner only


def _is_account(user: AbstractBaseUser | AnonymousUser | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


class Usage(NamedTuple):
    """How many photos, and how many bytes of originals."""

    photos: int
    bytes: int

    def plus(self, other: Usage) -> Usage:
        return Usage(self.photos + other.photos, self.bytes + other.bytes)


class PetQuerySet(models.QuerySet):
    def visible_to(self, user, access: Access = Access.VIEW) -> PetQuerySet:
        """Pets ``user`` may act on with ``access``; none for anonymous or inactive users."""
        if not _is_account(user):
            return self.none()
        owned = models.Q(owner=user)
        if access is Access.MANAGE:
            return self.filter(owned)

        shares = Share.objects.filter(grantee=user)
        if access is Access.CONTRIBUTE:
            shares = shares.filter(role=Share.Role.CONTRIBUTOR)
        # A subquery rather than a join: no duplicate rows, no DISTINCT needed.
        return self.filter(owned | models.Q(pk__in=shares.values("pet_id")))

    def reachable_by(self, user) -> PetQuerySet:
        """Pets ``user``'s account reaches (its own, those shared with it), whether or not it
        is active now: what a deactivation must end."""
        shared = Share.objects.filter(grantee=user).values("pet_id")
        return self.filter(models.Q(owner=user) | models.Q(pk__in=shared))

    def with_photo_counts(self) -> PetQuerySet:
        """Annotate ``photo_count``. A correlated subquery rather than a join and GROUP BY: the
        other annotations stay per pet instead of per photo."""

        per_pet = Photo.objects.filter(pet=models.OuterRef("pk")).order_by().values("pet")
        count = per_pet.annotate(n=models.Count("pk")).values("n")[:1]
        return self.annotate(photo_count=Coalesce(models.Subquery(count), 0))

    def with_gallery_counts(self, user) -> PetQuerySet:
        """Annotate ``photo_count``: how many photos ``user``'s gallery of each pet shows
        (``Photo.in_gallery``: ready ones; for those who upload, also those processing or
        failed), so a card never promises more than its gallery holds."""

        def count(can_upload: bool):
            shown = Photo.objects.filter(pet=models.OuterRef("pk")).in_gallery(
                can_upload=can_upload
            )
            per_pet = shown.order_by().values("pet").annotate(n=models.Count("pk")).values("n")
            return Coalesce(models.Subquery(per_pet[:1]), 0)

        uploads = Pet.objects.visible_to(user, Access.CONTRIBUTE).values("pk")
        return self.annotate(
            photo_count=models.Case(
                models.When(pk__in=uploads, then=count(can_upload=True)),
                default=count(can_upload=False),
            )
        )

    def with_role(self, user) -> PetQuerySet:
        """Annotate ``role``: "owner", or the share's role ("viewer", "contributor")."""

        # No ordering (a pet has one share per grantee): Share's default ordering would join
        # the pets again inside the subquery.
        shares = Share.objects.filter(pet=models.OuterRef("pk"), grantee=user).order_by()
        share_role = shares.values("role")
        return self.annotate(
            role=models.Case(
                models.When(owner=user, then=models.Value("owner")),
                default=models.Subquery(share_role[:1]),
                output_field=models.CharField(),
            )
        )

    def with_gallery_version(self, user) -> PetQuerySet:
        """Annotate what a gallery page shows ``user`` changes with, besides the pet's row
        (``updated_at``) and its owner's name: the number of the pet's photos and when one
        last changed (every write that shows sets ``Photo.updated_at``, and ``images.signals``
        for an uploader renamed or deleted; a deletion lowers the number), and the number of
        ``user``'s hearts on them and the newest (a heart taken off lowers the number; one put
        on is the newest). A cached gallery page is kept under these (``images.views.pets``)."""
        photos = Photo.objects.filter(pet=models.OuterRef("pk")).order_by().values("pet")
        hearts = Favourite.objects.filter(user=user, photo__pet=models.OuterRef("pk"))
        hearts = hearts.order_by().values("user")
        return self.annotate(
            photos_count=models.Subquery(photos.annotate(n=models.Count("pk")).values("n")),
            photos_changed=models.Subquery(
                photos.annotate(at=models.Max("updated_at")).values("at")
            ),
            hearts_count=models.Subquery(hearts.annotate(n=models.Count("pk")).values("n")),
            hearts_changed=models.Subquery(
                hearts.annotate(at=models.Max("created_at")).values("at")
            ),
        )

    def with_cover(self) -> PetQuerySet:
        """Annotate ``cover_id``: the chosen cover photo if it is ready (and the pet's: the
        admin's raw id may name any photo), else the ready photo taken last (``None`` for a
        pet without one)."""

        photos = Photo.objects.filter(pet=models.OuterRef("pk")).ready()
        newest = photos.newest_taken_first()
        chosen = photos.filter(pk=models.OuterRef("cover_photo_id"))
        return self.annotate(
            cover_id=Coalesce(
                models.Subquery(chosen.values("pk")[:1]),
                models.Subquery(newest.values("pk")[:1]),
            )
        )


class UploadCounts:
    """For querysets of uploads (photos, and the tickets given for them): rows with a
    ``size`` and a ``created_at``, counted against a user's quota and rate."""

    def usage(self) -> Usage:
        """How many, and their bytes: a finished upload by its stored size, a pending one (and
        a ticket) by the size announced for it, which its ticket allows no more than."""
        totals = self.order_by().aggregate(
            photos=models.Count("pk"), bytes=Coalesce(models.Sum("size"), 0)
        )
        return Usage(photos=totals["photos"], bytes=totals["bytes"])

    def nth_newest_created_at(
        self, n: int, *, since: datetime.datetime
    ) -> datetime.datetime | None:
        """When the ``n``-th newest row made after ``since`` was made (1: the newest), or
        ``None`` when fewer were. Per uploader, an index on (uploader, -created_at) answers it."""
        newest_first = self.filter(created_at__gt=since).order_by("-created_at")
        return newest_first.values_list("created_at", flat=True)[n - 1 : n].first()


def _deletable(user) -> models.Q:
    """The photos an account may delete: every photo of pets it owns, and its own uploads to
    pets it still contributes to (``deletable_by``, ``with_deletable``)."""
    managed = models.Q(pet__in=Pet.objects.visible_to(user, Access.MANAGE))
    own_uploads = models.Q(uploader=user, pet__in=Pet.objects.visible_to(user, Access.CONTRIBUTE))
    return managed | own_uploads


class PhotoQuerySet(UploadCounts, models.QuerySet):
    def visible_to(self, user, access: Access = Access.VIEW) -> PhotoQuerySet:
        """Photos of the pets ``user`` may act on with ``access``."""

        return self.filter(pet__in=Pet.objects.visible_to(user, access))

    def deletable_by(self, user) -> PhotoQuerySet:
        """Photos ``user`` may delete: every photo of pets they own, and their own uploads
        to pets they still contribute to."""

        if not _is_account(user):
            return self.none()
        return self.filter(_deletable(user))

    def with_deletable(self, user, *, role: str | None = None) -> PhotoQuerySet:
        """Annotate ``deletable``: whether ``user`` may delete each photo, by ``deletable_by``'s
        rule, in the query that fetches them (a gallery marks the tiles one may delete).

        ``role``: for the photos of one pet whose role for ``user`` was read with it
        (``Pet.objects.with_role``), the same rule without asking again who owns or
        contributes to the pet: the owner any photo, a contributor their own uploads, anyone
        else none. The gallery gives it: the subqueries of the general rule cost its page a
        tenth of its time to build (benchmarks/load.sh)."""

        if not _is_account(user):
            return self.annotate(deletable=models.Value(False))
        if role is None:
            rule = _deletable(user)
        elif role == "owner":
            return self.annotate(deletable=models.Value(True))
        elif role == ShareRole.CONTRIBUTOR:
            rule = models.Q(uploader=user)
        else:
            return self.annotate(deletable=models.Value(False))
        return self.annotate(
            deletable=models.ExpressionWrapper(rule, output_field=models.BooleanField())
        )

    def readable_by(self, user) -> PhotoQuerySet:
        """Photos whose details ``user`` may read (``GET /api/photos/<id>``): the ready photos
        of pets they see; and in every state, with its reason, the photos of pets they own and
        their own uploads to pets they still see."""

        if not _is_account(user):
            return self.none()
        managed = models.Q(pet__in=Pet.objects.visible_to(user, Access.MANAGE))
        theirs = models.Q(state=self.model.State.READY) | managed | models.Q(uploader=user)
        return self.visible_to(user).filter(theirs)

    def ready(self) -> PhotoQuerySet:
        return self.filter(state=self.model.State.READY)

    def in_gallery(self, *, can_upload: bool) -> PhotoQuerySet:
        """What a gallery shows: ready photos, and for those who upload also the ones still
        processing or failed (so they see progress and reasons); never unfinished uploads."""
        State = self.model.State
        shown = [State.READY, State.PROCESSING, State.FAILED] if can_upload else [State.READY]
        return self.filter(state__in=shown)

    def through_link(self, link) -> PhotoQuerySet:
        """The photos a share link shows: its pet's ready ones, while the link is active."""

        active = ShareLink.objects.active().filter(pk=link.pk)
        return self.filter(pet__share_links__in=active).ready()

    def with_renditions(self) -> PhotoQuerySet:
        return self.prefetch_related("renditions")

    def taken_on_days(
        self, month: int, day: int, also_month: int, also_day: int, before: datetime.date
    ) -> PhotoQuerySet:
        """Photos taken on (``month``, ``day``) or (``also_month``, ``also_day``) of a year,
        before ``before`` (on the clock of the place, as their pages say it): with
        ``images.pure.memories.remembered_days(today)``, those taken on today's day and month
        in earlier years, the home page's memories. Its values are parameters, so that the
        query has one shape for every date (the home page prepares it:
        ``images.views.home_photos``)."""
        days = models.Q(taken_on__month=month, taken_on__day=day)
        days |= models.Q(taken_on__month=also_month, taken_on__day=also_day)
        return self.filter(days, taken_on__lt=before)

    def newest_taken_first(self) -> PhotoQuerySet:
        """By date taken, newest first; the upload order, then the id, break ties, so pages
        never share or skip a photo. Per pet, an index holds this order."""
        return self.order_by(*NEWEST_TAKEN_FIRST)

    def taken_after(self, photo: Photo) -> PhotoQuerySet:
        """The photos taken after ``photo`` (the newer ones, in gallery order), nearest
        first."""
        return self.filter(_beyond(photo, "gt")).order_by(*[f[1:] for f in NEWEST_TAKEN_FIRST])

    def taken_before(self, photo: Photo) -> PhotoQuerySet:
        """The photos taken before ``photo`` (the older ones), nearest first."""
        return self.filter(_beyond(photo, "lt")).order_by(*NEWEST_TAKEN_FIRST)

    def taken_at_unread(self) -> PhotoQuerySet:
        """Uploaded photos whose date taken was never read from their original (uploaded
        before dates were read): ``photos_read_taken_at`` reads them."""
        State = self.model.State
        unfinished = [State.PENDING, State.FAILED]  # processing again reads it anyway
        return self.filter(taken_at_source=TakenAtSource.UNREAD).exclude(state__in=unfinished)

    def for_tiles(self) -> PhotoQuerySet:
        """Only the columns a gallery's tiles show, with their uploader's name in the same
        query (the viewer says who uploaded each photo); their renditions come apart, as plain
        rows: ``Rendition.objects.shown_for``."""
        return self.select_related("uploader").only(*TILE_COLUMNS, "uploader__username")

    def favourited_by(self, user) -> PhotoQuerySet:
        """The photos ``user`` marked with a heart, annotated ``favourited_at``, the newest
        favourite first. Only a filter on the hearts: chain ``visible_to`` for those they may
        still see (a heart outlives a revoked share, and counts again if it is restored)."""
        if not _is_account(user):
            return self.none()
        # One join, used by the filter and the annotation: one heart per user and photo.
        return (
            self.filter(favourites__user=user)
            .annotate(favourited_at=models.F("favourites__created_at"))
            .order_by("-favourited_at", "-id")
        )

    def with_hearted(self, user) -> PhotoQuerySet:
        """Annotate ``hearted``: whether ``user`` marked each photo with a heart (the
        viewer's heart starts pressed on them), in the query that fetches them."""
        hearts = Favourite.objects.filter(user=user, photo=models.OuterRef("pk"))
        return self.annotate(hearted=models.Exists(hearts))

    def uploaded_by(self, user) -> PhotoQuerySet:
        """The photos ``user`` uploaded, to whichever pet: what their upload quota counts."""
        return self.filter(uploader=user)


NEWEST_TAKEN_FIRST = ("-taken_on", "-taken_at", "-created_at", "-id")
# The columns of a photo its tile shows (``PhotoQuerySet.for_tiles``; the home page's prepared
# queries read the same, ``images.views.home_photos``).
TILE_COLUMNS = (
    "id",
    "pet_id",
    "state",
    "caption",
    "placeholder_color",
    "error",
    "taken_at",
    "taken_at_offset",
    "taken_on",
)


def _beyond(photo: Photo, lookup: str) -> models.Q:
    """Photos after (``gt``) or before (``lt``) ``photo`` in the order of
    ``NEWEST_TAKEN_FIRST``: (taken_on, taken_at, created_at, id)."""
    keys = [
        ("taken_on", photo.day_taken()),
        ("taken_at", photo.taken_at),
        ("created_at", photo.created_at),
        ("id", photo.pk),
    ]
    beyond, same = models.Q(pk__in=[]), models.Q()
    for field, value in keys:
        beyond |= same & models.Q(**{f"{field}__{lookup}": value})
        same &= models.Q(**{field: value})
    return beyond


def local_time(taken_at: datetime.datetime, offset_minutes: int | None) -> datetime.datetime:
    """``taken_at`` on the clock of the place it was taken (its offset, when the photo's
    metadata gave one), else in the site's time zone: what pages show."""
    if offset_minutes is not None:
        return taken_at.astimezone(datetime.timezone(datetime.timedelta(minutes=offset_minutes)))
    return timezone.localtime(taken_at)


class UploadTicketQuerySet(UploadCounts, models.QuerySet):
    def of_deleted_photos(self, now=None) -> UploadTicketQuerySet:
        """Tickets still valid at ``now`` whose photo is gone: their uploads can still land, so
        their size stays counted against the quota until they expire."""

        now = now or timezone.now()
        return self.filter(expires_at__gt=now).exclude(photo_id__in=Photo.objects.values("pk"))


def upload_usage(user, now: datetime.datetime | None = None) -> Usage:
    """What ``user``'s upload quota counts at ``now``: the photos they uploaded, to whichever
    pet (pending ones too), and the valid tickets of those they deleted, whose uploads may
    still land. The quota's check and every page that shows usage read this one sum."""
    tickets_of_deleted = UploadTicket.objects.filter(uploader=user).of_deleted_photos(now)
    return Photo.objects.uploaded_by(user).usage().plus(tickets_of_deleted.usage())


class PendingObjectDeletionQuerySet(models.QuerySet):
    def due(self, now=None) -> PendingObjectDeletionQuerySet:
        """Deletions to try now: not set aside, and past their ``not_before``."""
        now = now or timezone.now()
        return self.filter(set_aside_at__isnull=True, not_before__lte=now)

    def set_aside(self) -> PendingObjectDeletionQuerySet:
        return self.filter(set_aside_at__isnull=False)


class ShareLinkQuerySet(models.QuerySet):
    def active(self, now=None) -> ShareLinkQuerySet:
        """Links neither revoked nor expired at ``now`` (a link without an expiry never expires)."""
        now = now or timezone.now()
        unexpired = models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        return self.filter(unexpired, revoked_at__isnull=True)

    def for_token(self, token: str) -> ShareLinkQuerySet:
        """The link whose token this is (tokens are stored hashed)."""

        return self.filter(token_hash=hash_share_token(token))


# --- The rows ------------------------------------------------------------------------------


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


class TakenAtSource(models.TextChoices):
    UNREAD = "", "Not read yet (the upload time until then)"
    EXIF = "exif", "The photo's EXIF"
    XMP = "xmp", "The photo's XMP"
    PNG = "png", "The PNG's creation time"
    UPLOAD = "upload", "The upload time (the file does not say)"
    OWNER = "owner", "Set by hand (the pet's owner, or an admin)"


class RenditionName(models.TextChoices):
    THUMB = "thumb", "Thumbnail (256 px square)"
    SQUARE = "square", "Square (512 px)"
    MEDIUM = "medium", "Medium (1024 px)"
    LARGE = "large", "Large (2048 px)"
    FULL = "full", "Full size, without metadata (for downloads)"


class ShareRole(models.TextChoices):
    VIEWER = "viewer", "Viewer (sees the gallery)"
    CONTRIBUTOR = "contributor", "Contributor (sees and uploads)"


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
    TakenAtSource = TakenAtSource

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
    # Database defaults too, so that code predating these columns (a rolling deploy's older
    # instances, old migrations' models) still inserts photos: dated by their insertion,
    # their date still to be read.
    taken_at = models.DateTimeField(
        default=timezone.now,
        db_default=Now(),
        help_text="When the photo was taken: from its metadata, else when it was uploaded.",
    )
    taken_at_source = models.CharField(
        max_length=10,
        choices=TakenAtSource.choices,
        blank=True,
        default=TakenAtSource.UNREAD,
        db_default=TakenAtSource.UNREAD,
    )
    # The day it was taken on the place's clock (``local_time``): galleries are ordered and
    # grouped by it, so their month headings follow the dates the pages show, and "On this
    # day" finds it. Null only for rows inserted by code predating it, until processed.
    taken_on = models.DateField(null=True, blank=True, default=timezone.localdate)
    taken_at_offset = models.SmallIntegerField(
        null=True,
        blank=True,
        help_text="Minutes east of UTC of the place's clock when it was taken, when known: "
        "its date is shown as that clock showed it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    processed_at = models.DateTimeField(null=True, blank=True)  # when it first turned ready

    objects = PhotoQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # A gallery's page: the pet's photos by date taken (``newest_taken_first``), id
            # included so that the order is the index's to its last key, with no sort step.
            models.Index(
                fields=["pet", "-taken_on", "-taken_at", "-created_at", "-id"],
                name="photo_gallery_day_idx",
            ),
            # The home page's recent ready photos of the pets one sees: without it SQLite walks
            # every ready photo and sorts them (100 ms at 100,000 photos, benchmarks/scale.py).
            models.Index(
                fields=["pet", "state", "-taken_on", "-taken_at", "-created_at", "-id"],
                name="photo_pet_state_day_idx",
            ),
            models.Index(fields=["state", "updated_at"], name="photo_state_idx"),
            # A gallery's version (PetQuerySet.with_gallery_version): how many photos a pet has
            # and when one last changed, from the index alone.
            models.Index(fields=["pet", "updated_at"], name="photo_pet_changed_idx"),
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

    def local_taken_at(self) -> datetime.datetime:
        """When it was taken, on the clock of the place (``local_time``): what pages show."""
        return local_time(self.taken_at, self.taken_at_offset)

    def day_taken(self) -> datetime.date:
        """The day it was taken on the place's clock: the galleries' order and headings
        (``taken_on``, worked out for a row inserted without it)."""
        return self.taken_on or self.local_taken_at().date()


class RenditionRow(NamedTuple):
    """What pages need of a rendition: no model instance (a gallery shows a hundred)."""

    name: str
    key: str
    width: int
    height: int


class RenditionQuerySet(models.QuerySet):
    def shown_for(self, photo_ids) -> dict[uuid.UUID, dict[str, RenditionRow]]:
        """The renditions pages show of ``photo_ids`` by photo and name, as plain rows (one
        query): not the ``full`` one, whose key no page carries (downloads go through the
        app, ``images.views.downloads``)."""
        found: dict[uuid.UUID, dict[str, RenditionRow]] = {}
        rows = self.filter(photo_id__in=list(photo_ids)).exclude(name__in=DOWNLOAD_ONLY)
        rows = rows.order_by()
        for photo_id, *row in rows.values_list("photo_id", "name", "key", "width", "height"):
            found.setdefault(photo_id, {})[row[0]] = RenditionRow(*row)
        return found


# Renditions made for downloads only: never on a page, in a srcset or in the API.
DOWNLOAD_ONLY = frozenset({RenditionName.FULL})


class Rendition(models.Model):
    Name = RenditionName

    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="renditions")
    name = models.CharField(max_length=20, choices=Name.choices)
    key = models.CharField(max_length=255, unique=True)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    bytes = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RenditionQuerySet.as_manager()

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
    # Who the owner made it for ("Grandma", "Vet"): links are told apart by it.
    label = models.CharField(max_length=60, blank=True, default="", db_default="")
    # Django's password hash (make_password), or "" for a link without a password.
    password_hash = models.CharField(
        max_length=128, blank=True, default="", db_default="", editable=False
    )
    # Whether the holder may download full-size images (the ``full`` rendition, never the
    # original with its metadata).
    allows_download = models.BooleanField(default=False, db_default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="share_links_created",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # None: never expires, only when the owner chose "never" explicitly.
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Usage: how many times the gallery was opened, and when last. No visitor address is kept.
    # (Database defaults on the new columns: a rolling deploy's older code still inserts.)
    opens = models.PositiveIntegerField(default=0, db_default=0)
    last_opened_at = models.DateTimeField(null=True, blank=True)

    objects = ShareLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["pet", "-created_at"], name="sharelink_pet_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__isnull=True)
                | models.Q(expires_at__gt=models.F("created_at")),
                name="sharelink_expires_after_creation",
            ),
        ]

    def __str__(self) -> str:
        name = self.label or "Link"
        if self.expires_at is None:
            return f"{name} to {self.pet} (no expiry)"
        return f"{name} to {self.pet} until {self.expires_at:%Y-%m-%d %H:%M}"

    def is_active(self, now=None) -> bool:
        """What ``ShareLink.objects.active()`` selects, for a row already read."""
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > (now or timezone.now())

    @property
    def has_password(self) -> bool:
        return bool(self.password_hash)


class ShareInvitationQuerySet(models.QuerySet):
    def pending(self, now=None) -> ShareInvitationQuerySet:
        """Invitations neither accepted, revoked nor expired at ``now``."""
        return self.filter(
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=now or timezone.now(),
        )


class ShareInvitation(models.Model):
    """A pet shared with an e-mail address that has no account yet (or that the owner cannot
    know has one): the address gets a signed, expiring link to sign up, and the share is
    granted when the account is made."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    pet = models.ForeignKey(Pet, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()  # as typed, compared case-insensitively
    role = models.CharField(max_length=20, choices=ShareRole.choices, default=ShareRole.VIEWER)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitations_sent",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitations_accepted",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ShareInvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["pet", "-created_at"], name="invitation_pet_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=ShareRole.values),
                name="invitation_role_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="invitation_expires_after_creation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pet} → {self.email} ({self.role})"


class InvitationMailQuerySet(models.QuerySet):
    def since(self, moment: datetime.datetime) -> InvitationMailQuerySet:
        return self.filter(sent_at__gt=moment)

    def to(self, email: str) -> InvitationMailQuerySet:
        return self.filter(recipient=InvitationMail.recipient_of(email))


class InvitationMail(models.Model):
    """One invitation mail sent (or being sent): to whom (a keyed hash of the address, so the
    log keeps no address), by whom and when. The limits that keep the site from flooding a
    mailbox count these rows, whichever pet, invitation or resend the mail was for; a mail
    that failed leaves none. Pruned a day after, when no limit counts them any more."""

    recipient = models.CharField(max_length=64)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    invitation = models.ForeignKey(
        ShareInvitation, null=True, on_delete=models.SET_NULL, related_name="mails"
    )
    sent_at = models.DateTimeField(default=timezone.now)

    objects = InvitationMailQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["recipient", "-sent_at"], name="invitation_mail_to_idx"),
            models.Index(fields=["sent_by", "-sent_at"], name="invitation_mail_by_idx"),
        ]

    def __str__(self) -> str:
        return f"Invitation mail {self.recipient[:8]}… at {self.sent_at:%Y-%m-%d %H:%M}"

    @staticmethod
    def recipient_of(email: str) -> str:
        """The keyed hash the log stores for ``email`` (any case)."""
        return salted_hmac(
            "images.invitation-mail", email.casefold(), algorithm="sha256"
        ).hexdigest()


class Favourite(models.Model):
    """A photo one viewer marked with a heart: each person's own, across pets."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favourites"
    )
    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="favourites")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"], name="favourite_user_idx")]
        constraints = [
            models.UniqueConstraint(fields=["user", "photo"], name="favourite_unique_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} ♥ {self.photo_id}"


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
    (``images.services.reconciliation``): the latest is shown on the dashboard and in
    ``/metrics``."""

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
