"""The admin's actions on photos, pets and access go through the services, in one transaction,
and into the audit trail."""

import datetime
import html
import re

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from accounts.models import AuditEntry
from cdn.models import PendingInvalidation
from cdn.revocation import access_floors
from cdn.signer import get_signer
from images.models import (
    PendingObjectDeletion,
    Pet,
    Photo,
    ReconciliationRun,
    Rendition,
    Share,
    ShareLink,
)
from images.services.sharing import share_link_create
from tests.factories import (
    PetFactory,
    PhotoFactory,
    ShareFactory,
    ShareLinkFactory,
    UserFactory,
    ready_photo,
    store_renditions,
)
from tests.images.helpers import queued_for_deletion, store

pytestmark = pytest.mark.django_db


def act(admin_client, changelist, action, *objects):
    return admin_client.post(
        changelist,
        {"action": action, "_selected_action": [obj.pk for obj in objects]},
        follow=True,
    )


def test_photos_are_listed_with_a_signed_preview_at_one_signature_a_pet(admin_client, signing_key):
    pets = [PetFactory() for _ in range(3)]
    for pet in [*pets, pets[0]]:
        ready_photo(pet=pet)  # four photos of three pets
    signer = get_signer()
    before = signer.signatures
    html = admin_client.get("/admin/images/photo/").content.decode()
    assert html.count('<img src="/cdn/renditions/') == 4
    assert signer.signatures - before == 3


def test_a_preview_opens_its_own_pets_renditions_and_no_other(admin_client, signing_key):
    mine, theirs = ready_photo(pet=PetFactory()), ready_photo(pet=PetFactory())
    store_renditions(mine)
    store_renditions(theirs)
    response = admin_client.get(f"/admin/images/photo/{mine.pk}/change/")
    page = response.content.decode()
    preview = html.unescape(re.search(r'<img src="(/cdn/renditions/[^"]+)"', page).group(1))
    assert "?" not in preview  # a plain URL, which the page's cookies open
    paths = {m["path"] for m in response.cookies.values() if m.key == "CloudFront-Policy"}
    assert paths == {f"/cdn/renditions/{mine.pet_id}/"}
    other = theirs.renditions.get(name="thumb").key
    assert admin_client.get(preview).status_code == 200
    assert admin_client.get(f"/cdn/{other}").status_code == 403


def test_the_photo_list_filters_by_state(admin_client):
    failed = PhotoFactory(state=Photo.State.FAILED, error="not an image")
    PhotoFactory(state=Photo.State.READY)
    listed = admin_client.get("/admin/images/photo/", {"state__exact": "failed"})
    assert list(listed.context["cl"].result_list) == [failed]


