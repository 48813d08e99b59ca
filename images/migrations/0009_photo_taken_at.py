"""When each photo was taken (issue 15). Existing photos get their upload time here, so that the
column can be required (0010); ``manage.py photos_taken_at_backfill`` then reads their
originals (their ``taken_at_source`` stays "" until it has)."""

from django.db import migrations, models
from django.db.models import F


def upload_time(apps, schema_editor):
    Photo = apps.get_model("images", "Photo")
    # One statement, whatever the number of rows, on SQLite and PostgreSQL alike.
    Photo.objects.filter(taken_at__isnull=True).update(taken_at=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("images", "0008_photo_pet_state_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="photo",
            name="taken_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.AddField(
            model_name="photo",
            name="taken_at_source",
            field=models.CharField(
                blank=True,
                choices=[
                    ("", "Not read yet (the upload time until then)"),
                    ("exif", "The photo's EXIF"),
                    ("xmp", "The photo's XMP"),
                    ("png", "The PNG's creation time"),
                    ("upload", "The upload time (the file does not say)"),
                    ("owner", "Set by hand (the pet's owner, or an admin)"),
                ],
                default="",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="photo",
            name="taken_at_offset",
            field=models.SmallIntegerField(
                blank=True,
                help_text="Minutes east of UTC of the place's clock when it was taken, when known: its date is shown as that clock showed it.",
                null=True,
            ),
        ),
        migrations.RunPython(upload_time, migrations.RunPython.noop, elidable=True),
    ]
