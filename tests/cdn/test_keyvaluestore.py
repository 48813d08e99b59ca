"""The KeyValueStore client, against botocore's Stubber (moto has no cloudfront-keyvaluestore).

botocore resolves this service's endpoint with SigV4A signing, which needs awscrt; without
it a default client fails while resolving the endpoint, *before* the Stubber's hook runs. The
stubbed clients here are therefore made with ``signature_version="v4"`` (the Stubber answers
before anything is signed): production clients keep the default and need awscrt installed.
"""

import datetime
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.stub import Stubber

from cdn.keyvaluestore import (
    MAX_KEYS_PER_UPDATE,
    KeyValueStore,
    KvsError,
    StaleETag,
    key_value_store,
)
from cdn.models import AccessFloor
from cdn.revocation import access_floors_prune, access_floors_push, renditions_revoke

ARN = "arn:aws:cloudfront::123456789012:key-value-store/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
PET = uuid.UUID("11111111-1111-4111-8111-111111111111")
NOW = 1_900_000_000


def described(etag: str) -> dict:
    return {
        "KvsARN": ARN,
        "Created": datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
        "ETag": etag,
        "ItemCount": 1,
        "TotalSizeInBytes": 50,
    }


def updated(etag: str) -> dict:
    return {"ETag": etag, "ItemCount": 1, "TotalSizeInBytes": 50}


@pytest.fixture
def client(aws_credentials):
    return boto3.client(
        "cloudfront-keyvaluestore",
        region_name="us-east-1",
        config=Config(signature_version="v4"),  # the Stubber answers before any signing
    )


@pytest.fixture
def stubber(client):
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def store(client):
    return KeyValueStore(client, ARN)


def test_the_etag_comes_from_describe(store, stubber):
    stubber.add_response("describe_key_value_store", described("E1"), {"KvsARN": ARN})
    assert store.etag() == "E1"


def test_floors_are_put_in_one_conditional_call(store, stubber):
    puts = [{"Key": str(PET), "Value": str(NOW)}]
    expected = {"KvsARN": ARN, "IfMatch": "E1", "Puts": puts}
    stubber.add_response("update_keys", updated("E2"), expected)
    assert store.put({str(PET): str(NOW)}, etag="E1") == "E2"


def test_keys_are_deleted_in_one_conditional_call(store, stubber):
    expected = {"KvsARN": ARN, "IfMatch": "E1", "Deletes": [{"Key": str(PET)}]}
    stubber.add_response("update_keys", updated("E2"), expected)
    assert store.delete([str(PET)], etag="E1") == "E2"


def test_a_call_names_at_most_fifty_keys(store):
    values = {str(uuid.uuid4()): "1" for _ in range(MAX_KEYS_PER_UPDATE + 1)}
    with pytest.raises(ValueError, match="at most 50"):
        store.put(values, etag="E1")
    with pytest.raises(ValueError, match="at most 50"):
        store.delete(values, etag="E1")


@pytest.mark.parametrize("code", ["ConflictException", "PreconditionFailed"])
def test_a_stale_etag_is_told_apart(store, stubber, code):
    stubber.add_client_error("update_keys", service_error_code=code, http_status_code=409)
    with pytest.raises(StaleETag):
        store.put({str(PET): "1"}, etag="E0")


def test_other_refusals_say_what_cloudfront_answered(store, stubber):
    stubber.add_client_error(
        "update_keys",
        service_error_code="ServiceQuotaExceededException",
        service_message="The key value store is full",
        http_status_code=402,
    )
    with pytest.raises(KvsError, match=r"ServiceQuotaExceededException.*is full") as refusal:
        store.put({str(PET): "1"}, etag="E0")
    assert not isinstance(refusal.value, StaleETag)


@pytest.mark.django_db
def test_a_push_reads_the_etag_retries_a_raced_write_once_and_records_it(store, stubber):
    AccessFloor.objects.create(pet_id=PET, floor=NOW)
    puts = [{"Key": "11111111-1111-4111-8111-111111111111", "Value": str(NOW)}]
    stubber.add_response("describe_key_value_store", described("E1"), {"KvsARN": ARN})
    stubber.add_client_error("update_keys", service_error_code="ConflictException")
    stubber.add_response("describe_key_value_store", described("E2"), {"KvsARN": ARN})
    stubber.add_response(
        "update_keys", updated("E3"), {"KvsARN": ARN, "IfMatch": "E2", "Puts": puts}
    )
    assert access_floors_push(store=lambda: store) == 1
    assert AccessFloor.objects.get(pk=PET).pushed_floor == NOW


