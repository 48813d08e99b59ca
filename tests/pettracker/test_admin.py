"""The admin site's own rules: every action of every model admin runs only for those holding
its permission (a superuser's account only for a superuser), and no list filter reaches a
secret field."""

from __future__ import annotations

import datetime

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry
from cdn.models import Invalidation
from images.models import PendingObjectDeletion, Photo, ReconciliationRun, ShareInvitation
from pettracker.admin import PetTrackerAdminSite, actions_without_permission
from social.models import Comment, DigestSend
from tests.factories import (
    PASSWORD,
    PetFactory,
    PhotoFactory,
    RenditionFactory,
    ShareFactory,
    ShareLinkFactory,
    SigningKeyFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _access(model, **fields):
    base = {"user_agent": "curl", "ip_address": "192.0.2.1", "username": "x", "http_accept": "*/*"}
    return model.objects.create(**base, path_info="/accounts/login/", **fields)


def _expired_attempt():
    attempt = _access(AccessAttempt, get_data="", post_data="", failures_since_start=1)
    old = timezone.now() - datetime.timedelta(days=2)
    AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=old)
    return attempt


# One object of each registered model, made so that each of its actions has work to do.
TARGETS = {
    "auth.Group": lambda: Group.objects.create(name="helpers"),
    "axes.AccessAttempt": _expired_attempt,
    "axes.AccessLog": lambda: _access(AccessLog),
    "axes.AccessFailureLog": lambda: _access(AccessFailureLog),
    "accounts.User": lambda: UserFactory(username="target"),
    "accounts.AuditEntry": lambda: AuditEntry.objects.create(actor_username="x", action="test"),
    "cdn.SigningKey": SigningKeyFactory,
    "images.Pet": PetFactory,
    "images.Photo": lambda: PhotoFactory(state=Photo.State.FAILED, error="storage was down"),
    "images.Rendition": RenditionFactory,
    "images.Share": ShareFactory,
    "images.ShareLink": ShareLinkFactory,
    "images.ShareInvitation": lambda: ShareInvitation.objects.create(
        pet=PetFactory(),
        email="invited@example.com",
        expires_at=timezone.now() + datetime.timedelta(days=14),
    ),
    "cdn.Invalidation": lambda: Invalidation.objects.create(paths=["/renditions/x/*"]),
    "images.PendingObjectDeletion": lambda: PendingObjectDeletion.objects.create(
        key="originals/1/2026/11/a.jpg",
        attempts=30,
        last_error="AccessDenied",
        set_aside_at=timezone.now(),
    ),
    "images.ReconciliationRun": lambda: ReconciliationRun.objects.create(orphans=1),
    "social.Comment": lambda: Comment.objects.create(
        photo=PhotoFactory(state=Photo.State.READY), author=UserFactory(), text="Good dog"
    ),
    "social.DigestSend": lambda: DigestSend.objects.create(
        user=UserFactory(username="reader"),
        frequency="daily",
        period_key="2026-11-25",
        period_start=timezone.now(),
        period_end=timezone.now(),
        state="failed",
    ),
}
# What an action needs of its target before it has anything to do.
PREPARE = {
    ("accounts.User", "reactivate"): lambda user: user.__class__.objects.filter(pk=user.pk).update(
        is_active=False
    ),
    # Another pet of the photo's owner to move it to.
    ("images.Photo", "move_to_pet"): lambda photo: PetFactory(owner=photo.pet.owner, name="Pepper"),
}
# What an action's intermediate page asks, posted with it: its choice made.
CHOSEN = {
    ("images.Photo", "move_to_pet"): lambda photo: {
        "to": str(photo.pet.owner.pets.exclude(pk=photo.pet_id).get().pk)
    },
}

# Actions that grant or take away powers: a superuser's only, whatever the staff member holds.
SUPERUSER_ONLY = {("auth.Group", "delete_selected")}

ACTIONS = [
    (model._meta.label, name)
    for model, model_admin in admin.site._registry.items()
    for _, name, _ in model_admin._get_base_actions()
]


def database_state() -> dict[str, list[dict]]:
    return {
        model._meta.label: list(model._base_manager.order_by("pk").values())
        for model in apps.get_models()
    }


def staff_client(username: str, *, actions: tuple[str, ...] = (), superuser=False) -> Client:
    """A logged-in staff member holding every model's ``view`` permission plus ``actions``."""
    user = UserFactory(username=username, is_staff=True, is_superuser=superuser)
    wanted = ("view", *actions)
    user.user_permissions.set(
        [perm for perm in Permission.objects.all() if perm.codename.split("_")[0] in wanted]
    )
    client = Client()
    client.force_login(user)
    return client


