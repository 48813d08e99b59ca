"""The CDN's tests: the local edge's caches start empty in every test (a key id or a pet's id
seen by an earlier test must not decide this one)."""

import pytest

from cdn.edge import forget_trusted_keys
from cdn.revocation import forget_cached_floors


@pytest.fixture(autouse=True)
def _fresh_edge_caches():
    forget_trusted_keys()
    forget_cached_floors()
    yield
    forget_trusted_keys()
    forget_cached_floors()
