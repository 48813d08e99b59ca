from django.db import migrations, models


class Migration(migrations.Migration):
    """The 512 px square rendition for the grid's tiles (issue 14). Photos processed before it
    have none: ``manage.py renditions_backfill`` queues them."""

    dependencies = [
        ("images", "0006_cdn_models_moved"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="rendition",
            name="rendition_name_valid",
        ),
        migrations.AlterField(
            model_name="rendition",
            name="name",
            field=models.CharField(
                choices=[
                    ("thumb", "Thumbnail (256 px square)"),
                    ("square", "Square (512 px)"),
                    ("medium", "Medium (1024 px)"),
                    ("large", "Large (2048 px)"),
                ],
                max_length=20,
            ),
        ),
        migrations.AddConstraint(
            model_name="rendition",
            constraint=models.CheckConstraint(
                condition=models.Q(("name__in", ["thumb", "square", "medium", "large"])),
                name="rendition_name_valid",
            ),
        ),
    ]
