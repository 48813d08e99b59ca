from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from accounts import themes
from accounts.confirmation import read_confirmation_token, remember_unconfirmed_email
from accounts.forms import EmailForm, SignupForm
from accounts.models import Theme
from accounts.services import (
    UNKNOWN_THEME,
    email_confirm,
    email_confirmation_send,
    user_set_theme,
    user_sign_up,
)
from pettracker.net import is_local_path, site_url

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _sent(email: str) -> str:
    # The same words whether or not the address has an account (then its owner is mailed).
    return f"We've sent a message to {email}: open the link in it to confirm"


@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """Create an account and log straight into it; its address follows once confirmed."""
    # Where to go once signed up: a page of this site only (an invitation's link sends its
    # page here, with the address it was mailed to filled in).
    back = request.POST.get("next") or request.GET.get("next") or ""
    back = back if is_local_path(request, back) else ""
    if request.user.is_authenticated:
        return redirect(back or "home")
    initial = {"email": request.GET.get("email", "")}
    form = SignupForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        try:
            user = user_sign_up(
                username=form.cleaned_data["username"],
                email=email,
                password=form.cleaned_data["password1"],
                base_url=site_url(request),
            )
        except ValidationError as exc:  # a racing sign-up took the name since the form's check
            form.add_error(None, exc)
        else:
            login(request, user, backend=MODEL_BACKEND)
            remember_unconfirmed_email(request.session, email)
            messages.success(request, f"Welcome to PetTracker! {_sent(email)} your address.")
            return redirect(back or "home")
    status = 400 if form.is_bound else 200
    context = {"form": form, "next": back}
    return render(request, "registration/signup.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def change_email(request: HttpRequest) -> HttpResponse:
    """Ask for a link that attaches a (new) address: after sign-up, or when one expired."""
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        email_confirmation_send(user=request.user, email=email, base_url=site_url(request))
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


@require_POST
def set_theme(request: HttpRequest) -> HttpResponse:
    """The header's theme switch: remembered on the account, or in a cookie for visitors (a
    share link's holders too), then back to the page it was pressed on."""
    theme = request.POST.get("theme", "")
    back = request.POST.get("next") or reverse("home")
    if theme not in Theme.values:
        return _bad_request(UNKNOWN_THEME)
    if not is_local_path(request, back):
        return _bad_request("The page to return to must be on this site.")
    response = HttpResponseRedirect(back)  # a path: never a view's name to look up
    if request.user.is_authenticated:
        user_set_theme(user=request.user, theme=theme)
    elif theme == Theme.SYSTEM:
        response.delete_cookie(themes.COOKIE, samesite="Lax")
    else:
        response.set_cookie(
            themes.COOKIE,
            theme,
            max_age=themes.COOKIE_MAX_AGE,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
    return response


def _bad_request(message: str) -> HttpResponse:
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
