from django.db import transaction

from accounts.models import User


@transaction.atomic
def user_create(*, username: str, email: str, password: str | None, **extra) -> User:
    """Create an account; a ``None`` password makes one that cannot log in with a password."""
    user = User(username=username, email=User.objects.normalize_email(email), **extra)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return user
