"""The signing keys' admin through its real views, for a superuser, a staff member without the
key permission, and someone who is not staff."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from accounts.models import AuditEntry
from cdn.models import Invalidation, SigningKey
from tests.factories import SigningKeyFactory, UserFactory

pytestmark = pytest.mark.django_db
State = SigningKey.State


@pytest.fixture
def superuser_client(admin_client):
    return admin_client


@pytest.fixture
def staff_client():
    """Staff who may look at keys but not manage them."""
    user = UserFactory(username="staffer", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_signingkey"))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def key_manager_client():
    user = UserFactory(username="keykeeper", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(codename="view_signingkey"),
        Permission.objects.get(codename="manage_signing_keys"),
    )
    client = Client()
    client.force_login(user)
    return client


def step_url(key, step):
    return f"/admin/cdn/signingkey/{key.pk}/step/{step}/"


def do(client, key, step):
    response = client.post(step_url(key, step), follow=True)
    key.refresh_from_db()
    return [str(message) for message in response.context["messages"]]


# Each step from each state: what the key becomes, or the refusal the admin reads.
CASES = [
    ("publish", "created", State.PUBLISHED, None),
    ("publish", "published", None, "Only a new key can be published; this one is published."),
    ("publish", "active", None, "Only a new key can be published; this one is active."),
    ("activate", "published", State.ACTIVE, None),
    ("activate", "created", None, "publish it to CloudFront first"),
    ("activate", "retiring", None, "Only a published key can be activated"),
    ("activate", "retired", None, "Only a published key can be activated"),
    ("begin_retiring", "published", State.RETIRING, None),
    ("begin_retiring", "active", None, "The active key cannot begin retiring"),
    ("begin_retiring", "created", None, "Only a published key can begin retiring"),
    ("retire", "active", None, "activate another key first"),
    ("retire", "published", None, "Only a retiring key can be retired"),
]


@pytest.mark.parametrize(("step", "state", "becomes", "refusal"), CASES)
def test_each_step_in_each_state_is_done_or_refused_clearly(
    superuser_client, make_signing_key, step, state, becomes, refusal
):
    key = make_signing_key(state=state)
    said = do(superuser_client, key, step)
    if refusal:
        assert key.state == state
        assert any(refusal in message for message in said), said
    else:
        assert key.state == becomes
        assert said == [
            f"Done: {key} is now {key.get_state_display()[0].lower()}{key.get_state_display()[1:]}."
        ]


def test_retiring_before_the_signed_urls_expire_is_refused(superuser_client, make_signing_key):
    key = make_signing_key(
        state="retiring", trusted_until=timezone.now() + datetime.timedelta(minutes=9)
    )
    said = do(superuser_client, key, "retire")
    assert key.state == State.RETIRING
    assert "retiring it before then would break them" in said[0]


def test_retiring_once_safe_takes_the_key_out(superuser_client, make_signing_key):
    key = make_signing_key(
        state="retiring", trusted_until=timezone.now() - datetime.timedelta(seconds=1)
    )
    do(superuser_client, key, "retire")
    assert key.state == State.RETIRED


def test_publishing_past_the_key_group_limit_is_refused(superuser_client, make_signing_key):
    for _ in range(5):
        make_signing_key(
            state="retiring", trusted_until=timezone.now() + datetime.timedelta(hours=1)
        )
    key = make_signing_key(state="created")
    said = do(superuser_client, key, "publish")
    assert "at most 5 keys in a key group" in said[0]


def test_every_step_asks_for_confirmation_first(superuser_client, make_signing_key):
    key = make_signing_key(state="published")
    page = superuser_client.get(step_url(key, "activate"))
    assert page.status_code == 200
    assert b"Yes, activate" in page.content
    key.refresh_from_db()
    assert key.state == State.PUBLISHED  # nothing happened yet


def test_rotate_now_runs_the_whole_rotation(superuser_client, signing_key):
    response = superuser_client.post("/admin/cdn/signingkey/step/rotate/", follow=True)
    new = SigningKey.objects.get(state=State.ACTIVE)
    assert new != signing_key
    assert response.redirect_chain[-1][0] == f"/admin/cdn/signingkey/{new.pk}/change/"
    signing_key.refresh_from_db()
    assert signing_key.state == State.RETIRING


def test_generate_makes_a_new_unpublished_key(superuser_client):
    superuser_client.post("/admin/cdn/signingkey/step/generate/")
    assert SigningKey.objects.get().state == State.CREATED


def test_a_key_manager_without_superuser_may_act(key_manager_client, make_signing_key):
    key = make_signing_key(state="created")
    do(key_manager_client, key, "publish")
    assert key.state == State.PUBLISHED


def test_staff_without_the_key_permission_see_keys_but_may_not_act(staff_client, make_signing_key):
    key = make_signing_key(state="created")
    page = staff_client.get(f"/admin/cdn/signingkey/{key.pk}/change/")
    assert page.status_code == 200
    assert b"/step/publish/" not in page.content
    assert staff_client.get(step_url(key, "publish")).status_code == 403
    assert staff_client.post(step_url(key, "publish")).status_code == 403
    assert staff_client.post("/admin/cdn/signingkey/step/rotate/").status_code == 403
    key.refresh_from_db()
    assert key.state == State.CREATED


def test_a_step_refused_for_want_of_permission_is_audited(staff_client, make_signing_key):
    key = make_signing_key(state="created")
    staff_client.post(step_url(key, "publish"))
    staff_client.post("/admin/cdn/signingkey/step/rotate/")
    staff_client.get(step_url(key, "publish"))  # only looking: not an attempt
    publish, rotate = AuditEntry.objects.order_by("created_at")
    assert (publish.action, publish.target_id) == ("signing_key.publish", str(key.pk))
    assert publish.details == {"refused": "no permission to manage signing keys"}
    assert rotate.action == "signing_key.rotate"
    assert rotate.ip_address == "127.0.0.1"


def test_people_who_are_not_staff_never_reach_the_steps(client, make_signing_key):
    key = make_signing_key(state="created")
    client.force_login(UserFactory())
    response = client.post(step_url(key, "publish"))
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_an_unknown_step_is_not_found(superuser_client, make_signing_key):
    assert superuser_client.get(step_url(make_signing_key(), "explode")).status_code == 404


def test_the_key_page_shows_its_life_and_never_its_private_key(superuser_client, make_signing_key):
    key = make_signing_key(state="active")
    html = superuser_client.get(f"/admin/cdn/signingkey/{key.pk}/change/").content.decode()
    assert key.public_key_id in html
    assert "Every photo URL and cookie from" in html
    assert "each valid for at most 20 minutes" in html
    assert key.encrypted_private_key not in html
    assert "PRIVATE KEY" not in html
    assert "/step/" not in html  # an active key is replaced by rotating, from the list


@pytest.mark.parametrize(
    ("state", "offered"),
    [
        ("created", {"publish"}),
        ("published", {"activate", "begin_retiring"}),
        ("retiring", {"retire"}),
        ("retired", set()),
    ],
)
def test_a_keys_page_offers_the_steps_of_its_state(
    superuser_client, make_signing_key, state, offered
):
    key = make_signing_key(state=state)
    html = superuser_client.get(f"/admin/cdn/signingkey/{key.pk}/change/").content.decode()
    shown = {
        step
        for step in ("publish", "activate", "begin_retiring", "retire")
        if f"/step/{step}/" in html
    }
    assert shown == offered


def test_every_step_done_or_refused_is_audited_with_who_and_where(
    superuser_client, make_signing_key
):
    key = make_signing_key(state="published")
    superuser_client.post(step_url(key, "activate"), REMOTE_ADDR="198.51.100.23")
    superuser_client.post(step_url(key, "publish"), REMOTE_ADDR="198.51.100.23")
    done, refused = AuditEntry.objects.order_by("created_at")
    assert (done.action, done.actor_username, done.ip_address) == (
        "signing_key.activate",
        "admin",
        "198.51.100.23",
    )
    assert done.target_id == str(key.pk)
    assert refused.action == "signing_key.publish"
    assert "Only a new key can be published" in refused.details["refused"]


def test_the_done_message_keeps_the_states_capitals(superuser_client, make_signing_key):
    key = make_signing_key(state="published")
    assert do(superuser_client, key, "activate") == [f"Done: {key} is now active (signs new URLs)."]


def test_the_audit_list_tells_a_refused_step_from_a_done_one(superuser_client, make_signing_key):
    key = make_signing_key(state="active")
    superuser_client.post(step_url(key, "retire"))
    other = make_signing_key(state="published")
    superuser_client.post(step_url(other, "activate"))
    html = superuser_client.get("/admin/accounts/auditentry/").content.decode()
    assert "Refused: " in html
    assert "activate another key first" in html
    assert html.count("Refused: ") == 1


# --- The key list, and the invalidations ----------------------------------------------------------


def test_staff_without_model_permissions_are_refused(client):
    client.force_login(UserFactory(is_staff=True))
    assert client.get("/admin/cdn/signingkey/").status_code == 403


def test_the_key_page_never_shows_the_private_key(admin_client):
    key = SigningKeyFactory(encrypted_private_key="gAAAA-the-encrypted-private-key")
    response = admin_client.get(f"/admin/cdn/signingkey/{key.pk}/change/")
    assert response.status_code == 200
    assert b"gAAAA-the-encrypted-private-key" not in response.content


def test_the_invalidations_list_shows_the_months_paths_against_the_free_thousand(admin_client):
    Invalidation.objects.create(paths=["/a", "/b"], path_count=2, submitted_at=timezone.now())
    response = admin_client.get("/admin/cdn/invalidation/")
    assert response.status_code == 200
    assert "2 of the 1,000 free paths used this month" in response.content.decode()


def test_invalidations_show_their_first_paths(admin_client):
    paths = [f"/renditions/p/{i}.webp" for i in range(5)]
    Invalidation.objects.create(paths=paths, path_count=5)
    html = admin_client.get("/admin/cdn/invalidation/").content.decode()
    assert "/renditions/p/0.webp, /renditions/p/1.webp, /renditions/p/2.webp and 2 more" in html
