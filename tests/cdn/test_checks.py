"""`manage.py check` says when the CDN cannot receive the cookies that open pages' images."""

import pytest
from django.core import checks

from cdn.checks import cookie_reach_problems


def test_a_cdn_under_the_sites_own_path_receives_every_cookie():
    assert cookie_reach_problems("", "", ["example.com"]) == []


def test_one_distribution_serving_the_site_and_the_images_needs_no_cookie_domain():
    assert cookie_reach_problems("example.com", "", ["example.com", "www.example.com"]) == []


def test_a_cdn_sub_domain_with_the_parent_as_cookie_domain_is_fine():
    hosts = ["example.com", "www.example.com"]
    assert cookie_reach_problems("images.example.com", "example.com", hosts) == []


def test_a_cdn_on_another_host_without_a_cookie_domain_is_an_error():
    (problem,) = cookie_reach_problems("images.example.com", "", ["example.com"])
    assert "images.example.com is not one of the site's hosts" in problem


def test_cloudfronts_own_domain_can_never_receive_the_sites_cookies():
    problems = cookie_reach_problems("d111.cloudfront.net", "cloudfront.net", ["example.com"])
    assert any("shared domain" in problem for problem in problems)
    assert any("example.com cannot set cookies" in problem for problem in problems)


def test_a_cookie_domain_that_does_not_cover_the_cdn_is_an_error():
    (problem,) = cookie_reach_problems("images.example.org", "example.com", ["example.com"])
    assert "not within CDN_COOKIE_DOMAIN=example.com" in problem


@pytest.mark.parametrize(
    ("cdn", "cookie_domain", "errors"),
    [
        ("/cdn", "", 0),
        ("https://example.com", "", 0),
        ("https://images.example.com", "", 1),
        ("https://images.example.com", "example.com", 0),
    ],
)
def test_manage_py_check_reports_it(settings, cdn, cookie_domain, errors):
    settings.ALLOWED_HOSTS = ["example.com"]
    settings.CDN_BASE_URL, settings.CDN_COOKIE_DOMAIN = cdn, cookie_domain
    found = [m for m in checks.run_checks() if m.id == "cdn.E001"]
    assert len(found) == errors
