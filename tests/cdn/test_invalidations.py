import datetime

import pytest
from django.utils import timezone

from cdn import invalidations
from cdn.cloudfront import Throttled
from cdn.invalidations import choose_paths, invalidations_poll, invalidations_submit
from cdn.models import Invalidation, PendingInvalidation

pytestmark = pytest.mark.django_db


class FakeCloudFront:
    """Records the batches it is sent; ``status`` is what CloudFront answers."""

    distribution_id = "E1PETTRACKER"

    def __init__(self, status="InProgress"):
        self.status, self.batches, self.failures = status, [], []

    def create_invalidation(self, *, paths, caller_reference):
        if self.failures:
            raise self.failures.pop()
        self.batches.append((list(paths), caller_reference))
        return f"I{len(self.batches)}", self.status

    def invalidation_status(self, invalidation_id):
        return self.status


@pytest.fixture
def cloudfront(monkeypatch):
    fake = FakeCloudFront()
    monkeypatch.setattr(invalidations, "cdn", lambda: fake)
    return fake


def queue(*paths):
    PendingInvalidation.objects.bulk_create(PendingInvalidation(path=path) for path in paths)


def test_choosing_paths_deduplicates_and_respects_both_limits():
    pending = ["/a", "/b", "/a", "/x/*", "/c", "/y/*"]
    assert choose_paths(pending, file_room=2, wildcard_room=1) == ["/a", "/b", "/x/*"]


def test_queued_paths_become_one_deduplicated_batch(cloudfront):
    queue("/renditions/p/1/thumb-a.webp", "/renditions/p/1/thumb-a.webp", "/originals/1/x.jpg")
    assert invalidations_submit() == 1
    ((paths, reference),) = cloudfront.batches
    assert paths == ["/renditions/p/1/thumb-a.webp", "/originals/1/x.jpg"]
    invalidation = Invalidation.objects.get()
    assert reference == str(invalidation.pk)  # the CallerReference
    assert invalidation.status == Invalidation.Status.IN_PROGRESS
    assert invalidation.cloudfront_id == "I1"
    assert invalidation.path_count == 2
    assert not PendingInvalidation.objects.exists()


def test_nothing_queued_sends_nothing(cloudfront):
    assert invalidations_submit() == 0
    assert cloudfront.batches == []


def test_no_more_than_3000_file_paths_are_in_flight(cloudfront):
    queue(*(f"/renditions/p/{i}.webp" for i in range(3100)))
    assert invalidations_submit() == 1
    assert len(cloudfront.batches[0][0]) == 3000
    assert PendingInvalidation.objects.count() == 100  # waits for room
    assert invalidations_submit() == 0


def test_no_more_than_15_wildcards_are_in_flight(cloudfront):
    queue(*(f"/renditions/{i}/*" for i in range(20)))
    invalidations_submit()
    assert Invalidation.objects.get().wildcard_count == 15
    assert PendingInvalidation.objects.count() == 5


def test_room_frees_up_when_cloudfront_completes(cloudfront):
    queue(*(f"/renditions/p/{i}.webp" for i in range(3100)))
    invalidations_submit()
    cloudfront.status = "Completed"
    assert invalidations_poll() == 1
    assert Invalidation.objects.get().completed_at is not None
    assert invalidations_submit() == 1
    assert PendingInvalidation.objects.count() == 0


def test_a_throttled_batch_is_kept_and_sent_again_with_the_same_reference(cloudfront):
    queue("/renditions/p/1.webp")
    cloudfront.failures.append(Throttled("slow down"))
    with pytest.raises(Throttled):
        invalidations_submit()
    invalidation = Invalidation.objects.get()
    assert invalidation.status == Invalidation.Status.QUEUED
    assert invalidation.last_error == "slow down"
    assert invalidations_submit() == 1
    assert cloudfront.batches == [(["/renditions/p/1.webp"], str(invalidation.pk))]
    invalidation.refresh_from_db()
    assert invalidation.attempts == 2
    assert invalidation.last_error == ""


def test_locally_an_invalidation_is_recorded_as_done(settings):
    settings.CLOUDFRONT_DISTRIBUTION_ID = ""
    queue("/renditions/p/1.webp")
    invalidations_submit()
    assert Invalidation.objects.get().status == Invalidation.Status.COMPLETED


def test_the_months_path_count_is_what_was_submitted_this_month(cloudfront):
    queue("/a", "/b", "/c/*")
    invalidations_submit()
    last_month = timezone.now() - datetime.timedelta(days=40)
    Invalidation.objects.create(path_count=900, submitted_at=last_month)
    assert Invalidation.objects.paths_in_month() == 3
    assert Invalidation.objects.paths_in_month(last_month) == 900
