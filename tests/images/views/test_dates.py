"""Dates taken on the pages: galleries, share-link galleries and home by date taken with month
headings, the photo page saying when it was taken and letting the owner correct it, the API's
``taken_at``."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from images.models import Photo
from images.views.common import PAGE_SIZE
from images.views.tiles import MONTH_NAMES
from tests.factories import ready_photo

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


def at(*parts: int, hours: float = 0) -> datetime.datetime:
    return datetime.datetime(*parts, tzinfo=datetime.timezone(datetime.timedelta(hours=hours)))


def taken(pet, when: datetime.datetime, **fields) -> Photo:
    offset = int(when.utcoffset().total_seconds() // 60)
    return ready_photo(
        pet=pet, taken_at=when, taken_at_source="exif", taken_at_offset=offset, **fields
    )


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- Galleries -------------------------------------------------------------------------------


def test_the_gallery_is_by_date_taken_under_month_headings(owner, pet):
    march = taken(pet, at(2024, 3, 3, 14, 5))
    older = taken(pet, at(2023, 12, 25, 9, 0))
    late_march = taken(pet, at(2024, 3, 30, 8, 0))  # uploaded last, taken in between
    response = logged_in(owner).get(f"/pets/{pet.pk}/")
    assert [t.photo for t in response.context["tiles"]] == [late_march, march, older]
    html = response.content.decode()
    sections = re.findall(
        r'<section><h2 class="month">([^<]+)</h2><ul class="grid">(.*?)</ul></section>', html
    )
    assert [(month, body.count('<li class="tile"')) for month, body in sections] == [
        ("March 2024", 2),
        ("December 2023", 1),
    ]
    assert '<div class="gallery" id="gallery"' in html


def test_a_month_is_the_one_on_the_clock_where_the_photo_was_taken(owner, pet):
    taken(pet, at(2024, 3, 31, 23, 30, hours=-5))  # April in UTC
    html = logged_in(owner).get(f"/pets/{pet.pk}/").content.decode()
    assert '<h2 class="month">March 2024</h2>' in html


def test_photos_taken_at_the_same_moment_keep_one_order_across_pages(owner, pet):
    moment = at(2022, 6, 1, 12, 0)
    photos = [taken(pet, moment) for _ in range(PAGE_SIZE + 3)]
    client = logged_in(owner)
    pages = [client.get(f"/pets/{pet.pk}/", {"page": n}).context["tiles"] for n in (1, 2)]
    shown = [t.photo.pk for page in pages for t in page]
    assert sorted(shown) == sorted(p.pk for p in photos)  # none twice, none skipped
    assert len(set(shown)) == len(photos)


def test_the_gallerys_query_walks_an_index_in_its_order_without_sorting(owner, pet):
    if connection.vendor != "sqlite":
        pytest.skip("reads SQLite's query plan")
    taken(pet, at(2024, 1, 1))
    client = logged_in(owner)
    with CaptureQueriesContext(connection) as queries:
        client.get(f"/pets/{pet.pk}/")
    (sql,) = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith('SELECT "images_photo"') and '"taken_on" DESC' in q["sql"]
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        plan = " | ".join(row[-1] for row in cursor.fetchall())
    assert "photo_gallery_day_idx" in plan
    assert "TEMP B-TREE" not in plan


def test_a_share_links_gallery_is_by_date_taken_with_headings(pet, link_token):
    new = taken(pet, at(2024, 5, 1))
    old = taken(pet, at(2019, 5, 1))
    response = Client().get(f"/s/{link_token}/")
    assert [t.photo for t in response.context["tiles"]] == [new, old]
    assert '<h2 class="month">May 2019</h2>' in response.content.decode()


def test_home_shows_the_photos_taken_last(owner, pet):
    old = taken(pet, at(2010, 1, 1))
    new = taken(pet, at(2024, 1, 1))
    recent = [t.photo for t in logged_in(owner).get("/").context["recent"]]
    assert recent == [new, old]


# --- The photo page --------------------------------------------------------------------------


def test_the_photo_page_says_when_on_the_places_clock(friend, pet):
    photo = taken(pet, at(2024, 3, 3, 14, 5, hours=1))
    html = logged_in(friend).get(f"/photos/{photo.pk}/").content.decode()
    assert re.search(
        r"Taken <time datetime=\"2024-03-03T13:05:00[^\"]*\">3 March 2024, 14:05</time>", html
    )
    assert 'name="taken_at"' not in html  # only the owner corrects it


def test_newer_and_older_follow_the_date_taken(owner, pet):
    middle = taken(pet, at(2020, 1, 1))
    newest = taken(pet, at(2024, 1, 1))
    oldest = taken(pet, at(2010, 1, 1))
    context = logged_in(owner).get(f"/photos/{middle.pk}/").context
    assert (context["newer"], context["older"]) == (newest, oldest)


def test_the_owners_form_shows_the_date_on_the_places_clock(owner, pet):
    photo = taken(pet, at(2024, 3, 3, 14, 5, hours=1))
    html = logged_in(owner).get(f"/photos/{photo.pk}/").content.decode()
    assert re.search(r'<input type="datetime-local" name="taken_at" value="2024-03-03T14:05"', html)


def test_the_owner_corrects_the_date_on_the_places_clock(owner, pet):
    photo = taken(pet, at(2024, 3, 3, 14, 5, hours=1))
    response = logged_in(owner).post(f"/photos/{photo.pk}/taken/", {"taken_at": "2023-02-01T10:30"})
    assert response.status_code == 302
    photo.refresh_from_db()
    assert photo.taken_at == at(2023, 2, 1, 10, 30, hours=1)
    assert photo.taken_at_source == Photo.TakenAtSource.OWNER


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("2999-01-01T10:00", "That is in the future"),
        ("1800-01-01T10:00", "Photography began in 1826"),
        ("last tuesday", "Give a date and a time"),
        ("", "This field is required"),
    ],
)
def test_a_wrong_date_is_refused_with_a_reason_and_nothing_changes(owner, pet, typed, message):
    photo = taken(pet, at(2024, 3, 3, 14, 5))
    response = logged_in(owner).post(f"/photos/{photo.pk}/taken/", {"taken_at": typed})
    assert response.status_code == 400
    assert message in response.content.decode()
    photo.refresh_from_db()
    assert photo.taken_at == at(2024, 3, 3, 14, 5)


@pytest.mark.parametrize("who", ["friend", "contributor", "stranger"])
def test_only_the_owner_corrects_the_date_others_get_404(request, pet, who):
    photo = taken(pet, at(2024, 3, 3, 14, 5))
    client = logged_in(request.getfixturevalue(who))
    response = client.post(f"/photos/{photo.pk}/taken/", {"taken_at": "2020-01-01T10:00"})
    assert response.status_code == 404
    photo.refresh_from_db()
    assert photo.taken_at == at(2024, 3, 3, 14, 5)


def test_correcting_the_date_needs_a_login_a_post_and_the_csrf_token(owner, pet):
    photo = taken(pet, at(2024, 3, 3, 14, 5))
    url = f"/photos/{photo.pk}/taken/"
    assert Client().post(url, {"taken_at": "2020-01-01T10:00"}).status_code == 302  # log in
    assert logged_in(owner).get(url).status_code == 405
    guarded = Client(enforce_csrf_checks=True)
    guarded.force_login(owner)
    assert guarded.post(url, {"taken_at": "2020-01-01T10:00"}).status_code == 403
    photo.refresh_from_db()
    assert photo.taken_at == at(2024, 3, 3, 14, 5)


# --- The API ---------------------------------------------------------------------------------


def test_the_api_gives_the_date_taken_in_iso_8601_with_the_places_offset(friend, pet):
    photo = taken(pet, at(2024, 3, 3, 14, 5, hours=-4))
    body = logged_in(friend).get(f"/api/photos/{photo.pk}").json()
    assert body["taken_at"] == "2024-03-03T14:05:00-04:00"
    assert datetime.datetime.fromisoformat(body["taken_at"]) == photo.taken_at


def test_a_photo_dated_by_its_upload_is_given_in_utc(friend, pet):
    photo = ready_photo(pet=pet)
    body = logged_in(friend).get(f"/api/photos/{photo.pk}").json()
    assert datetime.datetime.fromisoformat(body["taken_at"]) == photo.taken_at
    assert body["taken_at"].endswith("+00:00")


def test_months_follow_the_places_clock_without_repeating_a_heading(owner, pet):
    march_in_new_york = taken(pet, at(2024, 3, 31, 23, 30, hours=-4))  # 1 April, 03:30 UTC
    april_in_paris = taken(pet, at(2024, 4, 1, 1, 0, hours=1))  # 1 April, 00:00 UTC
    earlier_in_march = taken(pet, at(2024, 3, 20, 12))
    response = logged_in(owner).get(f"/pets/{pet.pk}/")
    months = re.findall(r'<h2 class="month">([^<]+)</h2>', response.content.decode())
    assert months == ["April 2024", "March 2024"]
    order = [t.photo for t in response.context["tiles"]]
    assert order == [april_in_paris, march_in_new_york, earlier_in_march]


def test_on_this_day_is_the_day_the_photo_page_shows(owner, pet):
    today = timezone.localdate()
    if (today.month, today.day) == (2, 29):
        pytest.skip("no 29 February two years ago")
    # 21:00 in New York two years ago today: the next day in UTC.
    evening = taken(pet, at(today.year - 2, today.month, today.day, 21, hours=-4))
    client = logged_in(owner)
    assert [t.photo for t in client.get("/").context["on_this_day"]] == [evening]
    page = client.get(f"/photos/{evening.pk}/").content.decode()
    assert f">{today.day} {MONTH_NAMES[today.month]} {today.year - 2}, 21:00</time>" in page
