"""The suite's fixtures, one module a concern (tests/fixtures/), and the ``slow`` marker.

A test is slow when it starts a Celery worker, a browser, a live server or a redis-server of
its own: those fixtures mark it, so a new test that uses them is slow without saying so. Tests
slow for another reason (a subprocess of the product, PostgreSQL, seconds of work) are marked
in their modules. ``scripts/test --fast`` runs the others.
"""

from __future__ import annotations

import pytest

pytest_plugins = [
    "tests.fixtures.isolation",
    "tests.fixtures.redis",
    "tests.fixtures.workers",
    "tests.fixtures.aws",
    "tests.fixtures.keys",
    "tests.fixtures.people",
    "tests.fixtures.migrations",
]

# Fixtures that cost seconds a test: a test using any of them (directly or through another
# fixture) is marked slow.
SLOW_FIXTURES = frozenset(
    {
        "celery_worker",  # a real worker (shared, but started once per session and waited on)
        "start_own_worker",  # a worker of the test's own (own_celery_worker uses it)
        "own_broker",  # a redis-server of the test's own (tests/images/test_faults.py)
        "live_server",  # a threaded HTTP server, driven by requests or a browser
        "browser",  # Chromium (tests/e2e)
    }
)


@pytest.hookimpl(tryfirst=True)  # before ``-m`` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


# A test that takes longer than this without being marked slow is named at the end of the run,
# so that the fast lane stays fast.
SLOW_SECONDS = 1.0
_unmarked_slow: list[tuple[str, float]] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and report.duration > SLOW_SECONDS and "slow" not in report.keywords:
        _unmarked_slow.append((report.nodeid, report.duration))


def pytest_terminal_summary(terminalreporter) -> None:
    if _unmarked_slow:
        terminalreporter.write_sep("-", f"over {SLOW_SECONDS:g} s and not marked slow")
        for nodeid, seconds in sorted(_unmarked_slow, key=lambda item: -item[1]):
            terminalreporter.write_line(f"{seconds:5.2f}s {nodeid}")
