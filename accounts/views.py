from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from accounts.confirmation import read_confirmation_token
from accounts.forms import EmailForm, SignupForm
from accounts.services import email_confirm, email_confirmation_send, user_sign_up

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _base_url(request: HttpRequest) -> str:
    """Scheme and host of this site, to start the links in mails."""
    return request.build_absolute_uri("/").removesuffix("/")


def _sent(email: str) -> str:
    # The same words whether or not the address has an account (then its owner is mailed).
    return f"We've sent a message to {email}: open the link in it to confirm"


@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """Create an account and log straight into it; its address follows once confirmed."""
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        try:
            user = user_sign_up(
                username=form.cleaned_data["username"],
                email=email,
                password=form.cleaned_data["password1"],
                base_url=_base_url(request),
            )
        except ValidationError as exc:  # a racing sign-up took the name since the form's check
            form.add_error(None, exc)
        else:
            login(request, user, backend=MODEL_BACKEND)
            messages.success(request, f"Welcome to PetTracker! {_sent(email)} your address.")
            return redirect("home")
    status = 400 if form.is_bound else 200
    return render(request, "registration/signup.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def change_email(request: HttpRequest) -> HttpResponse:
    """Ask for a link that attaches a (new) address: after sign-up, or when one expired."""
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        email_confirmation_send(user=request.user, email=email, base_url=_base_url(request))
        messages.success(request, f"{_sent(email)} the address.")
        return redirect("email_change")
    status = 400 if form.is_bound else 200
    return render(request, "registration/email_form.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def confirm_email(request: HttpRequest, token: str) -> HttpResponse:
    """The mailed link. Opening it asks to confirm, and only the answer attaches the address:
    mail scanners open links too."""
    try:
        if request.method == "POST":
            user = email_confirm(token=token)
            messages.success(request, f"{user.email} is confirmed: password resets go to it.")
            return redirect("home")
        confirmation = read_confirmation_token(token)
    except ValidationError as exc:
        context = {"error": exc.messages[0]}
        return render(request, "registration/email_confirm.html", context, status=400)
    context = {"email": confirmation.email}
    return render(request, "registration/email_confirm.html", context)
