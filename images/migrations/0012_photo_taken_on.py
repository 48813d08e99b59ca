"""The day a photo was taken on the place's clock (``Photo.taken_on``): galleries are ordered
and grouped by it, so that their month headings follow the dates pages show (a photo taken at
21:00 in New York on the 31st is in that month, though it is the 1st in UTC), and "On this
day" finds photos by it. Existing rows get it from their date taken and its offset."""

import datetime
import zoneinfo

import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

BATCH = 1000


def fill_taken_on(apps, schema_editor):
    Photo = apps.get_model("images", "Photo")
    site = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    rows = Photo.objects.filter(taken_on__isnull=True).order_by("pk")
    while batch := list(rows.only("pk", "taken_at", "taken_at_offset")[:BATCH]):
        for photo in batch:
            offset = photo.taken_at_offset
            zone = site if offset is None else datetime.timezone(datetime.timedelta(minutes=offset))
            photo.taken_on = photo.taken_at.astimezone(zone).date()
        Photo.objects.bulk_update(batch, ["taken_on"])


class Migration(migrations.Migration):
    dependencies = [
        ("images", "0011_database_defaults"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(model_name="photo", name="photo_gallery_taken_idx"),
        migrations.RemoveIndex(model_name="photo", name="photo_pet_state_taken_idx"),
        # Null first, then filled: the default would date every existing photo today.
        migrations.AddField(
            model_name="photo",
            name="taken_on",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.RunPython(fill_taken_on, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="photo",
            name="taken_on",
            field=models.DateField(blank=True, default=django.utils.timezone.localdate, null=True),
        ),
        migrations.AddIndex(
            model_name="photo",
            index=models.Index(
                fields=["pet", "-taken_on", "-taken_at", "-created_at", "-id"],
                name="photo_gallery_day_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="photo",
            index=models.Index(
                fields=["pet", "state", "-taken_on", "-taken_at", "-created_at", "-id"],
                name="photo_pet_state_day_idx",
            ),
        ),
    ]
