"""Invitations: sent to any address (one mail, a signed link), accepted once by whoever holds
the link, with exactly the share offered; revoked, expired, used or altered links grant
nothing."""

import datetime
import re
from unittest import mock

import pytest
from django.core import mail, signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.utils import dateformat, timezone

from images import tasks
from images.models import Pet, Share, ShareInvitation
from images.services.invitations import (
    SALT,
    InvitationForSomeoneElse,
    InvitationUnusable,
    invitation_for_token,
    invitation_token,
    share_invitation_accept,
    share_invitation_resend,
    share_invitation_revoke,
    share_invitation_send,
    share_invitations_prune,
)
from tests.factories import PetFactory, UserFactory

pytestmark = pytest.mark.django_db

BASE = "https://pets.example"
LINK = re.compile(r"https://pets\.example/invitations/([^/\s]+)/")


def invite(pet, email="new@example.com", role="viewer", **extra):
    return share_invitation_send(
        pet=pet, email=email, role=role, invited_by=pet.owner, base_url=BASE, **extra
    )


def later(minutes: int):
    return mock.patch(
        "django.utils.timezone.now",
        return_value=timezone.now() + datetime.timedelta(minutes=minutes),
    )


def token_in(message) -> str:
    return LINK.search(message.body).group(1)


def test_inviting_an_address_mails_it_a_link_that_names_the_invitation(
    pet, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invite(pet, "New@Example.com", role="contributor")
    assert invitation.expires_at > timezone.now() + datetime.timedelta(days=13)
    [message] = mail.outbox
    assert message.to == ["New@example.com"]
    assert "owner shared Biscuit's photos with you" in message.subject
    assert "see and add to the photos of Biscuit" in message.body
    assert invitation_for_token(token_in(message)) == invitation


def test_an_address_with_an_account_gets_an_invitation_and_the_same_mail_not_a_share(
    pet, django_capture_on_commit_callbacks
):
    UserFactory(username="sam", email="sam@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        to_sam = invite(pet, "sam@example.com")
        with later(minutes=1):  # a minute turning between the two, always
            to_nobody = invite(PetFactory(owner=pet.owner, name="Biscuit"), "nobody@example.com")
    assert not Share.objects.filter(grantee__username="sam").exists()
    sam_mail, nobody_mail = mail.outbox
    assert sam_mail.subject == nobody_mail.subject

    def alike(message, invitation):
        # Each says when it expires, to the minute.
        until = dateformat.format(timezone.localtime(invitation.expires_at), "j F Y, H:i e")
        assert until in message.body
        return LINK.sub("", message.body).replace(until, "(until)")

    assert alike(sam_mail, to_sam) == alike(nobody_mail, to_nobody).replace("nobody@", "sam@")


def test_inviting_the_same_address_again_renews_the_pending_invitation(pet):
    first = invite(pet, "new@example.com", role="viewer")
    second = invite(pet, "NEW@example.com", role="contributor")
    assert second.pk == first.pk
    assert ShareInvitation.objects.get().role == "contributor"


def test_the_owner_cannot_invite_their_own_address(pet):
    with pytest.raises(ValidationError):
        invite(pet, pet.owner.email.upper())
    assert not ShareInvitation.objects.exists()


def test_a_new_account_accepting_gets_exactly_the_share_offered(pet):
    other_pet = PetFactory(owner=pet.owner, name="Rex")
    invitation = invite(pet, role="contributor")
    with later(11):
        invite(other_pet, role="viewer")  # to the same address: not granted by the first link
    newcomer = UserFactory(username="newcomer", email="")  # new@example.com awaits confirmation
    share = share_invitation_accept(
        invitation=invitation, user=newcomer, unconfirmed_email="new@example.com"
    )
    assert (share.pet, share.grantee, share.role) == (pet, newcomer, "contributor")
    assert list(Pet.objects.visible_to(newcomer)) == [pet]
    invitation.refresh_from_db()
    assert invitation.accepted_by == newcomer
    assert invitation.accepted_at is not None
    assert ShareInvitation.objects.pending().get().pet == other_pet


def test_accepting_twice_grants_once_and_the_second_is_refused(pet):
    invitation = invite(pet)
    newcomer = UserFactory(username="newcomer", email="new@example.com")
    share_invitation_accept(invitation=invitation, user=newcomer)
    with pytest.raises(InvitationUnusable) as refused:
        share_invitation_accept(invitation=invitation, user=UserFactory(username="second"))
    assert refused.value.reason == "used"
    assert Share.objects.filter(pet=pet, grantee__username__in=["newcomer", "second"]).count() == 1


def test_accepting_never_lowers_a_share_already_held(pet, contributor):
    invitation = invite(pet, contributor.email, role="viewer")
    share = share_invitation_accept(invitation=invitation, user=contributor)
    assert share.role == "contributor"


@pytest.mark.parametrize(
    ("email", "unconfirmed"),
    [("bob@example.com", ""), ("", "bob@example.com"), ("", ""), ("bob@example.com", "new@ex.com")],
)
def test_an_account_that_does_not_use_the_invited_address_is_refused(pet, email, unconfirmed):
    invitation = invite(pet, "new@example.com", role="contributor")
    bob = UserFactory(username="bob", email=email)
    with pytest.raises(InvitationForSomeoneElse, match=r"sent to n•••@example\.com"):
        share_invitation_accept(invitation=invitation, user=bob, unconfirmed_email=unconfirmed)
    assert not Share.objects.filter(pet=pet, grantee=bob).exists()
    assert ShareInvitation.objects.pending().exists()


def test_the_invited_address_accepts_whatever_its_case(pet):
    invitation = invite(pet, "New@Example.com")
    sam = UserFactory(username="sam", email="new@EXAMPLE.com")
    assert share_invitation_accept(invitation=invitation, user=sam).grantee == sam


def test_the_owner_cannot_accept_an_invitation_to_their_own_pet(pet):
    invitation = invite(pet)
    with pytest.raises(ValidationError):
        share_invitation_accept(invitation=invitation, user=pet.owner)
    assert ShareInvitation.objects.pending().exists()


def test_a_revoked_invitation_grants_nothing(pet):
    invitation = invite(pet)
    token = invitation_token(invitation)
    assert share_invitation_revoke(invitation=invitation) is True
    assert share_invitation_revoke(invitation=invitation) is False
    with pytest.raises(InvitationUnusable) as refused:
        invitation_for_token(token)
    assert refused.value.reason == "revoked"
    with pytest.raises(InvitationUnusable):
        share_invitation_accept(invitation=invitation, user=UserFactory(username="late"))
    assert not Share.objects.filter(grantee__username="late").exists()


def test_an_expired_invitation_grants_nothing(pet):
    invitation = invite(pet)
    token = invitation_token(invitation)
    ShareInvitation.objects.filter(pk=invitation.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=20),
        expires_at=timezone.now() - datetime.timedelta(days=6),
    )
    with pytest.raises(InvitationUnusable) as refused:
        invitation_for_token(token)
    assert refused.value.reason == "expired"
    with pytest.raises(InvitationUnusable):
        share_invitation_accept(invitation=invitation, user=UserFactory(username="late"))


def test_a_token_older_than_an_invitation_lives_is_expired_whatever_the_row(pet, settings):
    invitation = invite(pet)
    token = invitation_token(invitation)
    settings.SHARE_INVITATION_DAYS = 1
    later = timezone.now() + datetime.timedelta(days=2)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.core.signing.time.time", lambda: later.timestamp())
        with pytest.raises(InvitationUnusable) as refused:
            invitation_for_token(token)
    assert refused.value.reason == "expired"


@pytest.mark.parametrize(
    "alter",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: token[:20],
        lambda token: "",
    ],
    ids=["altered", "cut short", "empty"],
)
def test_an_altered_token_is_unknown(pet, alter):
    token = invitation_token(invite(pet))
    with pytest.raises(InvitationUnusable) as refused:
        invitation_for_token(alter(token))
    assert refused.value.reason == "unknown"


