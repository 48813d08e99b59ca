"""The invitations on the sharing page (sent, listed, resent, revoked; never telling whether an
address has an account) and the mailed link's page (sign-up or log-in, then Accept)."""

import datetime
import re

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from images.models import InvitationMail, Pet, ShareInvitation
from images.services.invitations import invitation_token, share_invitation_send
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://testserver(/invitations/[^/\s]+/)")
# What differs between two renderings of one page whatever it shows: the CSRF tokens, and the
# ids of rows made in each (the invitation's hidden field).
VOLATILE = re.compile(rb'(name="(?:csrfmiddlewaretoken|invitation)" value=")[^"]+"')


@pytest.fixture
def sharing_url(pet):
    return f"/pets/{pet.pk}/sharing/"


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


def invite_and_read(client, url, address, *, account: bool, capture) -> tuple:
    """Invite ``address`` (which has an account or not), then read the sharing page; all of
    it rolled back, so that both worlds start alike."""
    with transaction.atomic():
        if account:
            UserFactory(username="sam", email=address)
        with capture(execute=True):
            response = client.post(url, {"action": "invite", "who": address, "role": "viewer"})
        page = client.get(response["Location"])
        sent = [(m.to, m.subject, LINK.sub("", m.body)) for m in mail.outbox]
        mail.outbox.clear()
        transaction.set_rollback(True)
    return response, page, sent


def test_the_sharing_page_is_byte_identical_whether_or_not_the_address_has_an_account(
    owner_client, sharing_url, django_capture_on_commit_callbacks
):
    worlds = [
        invite_and_read(
            owner_client,
            sharing_url,
            "sam@example.com",
            account=account,
            capture=django_capture_on_commit_callbacks,
        )
        for account in (False, True)
    ]
    (post_a, page_a, mail_a), (post_b, page_b, mail_b) = worlds
    assert (post_a.status_code, post_a["Location"]) == (post_b.status_code, post_b["Location"])
    assert page_a.status_code == page_b.status_code == 200
    assert b"sam@example.com" in page_a.content
    a, b = VOLATILE.sub(rb"\1", page_a.content), VOLATILE.sub(rb"\1", page_b.content)
    first = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), None)
    assert a == b, (a[first - 200 : first + 100], b[first - 200 : first + 100])
    assert len(mail_a) == 1
    assert mail_a == mail_b


def test_pending_invitations_are_listed_with_role_and_dates(owner_client, sharing_url, pet):
    share_invitation_send(
        pet=pet, email="new@example.com", role="contributor", invited_by=pet.owner, base_url=""
    )
    page = owner_client.get(sharing_url).content.decode()
    assert "Invited, not yet accepted" in page
    assert "new@example.com" in page
    assert "Contributor (sees and uploads)" in page
    expires = (timezone.now() + datetime.timedelta(days=14)).strftime("%-d %b %Y")
    assert "expires <time" in page
    assert expires in page


def test_the_owner_revokes_an_invitation_and_its_link_stops_working(
    owner_client, client, sharing_url, pet
):
    invitation = share_invitation_send(
        pet=pet, email="new@example.com", role="viewer", invited_by=pet.owner, base_url=""
    )
    token = invitation_token(invitation)
    response = owner_client.post(
        sharing_url, {"action": "revoke_invitation", "invitation": invitation.pk}
    )
    assert response.status_code == 302
    assert '<td class="who">new@example.com' not in owner_client.get(sharing_url).content.decode()
    owner_client.logout()
    assert client.get(f"/invitations/{token}/").status_code == 410


def test_the_owner_resends_an_invitation(
    owner_client, sharing_url, pet, django_capture_on_commit_callbacks
):
    invitation = share_invitation_send(
        pet=pet, email="new@example.com", role="viewer", invited_by=pet.owner, base_url=""
    )
    too_soon = owner_client.post(
        sharing_url, {"action": "resend_invitation", "invitation": invitation.pk}, follow=True
    )
    assert "less than 10 minutes ago" in too_soon.content.decode()
    InvitationMail.objects.update(sent_at=timezone.now() - datetime.timedelta(minutes=11))
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            sharing_url, {"action": "resend_invitation", "invitation": invitation.pk}
        )
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["new@example.com"]