def offered(client: Client, label: str) -> set[str]:
    response = client.get(_changelist(label))
    form = (response.context or {}).get("action_form") if response.status_code == 200 else None
    if form is None:
        return set()  # no action at all for this user
    return {choice for choice, _ in form.fields["action"].choices}


def run_action(client: Client, label: str, action: str, target) -> int:
    data = {"action": action, "_selected_action": [target.pk], "index": 0, "post": "yes"}
    data.update(CHOSEN.get((label, action), lambda _: {})(target))
    return client.post(_changelist(label), data).status_code


def _changelist(label: str) -> str:
    app_label, model = label.lower().split(".")
    return reverse(f"admin:{app_label}_{model}_changelist")


def _target(label: str, action: str):
    target = TARGETS[label]()
    PREPARE.get((label, action), lambda _: None)(target)
    return target


def test_every_registered_model_and_action_is_exercised_below():
    assert {label for label, _ in ACTIONS} == set(TARGETS)


@pytest.mark.slow  # every action of every model admin: 10 s in all
@pytest.mark.parametrize(("label", "action"), ACTIONS)
def test_staff_who_may_only_view_can_run_no_action(label, action):
    client = staff_client("viewer")
    target = _target(label, action)
    before = database_state()
    assert action not in offered(client, label)
    assert run_action(client, label, action, target) in (200, 302)
    assert database_state() == before


@pytest.mark.slow  # every action of every model admin, twice: 12 s in all
@pytest.mark.parametrize(("label", "action"), ACTIONS)
def test_staff_with_the_permissions_run_what_a_superuser_runs(label, action):
    results = {}
    for name, client in {
        "superuser": staff_client("root", superuser=True),
        "staff": staff_client("editor", actions=("add", "change", "delete")),
    }.items():
        target = _target(label, action)
        before = database_state()
        results[name] = (
            action in offered(client, label),
            run_action(client, label, action, target) in (200, 302),
            database_state() != before,
        )
        target.__class__._base_manager.filter(pk=target.pk).delete()
    is_offered, answered, changed = results["superuser"]
    if (label, action) in SUPERUSER_ONLY:
        assert results["staff"] == (False, True, False)
    else:
        assert results["staff"] == results["superuser"]
    assert answered
    assert changed == is_offered  # an offered action did its work; a refused one nothing


@pytest.mark.parametrize("action", ["deactivate", "reactivate", "delete_selected"])
def test_acting_on_a_superuser_needs_a_superuser(action):
    client = staff_client("editor", actions=("add", "change", "delete"))
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    PREPARE.get(("accounts.User", action), lambda _: None)(root)
    before = database_state()
    run_action(client, "accounts.User", action, root)
    assert database_state() == before


def test_a_superuser_may_deactivate_another_superuser():
    client = staff_client("root", superuser=True)
    other = UserFactory(username="other-root", is_superuser=True, is_staff=True)
    run_action(client, "accounts.User", "deactivate", other)
    other.refresh_from_db()
    assert not other.is_active


def test_staff_who_change_users_cannot_make_anyone_a_superuser():
    client = staff_client("editor", actions=("change",))
    editor = client.session["_auth_user_id"]
    form = client.get(reverse("admin:accounts_user_change", args=[editor])).context["adminform"]
    assert {"is_superuser", "groups", "user_permissions"} <= set(form.readonly_fields)


def test_staff_cannot_open_a_superusers_page_to_change_it():
    client = staff_client("editor", actions=("change",))
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    response = client.post(
        reverse("admin:accounts_user_change", args=[root.pk]),
        {"username": "root", "is_active": ""},
    )
    root.refresh_from_db()
    assert response.status_code == 403
    assert root.is_active


def test_the_system_check_names_an_action_that_declares_no_permission():
    site = PetTrackerAdminSite(name="probe")

    class Careless(admin.ModelAdmin):
        actions = ["wipe"]

        @admin.action(description="Wipe")
        def wipe(self, request, queryset):
            queryset.delete()

    site.register(Group, Careless)
    assert actions_without_permission(site) == ["auth.Group: wipe"]


def test_every_action_on_the_site_declares_its_permission():
    assert actions_without_permission(admin.site) == []


