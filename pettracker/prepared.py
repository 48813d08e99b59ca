"""Querysets built and compiled once, then run many times with other values.

Django builds and compiles a queryset's SQL anew each time it runs, and for a small query on a
hot page that is nearly all of its cost: the gallery's check of who may see a pet took 2.3 ms
to build and compile and 0.04 ms to run on SQLite (issue 14, benchmarks/load.sh). ``Prepared``
builds the queryset once per database with placeholder values, keeps its SQL, and runs it with
the real values in their places, through the same converters Django applies to its results.
The rule stays the queryset's (``Pet.objects.visible_to`` and the like): only its building is
not repeated.

A prepared queryset's SQL must not depend on its values, only take them as parameters: no
``.none()`` for some of them, no lists whose length varies, no ``timezone.now()`` read while
it is built (it would be frozen). ``Prepared`` refuses a query in which a placeholder does not
appear as a parameter; placeholders must be values no constant of the query could equal: ints
of at least a million (either sign) that fit in 32 bits, UUIDs, dates before the year 1000.
"""

from __future__ import annotations

import datetime
import threading
import uuid
from collections.abc import Callable
from typing import Any

from django.db import connections
from django.db.models import QuerySet


class Prepared:
    """``Prepared(build, name=placeholder, ...)``: ``build(**values)`` returns the queryset
    (a ``values_list``); ``run(name=value, ...)`` answers its rows as tuples."""

    def __init__(self, build: Callable[..., QuerySet], **placeholders: Any) -> None:
        for name, value in placeholders.items():
            if type(value) not in (int, uuid.UUID, datetime.date):
                raise TypeError(f"{name}: placeholders are ints, UUIDs or dates, not {type(value)}")
            if isinstance(value, int) and abs(value) < _LEAST_PLACEHOLDER:
                # Constants of a query (a LIMIT, True == 1) must never be taken for it.
                raise ValueError(f"{name}: an int placeholder is at least {_LEAST_PLACEHOLDER:,}")
            if isinstance(value, int) and not -(2**31) <= value < 2**31:
                # Django answers no row for a number past a column's range (PostgreSQL's
                # integer, for a month extracted from a date): the query would be empty.
                raise ValueError(f"{name}: an int placeholder fits in 32 bits")
            if isinstance(value, datetime.date) and value.year >= 1000:
                raise ValueError(f"{name}: a date placeholder is before the year 1000")
        self._build = build
        self._placeholders = placeholders
        self._compiled = threading.local()

    def run(self, using: str = "default", **values: Any) -> list[tuple]:
        if values.keys() != self._placeholders.keys():
            raise TypeError(f"expected values for {sorted(self._placeholders)}")
        compiler, sql, slots = self._compile(using)
        params = [
            value if name is None else convert(values[name]) for name, convert, value in slots
        ]
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return list(compiler.results_iter(results=[rows], tuple_expected=True))

    def _compile(self, using: str) -> tuple:
        # Per thread (each has its own connection): the compiler it keeps converts the rows.
        # Kept with the thread, so that a thread that ends takes its connection's with it.
        compiled = self._compiled.__dict__
        found = compiled.get(using)
        if found is None:
            found = compiled[using] = self._compile_now(using)
        return found

    def _compile_now(self, using: str) -> tuple:
        queryset = self._build(**self._placeholders)
        compiler = queryset.query.get_compiler(using)
        sql, params = compiler.as_sql()
        forms = {
            form: (name, convert)
            for name, value in self._placeholders.items()
            for form, convert in _forms(value).items()
        }
        slots, seen = [], set()
        for param in params:
            name, convert = forms.get(_hashable(param), (None, None))
            seen.add(name)
            slots.append((name, convert, param))
        missing = set(self._placeholders) - seen
        if missing:
            raise ValueError(f"placeholders not among the query's parameters: {sorted(missing)}")
        return compiler, sql, slots


_LEAST_PLACEHOLDER = 1_000_000


def _forms(value: int | uuid.UUID | datetime.date) -> dict:
    """How a database may carry ``value`` as a parameter, and how to carry another the same way:
    a UUID as itself (PostgreSQL) or as 32 hex digits (SQLite's char(32)), a date as itself or
    as its ISO text (SQLite)."""
    if isinstance(value, uuid.UUID):
        return {value: _same, value.hex: _hex, str(value): str}
    if isinstance(value, datetime.date):
        return {value: _same, value.isoformat(): _iso}
    return {value: _same}


def _same(value):
    return value


def _iso(value: datetime.date) -> str:
    return value.isoformat()


def _hex(value) -> str:
    return uuid.UUID(str(value)).hex


def _hashable(param):
    try:
        hash(param)
    except TypeError:
        return None
    return param
