"""Hostile requests to every route never get a server error.

Every URL pattern the root resolver knows (includes and the admin's own patterns too) is
driven with ids of real objects, random UUIDs, malformed, very long, unicode and
percent-encoded values in place of its converters; random methods, query strings, headers
(Range, Content-Length, validators, X-Forwarded-For, cookie junk) and bodies (forms, JSON,
multipart, garbage bytes, and the forms the pages themselves offer, mutated); as every
actor. Whatever the request, the answer is below 500.

The world (actors, pets, photos in every state, share links, a signing key) is made once for
the module; each request runs in a savepoint rolled back afterwards, so every request meets
the same database. Examples are derandomized, so a run is reproducible; it is a net for
whole classes of failure (a header, a malformed id anywhere), not a proof: a defect that needs
one actor, one method and one field of one form at once may need a deeper run
(HOSTILE_REQUESTS_SCALE) to show, and then gets a test of its own.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import traceback
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import quote, urlencode, urljoin, urlsplit

import pytest
from django.conf import settings as django_settings
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.contrib.auth.tokens import default_token_generator
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, override_settings
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import (
    NoReverseMatch,
    Resolver404,
    URLPattern,
    URLResolver,
    get_resolver,
    resolve,
    reverse,
)
from django.urls.converters import IntConverter, PathConverter, UUIDConverter
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cdn import keypairs
from cdn.encryption import encrypt_private_key
from cdn.models import SigningKey
from cdn.objects import EXTENSIONS
from cdn.signer import forget_active_key, get_signer
from cdn.signing import load_private_key
from images.services.sharing import share_link_create, share_link_revoke
from images.services.uploads import photo_create_upload
from tests.factories import PetFactory, PhotoFactory, ShareFactory, UserFactory, ready_photo
from tests.fixtures.keys import private_key_pem

pytestmark = pytest.mark.slow  # every route, many requests each: about half a minute

# Requests per route: most where there is most to reach (a form to post, the API, uploads,
# the edge), fewer in the admin (Django's code, one shape repeated for every model). The
# file runs in about half a minute; HOSTILE_REQUESTS_SCALE=20 makes a deeper run of the same
# examples and more (about ten minutes).
EXAMPLES_PER_RICH_ROUTE = 48
EXAMPLES_PER_ROUTE = 10
EXAMPLES_PER_RICH_ADMIN_ROUTE = 12
EXAMPLES_PER_ADMIN_ROUTE = 4
RICH_ROUTES = {"api_upload_create", "api_upload_complete", "api_photo", "local_upload", "cdn_edge"}
SCALE = int(os.environ.get("HOSTILE_REQUESTS_SCALE", "1"))
# GET and POST twice: they reach further into the views than the methods they refuse.
METHODS = ("GET", "GET", "POST", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH")
ACTORS = (
    "anonymous",
    "owner",
    "viewer",
    "contributor",
    "stranger",
    "staff_viewer",  # staff, with only the admin's view permissions
    "superuser",
    "link_holder",  # logged out, holding a live share link (its token is a real value)
)


# --- Every route ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """A URL pattern and the chain of includes that leads to it."""

    chain: tuple[RoutePattern | RegexPattern, ...]
    name: str | None  # with its namespace: "admin:index"

    def __str__(self) -> str:
        return "/" + "".join(str(pattern) for pattern in self.chain)


def every_route(patterns=None, chain=(), namespace=None) -> list[Route]:
    """Every pattern under the root resolver, recursing into includes (the admin's too)."""
    routes = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(filter(None, [namespace, entry.namespace])) or None
            routes += every_route(entry.url_patterns, (*chain, entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            routes.append(Route((*chain, entry.pattern), name))
    return routes


ROUTES = every_route()


def test_the_enumeration_finds_every_named_route_and_every_admin_model():
    resolver = get_resolver()
    named = {key for key in resolver.reverse_dict if isinstance(key, str)}
    for namespace, (_, inner) in resolver.namespace_dict.items():
        named |= {f"{namespace}:{key}" for key in inner.reverse_dict if isinstance(key, str)}
    found = {route.name for route in ROUTES}
    assert named <= found, f"routes the property test would miss: {sorted(named - found)}"
    for model in admin.site._registry:
        opts = model._meta
        assert f"admin:{opts.app_label}_{opts.model_name}_changelist" in found
    assert {"/api/<path:rest>", "/admin/(?P<url>.*)$"} <= {str(route) for route in ROUTES}


# --- The world every request meets ----------------------------------------------------------


@dataclass
class World:
    sessions: dict[str, str]  # actor → session key; none for those logged out
    real: dict[str, list[str]]  # a converter's parameter → real values for it
    signed: dict[str, str]  # object key → a valid signed query for it
    ticket_fields: dict[str, str]  # a real local upload ticket's form fields
    files: dict[str, bytes]  # what the storage holds: the ready photo's original, renditions
    words: list[str]  # names that forms, queries and the admin use
    # (route name, method) → the forms pages offer for it, each a list of (field, values)
    forms: dict[tuple[str, str], list[list[tuple[str, list[str]]]]]

    @property
    def ids(self) -> list[str]:
        return sorted({value for values in self.real.values() for value in values})


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, broker) -> Iterator[World]:
    """Made once for the module inside a transaction rolled back at its end: the named actors
    and their pet, photos in every state, a stranger's pet, live, expired and revoked share
    links, an upload ticket, staff with view permissions, a superuser, an active signing key.
    The broker is a real redis-server, so /healthz and the dashboard find one."""
    md5 = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=md5),
        transaction.atomic(),
    ):
        yield _make_world()
        transaction.set_rollback(True)


