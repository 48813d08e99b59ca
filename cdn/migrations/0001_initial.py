import uuid

from django.db import migrations, models


class Migration(migrations.Migration):
    """The CDN's models, made by the ``images`` app, now belong to ``cdn``: their tables (named
    by ``db_table``) stay as they are, and only Django's record of the models moves."""

    initial = True

    dependencies = [
        ("images", "0005_reliability"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="PendingInvalidation",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("path", models.CharField(max_length=512)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                    ],
                    options={
                        "db_table": "images_pendinginvalidation",
                        "ordering": ["created_at"],
                    },
                ),
                migrations.CreateModel(
                    name="Invalidation",
                    fields=[
                        (
                            "id",
                            models.UUIDField(
                                default=uuid.uuid4,
                                editable=False,
                                primary_key=True,
                                serialize=False,
                            ),
                        ),
                        ("distribution_id", models.CharField(blank=True, max_length=64)),
                        ("paths", models.JSONField(default=list)),
                        ("path_count", models.PositiveIntegerField(default=0)),
                        ("wildcard_count", models.PositiveIntegerField(default=0)),
                        ("cloudfront_id", models.CharField(blank=True, max_length=64)),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("queued", "Queued (not yet accepted by the CDN)"),
                                    ("in_progress", "In progress"),
                                    ("completed", "Completed"),
                                ],
                                default="queued",
                                max_length=20,
                            ),
                        ),
                        ("attempts", models.PositiveSmallIntegerField(default=0)),
                        ("last_error", models.TextField(blank=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("submitted_at", models.DateTimeField(blank=True, null=True)),
                        ("completed_at", models.DateTimeField(blank=True, null=True)),
                    ],
                    options={
                        "db_table": "images_invalidation",
                        "ordering": ["-created_at"],
                        "indexes": [
                            models.Index(
                                fields=["status", "created_at"], name="invalidation_status_idx"
                            )
                        ],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("status__in", ["queued", "in_progress", "completed"])
                                ),
                                name="invalidation_status_valid",
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="SigningKey",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "public_key_id",
                            models.CharField(
                                blank=True,
                                help_text="CloudFront's id for the public key (the Key-Pair-Id); set on publishing.",
                                max_length=64,
                                null=True,
                                unique=True,
                            ),
                        ),
                        (
                            "algorithm",
                            models.CharField(
                                choices=[
                                    ("rsa-2048-sha1", "RSA-2048, SHA-1 (CloudFront's default)"),
                                    ("rsa-2048-sha256", "RSA-2048, SHA-256"),
                                    ("ecdsa-p256-sha256", "ECDSA P-256, SHA-256"),
                                ],
                                default="rsa-2048-sha1",
                                max_length=20,
                            ),
                        ),
                        ("public_key_pem", models.TextField()),
                        ("encrypted_private_key", models.TextField(editable=False)),
                        (
                            "state",
                            models.CharField(
                                choices=[
                                    ("created", "Created"),
                                    ("published", "Published to CloudFront"),
                                    ("active", "Active (signs new URLs)"),
                                    ("retiring", "Retiring (still trusted)"),
                                    ("retired", "Retired"),
                                ],
                                default="created",
                                max_length=20,
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("published_at", models.DateTimeField(blank=True, null=True)),
                        ("activated_at", models.DateTimeField(blank=True, null=True)),
                        ("retiring_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "trusted_until",
                            models.DateTimeField(
                                blank=True,
                                help_text="Every URL and cookie this key signed has expired by then.",
                                null=True,
                            ),
                        ),
                        ("retired_at", models.DateTimeField(blank=True, null=True)),
                    ],
                    options={
                        "db_table": "images_signingkey",
                        "ordering": ["-created_at"],
                        "permissions": [
                            (
                                "manage_signing_keys",
                                "Can generate, publish, activate and retire keys",
                            )
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                condition=models.Q(("state", "active")),
                                fields=("state",),
                                name="signingkey_one_active",
                                violation_error_message="Another signing key is already active.",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    (
                                        "state__in",
                                        ["created", "published", "active", "retiring", "retired"],
                                    )
                                ),
                                name="signingkey_state_valid",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("state", "created"),
                                    ("public_key_id__isnull", False),
                                    _connector="OR",
                                ),
                                name="signingkey_published_has_id",
                            ),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
