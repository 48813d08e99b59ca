"""Helpers of the social tests: activity in a digest's period."""

from __future__ import annotations

import datetime
import io

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image

from social.models import Comment
from social.pure.digest_periods import DAILY
from social.services.digests import periods_due
from tests.factories import ready_photo

HOUR = datetime.timedelta(hours=1)


def yesterday():
    """The daily period beat sends now."""
    return next(p for p in periods_due() if p.frequency == DAILY)


def added(pet, uploader, when, *, stored=False, **fields):
    """A photo of ``pet`` by ``uploader`` made ready at ``when``."""
    photo = ready_photo(pet=pet, uploader=uploader, processed_at=when, **fields)
    if stored:
        store_squares(photo)
    return photo


def store_squares(photo, colour="#f08c00") -> None:
    """Real WebPs of the photo's square renditions where their keys say (the large ones a
    digest never reads are left out: they take a second to encode)."""
    for rendition in photo.renditions.filter(name__in=["thumb", "square"]):
        buffer = io.BytesIO()
        Image.new("RGB", (rendition.width, rendition.height), colour).save(buffer, "WEBP")
        default_storage.save(rendition.key, ContentFile(buffer.getvalue()))


def commented(photo, author, when, text="Lovely"):
    return Comment.objects.create(photo=photo, author=author, text=text, created_at=when)


def now():
    return timezone.now()
