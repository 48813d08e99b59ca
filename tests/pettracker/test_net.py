"""The way in: with the deploy guide's settings (CloudFront, then the load balancer), every
request comes through CloudFront, so a forged X-Forwarded-For entry never becomes the address
that log-in throttling and the audit trail use."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory

from accounts.models import AuditEntry
from pettracker.net import OriginGuardMiddleware, client_ip, is_local_path, site_url
from tests.factories import PASSWORD, UserFactory

LOGIN = "/accounts/login/"
SECRET = "s" * 40
LOAD_BALANCER = "10.0.0.2"  # the app sees the load balancer's address as REMOTE_ADDR
CLOUDFRONT_EDGE = "130.176.0.1"
CLIENT = "198.51.100.7"


@pytest.fixture
def behind_cloudfront(settings):
    """The deploy guide's settings."""
    settings.PROXIES = ["cloudfront", "load-balancer"]
    settings.ORIGIN_SECRET = SECRET


def through_cloudfront(forged: str = "") -> dict:
    """What the app receives when a client (which may forge entries) comes through
    CloudFront, which appends the client's address and adds the secret, then the load
    balancer, which appends CloudFront's address."""
    chain = [*filter(None, [forged]), CLIENT, CLOUDFRONT_EDGE]
    return {
        "REMOTE_ADDR": LOAD_BALANCER,
        "HTTP_X_FORWARDED_FOR": ", ".join(chain),
        "HTTP_X_ORIGIN_SECRET": SECRET,
    }


def straight_to_the_load_balancer(forged: str) -> dict:
    """A client skipping CloudFront: one hop less, so its forged entry sits where CloudFront's
    entry of the real client would."""
    return {"REMOTE_ADDR": LOAD_BALANCER, "HTTP_X_FORWARDED_FOR": f"{forged}, {CLIENT}"}


def test_the_client_is_the_address_cloudfront_saw(behind_cloudfront):
    request = RequestFactory().get("/", **through_cloudfront(forged="203.0.113.9"))
    assert client_ip(request) == CLIENT


@pytest.mark.django_db
def test_a_request_skipping_cloudfront_is_refused(behind_cloudfront):
    response = Client().get(LOGIN, **straight_to_the_load_balancer(forged="203.0.113.9"))
    assert response.status_code == 403
    assert b"public address" in response.content


@pytest.mark.django_db
def test_a_wrong_origin_secret_is_refused(behind_cloudfront):
    headers = {**through_cloudfront(), "HTTP_X_ORIGIN_SECRET": "s" * 39 + "t"}
    assert Client().get(LOGIN, **headers).status_code == 403


@pytest.mark.django_db
def test_the_load_balancers_health_check_needs_no_secret(behind_cloudfront, monkeypatch):
    monkeypatch.setattr("pettracker.views.broker_ok", lambda url: True)
    response = Client().get("/healthz", REMOTE_ADDR=LOAD_BALANCER)
    assert response.status_code == 200


@pytest.mark.django_db
def test_forged_entries_cannot_escape_a_lockout(behind_cloudfront, settings):
    UserFactory(username="owner")
    client = Client()
    for attempt in range(settings.AXES_FAILURE_LIMIT + 3):
        forged = f"203.0.113.{attempt}"
        client.post(LOGIN, {"username": "owner", "password": "wrong"}, **through_cloudfront(forged))
        client.post(
            LOGIN,
            {"username": "owner", "password": "wrong"},
            **straight_to_the_load_balancer(forged),
        )
    right = client.post(
        LOGIN, {"username": "owner", "password": PASSWORD}, **through_cloudfront("203.0.113.99")
    )
    assert right.status_code == 429


@pytest.mark.django_db
def test_forged_entries_cannot_lock_out_someone_elsewhere(behind_cloudfront, settings):
    UserFactory(username="owner")
    attacker = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT + 3):
        attacker.post(
            LOGIN,
            {"username": "owner", "password": "wrong"},
            **straight_to_the_load_balancer(forged="192.0.2.50"),
        )
    owner_at_home = {
        **through_cloudfront(),
        "HTTP_X_FORWARDED_FOR": f"192.0.2.50, {CLOUDFRONT_EDGE}",
    }
    response = Client().post(LOGIN, {"username": "owner", "password": PASSWORD}, **owner_at_home)
    assert response.status_code == 302


@pytest.mark.django_db
def test_the_audit_trail_records_the_address_cloudfront_saw(behind_cloudfront):
    staff = UserFactory(username="root", is_staff=True, is_superuser=True)
    target = UserFactory(username="target")
    client = Client()
    client.force_login(staff)
    client.post(
        "/admin/accounts/user/",
        {"action": "deactivate", "_selected_action": [target.pk], "index": 0},
        **through_cloudfront(forged="203.0.113.9"),
    )
    assert AuditEntry.objects.get(action="user.deactivate").ip_address == CLIENT


@pytest.mark.django_db
def test_the_origin_secret_is_not_left_for_error_reports(behind_cloudfront, rf):
    seen = {}
    guard = OriginGuardMiddleware(lambda request: seen.update(request.META) or "ok")
    guard(rf.get("/", **through_cloudfront()))
    assert "HTTP_X_ORIGIN_SECRET" not in seen


@pytest.mark.django_db
def test_without_cloudfront_nothing_is_asked_of_a_request(settings):
    settings.PROXIES, settings.ORIGIN_SECRET = ["load-balancer"], ""
    assert Client().get(LOGIN, REMOTE_ADDR=LOAD_BALANCER).status_code == 200


@pytest.mark.django_db
def test_the_metrics_scraper_needs_its_token_not_the_origin_secret(behind_cloudfront, settings):
    settings.METRICS_TOKEN = "t" * 32
    scraper = Client()
    assert scraper.get("/metrics", REMOTE_ADDR="10.0.3.7").status_code == 403  # no token
    authorised = scraper.get("/metrics", HTTP_AUTHORIZATION="Bearer " + "t" * 32)
    assert authorised.status_code == 200


# --- Links in mails and pages to return to --------------------------------------------------


def test_the_sites_url_is_its_scheme_and_host_without_a_slash():
    assert site_url(RequestFactory().get("/any/page/")) == "http://testserver"
    assert site_url(RequestFactory().get("/", secure=True)) == "https://testserver"


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("/pets/1/?page=2", True),
        ("/", True),
        ("", False),
        ("pets/1/", False),
        ("//evil.example/", False),
        ("/\\evil.example/", False),
        ("https://evil.example/", False),
        ("http://testserver/pets/", False),  # a path, not a URL, is what this site sends
        ("javascript:alert(1)", False),
    ],
)
def test_only_a_path_of_this_site_is_a_page_to_return_to(url, local):
    assert is_local_path(RequestFactory().get("/"), url) is local
