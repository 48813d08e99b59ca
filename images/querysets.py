"""Read access to pets and photos: the one place that decides who may do what.

Views, the API, the admin's previews and tasks all ask these methods; none filters by owner
or share by hand. What a user may not see is simply absent from the queryset, so views
answer 404 for it.
"""

from __future__ import annotations

import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, NamedTuple

from django.db import models
from django.db.models.functions import Coalesce
from django.utils import timezone

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


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
        from images.models import Share  # the models module imports this one

        shares = Share.objects.filter(grantee=user)
        if access is Access.CONTRIBUTE:
            shares = shares.filter(role=Share.Role.CONTRIBUTOR)
        # A subquery rather than a join: no duplicate rows, no DISTINCT needed.
        return self.filter(owned | models.Q(pk__in=shares.values("pet_id")))

    def with_photo_counts(self) -> PetQuerySet:
        """Annotate ``photo_count``. A correlated subquery rather than a join and GROUP BY: the
        other annotations stay per pet instead of per photo."""
        from images.models import Photo

        per_pet = Photo.objects.filter(pet=models.OuterRef("pk")).order_by().values("pet")
        count = per_pet.annotate(n=models.Count("pk")).values("n")[:1]
        return self.annotate(photo_count=Coalesce(models.Subquery(count), 0))

    def with_role(self, user) -> PetQuerySet:
        """Annotate ``role``: "owner", or the share's role ("viewer", "contributor")."""
        from images.models import Share

        share_role = Share.objects.filter(pet=models.OuterRef("pk"), grantee=user).values("role")
        return self.annotate(
            role=models.Case(
                models.When(owner=user, then=models.Value("owner")),
                default=models.Subquery(share_role[:1]),
                output_field=models.CharField(),
            )
        )

    def with_cover(self) -> PetQuerySet:
        """Annotate ``cover_id``: the chosen cover photo if it is ready, else the newest ready
        photo (``None`` for a pet without one)."""
        from images.models import Photo

        newest = Photo.objects.filter(pet=models.OuterRef("pk")).ready().order_by("-created_at")
        chosen = Photo.objects.filter(pk=models.OuterRef("cover_photo_id")).ready()
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


class PhotoQuerySet(UploadCounts, models.QuerySet):
    def visible_to(self, user, access: Access = Access.VIEW) -> PhotoQuerySet:
        """Photos of the pets ``user`` may act on with ``access``."""
        from images.models import Pet

        return self.filter(pet__in=Pet.objects.visible_to(user, access))

    def deletable_by(self, user) -> PhotoQuerySet:
        """Photos ``user`` may delete: every photo of pets they own, and their own uploads
        to pets they still contribute to."""
        from images.models import Pet

        if not _is_account(user):
            return self.none()
        managed = models.Q(pet__in=Pet.objects.visible_to(user, Access.MANAGE))
        own_uploads = models.Q(
            uploader=user, pet__in=Pet.objects.visible_to(user, Access.CONTRIBUTE)
        )
        return self.filter(managed | own_uploads)

    def readable_by(self, user) -> PhotoQuerySet:
        """Photos whose details ``user`` may read (``GET /api/photos/<id>``): the ready photos
        of pets they see; and in every state, with its reason, the photos of pets they own and
        their own uploads to pets they still see."""
        from images.models import Pet

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
        from images.models import ShareLink

        active = ShareLink.objects.active().filter(pk=link.pk)
        return self.filter(pet__share_links__in=active).ready()

    def with_renditions(self) -> PhotoQuerySet:
        return self.prefetch_related("renditions")

    def uploaded_by(self, user) -> PhotoQuerySet:
        """The photos ``user`` uploaded, to whichever pet: what their upload quota counts."""
        return self.filter(uploader=user)


class UploadTicketQuerySet(UploadCounts, models.QuerySet):
    def of_deleted_photos(self, now=None) -> UploadTicketQuerySet:
        """Tickets still valid at ``now`` whose photo is gone: their uploads can still land, so
        their size stays counted against the quota until they expire."""
        from images.models import Photo  # models imports this module

        now = now or timezone.now()
        return self.filter(expires_at__gt=now).exclude(photo_id__in=Photo.objects.values("pk"))


class PendingObjectDeletionQuerySet(models.QuerySet):
    def due(self, now=None) -> PendingObjectDeletionQuerySet:
        """Deletions to try now: not set aside, and past their ``not_before``."""
        now = now or timezone.now()
        return self.filter(set_aside_at__isnull=True, not_before__lte=now)

    def set_aside(self) -> PendingObjectDeletionQuerySet:
        return self.filter(set_aside_at__isnull=False)


class ShareLinkQuerySet(models.QuerySet):
    def active(self, now=None) -> ShareLinkQuerySet:
        """Links neither revoked nor expired at ``now``."""
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=now)

    def for_token(self, token: str) -> ShareLinkQuerySet:
        """The link whose token this is (tokens are stored hashed)."""
        from images.models import hash_share_token

        return self.filter(token_hash=hash_share_token(token))


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
