from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.confirmation import (
    INVALID,
    MAX_AGE,
    Confirmation,
    confirmation_token,
    read_confirmation_token,
)
from accounts.models import Theme, User
from accounts.signals import user_deactivated

TAKEN_SINCE = (
    "Another account uses this address now. If that account is yours, you can reset its "
    "password from the log-in page."
)
UNKNOWN_THEME = "Choose a theme: system, light or dark."
REPLACED = "This link is out of date: the account's address has changed since it was sent."


@transaction.atomic
def user_create(*, username: str, email: str, password: str | None, **extra) -> User:
    """Create an account; a ``None`` password makes one that cannot log in with a password."""
    user = User(username=username, email=User.objects.normalize_email(email), **extra)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        # A racing sign-up took the name, a look-alike or the address since the check above;
        # the check, run again, says which.
        user.full_clean(exclude=["password"])
        raise
    return user


@transaction.atomic
def user_sign_up(*, username: str, email: str, password: str, base_url: str) -> User:
    """Create an account whose address is attached only once confirmed, and mail about it
    (see email_confirmation_send): what the visitor sees does not tell whether the address
    already has an account. ``base_url`` (scheme and host) starts the mailed links."""
    user = user_create(username=username, email="", password=password)
    email_confirmation_send(user=user, email=email, base_url=base_url)
    return user


def email_confirmation_send(*, user: User, email: str, base_url: str) -> None:
    """Mail ``email`` a link that attaches it to ``user``. If another account has the
    address, mail that account's owner instead that someone tried to use it: either way
    one message goes out, and the caller says the same thing."""
    email = User.objects.normalize_email(email)
    owner = User.objects.filter(email__iexact=email).exclude(pk=user.pk).first()
    if owner is None:
        token = confirmation_token(Confirmation(user_id=user.pk, email=email, was=user.email))
        link = base_url + reverse("email_confirm", args=[token])
        context = {"link": link, "days": MAX_AGE.days}
        message = _message("registration/email_confirmation", to=email, context=context)
    else:
        context = {
            "owner": owner,
            "login_url": base_url + reverse("login"),
            "reset_url": base_url + reverse("password_reset"),
        }
        message = _message("registration/email_in_use", to=owner.email, context=context)
    # After the commit, so that a sign-up rolled back mails nobody. A mail that fails is
    # logged; the account can ask for another link from its e-mail page.
    transaction.on_commit(message.send, robust=True)


def _message(template: str, *, to: str, context: dict) -> EmailMessage:
    subject = render_to_string(f"{template}_subject.txt", context).strip()
    return EmailMessage(subject, render_to_string(f"{template}_email.txt", context), to=[to])


@transaction.atomic
def email_confirm(*, token: str) -> User:
    """Attach the address of a confirmation link to its account, unless another account has
    it by now. Raises ValidationError saying why a link does not work (altered, expired,
    out of date, or the address taken since); opening a link twice is harmless."""
    confirmation = read_confirmation_token(token)
    user = User.objects.select_for_update().filter(pk=confirmation.user_id, is_active=True).first()
    if user is None:
        raise ValidationError(INVALID, code="invalid")  # the account was deleted or deactivated
    if user.email.casefold() == confirmation.email.casefold():
        return user
    if user.email != confirmation.was:
        raise ValidationError(REPLACED, code="replaced")
    if User.objects.filter(email__iexact=confirmation.email).exclude(pk=user.pk).exists():
        raise ValidationError(TAKEN_SINCE, code="taken")
    user.email = confirmation.email
    try:
        with transaction.atomic():
            user.save(update_fields=["email"])
    except IntegrityError:  # another account confirmed it at the same moment
        raise ValidationError(TAKEN_SINCE, code="taken") from None
    return user


@transaction.atomic
def user_deactivate(*, user: User) -> int:
    """Stop ``user`` logging in and end their sessions now; their pets and photos stay.
    Returns how many sessions were ended."""
    User.objects.filter(pk=user.pk).update(is_active=False)
    user_deactivated.send(sender=User, user=user)
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
    # Through the session engine, so a cached copy goes too (cached_db keeps one in Redis).
    store: type[SessionBase] = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
    for session_key in ended:
        store(session_key).delete()
    return len(ended)


def user_set_theme(*, user: User, theme: str) -> None:
    """Remember how pages look to ``user``: one of ``Theme`` (``system`` follows their
    device's light or dark setting). Raises ValidationError for any other value."""
    if theme not in Theme.values:
        raise ValidationError(UNKNOWN_THEME, code="invalid")
    user.theme = theme
    user.save(update_fields=["theme"])
