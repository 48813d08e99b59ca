import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cdn.functions import RENDITIONS_VIEWER_REQUEST, photos_viewer_response_code
from cdn.models import SigningKey
from cdn.objects import SECURITY_HEADERS
from cdn.stack import cloudfront_template, security_headers_function_code
from tests.cdn.helpers import example_stack

pytestmark = pytest.mark.django_db
OPTIONS = ["--bucket", "pets-photos", "--app-domain", "app.pets.example.com"]


@pytest.fixture
def stack_settings(settings):
    settings.CDN_BASE_URL = "https://cdn.pets.example.com"
    settings.CSRF_TRUSTED_ORIGINS = ["https://pets.example.com"]
    settings.AWS_S3_REGION_NAME = "us-west-2"


@pytest.fixture
def template_file(tmp_path, stack_settings, make_signing_key):
    make_signing_key(state="active")
    make_signing_key(state="retiring")
    make_signing_key(state="retired")
    path = tmp_path / "stack.json"
    call_command("cloudfront_stack", *OPTIONS, "--output", str(path))
    return path


@pytest.fixture
def template(template_file):
    return json.loads(template_file.read_text())


@pytest.mark.slow  # cfn-lint, in a subprocess
def test_the_template_passes_cfn_lint(template_file):
    cfn_lint = Path(sys.executable).parent / "cfn-lint"  # installed by requirements-dev.txt
    result = subprocess.run([cfn_lint, str(template_file)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_bucket_is_private_and_read_only_through_origin_access_control(template):
    bucket = template["Resources"]["PhotoBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["CorsConfiguration"]["CorsRules"][0]["AllowedOrigins"] == [
        "https://pets.example.com"
    ]
    (allow, deny) = template["Resources"]["PhotoBucketPolicy"]["Properties"]["PolicyDocument"][
        "Statement"
    ]
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    oac = template["Resources"]["OriginAccessControl"]["Properties"]["OriginAccessControlConfig"]
    assert oac["SigningBehavior"] == "always"


def test_the_key_group_trusts_every_key_not_yet_retired(template):
    trusted = SigningKey.objects.exclude(state=SigningKey.State.RETIRED)
    keys = {
        resource["Properties"]["PublicKeyConfig"]["EncodedKey"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::CloudFront::PublicKey"
    }
    assert keys == {key.public_key_pem for key in trusted}
    group = template["Resources"]["SigningKeyGroup"]["Properties"]["KeyGroupConfig"]
    assert group["Items"] == [{"Ref": "PublicKey1"}, {"Ref": "PublicKey2"}]


def test_photos_are_signed_and_cached_and_the_api_is_not_cached(template):
    config = template["Resources"]["Distribution"]["Properties"]["DistributionConfig"]
    behaviours = {b["PathPattern"]: b for b in config["CacheBehaviors"]}
    for path in ("/renditions/*", "/originals/*"):
        assert behaviours[path]["TrustedKeyGroups"] == [{"Ref": "SigningKeyGroup"}]
    assert behaviours["/renditions/*"]["CachePolicyId"] == "658327ea-f89d-4fab-a63d-7e88639e58f6"
    # Originals: the download's name travels to S3 (response-content-disposition), in the key.
    assert behaviours["/originals/*"]["CachePolicyId"] == {"Ref": "OriginalsCachePolicy"}
    policy = template["Resources"]["OriginalsCachePolicy"]["Properties"]["CachePolicyConfig"]
    query = policy["ParametersInCacheKeyAndForwardedToOrigin"]["QueryStringsConfig"]
    assert query == {
        "QueryStringBehavior": "whitelist",
        "QueryStrings": ["response-content-disposition"],
    }
    assert behaviours["/api/*"]["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
    assert "TrustedKeyGroups" not in behaviours["/static/*"]
    assert config["HttpVersion"] == "http2and3"
    assert config["ViewerCertificate"]["MinimumProtocolVersion"] == "TLSv1.2_2021"
    assert config["Aliases"] == ["cdn.pets.example.com"]
    photos = config["Origins"][0]
    assert photos["OriginShield"] == {"Enabled": True, "OriginShieldRegion": "us-west-2"}


def test_the_app_is_reached_only_through_cloudfront_with_the_origin_secret(template):
    config = template["Resources"]["Distribution"]["Properties"]["DistributionConfig"]
    app = next(origin for origin in config["Origins"] if origin["Id"] == "app")
    assert app["DomainName"] == "app.pets.example.com"
    assert app["OriginCustomHeaders"] == [
        {"HeaderName": "X-Origin-Secret", "HeaderValue": {"Ref": "OriginSecret"}}
    ]
    secret = template["Parameters"]["OriginSecret"]
    assert secret["NoEcho"] is True
    assert secret["MinLength"] == 32


def test_the_sites_public_names_are_served_by_the_distribution(
    stack_settings, make_signing_key, capsys
):
    make_signing_key()
    call_command("cloudfront_stack", *OPTIONS, "--site-domain", "pets.example.com")
    config = json.loads(capsys.readouterr().out)["Resources"]["Distribution"]["Properties"]
    assert config["DistributionConfig"]["Aliases"] == ["cdn.pets.example.com", "pets.example.com"]


def associations(behaviour: dict) -> dict[str, str]:
    """Event type → the function's resource name."""
    return {
        association["EventType"]: association["FunctionARN"]["Fn::GetAtt"][0]
        for association in behaviour["FunctionAssociations"]
    }


def test_every_answer_gets_the_security_headers(template):
    config = template["Resources"]["Distribution"]["Properties"]["DistributionConfig"]
    photos = {"/renditions/*", "/originals/*"}
    for behaviour in [config["DefaultCacheBehavior"], *config["CacheBehaviors"]]:
        function = associations(behaviour)["viewer-response"]
        expected = "PhotosResponseFunction" if behaviour.get("PathPattern") in photos else None
        assert function == (expected or "SecurityHeadersFunction")
    resources = template["Resources"]
    code = resources["SecurityHeadersFunction"]["Properties"]["FunctionCode"]
    assert code == security_headers_function_code()
    photos_code = resources["PhotosResponseFunction"]["Properties"]["FunctionCode"]
    assert photos_code == photos_viewer_response_code()
    for name, value in SECURITY_HEADERS.items():
        assert f"headers['{name.lower()}'] = {{value: '{value}'}};" in code
        assert f"headers['{name.lower()}'] = {{value: '{value}'}};" in photos_code
    assert "cache-control" not in code
    assert "'private, max-age=31536000, immutable'" in photos_code


def test_renditions_pass_the_access_floor_function_reading_the_key_value_store(template):
    resources = template["Resources"]
    store = resources["AccessFloorStore"]
    assert store["Type"] == "AWS::CloudFront::KeyValueStore"
    assert store["Properties"]["Name"] == "pets-photos-access-floors"
    function = resources["RenditionsRequestFunction"]["Properties"]
    assert function["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    assert function["FunctionConfig"]["KeyValueStoreAssociations"] == [
        {"KeyValueStoreARN": {"Fn::GetAtt": ["AccessFloorStore", "Arn"]}}
    ]
    assert function["AutoPublish"] is True
    # The very file the Node tests run (tests/cdn/test_edge_function.py).
    assert function["FunctionCode"] == RENDITIONS_VIEWER_REQUEST.read_text(encoding="utf-8")
    assert len(function["FunctionCode"].encode()) <= 10 * 1024  # CloudFront's limit
    config = resources["Distribution"]["Properties"]["DistributionConfig"]
    behaviours = {b["PathPattern"]: b for b in config["CacheBehaviors"]}
    assert associations(behaviours["/renditions/*"]) == {
        "viewer-request": "RenditionsRequestFunction",
        "viewer-response": "PhotosResponseFunction",
    }
    assert "viewer-request" not in associations(behaviours["/originals/*"])
    output = template["Outputs"]["KeyValueStoreArn"]
    assert output["Value"] == {"Fn::GetAtt": ["AccessFloorStore", "Arn"]}
    assert "CLOUDFRONT_KEY_VALUE_STORE_ARN" in output["Description"]


def test_names_hold_only_what_cloudfront_allows():
    stack = example_stack(bucket_name="pets.photos." + "x" * 60)
    resources = cloudfront_template(stack)["Resources"]
    for name in ("SecurityHeadersFunction", "PhotosResponseFunction", "AccessFloorStore"):
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", resources[name]["Properties"]["Name"])


def test_the_command_says_where_the_key_value_store_arn_goes(
    stack_settings, make_signing_key, capsys
):
    make_signing_key()
    call_command("cloudfront_stack", *OPTIONS)
    assert "CLOUDFRONT_KEY_VALUE_STORE_ARN" in capsys.readouterr().err


def test_without_a_key_the_command_says_how_to_make_one(stack_settings):
    with pytest.raises(CommandError, match="--generate-key"):
        call_command("cloudfront_stack", *OPTIONS)


def test_generate_key_makes_the_first_key(stack_settings, capsys):
    call_command("cloudfront_stack", *OPTIONS, "--generate-key")
    template = json.loads(capsys.readouterr().out)
    assert "PublicKey1" in template["Resources"]
    assert SigningKey.objects.get().state == SigningKey.State.CREATED


def test_a_missing_domain_is_asked_for(settings, make_signing_key):
    make_signing_key()
    settings.CDN_BASE_URL = "/cdn"
    with pytest.raises(CommandError, match="--cdn-domain"):
        call_command("cloudfront_stack", *OPTIONS)
