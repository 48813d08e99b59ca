"""The CloudFront glue against moto's CloudFront in server mode, and botocore's Stubber for
what moto lacks (``update_key_group``): the Stubber checks each request against CloudFront's
service model, so a malformed call fails here as it would against AWS."""

import uuid

import boto3
import pytest
from botocore.stub import Stubber

from cdn.cloudfront import CdnError, CloudFrontApi, LocalCdn, Throttled, cdn
from cdn.keypairs import generate_private_key, public_pem

pytestmark = pytest.mark.usefixtures("aws_credentials")


def distribution_config() -> dict:
    origin = {"Id": "photos", "DomainName": "photos.s3.us-east-1.amazonaws.com"}
    return {
        "CallerReference": str(uuid.uuid4()),
        "Comment": "test",
        "Enabled": True,
        "Origins": {
            "Quantity": 1,
            "Items": [{**origin, "S3OriginConfig": {"OriginAccessIdentity": ""}}],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": "photos",
            "ViewerProtocolPolicy": "redirect-to-https",
            "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
        },
    }


@pytest.fixture
def client(moto_endpoint):
    return boto3.client("cloudfront", endpoint_url=moto_endpoint, region_name="us-east-1")


@pytest.fixture
def api(client):
    distribution = client.create_distribution(DistributionConfig=distribution_config())
    return CloudFrontApi(client, distribution["Distribution"]["Id"], f"group-{uuid.uuid4()}")


def a_public_pem() -> str:
    return public_pem(generate_private_key("ecdsa-p256-sha256"))


def test_publishing_uploads_the_public_key(api, client):
    pem = a_public_pem()
    key_id = api.publish_public_key(name="pettracker-key-1", pem=pem)
    stored = client.get_public_key(Id=key_id)["PublicKey"]["PublicKeyConfig"]
    assert stored["EncodedKey"].strip() == pem.strip()
    assert stored["Name"] == "pettracker-key-1"


def test_publishing_the_same_key_again_adopts_it(api):
    pem = a_public_pem()
    first = api.publish_public_key(name="pettracker-key-2", pem=pem)
    assert api.publish_public_key(name="pettracker-key-2", pem=pem) == first


def test_the_first_trusted_key_creates_the_key_group(api, client):
    key_id = api.publish_public_key(name="pettracker-key-3", pem=a_public_pem())
    api.set_trusted_keys([key_id])
    groups = [item["KeyGroup"] for item in client.list_key_groups()["KeyGroupList"]["Items"]]
    (group,) = [g for g in groups if g["KeyGroupConfig"]["Name"] == api.key_group_name]
    assert group["KeyGroupConfig"]["Items"] == [key_id]


def test_deleting_a_public_key_removes_it(api, client):
    key_id = api.publish_public_key(name="pettracker-key-4", pem=a_public_pem())
    api.delete_public_key(key_id)
    listed = client.list_public_keys()["PublicKeyList"].get("Items") or []
    assert key_id not in {item["Id"] for item in listed}


def test_an_invalidation_is_created_and_followed(api):
    invalidation_id, status = api.create_invalidation(
        paths=["/renditions/a/b/thumb-1.webp", "/renditions/a/*"], caller_reference="ref-1"
    )
    assert status in ("InProgress", "Completed")  # moto's "COMPLETED" is read as CloudFront's
    assert api.invalidation_status(invalidation_id) == status


def test_an_invalidation_for_an_unknown_distribution_is_a_clear_error(client):
    api = CloudFrontApi(client, "ENOSUCHDIST", "group")
    with pytest.raises(CdnError, match="NoSuchDistribution"):
        api.create_invalidation(paths=["/x"], caller_reference="ref-2")


# --- Where moto stops: the Stubber -------------------------------------------------------


def key_group(group_id: str, items: list[str]) -> dict:
    return {
        "Id": group_id,
        "LastModifiedTime": "2026-01-01T00:00:00Z",
        "KeyGroupConfig": {"Name": "pettracker-signing", "Items": items, "Comment": "managed"},
    }


def stub_existing_group(stubber, group: dict) -> None:
    """CloudFront answers that the key group exists, with ETag E1."""
    listing = {"MaxItems": 100, "Quantity": 1, "Items": [{"KeyGroup": group}]}
    stubber.add_response("list_key_groups", {"KeyGroupList": listing})
    stubber.add_response("get_key_group", {"KeyGroup": group, "ETag": "E1"}, {"Id": group["Id"]})