# --- Secret fields are never a filter -------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "lookup"),
    [
        ("cdn.SigningKey", "encrypted_private_key__gte"),
        ("cdn.SigningKey", "encrypted_private_key__startswith"),
        ("images.ShareLink", "token_hash__gte"),
        ("images.Pet", "share_links__token_hash__gte"),
        ("images.Photo", "pet__share_links__token_hash__startswith"),
        ("accounts.User", "password__startswith"),
        ("images.Pet", "owner__password__gte"),
    ],
)
def test_a_list_cannot_be_filtered_on_a_secret_field(admin_client, label, lookup):
    SigningKeyFactory(encrypted_private_key="gAAAA-secret")
    ShareLinkFactory()
    response = admin_client.get(_changelist(label), {lookup: "a"})
    assert response.status_code == 400


def test_lists_still_filter_on_ordinary_fields(admin_client):
    SigningKeyFactory()
    ShareLinkFactory()
    keys = admin_client.get(_changelist("cdn.SigningKey"), {"state__exact": "published"})
    links = admin_client.get(_changelist("images.ShareLink"), {"revoked_at__isnull": "True"})
    assert len(keys.context["cl"].result_list) == 1
    assert len(links.context["cl"].result_list) == 1


@pytest.mark.slow  # every action of every model admin, five ids each: 12 s in all
@pytest.mark.parametrize(("label", "action"), ACTIONS)
@pytest.mark.parametrize(
    "selected",
    ["not-a-uuid", "9" * 25, "9" * 5000, "-1.5", ""],
    ids=["word", "past-the-column", "past-int", "float", "empty"],
)
def test_an_action_on_a_malformed_id_is_a_400_and_changes_nothing(label, action, selected):
    client = staff_client("boss", superuser=True)
    client.raise_request_exception = False
    target = _target(label, action)
    # Where the list offers actions, a malformed selection is refused whichever is posted (the
    # deletion outbox offers "Try again now" but no deletion). A list offering none (no model
    # allows deleting its keys or audit entries) is shown again, saying no action was chosen.
    expected = 400 if offered(client, label) else 200
    before = database_state()
    data = {"action": action, "_selected_action": [target.pk, selected], "index": 0, "post": "yes"}
    response = client.post(_changelist(label), data)
    assert response.status_code == expected
    assert database_state() == before


AUTOCOMPLETED = [
    (model._meta.label, name)
    for model, model_admin in admin.site._registry.items()
    for name in model_admin.autocomplete_fields
]
NOT_AN_ID = ["not-a-uuid", "9" * 25, "9" * 5000]


@pytest.mark.parametrize(("label", "field"), AUTOCOMPLETED)
@pytest.mark.parametrize("value", NOT_AN_ID, ids=["word", "past-the-column", "past-int"])
def test_an_autocompleted_field_given_no_id_shows_the_form_again(admin_client, label, field, value):
    app_label, model = label.lower().split(".")
    admin_client.raise_request_exception = False
    response = admin_client.post(reverse(f"admin:{app_label}_{model}_add"), {field: value})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field]


@pytest.mark.parametrize("value", NOT_AN_ID, ids=["word", "past-the-column", "past-int"])
def test_an_autocompleted_inline_field_given_no_id_shows_the_form_again(admin_client, value):
    pet = PetFactory()
    admin_client.raise_request_exception = False
    data = {
        "owner": pet.owner_id,
        "name": pet.name,
        "species": pet.species,
        **{
            f"{prefix}-{name}": n
            for prefix in ("shares", "share_links")
            for name, n in [
                ("TOTAL_FORMS", 0),
                ("INITIAL_FORMS", 0),
                ("MIN_NUM_FORMS", 0),
                ("MAX_NUM_FORMS", 1000),
            ]
        },
        "shares-TOTAL_FORMS": 1,
        "shares-0-grantee": value,
        "shares-0-role": "viewer",
    }
    response = admin_client.post(reverse("admin:images_pet_change", args=[pet.pk]), data)
    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][0].formset.errors[0]["grantee"]


def test_staff_who_change_groups_cannot_grant_themselves_powers():
    client = staff_client("editor", actions=("change",))
    group = Group.objects.create(name="helpers")
    group.user_set.add(client.session["_auth_user_id"])
    everything = list(Permission.objects.values_list("pk", flat=True))
    response = client.post(
        reverse("admin:auth_group_change", args=[group.pk]),
        {"name": "helpers", "permissions": everything},
    )
    assert response.status_code == 403
    assert not group.permissions.exists()


def test_staff_who_change_users_cannot_take_over_another_staff_member():
    client = staff_client("editor", actions=("change",))
    colleague = UserFactory(username="colleague", is_staff=True)
    response = client.post(
        f"/admin/accounts/user/{colleague.pk}/password/",
        {"password1": "a new pass phrase 123", "password2": "a new pass phrase 123"},
    )
    colleague.refresh_from_db()
    assert response.status_code == 403
    assert colleague.check_password(PASSWORD)
