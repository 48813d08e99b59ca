"""The static files' storage in production: WhiteNoise's compressed, hashed files, each name's
URL worked out once per process."""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """``{% static %}`` asks for the same few URLs on every page, and Django's manifest storage
    works each out again (the manifest lookup, the URL joined and quoted): a tenth of a cached
    gallery page's time (benchmarks/load.sh). The manifest is read once, when the process
    starts, so a name's URL does not change while it runs: kept after the first time."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def url(self, name, force=False):
        if force:
            return super().url(name, force)
        url = self._urls.get(name)
        if url is None:
            url = self._urls[name] = super().url(name)
        return url
