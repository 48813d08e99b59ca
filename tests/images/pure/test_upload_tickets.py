import base64
import datetime
import json

import pytest
from django.utils import timezone

from images.pure.upload_tickets import (
    SIGNATURE_FIELD,
    UploadPolicy,
    UploadRefused,
    local_ticket,
    signing_key,
    verify_local_upload,
)

KEY = "originals/1/2026/11/11111111-1111-4111-8111-111111111111.jpg"
SECRET = signing_key("a test secret")


def ticket_fields(**policy_changes) -> dict:
    policy = UploadPolicy(
        key=KEY,
        content_type="image/jpeg",
        max_bytes=1000,
        expires_at=timezone.now() + datetime.timedelta(minutes=5),
    )
    for name, value in policy_changes.items():
        policy = UploadPolicy(**{**policy.__dict__, name: value})
    return dict(local_ticket(policy, url="/uploads/", key=SECRET).fields)


def refusal(fields, size=10, **kwargs) -> UploadRefused:
    with pytest.raises(UploadRefused) as caught:
        verify_local_upload(fields, key=SECRET, file_size=size, **kwargs)
    return caught.value


def test_a_post_that_obeys_its_ticket_is_accepted():
    policy = verify_local_upload(ticket_fields(), key=SECRET, file_size=1000)
    assert policy.key == KEY
    assert policy.content_type == "image/jpeg"


def test_the_ticket_has_the_shape_of_an_s3_presigned_post():
    fields = ticket_fields()
    assert set(fields) == {"key", "Content-Type", "policy", SIGNATURE_FIELD}
    document = json.loads(base64.b64decode(fields["policy"]))
    assert document["conditions"] == [
        {"key": KEY},
        {"Content-Type": "image/jpeg"},
        ["content-length-range", 1, 1000],
    ]


def test_a_tampered_policy_is_refused():
    fields = ticket_fields()
    document = json.loads(base64.b64decode(fields["policy"]))
    document["conditions"][2][2] = 10**12  # allow a terabyte
    fields["policy"] = base64.b64encode(json.dumps(document).encode()).decode()
    refused = refusal(fields)
    assert refused.status == 403
    assert "signature does not match" in str(refused)


def test_a_forged_signature_is_refused():
    fields = ticket_fields()
    fields[SIGNATURE_FIELD] = "0" * 64
    assert refusal(fields).status == 403


def test_an_expired_ticket_is_refused():
    refused = refusal(ticket_fields(), now=timezone.now() + datetime.timedelta(minutes=6))
    assert refused.status == 403
    assert "expired" in str(refused)


def test_a_post_for_another_key_is_refused():
    fields = ticket_fields()
    fields["key"] = "originals/2/2026/11/someone-else.jpg"
    refused = refusal(fields)
    assert refused.status == 403
    assert "another file" in str(refused)


def test_a_post_of_another_type_is_refused():
    fields = ticket_fields()
    fields["Content-Type"] = "text/html"
    assert refusal(fields).status == 403


def test_an_oversize_file_is_refused_with_413():
    refused = refusal(ticket_fields(), size=1001)
    assert refused.status == 413


def test_an_empty_file_is_refused_with_400():
    assert refusal(ticket_fields(), size=0).status == 400


def test_a_post_without_a_policy_is_refused():
    assert refusal({"key": KEY}).status == 403
