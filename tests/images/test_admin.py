import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEntry, User
from cdn.models import Invalidation
from images.models import PendingObjectDeletion, ReconciliationRun
from tests.factories import (
    PetFactory,
    PhotoFactory,
    RenditionFactory,
    ShareFactory,
    ShareLinkFactory,
    SigningKeyFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

CHANGELISTS = [
    "/admin/accounts/user/",
    "/admin/images/pet/",
    "/admin/images/photo/",
    "/admin/images/rendition/",
    "/admin/images/share/",
    "/admin/images/sharelink/",
    "/admin/cdn/signingkey/",
    "/admin/cdn/invalidation/",
    "/admin/accounts/auditentry/",
    "/admin/images/pendingobjectdeletion/",
    "/admin/images/reconciliationrun/",
]


def populate(rows: int) -> None:
    for _ in range(rows):
        photo = PhotoFactory()
        RenditionFactory(photo=photo)
        ShareFactory(pet=photo.pet)
        ShareLinkFactory(pet=photo.pet)
        SigningKeyFactory()
        Invalidation.objects.create(paths=["/a"], path_count=1)
        AuditEntry.objects.create(actor_username="someone", action="user.deactivate")
        PendingObjectDeletion.objects.create(key=f"originals/1/{photo.pk}.jpg", attempts=2)
        ReconciliationRun.objects.create(orphans=1, examples={"orphans": ["originals/x"]})


@pytest.mark.parametrize("url", CHANGELISTS)
def test_every_changelist_works_for_a_superuser_and_searches(admin_client, url):
    populate(2)
    assert admin_client.get(url).status_code == 200
    assert admin_client.get(url, {"q": "zzz"}).status_code == 200


@pytest.mark.parametrize("url", CHANGELISTS)
def test_changelist_queries_do_not_grow_with_the_rows(admin_client, url):
    populate(2)
    admin_client.get(url)  # warm: the signer has looked for the active key
    with CaptureQueriesContext(connection) as few:
        admin_client.get(url)
    populate(8)
    with CaptureQueriesContext(connection) as many:
        admin_client.get(url)
    assert len(many) == len(few)


@pytest.mark.parametrize("url", CHANGELISTS)
def test_people_who_are_not_staff_are_sent_to_the_admin_login(client, url):
    client.force_login(UserFactory())
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_a_pet_page_lists_its_shares_inline(admin_client):
    pet = PetFactory()
    share = ShareFactory(pet=pet, grantee=UserFactory(username="grantee-on-page"))
    response = admin_client.get(f"/admin/images/pet/{pet.pk}/change/")
    assert response.status_code == 200
    assert share.grantee.username.encode() in response.content


def test_the_admin_can_add_a_user_with_an_email_and_a_password(admin_client):
    response = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "username": "added",
            "email": "added@example.com",
            "usable_password": "true",
            "password1": "a sturdy passphrase 42",
            "password2": "a sturdy passphrase 42",
        },
    )
    assert response.status_code == 302
    assert User.objects.get(username="added").check_password("a sturdy passphrase 42")


def test_an_admin_corrects_a_photos_date_taken_within_bounds(admin_client, signing_key):
    photo = PhotoFactory(state="ready")
    url = f"/admin/images/photo/{photo.pk}/change/"
    assert 'name="taken_at_0"' in admin_client.get(url).content.decode()
    renditions = {"renditions-TOTAL_FORMS": "0", "renditions-INITIAL_FORMS": "0"}
    future = {"taken_at_0": "2999-01-01", "taken_at_1": "10:00:00", **renditions}
    assert "That is in the future" in admin_client.post(url, future).content.decode()
    past = {"caption": "Asleep", "taken_at_0": "2020-05-06", "taken_at_1": "07:08:00"}
    response = admin_client.post(url, {**past, **renditions})
    assert response.status_code == 302
    photo.refresh_from_db()
    assert (photo.caption, photo.taken_at.isoformat()) == ("Asleep", "2020-05-06T07:08:00+00:00")
    assert photo.taken_at_source == "owner"
