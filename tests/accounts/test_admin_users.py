import pytest
from django.test import Client

from accounts.models import AuditEntry, User
from cdn.revocation import access_floors
from tests.factories import PetFactory, PhotoFactory, UserFactory, ready_photo

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/accounts/user/"


def act(admin_client, action, *users, **extra):
    return admin_client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [user.pk for user in users]},
        follow=True,
        **extra,
    )


def test_the_list_shows_pets_photos_and_storage_per_user(admin_client, owner):
    pet = PetFactory(owner=owner)
    for _ in range(3):
        ready_photo(pet=pet)  # 1,024 bytes of original + 256+1024+2048... bytes of renditions
    PetFactory(owner=owner)
    user = admin_client.get(CHANGELIST, {"q": "owner"}).context["cl"].result_list[0]
    assert (user.pets_owned, user.photos_owned) == (2, 3)
    assert user.original_bytes == 3 * 1024
    assert user.rendition_bytes == 3 * 4 * 4096
    assert b"51.0\xc2\xa0KB" in admin_client.get(CHANGELIST, {"q": "owner"}).content


def test_the_list_filters_by_active_staff_and_joined(admin_client, owner):
    UserFactory(username="gone", is_active=False)
    active = admin_client.get(CHANGELIST, {"is_active__exact": "0"}).context["cl"].result_list
    assert [user.username for user in active] == ["gone"]
    assert (
        admin_client.get(CHANGELIST, {"date_joined__gte": "2000-01-01 00:00:00+00:00"}).status_code
        == 200
    )


def test_a_users_page_lists_their_pets(admin_client, owner):
    pet = PetFactory(owner=owner, name="Comet")
    html = admin_client.get(f"/admin/accounts/user/{owner.pk}/change/").content.decode()
    assert f"/admin/images/pet/{pet.pk}/change/" in html
    assert "Comet" in html


def test_deactivating_ends_the_users_sessions_at_once_and_keeps_their_photos(
    admin_client, owner, signing_key
):
    photo = ready_photo(pet=PetFactory(owner=owner))
    browser = Client()
    browser.force_login(owner)
    assert browser.get("/pets/").status_code == 200
    response = act(admin_client, "deactivate", owner)
    assert "1 user(s) deactivated; 1 session(s) ended." in response.content.decode()
    assert browser.get("/pets/").status_code == 302  # logged out
    owner.refresh_from_db()
    assert not owner.is_active
    photo.refresh_from_db()  # still there


def test_admins_cannot_deactivate_themselves(admin_client, admin_user, owner):
    response = act(admin_client, "deactivate", admin_user, owner)
    assert "You can&#x27;t deactivate yourself." in response.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_reactivating_lets_them_log_in_again(admin_client):
    gone = UserFactory(username="gone", is_active=False)
    act(admin_client, "reactivate", gone)
    gone.refresh_from_db()
    assert gone.is_active
    response = Client().post(
        "/accounts/login/", {"username": "gone", "password": "correct horse battery staple"}
    )
    assert response.status_code == 302


def test_deactivation_and_reactivation_are_audited_with_the_address(admin_client, owner):
    act(admin_client, "deactivate", owner, REMOTE_ADDR="203.0.113.77")
    act(admin_client, "reactivate", owner, REMOTE_ADDR="203.0.113.77")
    entries = AuditEntry.objects.order_by("created_at")
    assert [(e.action, e.target_repr, e.ip_address) for e in entries] == [
        ("user.deactivate", "owner", "203.0.113.77"),
        ("user.reactivate", "owner", "203.0.113.77"),
    ]


def user_form(**fields) -> dict[str, str]:
    """The owner's change form as posted, ticked boxes given as ``name="on"``."""
    return {
        "username": "owner",
        "email": "owner@example.com",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "initial-date_joined_0": "2026-01-01",
        "initial-date_joined_1": "00:00:00",
        "pets-TOTAL_FORMS": "0",
        "pets-INITIAL_FORMS": "0",
        **fields,
    }


def test_an_edit_through_the_form_is_audited(admin_client, owner):
    data = user_form(is_active="on", is_staff="on")
    response = admin_client.post(f"/admin/accounts/user/{owner.pk}/change/", data)
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="change")
    assert entry.target_type == "accounts.User"
    assert "Staff status" in str(entry.details)
    assert User.objects.get(pk=owner.pk).is_staff


def test_the_audit_trail_is_read_only(admin_client):
    entry = AuditEntry.objects.create(actor_username="someone", action="user.deactivate")
    assert admin_client.get("/admin/accounts/auditentry/").status_code == 200
    page = admin_client.get(f"/admin/accounts/auditentry/{entry.pk}/change/")
    assert b'name="action"' not in page.content
    assert admin_client.post(f"/admin/accounts/auditentry/{entry.pk}/delete/").status_code == 403
    assert admin_client.get("/admin/accounts/auditentry/add/").status_code == 403


def test_a_users_page_shows_their_uploads_against_their_quota(admin_client, owner):
    PhotoFactory(pet=PetFactory(), uploader=owner, size=3 * 1024 * 1024)
    owner.photo_quota = 50
    owner.save(update_fields=["photo_quota"])
    page = admin_client.get(f"/admin/accounts/user/{owner.pk}/change/").content.decode()
    assert "1 of 50 photos, 3.0\xa0MB of 20.0\xa0GB" in page


def test_unticking_active_in_the_form_ends_sessions_and_revokes_at_the_cdn(admin_client, owner):
    pet = PetFactory(owner=owner)
    browser = Client()
    browser.force_login(owner)
    data = user_form()  # "is_active" left out: unticked
    response = admin_client.post(f"/admin/accounts/user/{owner.pk}/change/", data)
    assert response.status_code == 302
    assert not User.objects.get(pk=owner.pk).is_active
    assert browser.get("/pets/").status_code == 302  # its session ended
    assert pet.pk in access_floors([pet.pk])