def test_failed_photos_are_processed_again(
    admin_client, monkeypatch, django_capture_on_commit_callbacks
):
    failed = PhotoFactory(state=Photo.State.FAILED, error="storage could not be reached")
    queued = []
    monkeypatch.setattr(
        "images.tasks.process_photo.delay", lambda photo_id: queued.append(photo_id)
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = act(admin_client, "/admin/images/photo/", "reprocess", failed)
    assert "1 photo(s) queued for processing again." in response.content.decode()
    assert queued == [str(failed.pk)]
    failed.refresh_from_db()
    assert (failed.state, failed.error) == (Photo.State.PROCESSING, "")
    assert AuditEntry.objects.get().action == "photo.reprocess"


def test_deleting_photos_goes_through_the_pipelines_deletion(admin_client):
    photo = ready_photo(pet=PetFactory())
    keys = {photo.original_key, *photo.renditions.values_list("key", flat=True)}
    admin_client.post(
        "/admin/images/photo/",
        {"action": "delete_selected", "_selected_action": [photo.pk], "post": "yes"},
    )
    assert not Photo.objects.filter(pk=photo.pk).exists()
    assert queued_for_deletion(keys)
    assert PendingInvalidation.objects.count() == len(keys)
    assert AuditEntry.objects.get().action == "delete"


def test_deleting_a_pet_from_its_page_deletes_its_photos_objects_too(admin_client):
    photo = ready_photo(pet=PetFactory())
    admin_client.post(f"/admin/images/pet/{photo.pet_id}/delete/", {"post": "yes"})
    assert not Pet.objects.filter(pk=photo.pet_id).exists()
    assert PendingObjectDeletion.objects.filter(key=photo.original_key).exists()


def test_shares_are_revoked_in_bulk_and_audited(admin_client, pet):
    shares = list(pet.shares.all())
    response = act(admin_client, "/admin/images/share/", "revoke", *shares)
    assert "2 share(s) revoked." in response.content.decode()
    assert not Share.objects.exists()
    assert AuditEntry.objects.filter(action="share.revoke").count() == 2


def test_links_are_revoked_in_bulk(admin_client, pet):
    links = ShareLinkFactory.create_batch(3, pet=pet)
    act(admin_client, "/admin/images/sharelink/", "revoke", *links)
    assert ShareLink.objects.filter(revoked_at__isnull=True).count() == 0
    assert AuditEntry.objects.filter(action="share_link.revoke").count() == 3


def test_shares_and_links_are_edited_inline_on_the_pet(admin_client, pet, friend):
    html = admin_client.get(f"/admin/images/pet/{pet.pk}/change/").content.decode()
    assert 'name="shares-TOTAL_FORMS"' in html
    assert 'name="share_links-TOTAL_FORMS"' in html
    assert friend.username in html


def test_a_bulk_action_that_fails_changes_nothing(admin_client, pet, monkeypatch):
    shares = list(pet.shares.all())
    calls = []

    def revoke_then_fail(*, share):
        calls.append(share)
        Share.objects.filter(pk=share.pk).delete()
        if len(calls) == 2:
            raise RuntimeError("the database went away")

    monkeypatch.setattr("images.admin.share_revoke", revoke_then_fail)
    with pytest.raises(RuntimeError):
        act(admin_client, "/admin/images/share/", "revoke", *shares)
    assert Share.objects.count() == 2  # one transaction: the first revocation was undone too


def test_pets_are_listed_with_their_covers_signed(admin_client, signing_key):
    pets = [PetFactory() for _ in range(3)]
    for pet in pets:
        ready_photo(pet=pet)
    html = admin_client.get("/admin/images/pet/").content.decode()
    assert html.count('<img src="/cdn/renditions/') == 3


def test_a_photos_page_shows_its_preview_and_edits_only_the_caption(admin_client, signing_key):
    photo = ready_photo(pet=PetFactory(), caption="old")
    page = admin_client.get(f"/admin/images/photo/{photo.pk}/change/").content.decode()
    assert '<img src="/cdn/renditions/' in page
    assert 'name="caption"' in page
    assert 'name="original_key"' not in page


def test_deleting_a_rendition_goes_through_the_pipeline_and_is_audited(admin_client):
    photo = ready_photo(pet=PetFactory())
    thumb = photo.renditions.get(name="thumb")
    response = admin_client.post(f"/admin/images/rendition/{thumb.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not photo.renditions.filter(pk=thumb.pk).exists()
    assert PendingObjectDeletion.objects.filter(key=thumb.key).exists()
    assert PendingInvalidation.objects.filter(path=f"/{thumb.key}").exists()
    entry = AuditEntry.objects.get(action="delete")
    assert entry.target_type == "images.Rendition"


def test_deleting_renditions_in_bulk_goes_through_the_pipeline(admin_client):
    photo = ready_photo(pet=PetFactory())
    keys = set(photo.renditions.values_list("key", flat=True))
    admin_client.post(
        "/admin/images/rendition/",
        {
            "action": "delete_selected",
            "_selected_action": [r.pk for r in photo.renditions.all()],
            "post": "yes",
        },
    )
    assert set(PendingObjectDeletion.objects.values_list("key", flat=True)) == keys
    assert AuditEntry.objects.filter(action="delete").count() == 4


# --- The deletion outbox and the reconciliation runs -------------------------------------------


def set_aside(key: str) -> PendingObjectDeletion:
    return PendingObjectDeletion.objects.create(
        key=key,
        attempts=30,
        last_error="ClientError: AccessDenied",
        not_before=timezone.now() + datetime.timedelta(hours=1),
        set_aside_at=timezone.now(),
    )


def test_set_aside_deletions_are_tried_again_now(
    admin_client, monkeypatch, django_capture_on_commit_callbacks
):
    stuck, other = set_aside("originals/1/2026/11/a.jpg"), set_aside("originals/1/2026/11/b.jpg")
    sent = []
    monkeypatch.setattr("images.tasks.delete_pending_objects.delay", lambda: sent.append(1))
    with django_capture_on_commit_callbacks(execute=True):
        response = act(admin_client, "/admin/images/pendingobjectdeletion/", "retry", stuck)
    assert "1 deletion(s) will be tried again at once." in response.content.decode()
    stuck.refresh_from_db()
    assert (stuck.set_aside_at, stuck.attempts) == (None, 0)
    assert stuck.not_before <= timezone.now()
    assert PendingObjectDeletion.objects.due().get() == stuck
    assert sent == [1]  # the deletion task is sent at once
    other.refresh_from_db()
    assert other.set_aside_at is not None
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.target_id) == ("object_deletion.retry", str(stuck.pk))


def test_staff_who_may_only_view_the_outbox_cannot_try_again(client):
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename="view_pendingobjectdeletion"))
    client.force_login(viewer)
    stuck = set_aside("originals/1/2026/11/a.jpg")
    listed = client.get("/admin/images/pendingobjectdeletion/")
    assert listed.status_code == 200
    assert "originals/1/2026/11/a.jpg" in listed.content.decode()
    act(client, "/admin/images/pendingobjectdeletion/", "retry", stuck)
    stuck.refresh_from_db()
    assert (stuck.set_aside_at is not None, stuck.attempts) == (True, 30)
    assert not AuditEntry.objects.exists()


