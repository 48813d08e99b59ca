"""What the CDN knows of the stored objects: where a pet's renditions lie."""

import pytest

from cdn.objects import renditions_prefix


def test_a_non_uuid_id_cannot_reach_a_key():
    with pytest.raises(ValueError, match="badly formed hexadecimal UUID string"):
        renditions_prefix("../../etc")