def test_a_token_signed_for_another_address_is_unknown(pet):
    invitation = invite(pet)
    forged = signing.dumps({"i": str(invitation.pk), "e": "mallory@example.com"}, salt=SALT)
    with pytest.raises(InvitationUnusable) as refused:
        invitation_for_token(forged)
    assert refused.value.reason == "unknown"


def test_resending_mails_a_new_link_and_renews_the_expiry(pet, django_capture_on_commit_callbacks):
    invitation = invite(pet)
    ShareInvitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() + datetime.timedelta(days=1)
    )
    invitation.refresh_from_db()
    with later(11), django_capture_on_commit_callbacks(execute=True):
        share_invitation_resend(invitation=invitation, base_url=BASE)
    invitation.refresh_from_db()
    assert invitation.expires_at > timezone.now() + datetime.timedelta(days=13)
    assert invitation_for_token(token_in(mail.outbox[-1])) == invitation


def test_an_invitation_rolled_back_mails_nobody(pet, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ValidationError),
    ):
        share_invitation_send(
            pet=pet, email="new@example.com", role="admin", invited_by=pet.owner, base_url=BASE
        )
    assert callbacks == []
    assert mail.outbox == []


def test_pruning_deletes_only_invitations_that_ended_a_lifetime_ago(pet):
    old, recent = invite(pet, "old@example.com"), invite(pet, "recent@example.com")
    ShareInvitation.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=40),
        expires_at=timezone.now() - datetime.timedelta(days=26),
    )
    assert share_invitations_prune() == 1
    assert list(ShareInvitation.objects.all()) == [recent]


