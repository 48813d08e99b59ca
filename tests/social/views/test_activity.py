"""The activity on the pages: home's News, the activity page (which marks it read) and the
header's count of unread news on every page."""

import datetime
import re

import pytest
from django.core.cache import cache
from django.utils import dateformat, timezone

import social.context_processors
import social.models
from social.models import ActivityRead
from social.views import activity as activity_view
from tests.factories import PetFactory
from tests.social.activity_helpers import added, ago, commented, liked

pytestmark = pytest.mark.django_db


def news(html: str) -> list[str]:
    """The text of each piece of news on a page, "New" included when it says so."""
    items = re.findall(r'<li class="news-item[^"]*">(.*?)</li>', html, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


def badge(html: str) -> str | None:
    """The count the header's Activity link shows, if any."""
    link = re.search(r'<a class="activity-link"[^>]*>(.*?)</a>', html, re.S)
    assert link, "no Activity link in the header"
    assert '<span class="activity-word">Activity</span>' in link.group(1)
    count = re.search(r'<span class="badge">([^<]+)</span>', link.group(1))
    return count.group(1) if count else None


@pytest.fixture
def news_for_owner(pet, owner, friend, contributor):
    """The owner's news: the contributor added three photos an hour ago, the friend liked and
    commented on one of the owner's photos just now."""
    mine = added(pet, owner, at=ago(days=2))
    for minutes in (70, 65, 60):
        added(pet, contributor, at=ago(minutes=minutes))
    liked(mine, friend, at=ago(minutes=2))
    commented(mine, friend, at=ago(seconds=20))
    return mine


# --- Home's News ----------------------------------------------------------------------------


def test_home_shows_the_news_newest_first_unread_ones_marked(actors, news_for_owner):
    html = actors["owner"].get("/").content.decode()
    assert news(html) == [
        "New friend commented on your photo of Biscuit just now",
        "New friend liked your photo of Biscuit 2 minutes ago",
        "New contributor added 3 photos of Biscuit 1 hour ago",
    ]
    assert '<h2 id="news-heading">News</h2>' in html
    assert 'href="/activity/"' in html


def test_each_piece_of_news_leads_where_it_happened(actors, pet, news_for_owner):
    html = actors["owner"].get("/").content.decode()
    photo = news_for_owner.pk
    assert f'<a class="news-link" href="/photos/{photo}/#comments">' in html
    assert f'<a class="news-link" href="/photos/{photo}/">' in html  # the liked photo
    assert f'<a class="news-link" href="/pets/{pet.pk}/">' in html  # the added photos


def test_the_time_is_machine_readable_and_said_in_words(actors, news_for_owner):
    html = actors["owner"].get("/").content.decode()
    assert re.search(
        r'<time datetime="\d{4}-\d\d-\d\dT[^"]+" title="[^"]+">1\xa0hour ago</time>', html
    )


@pytest.mark.parametrize("zone", ["UTC", "Pacific/Chatham"])
def test_the_times_say_what_djangos_date_filter_says_on_the_sites_clock(
    actors, news_for_owner, settings, zone
):
    settings.TIME_ZONE = zone
    html = actors["owner"].get("/").content.decode()
    times = re.findall(r'<time datetime="([^"]+)" title="([^"]+)">', html)
    assert len(times) == 3
    for machine, words in times:
        moment = timezone.localtime(datetime.datetime.fromisoformat(machine))
        assert machine == dateformat.format(moment, "c")
        assert words == dateformat.format(moment, "j F Y, H:i")


def test_added_photos_show_their_thumbnails_whose_pet_the_page_grants(actors, pet, news_for_owner):
    response = actors["owner"].get("/")
    html = response.content.decode()
    thumbs = re.findall(r'<span class="news-thumbs">(.*?)</span>', html, re.S)
    assert len(thumbs) == 1
    assert thumbs[0].count("<img") == 3
    assert f"/cdn/renditions/{pet.pk}/" in thumbs[0]
    assert f"Path=/cdn/renditions/{pet.pk}/" in str(response.cookies)


def test_home_shows_no_news_section_when_there_is_none(actors, pet):
    assert "news-heading" not in actors["owner"].get("/").content.decode()


def test_visiting_home_marks_nothing_read(actors, owner, news_for_owner):
    actors["owner"].get("/")
    assert not ActivityRead.objects.filter(user=owner).exists()


def test_home_shows_ten_pieces_of_news_at_most(actors, owner, stranger):
    for i in range(12):  # twelve pets of the stranger's, each shared with the owner
        other = PetFactory(owner=stranger, name=f"Pet {i}")
        other.shares.create(grantee=owner, role="viewer")
        added(other, stranger)
    assert len(news(actors["owner"].get("/").content.decode())) == 10


def test_news_is_escaped(actors, pet, contributor):
    pet.name = "<script>alert(1)</script>"
    pet.save()
    added(pet, contributor)
    html = actors["owner"].get("/").content.decode()
    assert "<script>alert(1)" not in html
    assert "added a photo of &lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_homes_queries_do_not_grow_with_the_news_and_a_cached_summary_costs_none(
    actors, pet, owner, friend, contributor, django_assert_max_num_queries
):
    def grow():
        for _ in range(3):
            photo = added(pet, contributor, at=ago(hours=len(added_ids) * 3))
            added_ids.append(photo.pk)
            commented(photo, friend)
            liked(added(pet, owner), friend)

    added_ids: list = []
    grow()
    actors["owner"].get("/")  # the pets' cookies' grants stored
    with django_assert_max_num_queries(9):  # as home without news (tests/images/views/test_home.py)
        actors["owner"].get("/")
    cache.clear()
    with django_assert_max_num_queries(30) as cold:
        actors["owner"].get("/")
    grow()
    cache.clear()
    with django_assert_max_num_queries(len(cold)):
        actors["owner"].get("/")


