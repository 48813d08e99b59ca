"""Print the CloudFormation template of PetTracker's CDN (see ``cdn.stack``)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cdn.models import SigningKey
from cdn.rotation import signing_key_generate
from cdn.stack import StackSettings, cloudfront_template_json

LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]"}


class Command(BaseCommand):
    help = "Print a CloudFormation template for the S3 bucket, CloudFront and signing keys."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bucket", help="Default: AWS_STORAGE_BUCKET_NAME.")
        parser.add_argument(
            "--app-domain",
            help="The load balancer's own name, CloudFront's origin for the app "
            "(origin.pets.example.com); people never use it.",
        )
        parser.add_argument(
            "--site-domain",
            action="append",
            help="A public name of the site, served by the distribution too (repeatable). "
            "Default: ALLOWED_HOSTS but the app domain.",
        )
        parser.add_argument("--cdn-domain", help="Default: the host of CDN_BASE_URL.")
        parser.add_argument(
            "--generate-key",
            action="store_true",
            help="Generate a signing key first when there is none to trust.",
        )
        parser.add_argument("--output", help="Write the template to this file.")

    def handle(self, *args, **options) -> None:
        bucket = options["bucket"] or settings.AWS_STORAGE_BUCKET_NAME
        app_domain = _required(options["app_domain"], "--app-domain")
        site_domains = options["site_domain"] or _site_domains(exclude=app_domain)
        cdn_domain = _required(options["cdn_domain"] or _cdn_domain(), "--cdn-domain")
        stack = StackSettings(
            bucket_name=_required(bucket, "--bucket"),
            region=settings.AWS_S3_REGION_NAME,
            app_domain=app_domain,
            cdn_domain=cdn_domain,
            upload_origins=tuple(settings.CSRF_TRUSTED_ORIGINS)
            or tuple(f"https://{domain}" for domain in site_domains or [cdn_domain]),
            key_group_name=settings.CLOUDFRONT_KEY_GROUP_NAME,
            public_keys=_public_keys(generate=options["generate_key"]),
            site_domains=tuple(site_domains),
        )
        template = cloudfront_template_json(stack)
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8") as output:
                output.write(template)
            self.stderr.write(f"Wrote {options['output']}.")
        else:
            self.stdout.write(template, ending="")
        self.stderr.write(
            "Once the stack is created, set CLOUDFRONT_KEY_VALUE_STORE_ARN to its "
            "KeyValueStoreArn output: revocations reach CloudFront's edges through it."
        )


def _required(value: str | None, option: str) -> str:
    if not value:
        raise CommandError(f"Say which with {option} (no setting gives it).")
    return value


def _site_domains(*, exclude: str) -> list[str]:
    hosts = [host.lstrip(".") for host in settings.ALLOWED_HOSTS if host not in LOCAL_HOSTS]
    # Public DNS names only: no wildcard, no single-label host (localhost, testserver).
    return [host for host in hosts if "*" not in host and "." in host and host != exclude]


def _cdn_domain() -> str | None:
    return urlsplit(settings.CDN_BASE_URL).hostname


def _public_keys(*, generate: bool) -> tuple[tuple[str, str], ...]:
    State = SigningKey.State
    keys = SigningKey.objects.filter(
        state__in=[State.CREATED, State.PUBLISHED, State.ACTIVE, State.RETIRING]
    ).order_by("created_at")
    if not keys and generate:
        keys = [signing_key_generate()]
    if not keys:
        raise CommandError(
            "There is no signing key for the key group; add --generate-key to make one."
        )
    return tuple((f"pettracker-key-{key.pk}", key.public_key_pem) for key in keys)
