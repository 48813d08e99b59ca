"""``manage.py check`` says when the CDN cannot receive the cookies that open pages' images."""

from __future__ import annotations

from django.conf import settings
from django.core import checks

from cdn.signer import host_of

# Hosts whose parent domain is a public suffix: no site can set a cookie for them.
SHARED_SUFFIXES = ("cloudfront.net", "amazonaws.com")


def covers(domain: str, host: str) -> bool:
    """Whether a cookie for ``domain`` is sent to ``host`` (RFC 6265 domain matching)."""
    return host == domain or host.endswith(f".{domain}")


def site_hosts() -> list[str]:
    """The site's own host names, as ``ALLOWED_HOSTS`` lists them (a leading dot: any
    sub-domain, here the parent itself; ``*``: any host)."""
    return [host if host == "*" else host.lstrip(".") for host in settings.ALLOWED_HOSTS if host]


def cookie_reach_problems(cdn_host: str, cookie_domain: str, hosts: list[str]) -> list[str]:
    """What keeps the CDN at ``cdn_host`` from receiving cookies the site sets (pure)."""
    if not cdn_host:
        return []  # the CDN is a path of the site itself: it receives every cookie
    if cookie_domain:
        problems = []
        if any(covers(suffix, cookie_domain) for suffix in SHARED_SUFFIXES):
            problems.append(
                f"CDN_COOKIE_DOMAIN={cookie_domain} is a shared domain browsers refuse cookies for"
            )
        if not covers(cookie_domain, cdn_host):
            problems.append(
                f"the CDN host {cdn_host} is not within CDN_COOKIE_DOMAIN={cookie_domain}"
            )
        outside = [host for host in hosts if host != "*" and not covers(cookie_domain, host)]
        if outside:
            problems.append(
                f"the site's host {', '.join(outside)} cannot set cookies for "
                f"CDN_COOKIE_DOMAIN={cookie_domain}"
            )
        return problems
    if cdn_host in hosts or "*" in hosts:
        return []  # one distribution serves the site and its images (or any host may)
    return [
        f"the CDN host {cdn_host} is not one of the site's hosts "
        f"({', '.join(hosts) or 'ALLOWED_HOSTS names none'}), so it never receives the "
        "cookies the site sets"
    ]


@checks.register(checks.Tags.security)
def check_cdn_receives_cookies(app_configs, **kwargs) -> list[checks.CheckMessage]:
    problems = cookie_reach_problems(
        host_of(settings.CDN_BASE_URL), settings.CDN_COOKIE_DOMAIN, site_hosts()
    )
    return [
        checks.Error(
            f"Images would not load: {problem}.",
            hint="Serve images from the site's own host (one CloudFront distribution for both, "
            "CDN_BASE_URL=https://<site>), or from a sub-domain of the site's domain with "
            'CDN_COOKIE_DOMAIN=<that domain>; docs/deploy.md, "CDN layouts".',
            id="cdn.E001",
        )
        for problem in problems
    ]
