import copy

from django import forms
from django.contrib.auth.forms import UserCreationForm

from accounts.models import User


def email_field(help_text: str) -> forms.EmailField:
    return forms.EmailField(
        label="E-mail address",
        max_length=254,
        help_text=help_text,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class SignupForm(UserCreationForm):
    """Sign-up with a username, a password and an e-mail address (for password resets).

    The address is a plain field, not the account's: it is attached once confirmed, and
    whether another account has it is none of this form's business (it must not tell)."""

    email = email_field("Used only to reset your password. We'll mail it a link to confirm it.")
    field_order = ["username", "email", "password1", "password2"]

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username",)

    def clean_email(self) -> str:
        return User.objects.normalize_email(self.cleaned_data["email"])

    def validate_password_for_user(self, user, **kwargs) -> None:
        # Nor may the password resemble the address, though the account has none yet.
        candidate = copy.copy(user)
        candidate.email = self.cleaned_data.get("email", "")
        super().validate_password_for_user(candidate, **kwargs)


class EmailForm(forms.Form):
    """A new e-mail address for one's account, attached once confirmed."""

    email = email_field("We'll mail it a link; it replaces your address once you open it.")

    def clean_email(self) -> str:
        return User.objects.normalize_email(self.cleaned_data["email"])
