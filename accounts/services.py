from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from accounts.models import User


@transaction.atomic
def user_create(*, username: str, email: str, password: str | None, **extra) -> User:
    """Create an account; a ``None`` password makes one that cannot log in with a password."""
    user = User(username=username, email=User.objects.normalize_email(email), **extra)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return user


@transaction.atomic
def user_deactivate(*, user: User) -> int:
    """Stop ``user`` logging in and end their sessions now; their pets and photos stay.
    Returns how many sessions were ended."""
    User.objects.filter(pk=user.pk).update(is_active=False)
    return _end_sessions(user)


def user_reactivate(*, user: User) -> None:
    """Let a deactivated account log in again."""
    User.objects.filter(pk=user.pk).update(is_active=True)


def _end_sessions(user: User) -> int:
    # Sessions are not indexed by user; deactivations are rare, so reading the live ones
    # is acceptable (an inactive user is refused by the auth backend on the next request
    # anyway; deleting the rows makes sure nothing of the session survives).
    ended = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get(SESSION_KEY) == str(user.pk):
            ended.append(session.pk)
    Session.objects.filter(pk__in=ended).delete()
    return len(ended)
