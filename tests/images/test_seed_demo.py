import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from accounts.models import User
from images.models import Pet, Photo, Share

pytestmark = pytest.mark.django_db


def test_it_refuses_to_run_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="passwords are public"):
        call_command("seed_demo")
    assert not User.objects.exists()


@pytest.mark.slow  # draws the demo photos: about a second
def test_it_makes_an_owner_a_friend_and_a_stranger_with_printed_passwords(settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo")
    out = capsys.readouterr().out
    for name in ("olivia", "frank", "sam"):
        user = User.objects.get(username=name)
        password = f"{name}-pettracker-demo"
        assert password in out
        assert user.check_password(password)
    olivia, frank, sam = (User.objects.get(username=n) for n in ("olivia", "frank", "sam"))
    assert Pet.objects.visible_to(frank).filter(owner=olivia).exists()
    assert not Pet.objects.visible_to(sam).exclude(owner=sam).exists()


@pytest.mark.slow  # draws the demo photos: about a second
def test_its_photos_are_real_images_stored_under_their_keys(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    photo = Photo.objects.first()
    with default_storage.open(photo.original_key) as stored:
        assert stored.read(3) == b"\xff\xd8\xff"  # a JPEG


@pytest.mark.slow  # draws the demo photos: about a second
def test_running_it_twice_adds_nothing_and_keeps_the_logins_working(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    counts = (
        User.objects.count(),
        Pet.objects.count(),
        Photo.objects.count(),
        Share.objects.count(),
    )
    User.objects.filter(username="olivia").update(is_active=False)
    call_command("seed_demo")
    assert counts == (
        User.objects.count(),
        Pet.objects.count(),
        Photo.objects.count(),
        Share.objects.count(),
    )
    assert User.objects.get(username="olivia").is_active