def test_the_outbox_lists_the_set_aside_ones_apart_and_changes_no_field(admin_client):
    stuck = set_aside("originals/1/2026/11/a.jpg")
    PendingObjectDeletion.objects.create(key="renditions/p/")
    listed = admin_client.get("/admin/images/pendingobjectdeletion/", {"set_aside": "yes"})
    assert list(listed.context["cl"].result_list) == [stuck]
    waiting = admin_client.get("/admin/images/pendingobjectdeletion/", {"set_aside": "no"})
    assert [d.key for d in waiting.context["cl"].result_list] == ["renditions/p/"]
    found = admin_client.get("/admin/images/pendingobjectdeletion/", {"q": "renditions"})
    assert [d.key for d in found.context["cl"].result_list] == ["renditions/p/"]
    page = admin_client.get(f"/admin/images/pendingobjectdeletion/{stuck.pk}/change/")
    assert page.status_code == 200
    assert 'name="key"' not in page.content.decode()
    posted = admin_client.post(
        f"/admin/images/pendingobjectdeletion/{stuck.pk}/change/", {"key": "originals/"}
    )
    assert posted.status_code == 403
    assert admin_client.get("/admin/images/pendingobjectdeletion/add/").status_code == 403
    deleting = admin_client.post(
        f"/admin/images/pendingobjectdeletion/{stuck.pk}/delete/", {"post": "yes"}
    )
    assert deleting.status_code == 403
    assert PendingObjectDeletion.objects.filter(pk=stuck.pk, key=stuck.key).exists()


def test_a_reconciliation_run_is_shown_with_its_examples_and_cannot_be_changed(admin_client):
    run = ReconciliationRun.objects.create(
        orphans=1, examples={"orphans": ["originals/1/<b>.jpg"], "missing_originals": []}
    )
    assert admin_client.get("/admin/images/reconciliationrun/").status_code == 200
    page = admin_client.get(f"/admin/images/reconciliationrun/{run.pk}/change/").content.decode()
    assert "<strong>Orphans</strong><br>originals/1/&lt;b&gt;.jpg<br>" in page
    assert "<strong>Missing originals</strong>" not in page  # no example of that kind
    assert admin_client.get("/admin/images/reconciliationrun/add/").status_code == 403
    deleting = admin_client.post(
        f"/admin/images/reconciliationrun/{run.pk}/delete/", {"post": "yes"}
    )
    assert deleting.status_code == 403