@pytest.fixture
def stored(world: World) -> None:
    """The ready photo's files, in this test's own storage."""
    for key, data in world.files.items():
        default_storage.save(key, ContentFile(data))


def _make_world() -> World:
    owner, friend, contributor, stranger = (
        UserFactory(username=name) for name in ("owner", "friend", "contributor", "stranger")
    )
    pet = PetFactory(owner=owner, name="Biscuit")
    viewer_share = ShareFactory(pet=pet, grantee=friend, role="viewer")
    ShareFactory(pet=pet, grantee=contributor, role="contributor")
    key = _active_signing_key()
    forget_active_key()
    photo = ready_photo(pet=pet, caption="On the beach")
    unfinished = [
        PhotoFactory(pet=pet, uploader=contributor, state=state, error=reason)
        for state, reason in [("pending", ""), ("processing", ""), ("failed", "not an image")]
    ]
    elsewhere = ready_photo(pet=PetFactory(owner=stranger))
    week = datetime.timedelta(days=7)
    live, live_token = share_link_create(pet=pet, created_by=owner, lifetime=week)
    revoked, revoked_token = share_link_create(pet=pet, created_by=owner, lifetime=week)
    share_link_revoke(link=revoked)
    expired, expired_token = share_link_create(pet=pet, created_by=owner, lifetime=week)
    type(expired).objects.filter(pk=expired.pk).update(
        created_at=timezone.now() - 2 * week, expires_at=timezone.now() - week
    )
    _, ticket = photo_create_upload(
        pet=pet,
        uploader=owner,
        filename="walk.jpg",
        content_type="image/jpeg",
        size=2000,
        local_url="http://testserver/uploads/",
    )
    staff = UserFactory(username="staff", is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    superuser = UserFactory(username="admin", is_staff=True, is_superuser=True)
    signer = get_signer()
    urls = {
        rendition.key: signer.url(rendition.key, origin="http://testserver")
        for rendition in photo.renditions.all()
    }
    urls[photo.original_key] = signer.original_url(photo.original_key, origin="http://testserver")
    pets = [str(pet.pk), str(elsewhere.pet_id)]
    photos = [str(p.pk) for p in [photo, *unfinished, elsewhere]]
    tokens = [live_token, revoked_token, expired_token]
    real = {
        "pet_id": pets,
        "photo_id": photos,
        "token": [*tokens, default_token_generator.make_token(owner)],
        "uidb64": [urlsafe_base64_encode(force_bytes(owner.pk))],
        "key": [*urls, f"renditions/{pet.pk}/{photo.pk}/missing.webp"],
        "key_id": [str(key.pk)],
        "step": ["publish", "activate", "begin_retiring", "retire", "generate", "rotate"],
        "share": [str(viewer_share.pk)],
        "link": [str(link.pk) for link in (live, revoked, expired)],
        "app_label": sorted({model._meta.app_label for model in admin.site._registry}),
        **_admin_object_ids(),
    }
    sessions = {
        actor: _session_key(user)
        for actor, user in {
            "owner": owner,
            "viewer": friend,
            "contributor": contributor,
            "stranger": stranger,
            "staff_viewer": staff,
            "superuser": superuser,
        }.items()
    }
    return World(
        sessions=sessions,
        real=real,
        signed={key: url.split("?", 1)[1] for key, url in urls.items()},
        ticket_fields=ticket.fields,
        files={key: key.encode() * 50 for key in urls},
        words=_words(),
        forms=_forms_offered(real, sessions),
    )


def _active_signing_key() -> SigningKey:
    """As tests/fixtures/keys.py's ``make_signing_key`` makes one (a fixture of each test)."""
    pem = private_key_pem()
    now = timezone.now()
    return SigningKey.objects.create(
        algorithm="rsa-2048-sha1",
        state=SigningKey.State.ACTIVE,
        public_key_id="KHOSTILE00000",
        published_at=now,
        activated_at=now,
        public_key_pem=keypairs.public_pem(load_private_key(pem)),
        encrypted_private_key=encrypt_private_key(pem),
    )


def _session_key(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[django_settings.SESSION_COOKIE_NAME].value


def _admin_object_ids() -> dict[str, list[str]]:
    """A few real ids of every model the admin shows, by its admin address ("images/pet/")."""
    return {
        f"{model._meta.app_label}/{model._meta.model_name}/": [
            str(pk) for pk in model._default_manager.order_by("pk").values_list("pk", flat=True)[:3]
        ]
        for model in admin.site._registry
    }


def _words() -> list[str]:
    """Field and action names that make a request go deeper: the app's forms and the API,
    and what the admin knows (actions, apps, models, fields)."""
    words = [
        *("action", "invite", "role", "revoke", "link", "revoke_link", "share", "who"),
        *("viewer", "contributor", "owner", "lifetime", "1", "7", "30", "365", "caption"),
        *("name", "species", "dog", "cat", "birthday", "username", "password", "email"),
        *("password1", "password2", "old_password", "new_password1", "new_password2"),
        *("filename", "content_type", "size", "file", "key", "next", "page", "p", "o", "q"),
        *("e", "all", "_to_field", "_popup", "_changelist_filters", "term", "field_name"),
        *("app_label", "model_name", "index", "_selected_action", "select_across", "post"),
        *("_save", "_continue", "_addanother", "csrfmiddlewaretoken", "state", "state__exact"),
        *("Policy", "Signature", "Key-Pair-Id", "Expires", "delete_selected", "yes", "0"),
        *EXTENSIONS,
    ]
    for model, model_admin in admin.site._registry.items():
        words += [model._meta.app_label, model._meta.model_name]
        words += [a if isinstance(a, str) else a.__name__ for a in model_admin.actions or ()]
        words += [f.name for f in model._meta.get_fields()]
    return sorted(set(words))


class _Forms(HTMLParser):
    """A page's forms: where each goes, how, and its fields with the values they offer."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, str, list[tuple[str, list[str]]]]] = []
        self._form = None
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "form":
            self._form = (attrs.get("action") or "", (attrs.get("method") or "get").upper(), [])
        elif self._form is None or not (name or tag == "option"):
            return
        elif tag in ("input", "button", "textarea"):
            self._form[2].append((name, [attrs.get("value") or ""]))
        elif tag == "select":
            self._select = (name, [])
            self._form[2].append(self._select)
        elif tag == "option" and self._select is not None:
            self._select[1].append(attrs.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None
        elif tag == "select":
            self._select = None


def _forms_offered(real: dict[str, list[str]], sessions: dict[str, str]) -> dict:
    """Every form the pages offer, by the route and method it submits to: each route's page
    opened with real ids, logged out and by the owner (the admin's by the superuser).
    Hostile bodies and queries start from these, so they reach past a view's first check."""
    forms = defaultdict(list)
    for route in ROUTES:
        url = _real_url(route, real)
        if url is None or url.startswith(django_settings.CDN_BASE_URL):
            continue
        for actor in ("superuser" if url.startswith("/admin/") else "owner", "anonymous"):
            for method, target, fields in _forms_on(url, sessions.get(actor)):
                same = [[n for n, _ in f] for f in forms[target, method]]
                if [n for n, _ in fields] not in same:  # the log-out form is on every page
                    forms[target, method].append(fields)
    return dict(forms)


def _forms_on(url: str, session: str | None) -> Iterator[tuple[str, str, list]]:
    client = Client()
    if session:
        client.cookies[django_settings.SESSION_COOKIE_NAME] = session
    response = client.get(url)
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return
    page = _Forms()
    page.feed(response.content.decode())
    for action, method, fields in page.forms:
        try:
            target = resolve(urlsplit(urljoin(url, action)).path)
        except Resolver404:
            continue
        yield method, target.view_name, fields


def _real_url(route: Route, real: dict[str, list[str]]) -> str | None:
    """The route's address with the first real value of each parameter, if it has a name
    and real values for all its parameters."""
    parameters = {}
    for index, pattern in enumerate(route.chain):
        names = (
            pattern.converters if isinstance(pattern, RoutePattern) else pattern.regex.groupindex
        )
        admin_model = str(route.chain[index - 1]) if index else ""
        for name in names:
            values = real.get(name) or real.get(admin_model)
            if not values:
                return None
            parameters[name] = values[0]
    try:
        return reverse(route.name, kwargs=parameters) if route.name else None
    except NoReverseMatch:
        return None


# --- Hostile values ---------------------------------------------------------------------------

MALFORMED = [
    "not-a-uuid",
    "0",
    "-1",
    "00000000-0000-0000-0000-00000000000g",
    "{12345678-1234-5678-1234-567812345678}",
    "urn:uuid:12345678-1234-5678-1234-567812345678",
    "null",
    "undefined",
    "..",
    "../../etc/passwd",
    "'; DROP TABLE images_pet; --",
    "1e9",
    "9" * 30,
    " ",
    "\x00",
    "\u017f",  # long s: uppercases to S
]
LATIN1 = st.characters(codec="latin-1", exclude_categories=("Cc",))
header_text = st.text(LATIN1, max_size=60)
long_text = st.builds(
    lambda char, n: char * n, st.sampled_from("1a-%/é🐶\x00"), st.integers(300, 6000)
)
# Sent as they are, to be percent-decoded by the server: broken escapes, invalid UTF-8, NUL.
percent_junk = st.text("%0123456789abcdefABCDEFgz/.-_~", min_size=1, max_size=30)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(), children),
    max_leaves=8,
)


def weighted(*choices: tuple[int, st.SearchStrategy]) -> st.SearchStrategy:
    """One of the strategies, each as often as its weight says (``st.one_of`` drops a
    repeated strategy, so repeating one there does not weigh it)."""
    return st.sampled_from([s for weight, s in choices for _ in range(weight)]).flatmap(
        lambda strategy: strategy
    )


CONVERTER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<parameter>[^>]+)>")
TYPED = {
    UUIDConverter: st.uuids().map(str),
    IntConverter: st.integers(min_value=0, max_value=10**30).map(str),
}
CONTENT_TYPES = [
    "application/octet-stream",
    "application/json",
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=bogus",
    "multipart/form-data",
    "multipart/form-data; boundary=",
    MULTIPART_CONTENT,
    "text/plain",
]