@pytest.mark.parametrize("invitation", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_revoking_an_unknown_invitation_is_a_404(owner_client, sharing_url, invitation):
    response = owner_client.post(
        sharing_url, {"action": "revoke_invitation", "invitation": invitation}
    )
    assert response.status_code == 404


def test_another_pets_invitation_cannot_be_revoked_from_this_page(
    owner_client, sharing_url, stranger
):
    theirs = Pet.objects.create(owner=stranger, name="Rex")
    invitation = share_invitation_send(
        pet=theirs, email="new@example.com", role="viewer", invited_by=stranger, base_url=""
    )
    response = owner_client.post(
        sharing_url, {"action": "revoke_invitation", "invitation": invitation.pk}
    )
    assert response.status_code == 404
    assert ShareInvitation.objects.pending().filter(pk=invitation.pk).exists()


# --- The mailed link ----------------------------------------------------------------------


@pytest.fixture
def invited(pet, client, sharing_url, owner, django_capture_on_commit_callbacks):
    """The path of the link mailed to new@example.com, invited to see Biscuit."""
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(sharing_url, {"action": "invite", "who": "new@example.com", "role": "viewer"})
    client.logout()
    return LINK.search(mail.outbox[-1].body).group(1)


def test_the_link_offers_sign_up_with_the_address_filled_in(client, invited):
    page = client.get(invited)
    assert page.status_code == 200
    text = page.content.decode()
    assert "owner shared Biscuit with you" in text
    signup = re.search(r'href="(/accounts/signup/\?[^"]+)"', text).group(1).replace("&amp;", "&")
    form = client.get(signup)
    assert 'value="new@example.com"' in form.content.decode()
    assert invited in form.content.decode()  # the way back, once signed up


def test_a_newcomer_signs_up_from_the_link_accepts_and_sees_exactly_that_pet(
    client, invited, pet, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/signup/",
            {
                "username": "newcomer",
                "email": "new@example.com",
                "password1": PASSWORD,
                "password2": PASSWORD,
                "next": invited,
            },
        )
    assert response.status_code == 302
    assert response["Location"] == invited
    assert "Accept as newcomer" in client.get(invited).content.decode()
    response = client.post(invited)
    assert response["Location"] == f"/pets/{pet.pk}/"
    newcomer = User.objects.get(username="newcomer")
    assert list(Pet.objects.visible_to(newcomer)) == [pet]
    assert pet.shares.get(grantee=newcomer).role == "viewer"
    assert client.get(f"/pets/{pet.pk}/").status_code == 200
    # Opening it again, the one who accepted goes to the pet; anyone else is told it was used.
    assert client.get(invited)["Location"] == f"/pets/{pet.pk}/"
    client.force_login(UserFactory(username="second"))
    assert client.post(invited).status_code == 410
    assert not pet.shares.filter(grantee__username="second").exists()


def test_someone_with_an_account_logs_in_from_the_link_and_accepts(client, invited, pet):
    sam = UserFactory(username="sam", email="new@example.com")
    page = client.get(invited).content.decode()
    login = re.search(r'href="(/accounts/login/\?[^"]+)"', page).group(1)
    response = client.post(login, {"username": "sam", "password": PASSWORD, "next": invited})
    assert response["Location"] == invited
    client.post(invited)
    assert pet.shares.filter(grantee=sam).exists()


def test_an_anonymous_post_to_the_link_is_sent_to_log_in_and_grants_nothing(client, invited):
    response = client.post(invited)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert ShareInvitation.objects.pending().exists()


@pytest.mark.parametrize(
    ("alter", "status"),
    [
        (lambda path: path[:-6] + "xxxxx/", 404),
        (lambda path: "/invitations/nonsense/", 404),
    ],
)
def test_an_altered_link_is_a_404(client, invited, alter, status):
    assert client.get(alter(invited)).status_code == status
    client.force_login(UserFactory(username="mallory"))
    assert client.post(alter(invited)).status_code == status
    assert ShareInvitation.objects.pending().exists()


def test_an_expired_link_is_a_410_and_grants_nothing(client, invited):
    ShareInvitation.objects.update(
        created_at=timezone.now() - datetime.timedelta(days=20),
        expires_at=timezone.now() - datetime.timedelta(minutes=1),
    )
    page = client.get(invited)
    assert page.status_code == 410
    assert "This invitation has expired" in page.content.decode()
    client.force_login(UserFactory(username="late"))
    assert client.post(invited).status_code == 410
    assert not ShareInvitation.objects.filter(accepted_at__isnull=False).exists()


def test_the_owner_opening_their_own_invitation_is_told_why_it_grants_nothing(
    client, invited, owner
):
    client.force_login(owner)
    response = client.post(invited)
    assert response.status_code == 400
    assert "your own pet" in response.content.decode()


def test_past_the_daily_number_the_form_says_so_and_sends_nothing(
    owner_client, sharing_url, settings
):
    settings.SHARE_INVITATIONS_PER_DAY = 1
    owner_client.post(sharing_url, {"action": "invite", "who": "a@example.com", "role": "viewer"})
    response = owner_client.post(
        sharing_url, {"action": "invite", "who": "b@example.com", "role": "viewer"}
    )
    assert response.status_code == 400
    assert "1 invitation in the last day" in response.content.decode()
    assert not ShareInvitation.objects.filter(email="b@example.com").exists()


# --- Only the invited address accepts ------------------------------------------------------


def test_an_account_with_another_address_is_refused_in_words_and_granted_nothing(
    client, invited, pet
):
    bob = UserFactory(username="bob", email="bob@example.com")
    client.force_login(bob)
    response = client.post(invited)
    assert response.status_code == 403
    text = response.content.decode()
    assert "This invitation was sent to n•••@example.com" in text
    assert "Log in with the account that uses that address, or sign up with it" in text
    assert "new@example.com" not in text
    assert not pet.shares.filter(grantee=bob).exists()
    assert ShareInvitation.objects.pending().exists()


def test_an_account_with_another_address_is_told_before_pressing_accept(client, invited):
    client.force_login(UserFactory(username="bob", email="bob@example.com"))
    page = client.get(invited).content.decode()
    assert "This invitation was sent to n•••@example.com" in page
    assert "Accept as bob" not in page


def test_the_invited_address_accepts_whatever_its_case(client, invited, pet):
    sam = UserFactory(username="sam", email="New@Example.COM")
    client.force_login(sam)
    assert client.post(invited)["Location"] == f"/pets/{pet.pk}/"
    assert pet.shares.filter(grantee=sam).exists()


def test_a_newcomer_who_changes_the_address_on_the_sign_up_form_is_refused(
    client, invited, pet, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/accounts/signup/",
            {
                "username": "newcomer",
                "email": "someone.else@example.com",
                "password1": PASSWORD,
                "password2": PASSWORD,
                "next": invited,
            },
        )
    response = client.post(invited)
    assert response.status_code == 403
    assert "This invitation was sent to n•••@example.com" in response.content.decode()
    assert not pet.shares.filter(grantee__username="newcomer").exists()
