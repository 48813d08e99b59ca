"""activity_mark_read: how far each person has read, forward only."""

import datetime

import pytest
from django.core.cache import cache
from django.utils import timezone

from social.models import ActivityRead, summary_cache_key, unread_cache_key
from social.services.activity import activity_mark_read
from tests.social.activity_helpers import ago

pytestmark = pytest.mark.django_db


def seen_at(user):
    return ActivityRead.objects.get(user=user).seen_at


def test_the_first_reading_records_how_far(owner):
    until = ago(hours=1)
    assert activity_mark_read(user=owner, until=until) == until
    assert seen_at(owner) == until


def test_reading_further_moves_it_forward(owner):
    activity_mark_read(user=owner, until=ago(hours=2))
    later = ago(hours=1)
    activity_mark_read(user=owner, until=later)
    assert seen_at(owner) == later


def test_an_older_page_read_later_never_moves_it_back(owner):
    newest = ago(hours=1)
    activity_mark_read(user=owner, until=newest)
    assert activity_mark_read(user=owner, until=ago(days=3)) == newest
    assert seen_at(owner) == newest


def test_it_never_reads_into_the_future(owner):
    activity_mark_read(user=owner, until=timezone.now() + datetime.timedelta(days=1))
    assert seen_at(owner) <= timezone.now()


def test_each_person_reads_for_themself(owner, friend):
    activity_mark_read(user=owner, until=ago(hours=1))
    assert not ActivityRead.objects.filter(user=friend).exists()


def test_it_forgets_the_cached_summary_and_count_now_and_after_commit(
    owner, django_capture_on_commit_callbacks
):
    keys = [summary_cache_key(owner.pk), unread_cache_key(owner.pk)]
    cache.set_many(dict.fromkeys(keys, 7))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        activity_mark_read(user=owner, until=ago(hours=1))
    assert cache.get_many(keys) == {}
    cache.set_many(dict.fromkeys(keys, 7))  # a page that read the old ones meanwhile
    for callback in callbacks:
        callback()
    assert cache.get_many(keys) == {}
