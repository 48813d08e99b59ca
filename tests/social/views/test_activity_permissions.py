"""Who may open the activity page: every signed-in person (their own news), nobody else; as
tests/images/views/test_permissions.py does for images' pages. (Named for this part of issue 17,
beside the likes' and comments' matrix.)"""

import datetime

import pytest
from django.test import Client

from images.services.sharing import share_link_create
from tests.social.activity_helpers import added

pytestmark = pytest.mark.django_db

LOGIN = 302
ACTORS = ("owner", "viewer", "contributor", "stranger", "anonymous")


def expect(owner, viewer, contributor, stranger, anonymous=LOGIN):
    return dict(zip(ACTORS, (owner, viewer, contributor, stranger, anonymous), strict=True))


PAGES = {
    ("GET", "/activity/"): expect(200, 200, 200, 200),
    ("GET", "/activity/?page=9"): expect(200, 200, 200, 200),  # the nearest page
    ("HEAD", "/activity/"): expect(200, 200, 200, 200),
    ("POST", "/activity/"): expect(405, 405, 405, 405),
}


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("request_line", PAGES)
def test_the_activity_page_answers_each_actor_as_it_must(
    actors, pet, contributor, request_line, actor
):
    added(pet, contributor)
    method, path = request_line
    response = getattr(actors[actor], method.lower())(path)
    assert response.status_code == PAGES[request_line][actor]
    if response.status_code == LOGIN:
        assert response["Location"].startswith("/accounts/login/")


def test_a_link_holder_has_no_activity(pet, owner, contributor):
    added(pet, contributor)
    _, token = share_link_create(pet=pet, created_by=owner, lifetime=datetime.timedelta(days=7))
    holder = Client()
    assert holder.get(f"/s/{token}/").status_code == 200
    response = holder.get("/activity/")
    assert response.status_code == LOGIN
    assert response["Location"].startswith("/accounts/login/")
    assert "activity-link" not in holder.get(f"/s/{token}/").content.decode()