@pytest.mark.django_db
def test_a_write_raced_twice_waits_for_the_next_sweep(store, stubber):
    AccessFloor.objects.create(pet_id=PET, floor=NOW)
    for etag in ("E1", "E2"):
        stubber.add_response("describe_key_value_store", described(etag), {"KvsARN": ARN})
        stubber.add_client_error("update_keys", service_error_code="ConflictException")
    assert access_floors_push(store=lambda: store) == 0
    row = AccessFloor.objects.get(pk=PET)
    assert (row.attempts, row.pushed_floor) == (1, None)
    assert "StaleETag" in row.last_error


OLD = NOW - 10_000  # a floor past pruning at NOW, whatever the window (600 s here)


@pytest.fixture
def window(settings):
    settings.CDN_SIGNING_WINDOW_SECONDS = 600


def deletes(etag: str) -> dict:
    return {"KvsARN": ARN, "IfMatch": etag, "Deletes": [{"Key": str(PET)}]}


@pytest.mark.django_db
def test_a_prune_deletes_the_key_then_the_row(store, stubber, window):
    AccessFloor.objects.create(pet_id=PET, floor=OLD, pushed_floor=OLD)
    stubber.add_response("describe_key_value_store", described("E1"), {"KvsARN": ARN})
    stubber.add_response("update_keys", updated("E2"), deletes("E1"))
    assert access_floors_prune(NOW, store=lambda: store) == 1
    assert not AccessFloor.objects.exists()


@pytest.mark.django_db
def test_a_refused_deletion_keeps_the_row(store, stubber, window):
    AccessFloor.objects.create(pet_id=PET, floor=OLD, pushed_floor=OLD)
    stubber.add_response("describe_key_value_store", described("E1"), {"KvsARN": ARN})
    stubber.add_client_error(
        "update_keys", service_error_code="AccessDeniedException", http_status_code=403
    )
    assert access_floors_prune(NOW, store=lambda: store) == 0
    assert AccessFloor.objects.get(pk=PET).pushed_floor == OLD


@pytest.mark.django_db
def test_a_revocation_racing_the_prune_leaves_the_new_floor_in_the_store(
    client, store, stubber, window, monkeypatch
):
    monkeypatch.setattr("cdn.revocation._send_push_task", lambda: None)
    AccessFloor.objects.create(pet_id=PET, floor=OLD, pushed_floor=OLD)

    def revoked_once_the_key_is_deleted(**kwargs):
        client.meta.events.unregister(event, revoked_once_the_key_is_deleted)
        renditions_revoke([PET], now=NOW)  # committed before the prune deletes the row

    event = "after-call.cloudfront-keyvaluestore.UpdateKeys"
    client.meta.events.register(event, revoked_once_the_key_is_deleted)
    stubber.add_response("describe_key_value_store", described("E1"), {"KvsARN": ARN})
    stubber.add_response("update_keys", updated("E2"), deletes("E1"))
    # The row stays, marked unpushed, and its new floor is put at once.
    puts = [{"Key": str(PET), "Value": str(NOW - 59)}]
    stubber.add_response("describe_key_value_store", described("E2"), {"KvsARN": ARN})
    stubber.add_response(
        "update_keys", updated("E3"), {"KvsARN": ARN, "IfMatch": "E2", "Puts": puts}
    )
    assert access_floors_prune(NOW, store=lambda: store) == 0
    row = AccessFloor.objects.get(pk=PET)
    assert (row.floor, row.pushed_floor) == (NOW - 59, NOW - 59)


def test_no_arn_no_store(settings):
    settings.CLOUDFRONT_KEY_VALUE_STORE_ARN = ""
    assert key_value_store() is None


def test_the_configured_store_speaks_to_cloudfront_keyvaluestore(settings, aws_credentials):
    settings.CLOUDFRONT_KEY_VALUE_STORE_ARN = ARN
    store = key_value_store()
    assert store.arn == ARN
    assert store.client.meta.service_model.service_name == "cloudfront-keyvaluestore"


def test_the_configured_client_signs_its_calls_as_the_service_requires(settings, aws_credentials):
    """The store's API takes SigV4A only, which botocore makes through awscrt (pinned): the
    production client, not the tests' plain-SigV4 one, resolves its endpoint and calls."""
    settings.CLOUDFRONT_KEY_VALUE_STORE_ARN = ARN
    store = key_value_store()
    with Stubber(store.client) as stub:
        stub.add_response("describe_key_value_store", described("E9"), {"KvsARN": ARN})
        assert store.etag() == "E9"
