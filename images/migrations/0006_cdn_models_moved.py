from django.db import migrations


class Migration(migrations.Migration):
    """The signing keys and invalidations moved to the ``cdn`` app (``cdn/migrations/0001``);
    their tables stay where they are."""

    dependencies = [
        ("images", "0005_reliability"),
        ("cdn", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="Invalidation"),
                migrations.DeleteModel(name="PendingInvalidation"),
                migrations.DeleteModel(name="SigningKey"),
            ],
            database_operations=[],
        ),
    ]