def test_the_daily_task_prunes_them(pet):
    old = invite(pet, "old@example.com")
    ShareInvitation.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=40),
        expires_at=timezone.now() - datetime.timedelta(days=26),
    )
    assert tasks.prune_share_invitations.apply().result == 1


def test_inviting_an_address_again_within_ten_minutes_mails_it_once(
    pet, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite(pet, role="viewer")
        invite(pet, role="contributor")
    assert len(mail.outbox) == 1
    assert ShareInvitation.objects.get().role == "contributor"


def test_resending_within_ten_minutes_is_refused_in_words(pet):
    invitation = invite(pet)
    with pytest.raises(ValidationError, match="less than 10 minutes ago"):
        share_invitation_resend(invitation=invitation, base_url=BASE)


def test_one_person_starts_at_most_the_daily_number_of_invitations(pet, settings):
    settings.SHARE_INVITATIONS_PER_DAY = 2
    invite(pet, "a@example.com")
    invite(pet, "b@example.com")
    invite(pet, "a@example.com")  # the same one again: not a new invitation
    with pytest.raises(ValidationError, match="2 invitations in the last day"):
        invite(pet, "c@example.com")
    assert ShareInvitation.objects.count() == 2


# --- One mailbox is not flooded ------------------------------------------------------------


def test_one_address_is_mailed_once_in_ten_minutes_whichever_pet_invites_it(
    owner, django_capture_on_commit_callbacks
):
    pets = [PetFactory(owner=owner, name=f"Pet {n}") for n in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        invite(pets[0], "victim@example.com")
        for pet in pets[1:]:
            with pytest.raises(ValidationError, match="less than 10 minutes ago"):
                invite(pet, "Victim@example.com")
    assert len(mail.outbox) == 1
    assert ShareInvitation.objects.count() == 1


def test_revoking_and_inviting_again_does_not_mail_again_within_ten_minutes(
    pet, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        share_invitation_revoke(invitation=invite(pet, "victim@example.com"))
        with pytest.raises(ValidationError, match="less than 10 minutes ago"):
            invite(pet, "victim@example.com")
    assert len(mail.outbox) == 1


def test_resends_count_in_the_inviters_daily_number(
    pet, settings, django_capture_on_commit_callbacks
):
    settings.SHARE_INVITATIONS_PER_DAY = 2
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invite(pet, "a@example.com")
    with later(11), django_capture_on_commit_callbacks(execute=True):
        share_invitation_resend(invitation=invitation, base_url=BASE)
    with later(22), pytest.raises(ValidationError, match="2 invitations in the last day"):
        invite(pet, "b@example.com")
    assert len(mail.outbox) == 2


def test_one_address_gets_at_most_the_daily_number_of_mails_from_anyone(
    pet, settings, django_capture_on_commit_callbacks
):
    settings.SHARE_INVITATION_MAILS_PER_ADDRESS = 2
    others = [PetFactory(owner=UserFactory(username=f"sender{n}")) for n in range(3)]
    for minutes, other in zip([0, 11, 22], others, strict=True):
        with later(minutes), django_capture_on_commit_callbacks(execute=True):
            if minutes < 22:
                invite(other, "victim@example.com")
            else:
                with pytest.raises(
                    ValidationError,
                    match="as many invitations in the last day as we send to one address",
                ):
                    invite(other, "victim@example.com")
    assert len(mail.outbox) == 2


def test_a_day_later_the_address_may_be_mailed_again(
    pet, settings, django_capture_on_commit_callbacks
):
    settings.SHARE_INVITATION_MAILS_PER_ADDRESS = 1
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invite(pet, "a@example.com")
    with later(24 * 60 + 1), django_capture_on_commit_callbacks(execute=True):
        share_invitation_resend(invitation=invitation, base_url=BASE)
    assert len(mail.outbox) == 2


# --- A pet's name on one line ----------------------------------------------------------------


def test_a_pet_name_with_a_line_break_is_mailed_on_one_line(
    pet, django_capture_on_commit_callbacks
):
    Pet.objects.filter(pk=pet.pk).update(name="Rex\nthe  dog")
    pet.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        invite(pet)
    [message] = mail.outbox
    assert "Rex the dog" in message.subject
    assert "\n" not in message.subject


def mail_server_down(message, fail_silently=False):
    raise OSError("the mail server is down")


def test_a_mail_that_failed_may_be_sent_again_at_once(pet, django_capture_on_commit_callbacks):
    with (
        mock.patch.object(EmailMessage, "send", mail_server_down),
        django_capture_on_commit_callbacks(execute=True),
    ):
        invitation = invite(pet)
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        share_invitation_resend(invitation=invitation, base_url=BASE)
    assert len(mail.outbox) == 1
