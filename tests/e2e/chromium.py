"""Debian's Chromium as the browser tests and the page-weight benchmark drive it (nothing is
downloaded: the browser is the OS package)."""

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
