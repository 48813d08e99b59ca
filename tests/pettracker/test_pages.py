"""Pages kept in the cache (``pettracker.pages``), as the gallery keeps them: the site's frame
always says what this request would, and nobody fills the cache with addresses of their own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.services import user_set_theme
from images.views.common import PAGE_SIZE
from pettracker.pages import FRAME_NAMES
from tests.factories import ready_photo

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("signing_key")]

BASE = Path(settings.BASE_DIR) / "templates" / "base.html"


def test_the_frame_reads_nothing_of_its_context_but_what_keys_kept_pages():
    source = re.sub(r'"[^"]*"|\'[^\']*\'', '""', BASE.read_text())  # quoted words aside
    expressions = re.findall(r"{{\s*([^}|]+)", source) + re.findall(
        r"{%\s*(?:if|with|for|elif)\s+([^%]+)%}", source
    )
    names = {
        word.split(".")[0]
        for expression in expressions
        for word in re.findall(r"[A-Za-z_][\w.]*", expression)
    }
    # Set by the template itself ({% url ... as x %}, {% with %}, {% for %}) or words of the
    # template language.
    own = set(re.findall(r"\bas (\w+)", source)) | set(re.findall(r"{% with (\w+)=", source))
    own |= set(re.findall(r"{% for (\w+)(?:, (\w+))? in", source)[0]) | {"message"}
    language = {"and", "or", "not", "in", "is", "None", "True", "False"}
    unnamed = names - own - language - FRAME_NAMES - {""}
    assert not unnamed, f"base.html reads {unnamed}: name it in pettracker.pages.frame_facts"


def visit(client, user, pet, **params):
    client.force_login(user)
    return client.get(f"/pets/{pet.pk}/", params)


def queries_of(client, pet, **params) -> int:
    with CaptureQueriesContext(connection) as done:
        assert client.get(f"/pets/{pet.pk}/", params).status_code == 200
    return len(done.captured_queries)


@pytest.fixture
def shown(client, friend, pet):
    photo = ready_photo(pet=pet)
    visit(client, friend, pet)
    return photo


def test_a_kept_page_asked_again_is_read_from_the_cache(client, pet, shown):
    assert queries_of(client, pet) == 2  # the user, and who sees the pet


def test_a_new_theme_is_on_the_next_page(client, friend, pet, shown):
    user_set_theme(user=friend, theme="dark")
    assert 'data-theme="dark"' in visit(client, friend, pet).content.decode()


def test_a_message_waiting_is_shown_once_not_kept(client, owner, pet):
    photo = ready_photo(pet=pet)
    visit(client, owner, pet)  # kept
    # Making the photo the cover leaves a message for the next page, which is the photo's:
    # the gallery, asked next, is the page that shows it.
    client.post(f"/photos/{photo.pk}/cover/")
    assert "is now" in client.get(f"/pets/{pet.pk}/").content.decode()
    assert "is now" not in client.get(f"/pets/{pet.pk}/").content.decode()


def test_addresses_with_other_parameters_are_made_afresh_and_not_kept(client, pet, shown):
    made = queries_of(client, pet, utm_source="mail")
    assert made > 2
    assert queries_of(client, pet, utm_source="mail") == made


@pytest.mark.parametrize(
    "query",
    [
        "page=01",
        "page=0001",
        "page=1&&",
        "&page=1",
        "%70age=1",
        "select=1&page=1",
        "page=1&page=1",
        "page=\u0661",  # an Arabic-Indic one
        "page=5",  # past the last
        "select=2",
    ],
)
def test_only_a_pages_one_address_is_kept(client, friend, pet, shown, query):
    client.force_login(friend)
    address = f"/pets/{pet.pk}/?{query}"
    with CaptureQueriesContext(connection) as first:
        assert client.get(address).status_code == 200
    with CaptureQueriesContext(connection) as again:
        client.get(address)
    assert len(again.captured_queries) == len(first.captured_queries) > 2


def test_one_person_asking_many_spellings_of_a_page_leaves_one_kept_page(
    client, friend, pet, shown
):
    from django.core.cache import cache

    client.force_login(friend)
    for n in range(1, 21):
        client.get(f"/pets/{pet.pk}/?page={'0' * n}1")
        client.get(f"/pets/{pet.pk}/?page=1{'&' * n}")
    kept = [key for key in cache._cache if ":page:" in key]  # LocMemCache's keys
    assert len(kept) == 1  # the fixture's visit (no address): none of these


def test_the_csrf_placeholder_typed_by_a_person_stays_words(client, owner, friend, pet):
    ready_photo(pet=pet, caption="csrf-token-of-the-request")
    visit(client, friend, pet)
    html = visit(client, friend, pet).content.decode()
    (token,) = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html))
    assert token != "csrf-token-of-the-request"
    assert html.count(token) == html.count('name="csrfmiddlewaretoken"')
    assert "csrf-token-of-the-request" in html  # the caption, as typed


def test_every_page_that_exists_is_kept_with_and_without_the_select_mode(client, pet, shown):
    for _ in range(PAGE_SIZE):
        ready_photo(pet=pet)
    for params in ({"page": "2"}, {"page": "2", "select": "1"}, {"select": "1"}, {"page": "1"}):
        queries_of(client, pet, **params)
        assert queries_of(client, pet, **params) == 2, params


def test_a_regrant_is_made_afresh(client, friend, pet, shown):
    """gallery.js asks the page again for the cookies of an image refused: whatever the cache
    holds, the answer is the page as it is now."""
    client.force_login(friend)
    with CaptureQueriesContext(connection) as regrant:
        client.get(f"/pets/{pet.pk}/", headers={"X-Regrant": "1"})
    assert len(regrant.captured_queries) > 2


def test_news_counted_in_the_header_is_on_the_next_kept_page(client, owner, friend, pet, shown):
    from social.models import forget_activity_summary
    from social.services.comments import comment_create

    assert 'class="badge"' not in visit(client, friend, pet).content.decode()
    comment_create(author=owner, photo=shown, text="Look at him")
    forget_activity_summary(friend.pk)  # as the count's minute in the cache runs out
    assert 'class="badge">1<' in visit(client, friend, pet).content.decode()


def kept_keys(store) -> list[str]:
    return [key for key in store._cache if ":page:" in key]  # LocMemCache's keys


def test_a_page_kept_by_this_process_is_read_without_asking_the_shared_cache(
    client, friend, pet, shown
):
    from django.core.cache import cache, caches

    assert kept_keys(caches["pages"]) == kept_keys(cache) != []
    cache.clear()  # the shared copy gone (evicted, Redis flushed), the session's with it
    html = client.get(f"/pets/{pet.pk}/").content.decode()
    assert kept_keys(cache) == []  # read from this process's memory: not made again
    assert pet.name in html


def test_a_page_kept_by_another_process_is_copied_into_this_ones(client, friend, pet, shown):
    from django.core.cache import cache, caches

    caches["pages"].clear()  # this process has not seen it: another one made it
    assert queries_of(client, pet) == 2
    assert kept_keys(caches["pages"]) == kept_keys(cache) != []


def test_a_change_is_on_the_next_page_whatever_this_process_kept(client, owner, friend, pet, shown):
    from images.services.photos import photo_update_caption

    visit(client, friend, pet)
    photo_update_caption(photo=shown, caption="Asleep on the sofa")
    assert "Asleep on the sofa" in visit(client, friend, pet).content.decode()


def test_a_page_made_afresh_reads_the_headers_count_once(client, friend, pet, monkeypatch):
    import social.context_processors

    reads = []
    counted = social.context_processors.unread_activity_count
    monkeypatch.setattr(
        social.context_processors,
        "unread_activity_count",
        lambda user: reads.append(user.pk) or counted(user),
    )
    ready_photo(pet=pet)
    html = visit(client, friend, pet).content.decode()  # made: its key and its header
    assert reads == [friend.pk]
    assert 'class="activity-link"' in html