@dataclass(frozen=True)
class HostileRequest:
    actor: str
    method: str
    url: str
    body: bytes
    content_type: str
    headers: dict[str, str]
    enforce_csrf: bool

    def __str__(self) -> str:
        return (
            f"{self.method} {self.url[:300]} as {self.actor} (CSRF enforced: {self.enforce_csrf})"
            f"\nheaders: {self.headers!r:.800}\nbody ({self.content_type}): {self.body[:300]!r}"
        )


class Junk:
    """The strategies for one world, made once: making strategies costs more than drawing."""

    def __init__(self, world: World):
        self.world = world
        plain = st.one_of(
            st.sampled_from(world.ids),
            st.uuids().map(str),
            st.sampled_from(MALFORMED),
            st.sampled_from(world.words),
            st.text(max_size=30),
            long_text,
        )
        self.text = st.one_of(plain, percent_junk)
        # In a path: percent-encoded, unless already (percent junk goes in as it is).
        self.segment = st.one_of(plain.map(lambda v: quote(v, safe="")), percent_junk)
        names = st.sampled_from(world.words) | st.text(max_size=12)
        self.form = st.dictionaries(names, st.sampled_from(world.ids) | self.text, max_size=6)
        self.query = st.one_of(st.just(""), self.form.map(urlencode), percent_junk)
        self.json, self.multipart, self.body = self._bodies()
        self.headers = self._headers()

    def path_part(self, pattern, chain) -> st.SearchStrategy[str]:
        """One pattern's stretch of path: converters replaced by drawn values; for regular
        expressions something that matches, or junk."""
        if isinstance(pattern, RegexPattern):
            matching = st.from_regex(pattern.regex, fullmatch=True)
            return st.one_of(matching.map(lambda v: quote(v, safe="/")), self.segment)
        parts, position, route = [], 0, str(pattern)
        for match in CONVERTER.finditer(route):
            converter = pattern.converters[match["parameter"]]
            parts += [st.just(route[position : match.start()]), self.value(match, converter, chain)]
            position = match.end()
        return st.tuples(*parts, st.just(route[position:])).map("".join)

    def value(self, match, converter, chain) -> st.SearchStrategy[str]:
        """Mostly a real value for this parameter (the request reaches its view), else a
        well-formed value of its type, or junk."""
        parameter = match["parameter"]
        admin_model = str(chain[-2]) if len(chain) > 2 else ""
        real = self.world.real.get(parameter) or self.world.real.get(admin_model)
        real = st.sampled_from(real or self.world.ids).map(lambda v: quote(v, safe="/"))
        if isinstance(converter, PathConverter):
            typed = st.lists(self.segment, min_size=1, max_size=3).map("/".join)
        else:
            typed = TYPED.get(type(converter), self.segment)
        return weighted((4, real), (1, typed), (1, self.segment))

    def requests(self, route: Route) -> st.SearchStrategy[HostileRequest]:
        parts = [
            self.path_part(pattern, route.chain[: i + 1]) for i, pattern in enumerate(route.chain)
        ]
        # The most privileged actor reaches the most code: the owner on the app's pages, staff
        # on the admin's. Routes with a natural body get more POSTs, mostly with that body.
        # Hypothesis draws the first of a list most often (the "simplest"), so these go first.
        in_admin = str(route).startswith("/admin/")
        actors = (("superuser", "staff_viewer") * 3 if in_admin else ("owner",) * 2) + ACTORS
        asked = self.forms_for(route, "GET")
        query = self.query if asked is None else st.one_of(self.query, asked.map(urlencode))
        natural = self.natural_body(route)
        body = self.body if natural is None else weighted((3, natural), (1, self.body))
        return st.builds(
            self.assemble,
            path=st.tuples(*parts).map(lambda p: "/" + "".join(p)),
            query=query,
            signed=st.sampled_from([True, True, True, False]),
            body=body,
            headers=self.headers,
            actor=st.sampled_from(actors),
            method=st.sampled_from((("POST",) * 3 if natural is not None else ()) + METHODS),
            # Mostly not: a refused token stops a request before the view.
            enforce_csrf=st.sampled_from([False, False, False, True]),
        )

    def natural_body(self, route: Route) -> st.SearchStrategy | None:
        """What the route is meant to be posted, mutated: the forms pages offer for it, JSON
        for the API, the upload form for the upload endpoint; ``None`` for the others."""
        posted = self.forms_for(route, "POST")
        if posted is not None:
            return posted.map(
                lambda f: (urlencode(f).encode(), "application/x-www-form-urlencoded")
            )
        if route.name and route.name.startswith("api_"):
            return self.json
        return self.multipart if route.name == "local_upload" else None

    def forms_for(self, route: Route, method: str) -> st.SearchStrategy | None:
        """The forms pages offer for this route, each field kept, made junk or left out, and
        a few fields added; ``None`` when no page offers one."""
        offered = self.world.forms.get((route.name, method))
        if not offered:
            return None
        names = st.sampled_from(self.world.words) | st.text(max_size=12)
        extra = st.lists(st.tuples(names, self.text), max_size=2)

        def mutated(fields):
            each = [
                weighted(
                    # A chosen option reaches further than the empty one ("---------").
                    (
                        2,
                        st.sampled_from(sorted(values, key=lambda v: v == "") or [""]).map(
                            lambda v, n=name: [(n, v)]
                        ),
                    ),
                    (1, self.text.map(lambda v, n=name: [(n, v)])),
                    (1, st.just([])),
                )
                for name, values in fields
            ]
            return st.tuples(*each, extra).map(lambda pairs: [p for part in pairs for p in part])

        return st.one_of(*(mutated(fields) for fields in offered))

    def assemble(self, *, path, query, signed, body, headers, **rest) -> HostileRequest:
        """A request from its parts: a signed query where one exists for the path, when
        drawn; a numeric Content-Length never above the body's length, since the test client
        cannot send a body shorter than it claims (tests/images/views/test_api.py covers the
        upload endpoint's refusal of a claim over the limit)."""
        signature = self.world.signed.get(path.removeprefix(f"{django_settings.CDN_BASE_URL}/"))
        if signed and signature:
            query = "&".join(filter(None, [signature, query]))
        data, content_type = body
        length = headers.get("CONTENT_LENGTH")
        if isinstance(length, int):
            headers = {**headers, "CONTENT_LENGTH": str(length % (len(data) + 1))}
        return HostileRequest(
            url=f"{path}?{query}" if query else path,
            body=data,
            content_type=content_type,
            headers=headers,
            **rest,
        )

    def _bodies(self) -> tuple[st.SearchStrategy, ...]:
        """Bodies with their Content-Type: JSON (the API's fields among it, or nested very
        deep); multipart (a real upload ticket's fields among it, and a file); and any of
        these, a form, garbage bytes or nothing."""
        upload_json = st.fixed_dictionaries(
            {},
            optional={
                "filename": json_values,
                "content_type": st.sampled_from(sorted(EXTENSIONS)) | json_values,
                "size": st.integers(min_value=-1, max_value=10**30) | json_values,
            },
        )
        as_json = st.one_of(
            (json_values | upload_json).map(lambda v: (json.dumps(v).encode(), "application/json")),
            # Nested past any parser's recursion limit.
            st.integers(min_value=1, max_value=100_000).map(
                lambda n: (b"[" * n, "application/json")
            ),
        )
        file = st.binary(max_size=2000).map(lambda data: SimpleUploadedFile("photo.jpg", data))
        ticket = st.sampled_from([self.world.ticket_fields, {}])
        fields = st.builds(lambda t, form, f: {**t, **form, "file": f}, ticket, self.form, file)
        multipart = fields.map(lambda f: (encode_multipart(BOUNDARY, f), MULTIPART_CONTENT))
        anything = st.one_of(
            st.just((b"", "application/octet-stream")),
            self.form.map(lambda f: (urlencode(f).encode(), "application/x-www-form-urlencoded")),
            as_json,
            multipart,
            st.tuples(st.binary(max_size=2000), st.sampled_from(CONTENT_TYPES)),
        )
        return as_json, multipart, anything

    def _headers(self) -> st.SearchStrategy[dict]:
        """Request headers, as WSGI names."""
        ranges = st.one_of(
            st.sampled_from(["bytes=0-", "bytes=-5", "bytes=5-1", "bytes=0-0,5-6", "bytes=x"]),
            st.integers(min_value=0, max_value=10**12).map(lambda n: f"bytes={n}-"),
            st.integers(min_value=1, max_value=6000).map(lambda n: "bytes=0-" + "9" * n),
            st.integers(min_value=1, max_value=6000).map(lambda n: f"bytes={'9' * n}-"),
            header_text,
        )
        dates = ["Sat, 29 Oct 1994 19:43:31 GMT", "Mon, 99 Foo 99999 99:99:99 GMT"]
        cookie_names = ["sessionid", "csrftoken", "messages", "CloudFront-Policy", "a b", ""]
        cookies = st.lists(st.tuples(st.sampled_from(cookie_names), header_text), max_size=3)
        optional = {
            "HTTP_RANGE": ranges,
            "HTTP_IF_NONE_MATCH": st.sampled_from(["*", '"abc"', 'W/"x", "y"']) | header_text,
            "HTTP_IF_MODIFIED_SINCE": st.sampled_from(dates) | header_text,
            "HTTP_IF_RANGE": header_text,
            "HTTP_X_FORWARDED_FOR": (
                st.lists(st.ip_addresses().map(str), max_size=4).map(", ".join) | header_text
            ),
            "HTTP_AUTHORIZATION": header_text.map(lambda token: f"Bearer {token}"),
            "HTTP_ACCEPT": st.sampled_from(["application/json", "text/html", "*/*", ";;;"]),
            "HTTP_REFERER": header_text,
            "HTTP_ORIGIN": header_text,
            # Junk for the cookie header; the actor's session cookie goes first (send()).
            "HTTP_COOKIE": cookies.map(lambda p: "; ".join(f"{k}={v}" for k, v in p)) | header_text,
            # An int is a length, made to fit the body (assemble()).
            "CONTENT_LENGTH": st.integers(min_value=0)
            | st.sampled_from(["abc", "-1", " ", "١٢", "9" * 30, "9" * 5000]),
        }
        return st.fixed_dictionaries({}, optional=optional)


