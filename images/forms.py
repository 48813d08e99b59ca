"""Forms of the pages: they validate input; the services do the writing."""

from __future__ import annotations

import datetime
import uuid

from django import forms
from django.core.validators import validate_email

from images.models import Pet, Photo, Share

LINK_LIFETIMES = {"1": 1, "7": 7, "30": 30}  # choice → days


class PetForm(forms.ModelForm):
    class Meta:
        model = Pet
        fields = ("name", "species", "birthday")
        widgets = {"birthday": forms.DateInput(attrs={"type": "date"})}

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


class ShareLinkForm(forms.Form):
    lifetime = forms.ChoiceField(
        label="Expires after",
        choices=[("1", "1 day"), ("7", "7 days"), ("30", "30 days")],
        initial="7",
    )

    def lifetime_delta(self) -> datetime.timedelta:
        return datetime.timedelta(days=LINK_LIFETIMES[self.cleaned_data["lifetime"]])


# The most photos one request acts on (a gallery's page is 24; the admin's list, 100).
SELECTION_MAX = 100


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
