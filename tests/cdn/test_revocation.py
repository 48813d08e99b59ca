"""Access floors: the rule, raising them in the caller's transaction, sending the push after
commit, pushing them to the KeyValueStore with backoff, pruning them, and the local edge's
cache."""

import datetime
import json
import os
import subprocess
import sys
import uuid

import pytest
from django.conf import settings as django_settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cdn import revocation
from cdn.keyvaluestore import KvsError, StaleETag
from cdn.models import AccessFloor, AccessFloorQuerySet
from cdn.revocation import (
    CLOCK_SKEW_SECONDS,
    PRUNE_SLACK_SECONDS,
    PUSH_TASK,
    FloorCache,
    access_floors,
    access_floors_prune,
    access_floors_push,
    floor_admits,
    prunable_below,
    raised_floor,
    renditions_revoke,
)
from cdn.signer import CLOCK_SKEW_SECONDS as EDGE_CLOCK_SKEW_SECONDS
from cdn.signer import grant_start, window_expiry
from cdn.tasks import prune_access_floors, push_access_floors
from pettracker.celery import app

PET = uuid.UUID("11111111-1111-4111-8111-111111111111")
OTHER_PET = uuid.UUID("99999999-9999-4999-8999-999999999999")
NOW = 1_900_000_000


# --- The rule ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("date_greater_than", "floor", "admitted"),
    [
        (None, None, True),  # never revoked: any grant
        (123, None, True),
        (None, 1, False),  # no DateGreaterThan counts as 0
        (NOW - 1, NOW, False),
        (NOW, NOW, True),
        (NOW + 1, NOW, True),
    ],
)
def test_a_grant_is_admitted_from_the_floor_on(date_greater_than, floor, admitted):
    assert floor_admits(date_greater_than, floor) is admitted


def test_a_floor_rises_above_every_earlier_grant_and_lies_in_the_past():
    first = raised_floor(None, NOW)
    assert first == NOW - CLOCK_SKEW_SECONDS == NOW - 59
    assert raised_floor(first, NOW) == first + 1  # again at once: above the grants since
    assert raised_floor(first, NOW + 30) == NOW + 30 - 59
    assert raised_floor(first + 100, NOW + 30) == first + 101  # a later floor stays below


# --- Raising floors ------------------------------------------------------------------------


@pytest.fixture
def sent(monkeypatch):
    """The push tasks sent (by name, through the Celery app)."""
    calls = []
    monkeypatch.setattr(app.tasks[PUSH_TASK], "delay", lambda: calls.append(PUSH_TASK))
    return calls


def test_the_push_task_is_registered_under_its_name():
    assert PUSH_TASK in app.tasks
    assert app.tasks[PUSH_TASK].name == push_access_floors.name == PUSH_TASK


# What a web process (gunicorn, runserver) has registered: it never autodiscovers tasks as a
# worker does, so a task queued by name from a page must be imported by its app's ready().
WEB_PROCESS_TASKS = """
import json, django
django.setup()
from pettracker.celery import app
print(json.dumps(sorted(app.tasks)))
"""


