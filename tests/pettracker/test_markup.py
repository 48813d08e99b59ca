"""Markup filled in Python: escaped as Django's format_html escapes."""

import uuid

import pytest
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from pettracker.markup import fill


@pytest.mark.parametrize(
    "value",
    [
        '<script>alert("x")</script>',
        "Tom & Jerry's",
        2048,
        uuid.uuid4(),
        "",
        mark_safe("<b>ok</b>"),
    ],
)
def test_fill_escapes_as_format_html_does(value):
    template = '<a title="{}">{}</a>'
    assert fill(template, value, value) == format_html(template, value, value)


def test_fill_leaves_safe_html_as_it_is_and_escapes_the_rest():
    filled = fill("{}{}", mark_safe("<em>safe</em>"), "<em>not</em>")
    assert filled == "<em>safe</em>&lt;em&gt;not&lt;/em&gt;"
    assert isinstance(filled, SafeString)
