"""The date taken required, now that every photo has one (0009); the gallery's and the home
page's indexes follow the date taken instead of the upload time."""

import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("images", "0009_photo_taken_at"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="photo",
            name="photo_gallery_idx",
        ),
        migrations.RemoveIndex(
            model_name="photo",
            name="photo_pet_state_idx",
        ),
        migrations.AlterField(
            model_name="photo",
            name="taken_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now,
                help_text="When the photo was taken: from its metadata, else when it was uploaded.",
            ),
        ),
        migrations.AddIndex(
            model_name="photo",
            index=models.Index(
                fields=["pet", "-taken_at", "-created_at", "-id"], name="photo_gallery_taken_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="photo",
            index=models.Index(
                fields=["pet", "state", "-taken_at", "-created_at", "-id"],
                name="photo_pet_state_taken_idx",
            ),
        ),
    ]
