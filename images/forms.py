"""Forms of the pages: they validate input; the services do the writing."""

from __future__ import annotations

import datetime
import uuid

from django import forms
from django.core.validators import validate_email

from images.models import Pet, Photo, Share
from images.services.moves import MOVE_MAX_PHOTOS
from pettracker.text import has_control_characters


class PetForm(forms.ModelForm):
    class Meta:
        model = Pet
        fields = ("name", "species", "birthday")
        widgets = {"birthday": forms.DateInput(attrs={"type": "date"})}

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        if has_control_characters(name):  # it heads pages and mails' subjects: one line
            raise forms.ValidationError(
                "Write the name on one line: no line breaks, tabs or other control characters."
            )
        return name

    def clean_birthday(self) -> datetime.date | None:
        birthday = self.cleaned_data.get("birthday")
        if birthday and birthday > datetime.date.today():
            raise forms.ValidationError("A birthday can't be in the future.")
        return birthday


class CaptionForm(forms.ModelForm):
    class Meta:
        model = Photo
        fields = ("caption",)
        widgets = {"caption": forms.TextInput(attrs={"placeholder": "Say something about it"})}


class TakenAtForm(forms.Form):
    """When a photo was taken, as its owner corrects it: a date and time on the clock of the
    place (the view reads it in the photo's time zone; the service checks the range)."""

    taken_at = forms.DateTimeField(
        label="Date taken",
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local", "step": 60}, format="%Y-%m-%dT%H:%M"
        ),
        error_messages={"invalid": "Give a date and a time, such as 2024-03-03 14:05."},
    )


class InviteForm(forms.Form):
    who = forms.CharField(
        label="Username or e-mail address",
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    role = forms.ChoiceField(choices=Share.Role.choices, initial=Share.Role.VIEWER)

    def clean_who(self) -> str:
        who = self.cleaned_data["who"].strip()
        if "@" in who:  # an address: it must be one (a username has no "@")
            validate_email(who)
        return who


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Share.Role.choices)


# How long a link lives, as its owner chooses: a day to a year, or never (only when chosen).
NEVER = "never"
LIFETIME_CHOICES = [
    ("1", "1 day"),
    ("7", "7 days"),
    ("30", "30 days"),
    ("90", "90 days"),
    ("365", "1 year"),
    (NEVER, "Never (until you revoke it)"),
]
LINK_PASSWORD_MIN = 6
LINK_PASSWORD_ERRORS = {
    "min_length": f"Use at least {LINK_PASSWORD_MIN} characters, so that it can't be guessed.",
}


def _lifetime(choice: str) -> datetime.timedelta | None:
    """The lifetime a choice of ``LIFETIME_CHOICES`` names (its value is the days)."""
    return None if choice == NEVER else datetime.timedelta(days=int(choice))


def _link_password_field(label: str, help_text: str) -> forms.CharField:
    """A link's password as its owner types it (made or changed): optional, kept as typed."""
    return forms.CharField(
        label=label,
        required=False,
        min_length=LINK_PASSWORD_MIN,
        max_length=128,
        strip=False,
        help_text=help_text,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages=LINK_PASSWORD_ERRORS,
    )


class ShareLinkForm(forms.Form):
    """A new share link: who it is for, how long it lives, an optional password, and whether
    its holder may download full-size images."""

    label = forms.CharField(
        label="Label",
        max_length=60,
        required=False,
        help_text="Who it's for, such as Grandma or Vet. Left blank: Link 1, Link 2…",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    lifetime = forms.ChoiceField(label="Expires after", choices=LIFETIME_CHOICES, initial="7")
    password = _link_password_field(
        "Password (optional)",
        "Whoever opens the link must type it. Tell it to them apart from the link.",
    )
    allows_download = forms.BooleanField(
        label="Allow full-size downloads", required=False, initial=False
    )

    def lifetime_delta(self) -> datetime.timedelta | None:
        """The chosen lifetime; None for a link that never expires."""
        return _lifetime(self.cleaned_data["lifetime"])


KEEP_EXPIRY = ""


class ShareLinkEditForm(forms.Form):
    """Changes to an existing link; a blank field leaves that part as it is."""

    label = forms.CharField(label="Label", max_length=60, required=False)
    lifetime = forms.ChoiceField(
        label="Expiry",
        choices=[(KEEP_EXPIRY, "Keep as it is")]
        + [
            (value, f"{name} from now" if value != NEVER else name)
            for value, name in LIFETIME_CHOICES
        ],
        required=False,
    )
    password = _link_password_field(
        "New password",
        "Blank keeps the current one. Whoever unlocked the link must type the new one.",
    )
    remove_password = forms.BooleanField(label="Remove the password", required=False)
    allows_download = forms.BooleanField(label="Allow full-size downloads", required=False)

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("remove_password"):
            raise forms.ValidationError("Either set a new password or remove it, not both.")
        return data

    def changes(self) -> dict:
        """The keyword arguments of ``share_link_update`` for what this form changes."""
        data = self.cleaned_data
        changes: dict = {"allows_download": data["allows_download"]}
        if data["label"].strip():
            changes["label"] = data["label"]
        if data["lifetime"] != KEEP_EXPIRY:
            changes["lifetime"] = _lifetime(data["lifetime"])
        if data["password"]:
            changes["password"] = data["password"]
        elif data["remove_password"]:
            changes["password"] = None
        return changes


class LinkPasswordForm(forms.Form):
    """The password a link's holder types to open it."""

    password = forms.CharField(
        label="Password",
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Type the password you were given with the link."},
    )


# The most photos one request acts on (a gallery's page is 24; the admin's list, 100).
SELECTION_MAX = MOVE_MAX_PHOTOS  # (the admin's list moves as many)


class PhotoSelectionForm(forms.Form):
    """The photos ticked in a gallery (``photo``, one value each): ids, at least one, at most
    ``SELECTION_MAX``. Whether the user may act on them is the view's to check."""

    photo = forms.TypedMultipleChoiceField(
        coerce=uuid.UUID,
        widget=forms.MultipleHiddenInput,
        error_messages={
            "required": "Select at least one photo first.",
            "invalid_choice": "%(value)s is not a photo's id.",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["photo"].valid_value = _is_uuid  # any id: the view looks them up

    def clean_photo(self) -> list[uuid.UUID]:
        ids = list(dict.fromkeys(self.cleaned_data["photo"]))
        if len(ids) > SELECTION_MAX:
            raise forms.ValidationError(f"Select at most {SELECTION_MAX} photos at once.")
        return ids


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


class _PetChoiceField(forms.ModelChoiceField):
    def to_python(self, value):
        try:
            return super().to_python(value)
        except forms.ValidationError as error:  # not even an id ("not a valid UUID")
            if error.code == "invalid_choice":
                raise
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            ) from None


class MoveForm(forms.Form):
    """Where the selected photos go: another pet of their owner's."""

    to = _PetChoiceField(
        label="Move them to",
        queryset=Pet.objects.none(),
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the pet to move them to.",
            "invalid_choice": "Choose one of your other pets.",
        },
    )

    def __init__(self, *args, pets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = pets
