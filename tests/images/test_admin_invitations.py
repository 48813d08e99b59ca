"""The admin's invitations: listed and searched by address, revoked by an audited action."""

import pytest

from accounts.models import AuditEntry
from images.models import ShareInvitation
from images.services.invitations import invitation_token, share_invitation_send
from tests.images.test_admin_actions import act

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/images/shareinvitation/"


@pytest.fixture
def invitation(pet, owner):
    return share_invitation_send(
        pet=pet, email="invited@example.com", role="viewer", invited_by=owner, base_url=""
    )


def test_invitations_are_searched_by_address_and_filtered_by_state(admin_client, invitation):
    found = admin_client.get(CHANGELIST, {"q": "invited@"})
    assert "invited@example.com" in found.content.decode()
    assert (
        "invited@example.com" not in admin_client.get(CHANGELIST, {"q": "nobody"}).content.decode()
    )
    pending = admin_client.get(CHANGELIST, {"state": "pending"}).content.decode()
    assert "invited@example.com" in pending
    assert (
        "invited@example.com"
        not in admin_client.get(CHANGELIST, {"state": "revoked"}).content.decode()
    )


def test_revoking_in_the_admin_stops_the_link_and_is_audited(admin_client, client, invitation):
    act(admin_client, CHANGELIST, "revoke", invitation)
    assert not ShareInvitation.objects.pending().exists()
    entry = AuditEntry.objects.get(action="share_invitation.revoke")
    assert entry.target_id == str(invitation.pk)
    assert client.get(f"/invitations/{invitation_token(invitation)}/").status_code == 410


def test_invitations_are_not_added_or_edited_in_the_admin(admin_client, invitation):
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403
    page = admin_client.get(f"{CHANGELIST}{invitation.pk}/change/").content.decode()
    assert 'name="_save"' not in page