# --- The activity page ----------------------------------------------------------------------


def test_the_activity_page_shows_the_news_then_marks_it_read(actors, owner, news_for_owner):
    html = actors["owner"].get("/activity/").content.decode()
    assert [n.startswith("New ") for n in news(html)] == [True, True, True]
    assert ActivityRead.objects.get(user=owner).seen_at > ago(minutes=2)
    again = actors["owner"].get("/activity/").content.decode()
    assert [n.startswith("New ") for n in news(again)] == [False, False, False]


def test_news_after_a_reading_is_new_and_the_rest_is_not(
    actors, owner, contributor, news_for_owner
):
    actors["owner"].get("/activity/")
    commented(news_for_owner, contributor)  # joins the friend's comment: that news is new again
    html = actors["owner"].get("/activity/").content.decode()
    assert news(html) == [
        "New contributor and friend commented on your photo of Biscuit just now",
        "friend liked your photo of Biscuit 2 minutes ago",
        "contributor added 3 photos of Biscuit 1 hour ago",
    ]


def test_it_reads_up_to_the_newest_news_shown_not_beyond(actors, owner, news_for_owner):
    newest = social.models.Comment.objects.get().created_at
    actors["owner"].get("/activity/")
    assert ActivityRead.objects.get(user=owner).seen_at == newest


def test_its_pages_are_read_each_to_their_newest_never_back(
    actors, owner, news_for_owner, monkeypatch
):
    monkeypatch.setattr(activity_view, "GROUPS_PER_PAGE", 2)
    first = actors["owner"].get("/activity/").content.decode()
    assert len(news(first)) == 2
    assert 'rel="next"' in first
    read = ActivityRead.objects.get(user=owner).seen_at
    second = actors["owner"].get("/activity/?page=2").content.decode()
    assert news(second) == ["contributor added 3 photos of Biscuit 1 hour ago"]
    assert ActivityRead.objects.get(user=owner).seen_at == read


def test_with_nothing_to_show_it_says_so_and_marks_nothing(actors, stranger):
    html = actors["stranger"].get("/activity/").content.decode()
    assert "Nothing yet." in html
    assert not ActivityRead.objects.filter(user=stranger).exists()


def test_the_activity_page_grants_the_pets_of_its_thumbnails(actors, pet, news_for_owner):
    response = actors["owner"].get("/activity/")
    assert f"Path=/cdn/renditions/{pet.pk}/" in str(response.cookies)


# --- The header's count ---------------------------------------------------------------------


def test_the_header_counts_the_unread_news_for_people_and_screen_readers(actors, news_for_owner):
    html = actors["owner"].get("/pets/").content.decode()
    assert badge(html) == "3"
    assert 'aria-label="Activity, 3 unread"' in html


def test_the_activity_page_clears_the_count(actors, news_for_owner):
    actors["owner"].get("/pets/")  # the count, cached
    html = actors["owner"].get("/activity/").content.decode()
    assert badge(html) is None
    assert 'aria-current="page"' in re.search(r'<a class="activity-link"[^>]*>', html).group(0)
    assert badge(actors["owner"].get("/pets/").content.decode()) is None


def test_the_activity_page_reads_the_activity_once(actors, news_for_owner, monkeypatch):
    """Having read everything up to its newest news, the page knows its header's count (none)
    without reading the activity again for it."""
    reads = []
    real = activity_view.activity_of
    monkeypatch.setattr(
        activity_view, "activity_of", lambda *a, **k: reads.append(1) or real(*a, **k)
    )
    monkeypatch.setattr(
        social.models, "activity_of", lambda *a, **k: reads.append(2) or real(*a, **k)
    )
    html = actors["owner"].get("/activity/").content.decode()
    assert badge(html) is None
    assert reads == [1]


def test_a_later_page_of_the_activity_still_counts_what_is_unread(
    actors, news_for_owner, monkeypatch
):
    monkeypatch.setattr(activity_view, "GROUPS_PER_PAGE", 2)
    html = actors["owner"].get("/activity/?page=2").content.decode()
    assert badge(html) == "2"  # the page read the oldest news; the two newer are unread


def test_with_nothing_unread_the_link_has_no_count(actors, pet):
    html = actors["owner"].get("/pets/").content.decode()
    assert badge(html) is None
    assert "unread" not in html


def test_past_99_the_count_says_99_plus(actors, owner):
    summary = social.models.Summary(unread=100, groups=[], seen_at=None, thumbs={})
    cache.set(social.models.summary_cache_key(owner.pk), summary)
    html = actors["owner"].get("/pets/").content.decode()
    assert badge(html) == "99+"
    assert 'aria-label="Activity, 99+ unread"' in html


def test_visitors_have_no_activity_link(client, pet):
    assert "activity-link" not in client.get("/accounts/login/").content.decode()


def test_the_count_is_read_only_when_a_page_shows_it(rf, owner, monkeypatch):
    asked = []
    monkeypatch.setattr(social.context_processors, "unread_activity_count", asked.append)
    request = rf.get("/")
    request.user = owner
    context = social.context_processors.activity(request)
    assert asked == []
    assert context["activity_unread"].count is None  # what the stand-in returned
    assert asked == [owner]


def test_comments_on_someone_elses_photo_of_a_pet_one_sees_are_on_a_photo(
    actors, pet, owner, friend, contributor
):
    theirs = added(pet, contributor, at=ago(days=2))
    commented(theirs, friend, at=ago(seconds=20))
    html = actors["owner"].get("/").content.decode()
    assert news(html)[0] == "New friend commented on a photo of Biscuit just now"