@pytest.mark.slow  # a process of its own
def test_a_web_process_has_every_task_it_may_queue_registered():
    """A revocation in a page queued the push by name and got NotRegistered: cdn.tasks was
    imported only by the workers."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "pettracker.settings"}
    done = subprocess.run(
        [sys.executable, "-c", WEB_PROCESS_TASKS],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    registered = set(json.loads(done.stdout.strip().splitlines()[-1]))
    beat = {entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert PUSH_TASK in registered
    assert beat <= registered


def test_beat_pushes_floors_every_ten_seconds():
    (entry,) = [
        entry
        for entry in django_settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == PUSH_TASK
    ]
    assert entry["schedule"] == 10


@pytest.mark.django_db
def test_a_revocation_raises_the_floors_and_sends_the_push_after_commit(
    sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        floors = renditions_revoke([PET, str(OTHER_PET)], now=NOW)
        assert sent == []  # not before commit
    assert floors == {PET: NOW - 59, OTHER_PET: NOW - 59}
    assert sent == [PUSH_TASK]
    assert access_floors([PET, OTHER_PET, uuid.uuid4()]) == floors
    row = AccessFloor.objects.get(pk=PET)
    assert row.pushed_floor is None
    assert row.not_before <= timezone.now()


@pytest.mark.django_db
def test_revoking_again_raises_the_floor_even_within_the_same_second(sent):
    (first,) = renditions_revoke([PET], now=NOW).values()
    (second,) = renditions_revoke((pet for pet in [PET]), now=NOW).values()
    assert second == first + 1
    assert renditions_revoke([PET], now=NOW - 3600) == {PET: second + 1}  # a clock gone back


@pytest.mark.django_db
def test_a_revocation_resets_a_backing_off_push(sent):
    later = timezone.now() + datetime.timedelta(hours=1)
    AccessFloor.objects.create(pet_id=PET, floor=5, attempts=7, last_error="x", not_before=later)
    renditions_revoke([PET], now=NOW)
    row = AccessFloor.objects.get(pk=PET)
    assert (row.attempts, row.last_error) == (0, "")
    assert row.not_before <= timezone.now()


@pytest.mark.django_db
def test_a_revocation_rolled_back_leaves_no_floor_and_sends_nothing(
    sent, django_capture_on_commit_callbacks
):
    def revoke_then_fail():
        with transaction.atomic():
            renditions_revoke([PET], now=NOW)
            raise RuntimeError("the caller's transaction fails")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        revoke_then_fail()
    assert not AccessFloor.objects.exists()
    assert sent == []


@pytest.mark.django_db
def test_a_broker_that_does_not_answer_fails_nothing(
    monkeypatch, django_capture_on_commit_callbacks
):
    def down():
        raise OSError("the broker is down")

    monkeypatch.setattr(app.tasks[PUSH_TASK], "delay", down)
    with django_capture_on_commit_callbacks(execute=True):
        renditions_revoke([PET], now=NOW)
    # Beat's sweep pushes it: the row is due.
    assert list(AccessFloor.objects.due().values_list("pk", flat=True)) == [PET]


@pytest.mark.django_db
def test_floors_are_read_in_one_query_and_nothing_is_asked_for_no_pet():
    AccessFloor.objects.create(pet_id=PET, floor=NOW)
    with CaptureQueriesContext(connection) as context:
        assert access_floors([]) == {}
    assert len(context.captured_queries) == 0
    with CaptureQueriesContext(connection) as context:
        assert access_floors([PET, OTHER_PET]) == {PET: NOW}
    assert len(context.captured_queries) == 1


# --- Pushing -------------------------------------------------------------------------------


class FakeStore:
    """A KeyValueStore in memory, with ETags; ``on_etag`` runs when the ETag is read (what
    another process does meanwhile), ``fail`` is raised by the next writes."""

    def __init__(self):
        self.values: dict[str, str] = {}
        self.version = 0
        self.puts: list[dict[str, str]] = []
        self.deletes: list[list[str]] = []
        self.fail: list[Exception] = []
        self.on_etag = None
        self.on_delete = None  # runs once a deletion is done

    def etag(self) -> str:
        if self.on_etag:
            self.on_etag()
        return f"E{self.version}"

    def put(self, values, *, etag):
        if self.fail:
            raise self.fail.pop(0)
        if etag != f"E{self.version}":
            raise StaleETag("changed")
        self.puts.append(dict(values))
        self.values.update(values)
        self.version += 1
        return f"E{self.version}"

    def delete(self, keys, *, etag):
        if self.fail:
            raise self.fail.pop(0)
        if etag != f"E{self.version}":
            raise StaleETag("changed")
        self.deletes.append(list(keys))
        for key in keys:
            self.values.pop(key, None)
        self.version += 1
        if self.on_delete:
            self.on_delete()
        return f"E{self.version}"


@pytest.fixture
def store():
    return FakeStore()


def push(store, **kwargs):
    return access_floors_push(store=lambda: store, **kwargs)


@pytest.mark.django_db
def test_without_a_store_floors_are_marked_pushed(settings):
    settings.CLOUDFRONT_KEY_VALUE_STORE_ARN = ""
    AccessFloor.objects.create(pet_id=PET, floor=NOW)
    assert access_floors_push() == 1
    assert AccessFloor.objects.get(pk=PET).pushed_floor == NOW
    assert access_floors_push() == 0


@pytest.mark.django_db
def test_due_floors_are_pushed_as_decimal_strings_under_the_pets_ids(store):
    AccessFloor.objects.create(pet_id=PET, floor=NOW)
    AccessFloor.objects.create(pet_id=OTHER_PET, floor=NOW + 5, pushed_floor=NOW + 5)
    assert push(store) == 1
    assert store.values == {"11111111-1111-4111-8111-111111111111": str(NOW)}
    assert AccessFloor.objects.get(pk=PET).pushed_floor == NOW
    assert push(store) == 0  # nothing due any more


@pytest.mark.django_db
def test_many_floors_go_in_calls_of_at_most_fifty(store):
    AccessFloor.objects.bulk_create(
        AccessFloor(pet_id=uuid.uuid4(), floor=NOW + index % 2) for index in range(110)
    )
    assert push(store) == 110
    assert [len(values) for values in store.puts] == [50, 50, 10]
    assert not AccessFloor.objects.due().exists()


@pytest.mark.django_db
def test_a_raced_write_is_tried_once_more_with_the_floors_read_after_the_new_etag(store):
    AccessFloor.objects.create(pet_id=PET, floor=NOW)

    def another_process_writes_first():
        store.on_etag = None
        AccessFloor.objects.filter(pk=PET).update(floor=NOW + 7)  # a revocation meanwhile
        store.version += 1  # ...and its push: our ETag is stale

    store.on_etag = another_process_writes_first
    store.fail = [StaleETag("raced")]
    assert push(store) == 1
    assert store.values == {str(PET): str(NOW + 7)}
    assert AccessFloor.objects.get(pk=PET).pushed_floor == NOW + 7


@pytest.mark.django_db
def test_floors_are_read_after_the_etag_so_a_push_never_lowers_the_store(store):
    AccessFloor.objects.create(pet_id=PET, floor=NOW)
    # Between our reading the due rows and our reading the ETag, a revocation and its push.
    store.on_etag = lambda: AccessFloor.objects.filter(pk=PET).update(floor=NOW + 9)
    push(store)
    assert store.values == {str(PET): str(NOW + 9)}


@pytest.mark.django_db
def test_a_failed_push_backs_off_and_is_tried_again_when_due(store):
    AccessFloor.objects.create(pet_id=PET, floor=NOW)
    moment = timezone.now()
    store.fail = [KvsError("the key value store could not be reached")]
    assert push(store, now=moment) == 0
    row = AccessFloor.objects.get(pk=PET)
    assert (row.attempts, row.pushed_floor) == (1, None)
    assert "could not be reached" in row.last_error
    assert row.not_before == moment + datetime.timedelta(seconds=10)
    assert push(store, now=moment + datetime.timedelta(seconds=9)) == 0  # not due yet
    store.fail = [KvsError("again")]
    assert push(store, now=moment + datetime.timedelta(seconds=10)) == 0
    row = AccessFloor.objects.get(pk=PET)
    assert row.not_before == moment + datetime.timedelta(seconds=30)  # 10 s, then 20 s
    assert push(store, now=moment + datetime.timedelta(seconds=30)) == 1
    row = AccessFloor.objects.get(pk=PET)
    assert (row.attempts, row.last_error, row.pushed_floor) == (0, "", NOW)


@pytest.mark.django_db
def test_backoff_stops_growing_at_fifteen_minutes_and_never_gives_up(store):
    AccessFloor.objects.create(pet_id=PET, floor=NOW, attempts=40)
    moment = timezone.now()
    store.fail = [KvsError("down")]
    push(store, now=moment)
    assert AccessFloor.objects.get(pk=PET).not_before == moment + datetime.timedelta(minutes=15)


@pytest.mark.django_db
def test_a_failed_call_holds_back_only_its_own_rows(store):
    AccessFloor.objects.bulk_create(AccessFloor(pet_id=uuid.uuid4(), floor=NOW) for _ in range(60))
    store.fail = [KvsError("the first call fails")]
    assert push(store) == 10
    assert AccessFloor.objects.filter(attempts=1).count() == 50


@pytest.mark.django_db
def test_a_floor_raised_during_its_push_stays_due(store):
    AccessFloor.objects.create(pet_id=PET, floor=NOW)

    class Raising(FakeStore):
        def put(self, values, *, etag):
            answer = super().put(values, etag=etag)
            AccessFloor.objects.filter(pk=PET).update(floor=NOW + 3)  # committed meanwhile
            return answer

    raising = Raising()
    push(raising)
    row = AccessFloor.objects.get(pk=PET)
    assert row.pushed_floor == NOW
    assert list(AccessFloor.objects.due().values_list("pk", flat=True)) == [PET]


@pytest.mark.django_db
def test_a_late_pusher_never_lowers_what_the_rows_say_was_pushed():
    AccessFloor.objects.create(pet_id=PET, floor=NOW + 9, pushed_floor=NOW + 9)
    revocation._record_pushed({PET: NOW})
    assert AccessFloor.objects.get(pk=PET).pushed_floor == NOW + 9


@pytest.mark.django_db
def test_the_task_pushes(settings):
    settings.CLOUDFRONT_KEY_VALUE_STORE_ARN = ""
    AccessFloor.objects.create(pet_id=PET, floor=NOW)
    assert push_access_floors() == 1


# --- Pruning -------------------------------------------------------------------------------

WINDOW = 600
OLD = NOW - 10_000  # a floor well past pruning at NOW


@pytest.fixture
def window(settings):
    settings.CDN_SIGNING_WINDOW_SECONDS = WINDOW
    return WINDOW


def pushed(pet_id, floor, store=None):
    """A floor the store holds."""
    if store is not None:
        store.values[str(pet_id)] = str(floor)
    return AccessFloor.objects.create(pet_id=pet_id, floor=floor, pushed_floor=floor)


def prune(store, now=NOW, **kwargs):
    return access_floors_prune(now, store=lambda: store, **kwargs)


@pytest.mark.parametrize("revoked_at", [NOW, NOW + 1, NOW + WINDOW - 1, NOW + WINDOW + 7])
def test_a_floor_is_prunable_only_once_every_grant_it_refuses_expired_at_every_edge(revoked_at):
    floor = raised_floor(None, revoked_at)
    # The last grant it refuses: signed as the revocation commits, a moment after it began.
    last_expiry = window_expiry(revoked_at + PRUNE_SLACK_SECONDS, WINDOW)
    first_prunable = next(
        now for now in range(floor, floor + 10 * WINDOW) if prunable_below(now, WINDOW) > floor
    )
    assert first_prunable - EDGE_CLOCK_SKEW_SECONDS > last_expiry  # a lagging edge's clock too
    expected = floor + CLOCK_SKEW_SECONDS + PRUNE_SLACK_SECONDS + 2 * WINDOW + 60 + 1
    assert first_prunable == expected


@pytest.mark.django_db
def test_only_old_floors_the_store_holds_are_pruned_keys_first(store, window):
    below = prunable_below(NOW, WINDOW)
    pushed(PET, OLD, store)
    recent = pushed(uuid.uuid4(), below, store)  # not below: kept
    unpushed = AccessFloor.objects.create(pet_id=uuid.uuid4(), floor=OLD)
    behind = AccessFloor.objects.create(pet_id=uuid.uuid4(), floor=OLD, pushed_floor=OLD - 5)
    store.values[str(behind.pk)] = str(OLD - 5)
    assert prune(store) == 1
    assert store.deletes == [[str(PET)]]
    assert str(PET) not in store.values
    assert set(AccessFloor.objects.values_list("pk", flat=True)) == {
        recent.pk,
        unpushed.pk,
        behind.pk,
    }
    assert store.values[str(recent.pk)] == str(below)
    assert prune(store) == 0  # nothing more, and no call
    assert len(store.deletes) == 1


@pytest.mark.django_db
def test_without_a_store_old_rows_go_without_any_remote_call(settings, window, monkeypatch):
    settings.CLOUDFRONT_KEY_VALUE_STORE_ARN = ""
    monkeypatch.setattr("boto3.client", lambda *args, **kwargs: pytest.fail("no remote call"))
    pushed(PET, OLD)
    AccessFloor.objects.create(pet_id=OTHER_PET, floor=OLD)  # never marked pushed: kept
    assert access_floors_prune(NOW) == 1
    assert list(AccessFloor.objects.values_list("pk", flat=True)) == [OTHER_PET]


@pytest.mark.django_db
def test_many_floors_are_pruned_in_calls_of_at_most_fifty(store, window):
    for _ in range(110):
        pushed(uuid.uuid4(), OLD - _, store)
    assert prune(store) == 110
    assert sorted(len(keys) for keys in store.deletes) == [10, 50, 50]
    assert store.values == {}
    assert not AccessFloor.objects.exists()
    assert store.version == 3  # each call named the ETag the previous one returned


@pytest.mark.django_db
def test_a_failed_deletion_keeps_its_rows_for_the_next_run(store, window):
    pushed(PET, OLD, store)
    store.fail = [KvsError("the key value store could not be reached")]
    assert prune(store) == 0
    assert AccessFloor.objects.filter(pk=PET).exists()
    assert store.values == {str(PET): str(OLD)}
    assert prune(store) == 1
    assert not AccessFloor.objects.exists()
    assert store.values == {}


@pytest.mark.django_db
def test_a_failed_call_holds_back_only_its_own_rows_when_pruning(store, window):
    for _ in range(60):
        pushed(uuid.uuid4(), OLD, store)
    store.fail = [KvsError("the first call fails")]
    assert prune(store) == 10
    assert AccessFloor.objects.count() == 50 == len(store.values)


@pytest.mark.django_db
def test_a_raced_deletion_is_tried_again_after_reading_the_etag_again(store, window):
    pushed(PET, OLD, store)
    store.fail = [StaleETag("raced")]
    assert prune(store) == 1
    assert store.values == {}
    assert not AccessFloor.objects.exists()


@pytest.mark.django_db
def test_a_revocation_seen_after_the_etag_keeps_its_key_and_row(store, window, sent):
    pushed(PET, OLD, store)

    # Between our reading the old floors and the ETag, the pet is revoked again.
    def revoked_meanwhile():
        store.on_etag = None
        renditions_revoke([PET], now=NOW)

    store.on_etag = revoked_meanwhile
    assert prune(store) == 0
    assert store.deletes == []  # nothing asked: no row is still at its old floor
    assert store.values == {str(PET): str(OLD)}  # the push puts the new one
    assert AccessFloor.objects.get(pk=PET).floor == NOW - 59
    assert push(store) == 1
    assert store.values == {str(PET): str(NOW - 59)}


@pytest.mark.django_db
def test_a_revocation_racing_the_deletion_keeps_the_row_and_the_store_gets_the_new_floor(
    store, window, sent
):
    pushed(PET, OLD, store)
    pushed(OTHER_PET, OLD, store)
    # The keys are gone; before the rows are deleted, a revocation raises one of them.
    store.on_delete = lambda: renditions_revoke([PET], now=NOW)
    assert prune(store) == 1
    row = AccessFloor.objects.get()
    assert (row.pk, row.floor) == (PET, NOW - 59)
    assert store.values == {str(PET): str(NOW - 59)}  # pushed again at once
    assert row.pushed_floor == NOW - 59
    assert not AccessFloor.objects.due().exists()


@pytest.mark.django_db
def test_a_late_push_does_not_bring_back_a_floor_pushed_meanwhile(store):
    # A push read this pet as due; another one pushed it (and a prune may have dropped it)
    # before this one read its floors.
    pushed(PET, OLD)
    etag, floors = revocation._push(store, [PET], None)
    assert (etag, floors, store.puts) == ("E0", {}, [])
    AccessFloor.objects.all().delete()
    assert revocation._push(store, [PET], None) == ("E0", {})
    assert store.puts == []


@pytest.mark.django_db
def test_a_revocation_whose_row_is_pruned_before_it_locks_it_makes_it_again(sent, monkeypatch):
    AccessFloor.objects.create(pet_id=PET, floor=OLD, pushed_floor=OLD)
    original, calls = AccessFloorQuerySet.bulk_create, []

    def pruned_meanwhile(self, objs, **kwargs):
        created = original(self, objs, **kwargs)
        calls.append([obj.pet_id for obj in objs])
        if len(calls) == 1:
            AccessFloor.objects.filter(pk=PET).delete()  # a prune committed in between
        return created

    monkeypatch.setattr(AccessFloorQuerySet, "bulk_create", pruned_meanwhile)
    assert renditions_revoke([PET, OTHER_PET], now=NOW) == {PET: NOW - 59, OTHER_PET: NOW - 59}
    assert calls == [[PET, OTHER_PET], [PET]]
    row = AccessFloor.objects.get(pk=PET)
    assert (row.floor, row.pushed_floor) == (NOW - 59, None)


@pytest.mark.django_db
def test_the_prune_task_prunes(settings, window):
    settings.CLOUDFRONT_KEY_VALUE_STORE_ARN = ""
    pushed(PET, int(timezone.now().timestamp()) - 10_000)
    assert prune_access_floors() == 1


def test_beat_prunes_floors_hourly():
    (entry,) = [
        entry
        for entry in django_settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "cdn.tasks.prune_access_floors"
    ]
    assert entry["schedule"] == 3600
    assert entry["task"] in app.tasks


# --- The local edge's cache ----------------------------------------------------------------


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_the_cache_reads_a_pets_floor_once_per_ttl_absent_or_not():
    loads, floors, clock = [], {PET: NOW}, Clock()

    def load(pet_ids):
        loads.append(pet_ids)
        return {pet: floors[pet] for pet in pet_ids if pet in floors}

    cache = FloorCache(ttl=5, clock=clock, load=load)
    assert cache.floor(PET) == NOW
    assert cache.floor(OTHER_PET) is None
    floors[OTHER_PET] = NOW
    clock.now += 4.9
    assert (cache.floor(PET), cache.floor(OTHER_PET)) == (NOW, None)
    assert len(loads) == 2
    clock.now += 0.1
    assert cache.floor(OTHER_PET) == NOW
    cache.forget()
    assert cache.floor(PET) == NOW
    assert len(loads) == 4


def test_a_floor_read_while_the_cache_was_forgotten_is_not_kept():
    loads = []

    def load(pet_ids):
        loads.append(pet_ids)
        if len(loads) == 1:
            cache.forget()  # a revocation committed while this read ran
        return {}

    cache = FloorCache(load=load)
    assert cache.floor(PET) is None
    assert cache.floor(PET) is None
    assert cache.floor(PET) is None
    assert len(loads) == 2


def test_the_cache_stays_bounded(monkeypatch):
    monkeypatch.setattr(revocation, "FLOOR_CACHE_LIMIT", 3)
    cache = FloorCache(load=lambda pet_ids: {})
    for _ in range(10):
        cache.floor(uuid.uuid4())
    assert len(cache._entries) <= 3


@pytest.mark.parametrize("window", [60, 600, 86400])
@pytest.mark.parametrize("offset", [0, 1, 59, 599])
def test_a_prunable_floor_refuses_no_grant_signed_now(window, offset):
    """So a pruned floor still seen somewhere (a process's cache, an edge the deletion has not
    reached) does no harm."""
    now = 1_900_000_000 + offset
    start = grant_start(window_expiry(now, window), window, None)
    assert floor_admits(start, prunable_below(now, window) - 1)
