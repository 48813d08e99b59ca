"""The home page: a welcome for visitors; my pets, pets shared with me and recent photos."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from cdn.signer import get_signer
from images.models import Pet, Photo
from images.views.common import pet_cards, render_granting
from images.views.tiles import grid_html, tiles

RECENT_PHOTOS = 12


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "home_welcome.html")
    cards = pet_cards(request.user, Pet.objects.visible_to(request.user))
    # The pets' ids as a list lets the database walk each pet's (pet, state, -taken_at ...)
    # index instead of sorting every photo it may see (see benchmarks/scale.py).
    pet_ids = [card.pet.pk for card in cards]
    names = {card.pet.pk: card.pet.name for card in cards}
    recent = (
        Photo.objects.visible_to(request.user)
        .filter(pet_id__in=pet_ids)
        .ready()
        .for_tiles()
        .newest_taken_first()[:RECENT_PHOTOS]
    )
    shown = tiles(recent, get_signer(), pet_name=lambda p: names[p.pet_id])
    context = {
        "my_pets": [card for card in cards if card.pet.owner_id == request.user.pk],
        "shared_pets": [card for card in cards if card.pet.owner_id != request.user.pk],
        "recent": shown,
        "recent_grid": grid_html(shown),
    }
    # Only the pets whose images the page shows (a cover, a recent photo).
    shown_pets = [card.pet.pk for card in cards if card.cover] + [t.photo.pet_id for t in shown]
    return render_granting(request, "home.html", context, pet_ids=shown_pets)