@pytest.fixture
def stubbed():
    client = boto3.client("cloudfront", region_name="us-east-1")
    with Stubber(client) as stubber:
        yield CloudFrontApi(client, "E1PETTRACKER", "pettracker-signing"), stubber
        stubber.assert_no_pending_responses()


def test_changing_the_trusted_keys_updates_the_existing_group_with_its_etag(stubbed):
    api, stubber = stubbed
    stub_existing_group(stubber, key_group("KG1", ["KOLD"]))
    stubber.add_response(
        "update_key_group",
        {"KeyGroup": key_group("KG1", ["KNEW", "KOLD"]), "ETag": "E2"},
        {
            "Id": "KG1",
            "IfMatch": "E1",
            "KeyGroupConfig": {
                "Name": "pettracker-signing",
                "Items": ["KNEW", "KOLD"],
                "Comment": "managed",
            },
        },
    )
    api.set_trusted_keys(["KOLD", "KNEW"])


def test_cloudfronts_key_group_limit_becomes_a_clear_error(stubbed):
    api, stubber = stubbed
    stub_existing_group(stubber, key_group("KG1", ["K1"]))
    stubber.add_client_error(
        "update_key_group", service_error_code="TooManyPublicKeysInKeyGroup", http_status_code=400
    )
    with pytest.raises(CdnError, match="at most 5 keys in a key group"):
        api.set_trusted_keys(["K1", "K2"])


def test_more_than_five_keys_are_refused_before_asking(stubbed):
    api, _ = stubbed
    with pytest.raises(CdnError, match="at most 5 keys"):
        api.set_trusted_keys([f"K{i}" for i in range(6)])


def test_throttling_is_told_apart_so_it_can_be_retried(stubbed):
    api, stubber = stubbed
    stubber.add_client_error(
        "create_invalidation",
        service_error_code="TooManyInvalidationsInProgress",
        http_status_code=400,
    )
    with pytest.raises(Throttled):
        api.create_invalidation(paths=["/x"], caller_reference="ref")


def test_deleting_a_public_key_passes_its_etag(stubbed):
    api, stubber = stubbed
    public_key = {
        "Id": "KOLD",
        "CreatedTime": "2026-01-01T00:00:00Z",
        "PublicKeyConfig": {"CallerReference": "r", "Name": "n", "EncodedKey": "pem"},
    }
    stubber.add_response("get_public_key", {"PublicKey": public_key, "ETag": "E7"}, {"Id": "KOLD"})
    stubber.add_response("delete_public_key", {}, {"Id": "KOLD", "IfMatch": "E7"})
    api.delete_public_key("KOLD")


def test_deleting_a_public_key_that_is_already_gone_is_harmless(stubbed):
    api, stubber = stubbed
    stubber.add_client_error(
        "get_public_key", service_error_code="NoSuchPublicKey", http_status_code=404
    )
    api.delete_public_key("KGONE")


def test_invalidations_carry_the_batch_and_its_caller_reference(stubbed):
    api, stubber = stubbed
    stubber.add_response(
        "create_invalidation",
        {
            "Location": "https://cloudfront.amazonaws.com/x",
            "Invalidation": {
                "Id": "I1",
                "Status": "InProgress",
                "CreateTime": "2026-01-01T00:00:00Z",
                "InvalidationBatch": {
                    "Paths": {"Quantity": 1, "Items": ["/a"]},
                    "CallerReference": "ref",
                },
            },
        },
        {
            "DistributionId": "E1PETTRACKER",
            "InvalidationBatch": {
                "Paths": {"Quantity": 1, "Items": ["/a"]},
                "CallerReference": "ref",
            },
        },
    )
    assert api.create_invalidation(paths=["/a"], caller_reference="ref") == ("I1", "InProgress")


def test_without_a_distribution_the_calls_are_recorded_locally(settings):
    settings.CLOUDFRONT_DISTRIBUTION_ID = ""
    local = cdn()
    assert isinstance(local, LocalCdn)
    pem = a_public_pem()
    assert local.publish_public_key(name="x", pem=pem) == local.publish_public_key(
        name="y", pem=pem
    )
    assert (
        local.create_invalidation(paths=["/a"], caller_reference=str(uuid.uuid4()))[1]
        == "Completed"
    )


def test_with_a_distribution_the_api_is_cloudfronts(settings, moto_endpoint):
    settings.CLOUDFRONT_DISTRIBUTION_ID = "E1PETTRACKER"
    settings.CLOUDFRONT_ENDPOINT_URL = moto_endpoint
    assert isinstance(cdn(), CloudFrontApi)
