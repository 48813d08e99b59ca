"""The home page: a welcome for visitors; my pets, pets shared with me and recent photos."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from cdn.signer import get_signer
from images.models import Pet, Photo
from images.views.common import favourite_ids, pet_cards, render_granting
from images.views.tiles import grid_html, tiles, years_ago_html

RECENT_PHOTOS = 12
ON_THIS_DAY = 12


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "home_welcome.html")
    cards = pet_cards(request.user, Pet.objects.visible_to(request.user))
    # The pets' ids as a list lets the database walk each pet's (pet, state, -taken_at ...)
    # index instead of sorting every photo it may see (see benchmarks/scale.py).
    pet_ids = [card.pet.pk for card in cards]
    names = {card.pet.pk: card.pet.name for card in cards}
    seen = Photo.objects.visible_to(request.user).filter(pet_id__in=pet_ids).ready().for_tiles()
    today = timezone.localdate()
    memories = list(seen.taken_on_this_day(today).newest_taken_first()[:ON_THIS_DAY])
    # Each photo once in the page's one gallery (the viewer walks it): memories first.
    recent = seen.exclude(pk__in=[p.pk for p in memories]) if memories else seen
    photos = [*memories, *recent.newest_taken_first()[:RECENT_PHOTOS]]
    both = tiles(photos, get_signer(), pet_name=lambda p: names[p.pet_id])  # one query
    remembered, shown = both[: len(memories)], both[len(memories) :]
    context = {
        "my_pets": [card for card in cards if card.pet.owner_id == request.user.pk],
        "shared_pets": [card for card in cards if card.pet.owner_id != request.user.pk],
        "recent": shown,
        "recent_grid": grid_html(shown),
        "on_this_day": remembered,
        "on_this_day_grid": years_ago_html(remembered, today=today),
        "favourites": favourite_ids(request.user, both),
    }
    # Only the pets whose images the page shows (a cover, a recent photo, a memory).
    shown_pets = [card.pet.pk for card in cards if card.cover]
    shown_pets += [t.photo.pet_id for t in [*shown, *remembered]]
    return render_granting(request, "home.html", context, pet_ids=shown_pets)
