"""Markup made in Python, where a template loop over many items was the page's cost: the
gallery's tiles (``images.views.tiles``), the pets' cards (``images.views.cards``), the news
(``social.templatetags.social``)."""

from __future__ import annotations

import html

from django.utils.safestring import SafeString, mark_safe


def fill(template: str, *values) -> SafeString:
    """``format_html(template, *values)``, about four times faster: each value escaped
    (``html.escape``) unless it is already safe HTML (``__html__``), as ``conditional_escape``
    does. A gallery fills two dozen tiles of sixteen values each, where ``format_html``'s
    escaping, made for lazy strings too, took a tenth of the page's time."""
    escaped = (v.__html__() if hasattr(v, "__html__") else html.escape(str(v)) for v in values)
    return mark_safe(template.format(*escaped))  # noqa: S308
