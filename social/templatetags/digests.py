"""What pages of other apps show of the digests: ``{% load digests %}``, a library of its
own beside those of likes and comments."""

from __future__ import annotations

from django import template

from social.forms import DigestChoiceForm
from social.models import DigestSubscription

register = template.Library()


@register.inclusion_tag("social/digest_choice.html", takes_context=True)
def digest_choice(context) -> dict:
    """The account page's choice of digests (one query), posted to ``digest_choice``."""
    user = context["user"]
    form = DigestChoiceForm(initial={"frequency": DigestSubscription.frequency_of(user)})
    return {"form": form, "user": user, "csrf_token": context.get("csrf_token")}
