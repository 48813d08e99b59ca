import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cdn.models import SigningKey
from cdn.objects import SECURITY_HEADERS
from cdn.stack import security_headers_function_code

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
        assert behaviours[path]["CachePolicyId"] == "658327ea-f89d-4fab-a63d-7e88639e58f6"
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


def test_every_answer_gets_the_security_headers_function(template):
    config = template["Resources"]["Distribution"]["Properties"]["DistributionConfig"]
    for behaviour in [config["DefaultCacheBehavior"], *config["CacheBehaviors"]]:
        (association,) = behaviour["FunctionAssociations"]
        assert association["EventType"] == "viewer-response"
    code = template["Resources"]["SecurityHeadersFunction"]["Properties"]["FunctionCode"]
    assert code == security_headers_function_code()
    for name, value in SECURITY_HEADERS.items():
        assert f"headers['{name.lower()}'] = {{value: '{value}'}};" in code


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