@pytest.fixture(scope="module")
def junk(world: World) -> Junk:
    return Junk(world)


# --- The property -----------------------------------------------------------------------------


def send(request: HostileRequest, world: World) -> tuple[int, str]:
    """The status, and the traceback of any exception the request raised (streamed bodies
    included), in a savepoint rolled back afterwards."""
    forget_active_key()
    cache.clear()
    client = Client(enforce_csrf_checks=request.enforce_csrf, raise_request_exception=False)
    session = world.sessions.get(request.actor)
    cookie = "; ".join(
        filter(None, [session and f"sessionid={session}", request.headers.get("HTTP_COOKIE")])
    )
    with transaction.atomic():
        response = client.generic(
            request.method,
            request.url,
            data=request.body,
            content_type=request.content_type,
            **{**request.headers, "HTTP_COOKIE": cookie},
        )
        failure = ""
        if response.exc_info:
            failure = "".join(traceback.format_exception(*response.exc_info))
        try:
            # Streamed to its end, as a server would; the client closes the response then.
            if response.streaming:
                b"".join(response.streaming_content)
        except Exception:  # a body that fails to stream is a server error too
            failure = traceback.format_exc()
        transaction.set_rollback(True)
    return response.status_code, failure


def examples_for(route: Route, world: World) -> int:
    rich = route.name in RICH_ROUTES or (route.name, "POST") in world.forms
    if str(route).startswith("/admin/"):
        examples = EXAMPLES_PER_RICH_ADMIN_ROUTE if rich else EXAMPLES_PER_ADMIN_ROUTE
    else:
        examples = EXAMPLES_PER_RICH_ROUTE if rich else EXAMPLES_PER_ROUTE
    return examples * SCALE


def property_settings(route: Route, world: World):
    return settings(
        max_examples=examples_for(route, world),
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,  # each request rolls its writes back
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_no_hostile_request_gets_a_server_error(world, junk, stored, route):
    @property_settings(route, world)
    @given(request=junk.requests(route))
    def no_server_error(request: HostileRequest) -> None:
        status, failure = send(request, world)
        assert not failure, f"{status} for {request}\n{failure}"
        assert status < 500, f"{status} for {request}"

    no_server_error()
