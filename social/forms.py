"""What people type: comments, digest choices."""

from django import forms

from social.models import DigestFrequency


class DigestChoiceForm(forms.Form):
    frequency = forms.ChoiceField(
        label="How often",
        choices=DigestFrequency.choices,
        error_messages={
            "required": "Choose how often to get digests: daily, weekly or off.",
            "invalid_choice": "Choose how often to get digests: daily, weekly or off.",
        },
        help_text="New photos and comments by others on the pets you see, in one message.",
    )
