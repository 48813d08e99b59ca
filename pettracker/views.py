from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from pettracker.dashboard import (
    access_floor_counts,
    deletion_outbox,
    last_reconciliation,
    photos_by_state,
    photos_held_up,
    queue_depth,
)
from pettracker.health import broker_ok, database_ok
from pettracker.metrics import COUNTERS, counters


@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the broker both answer, 503 naming what does not."""
    checks = {
        "database": database_ok(),
        "broker": broker_ok(settings.CELERY_BROKER_URL),
    }
    healthy = all(checks.values())
    body = {
        "status": "ok" if healthy else "unavailable",
        "checks": {name: "ok" if ok else "unreachable" for name, ok in checks.items()},
    }
    return JsonResponse(body, status=200 if healthy else 503)


@require_safe
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus-style counters and gauges, for a scraper holding ``METRICS_TOKEN``, or staff."""
    if not _may_read_metrics(request):
        return HttpResponse("Metrics need the metrics token or a staff log-in.", status=403)
    return HttpResponse(exposition(), content_type="text/plain; version=0.0.4; charset=utf-8")


def _may_read_metrics(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if token and given and constant_time_compare(given, token):
        return True
    return request.user.is_authenticated and request.user.is_staff


def exposition() -> str:
    """The text format Prometheus scrapes."""
    lines = []
    for name, value in counters().items():
        metric = f"pettracker_{name}_total"
        lines += [f"# HELP {metric} {COUNTERS[name]}", f"# TYPE {metric} counter"]
        lines.append(f"{metric} {value if value is not None else 'NaN'}")
    by_state = {f'state="{state}"': n for state, n in photos_by_state().items()}
    lines += _gauge("pettracker_photos", "Photos by state.", by_state)
    lines += _gauge("pettracker_queue_depth", "Jobs waiting for a worker.", queue_depth())
    for name, help_text, value in [*_storage_gauges(), *_access_floor_gauges()]:
        lines += _gauge(name, help_text, value)
    return "\n".join(lines) + "\n"


def _gauge(name: str, help_text: str, value: object) -> list[str]:
    """A gauge's lines: one value, or ``{labels: value}`` (``kind="original"``); ``None`` is
    written as NaN (not known)."""
    samples = value if isinstance(value, dict) else {"": value}
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
    for labels, sample in samples.items():
        shown = "NaN" if sample is None else sample
        lines.append(f"{name}{{{labels}}} {shown}" if labels else f"{name} {shown}")
    return lines


Gauge = tuple[str, str, object]  # name, help text, value (or {labels: value})


def _storage_gauges() -> list[Gauge]:
    """The last successful storage reconciliation, the deletion outbox, and the photos waiting
    on beat (their task unsent, or a retry due later)."""
    run = last_reconciliation(succeeded=True)
    deletions, held = deletion_outbox(), photos_held_up()
    oldest = deletions.oldest_waiting
    return [
        (
            "pettracker_storage_orphans",
            "Stored objects no row references, older than the margin, at the last reconciliation.",
            run.orphans if run else None,
        ),
        (
            "pettracker_storage_missing",
            "Objects rows reference but storage lacks, at the last reconciliation.",
            {
                'kind="original"': run.missing_originals if run else None,
                'kind="rendition"': run.missing_renditions if run else None,
            },
        ),
        (
            "pettracker_reconcile_last_run_timestamp_seconds",
            "When the last successful storage reconciliation finished (Unix time).",
            int(run.finished_at.timestamp()) if run else None,
        ),
        (
            "pettracker_deletions_waiting",
            "Stored objects queued for deletion, not set aside.",
            deletions.waiting,
        ),
        (
            "pettracker_deletions_set_aside",
            "Deletions that failed for about a day, waiting for a person.",
            deletions.set_aside,
        ),
        (
            "pettracker_deletions_oldest_waiting_seconds",
            "How long the oldest waiting deletion has waited.",
            int((timezone.now() - oldest).total_seconds()) if oldest else 0,
        ),
        (
            "pettracker_photos_unqueued",
            "Photos whose processing task the broker did not take (beat sends it again).",
            held.unqueued,
        ),
        (
            "pettracker_photos_awaiting_retry",
            "Photos failed for a transient reason, to be processed again.",
            held.awaiting_retry,
        ),
    ]


def _access_floor_gauges() -> list[Gauge]:
    """The pets' access floors (revocations at the edge), and those not pushed to CloudFront's
    KeyValueStore yet (counted even without one: beat marks them pushed there)."""
    floors = access_floor_counts()
    return [
        (
            "pettracker_access_floors",
            "Pets with an access floor (revoked lately: pruned once no grant it refuses is valid).",
            floors.floors,
        ),
        (
            "pettracker_access_floors_unpushed",
            "Access floors the CloudFront KeyValueStore may not hold yet.",
            floors.unpushed,
        ),
    ]


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """The icon's hashed address is known only once static files are collected: ask then."""
    return redirect(static("favicon.svg"), permanent=True)
