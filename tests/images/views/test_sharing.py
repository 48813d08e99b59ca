import pytest

from images.models import Share, ShareLink
from tests.factories import PetFactory, ShareFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sharing(client, owner, pet):
    client.force_login(owner)
    url = f"/pets/{pet.pk}/sharing/"
    return lambda **data: client.post(url, data) if data else client.get(url)


def test_inviting_by_username_shares_the_pet(sharing, pet):
    sam = UserFactory(username="Sam", email="sam@example.com")
    assert sharing(action="invite", who="sam", role="viewer").status_code == 302
    assert pet.shares.get(grantee=sam).role == "viewer"


def messages_on(page) -> list[bytes]:
    return [str(message).encode() for message in page.context["messages"]]


def test_inviting_by_address_says_the_same_whether_or_not_it_has_an_account(sharing, client):
    UserFactory(username="sam", email="sam@example.com")
    UserFactory(username="gone", email="gone@example.com", is_active=False)
    for address in ("sam@example.com", "nobody@example.com", "gone@example.com"):
        response = sharing(action="invite", who=address, role="viewer")
        assert response.status_code == 302
        assert messages_on(client.get(response["Location"])) == [
            f"We've sent {address} an invitation: Biscuit is shared with them once they "
            "accept it.".encode()
        ]


def test_an_address_is_invited_and_shares_nothing_yet_even_with_an_account(sharing, pet):
    UserFactory(username="ann", email="Ann@Example.com")
    before = Share.objects.count()
    sharing(action="invite", who="nobody@example.com", role="viewer")
    sharing(action="invite", who="ann@example.com", role="contributor")
    assert Share.objects.count() == before
    assert sorted(pet.invitations.pending().values_list("email", flat=True)) == [
        "ann@example.com",
        "nobody@example.com",
    ]


def test_inviting_by_username_says_who_now_sees_the_pet(sharing, pet, client):
    UserFactory(username="Sam")
    response = sharing(action="invite", who="sam", role="viewer")
    assert messages_on(client.get(response["Location"])) == [b"Biscuit is shared with Sam."]


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("nobody-here", "No PetTracker account has that username."),
        ("owner@example.com", "You can&#x27;t share a pet with its owner."),
        ("", "This field is required."),
        ("owner", "You can&#x27;t share a pet with its owner."),
    ],
)
def test_a_bad_invitation_says_why_and_shares_nothing(sharing, pet, who, message):
    before = Share.objects.count()
    response = sharing(action="invite", who=who, role="viewer")
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Share.objects.count() == before


def test_a_deactivated_account_cannot_be_invited(sharing):
    UserFactory(username="gone", is_active=False)
    response = sharing(action="invite", who="gone", role="viewer")
    assert response.status_code == 400


def test_the_owner_changes_a_role(sharing, pet, friend):
    share = pet.shares.get(grantee=friend)
    sharing(action="role", share=share.pk, role="contributor")
    share.refresh_from_db()
    assert share.role == "contributor"


def test_an_unknown_role_is_refused(sharing, pet, friend):
    share = pet.shares.get(grantee=friend)
    assert sharing(action="role", share=share.pk, role="admin").status_code == 400
    share.refresh_from_db()
    assert share.role == "viewer"


def test_another_pets_share_cannot_be_touched_from_this_page(sharing, friend):
    elsewhere = ShareFactory(pet=PetFactory(owner=friend))
    assert sharing(action="revoke", share=elsewhere.pk).status_code == 404
    assert Share.objects.filter(pk=elsewhere.pk).exists()


def test_a_new_link_is_shown_once_then_only_its_expiry(sharing, pet):
    sharing(action="link", lifetime="30")
    first = sharing().content.decode()
    link = ShareLink.objects.get(pet=pet)
    assert 'id="new-link-url"' in first
    assert "/s/" in first
    assert round((link.expires_at - link.created_at).total_seconds() / 86400) == 30
    assert 'id="new-link-url"' not in sharing().content.decode()


def test_a_new_link_brings_the_browser_to_it(sharing, pet):
    """The box with the link, shown only once, was far down a phone's page with nothing at
    the top saying the link was made."""
    response = sharing(action="link", lifetime="7", label="Grandma")
    assert response["Location"] == f"/pets/{pet.pk}/sharing/#new-link"
    page = sharing().content.decode()
    assert '<div class="new-link" id="new-link" tabindex="-1" role="status">' in page


def test_a_refused_form_is_named_at_the_top_of_the_page(sharing, pet):
    page = sharing(action="link", lifetime="7", password="short").content.decode()
    top = page[page.index("<h1>") : page.index("<h2>")]
    assert 'role="alert"' in top
    assert 'href="#new-link-form"' in top
    assert 'id="new-link-form"' in page
    page = sharing(action="invite", who="", role="viewer").content.decode()
    top = page[page.index("<h1>") : page.index("<h2>")]
    assert 'href="#share-form"' in top
    assert 'id="share-form"' in page


def test_an_unknown_lifetime_is_refused(sharing, pet):
    assert sharing(action="link", lifetime="366").status_code == 400
    assert not ShareLink.objects.filter(pet=pet).exists()


def test_an_unknown_action_is_refused(sharing):
    assert sharing(action="explode").status_code == 400


def test_the_page_says_how_soon_revoked_people_stop_loading_images(sharing):
    text = " ".join(sharing().content.decode().split())
    assert "images stop loading for them within 60 seconds" in text


@pytest.mark.parametrize(
    ("action", "field"), [("role", "share"), ("revoke", "share"), ("revoke_link", "link")]
)
@pytest.mark.parametrize(
    "value", ["not-a-uuid", "", "1" * 5000, "Ü🐶"], ids=["word", "empty", "long", "unicode"]
)
def test_a_malformed_id_is_as_unknown_as_a_missing_one(sharing, pet, action, field, value):
    shares, links = Share.objects.count(), ShareLink.objects.active().count()
    response = sharing(action=action, role="viewer", **{field: value})
    assert response.status_code == 404
    assert (Share.objects.count(), ShareLink.objects.active().count()) == (shares, links)


@pytest.mark.parametrize(("action", "field"), [("revoke", "share"), ("revoke_link", "link")])
def test_a_missing_id_is_as_unknown_as_a_missing_row(sharing, action, field):
    assert sharing(action=action).status_code == 404