def test_access_ended_in_the_admin_reaches_the_cdn(admin_client, owner, friend):
    """Deleting a share, changing its grantee, revoking a link by hand, giving a pet another
    owner: each raises the pet's access floor, as the sharing page's revocations do."""
    pets = [PetFactory(owner=owner) for _ in range(4)]
    share = ShareFactory(pet=pets[0], grantee=friend, role="viewer")
    admin_client.post(f"/admin/images/share/{share.pk}/delete/", {"post": "yes"})
    moved = ShareFactory(pet=pets[1], grantee=friend, role="viewer")
    moved.grantee = UserFactory()
    moved.save()
    link, _ = share_link_create(pet=pets[2], created_by=owner, lifetime=datetime.timedelta(days=1))
    link.revoked_at = timezone.now()
    link.save()
    pets[3].owner = friend
    pets[3].save()
    assert set(access_floors([pet.pk for pet in pets])) == {pet.pk for pet in pets}


def test_a_new_share_or_link_raises_no_floor(owner, friend):
    pet = PetFactory(owner=owner)
    ShareFactory(pet=pet, grantee=friend, role="viewer")
    share_link_create(pet=pet, created_by=owner, lifetime=datetime.timedelta(days=1))
    assert access_floors([pet.pk]) == {}


def test_photos_are_moved_to_another_pet_of_their_owner_through_a_page_and_audited(
    admin_client, pet, owner
):
    other = PetFactory(owner=owner, name="Pepper")
    PetFactory(name="Someone else's")
    photos = [ready_photo(pet=pet) for _ in range(2)]
    for key in Rendition.objects.filter(photo__in=photos).values_list("key", flat=True):
        store(key)
    page = act(admin_client, "/admin/images/photo/", "move_to_pet", *photos).content.decode()
    assert "Move photos to another pet" in page
    assert "Pepper" in page
    assert "Someone else" not in page
    admin_client.post(
        "/admin/images/photo/",
        {"action": "move_to_pet", "_selected_action": [p.pk for p in photos], "to": other.pk},
    )
    assert set(
        Photo.objects.filter(pk__in=[p.pk for p in photos]).values_list("pet", flat=True)
    ) == {other.pk}
    moved = AuditEntry.objects.filter(action="photo.move")
    assert moved.count() == 2
    assert moved.first().details["to_pet"] == str(other.pk)


def test_a_move_whose_audit_entries_cannot_be_written_moves_nothing(
    admin_client, pet, owner, monkeypatch
):
    other = PetFactory(owner=owner, name="Pepper")
    photos = [ready_photo(pet=pet) for _ in range(2)]
    for key in Rendition.objects.filter(photo__in=photos).values_list("key", flat=True):
        store(key)

    def audit_trail_down(**_fields):
        raise RuntimeError("the audit trail could not be written")

    monkeypatch.setattr("images.admin.audit_record", audit_trail_down)
    with pytest.raises(RuntimeError, match="audit trail"):
        admin_client.post(
            "/admin/images/photo/",
            {"action": "move_to_pet", "_selected_action": [p.pk for p in photos], "to": other.pk},
        )
    assert set(
        Photo.objects.filter(pk__in=[p.pk for p in photos]).values_list("pet", flat=True)
    ) == {pet.pk}
    assert not AuditEntry.objects.filter(action="photo.move").exists()
    kept = Rendition.objects.filter(photo__in=photos).values_list("key", flat=True)
    assert all(key.startswith(f"renditions/{pet.pk}/") for key in kept)
    assert not queued_for_deletion(kept)


def test_photos_of_two_owners_are_not_moved_together(admin_client, pet):
    mine, theirs = ready_photo(pet=pet), ready_photo(pet=PetFactory())
    response = act(admin_client, "/admin/images/photo/", "move_to_pet", mine, theirs)
    assert "Photos move only between pets of one owner" in html.unescape(response.content.decode())
    assert Photo.objects.get(pk=mine.pk).pet == pet


def test_staff_who_may_only_view_photos_are_not_offered_the_move(client):
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_photo"))
    client.force_login(staff)
    page = client.get("/admin/images/photo/").content.decode()
    assert "move_to_pet" not in page
