"""The home page: a welcome for visitors; my pets, pets shared with me and recent photos."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from cdn.signer import get_signer
from images.views.cards import Cards, card_floors, cards_html, pet_cards
from images.views.common import render_granting
from images.views.home_photos import photos_shown
from images.views.tiles import grid_html, tiles, years_ago_html

RECENT_PHOTOS = 12
ON_THIS_DAY = 12


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "home_welcome.html")
    signer = get_signer()
    cards = pet_cards(request.user, Cards.SEEN, signer)
    pet_ids = [card.pk for card in cards]
    names = {card.pk: card.name for card in cards}
    today = timezone.localdate()
    memories = photos_shown(request.user, pet_ids, limit=ON_THIS_DAY, today=today)
    # Each photo once in the page's one gallery (the viewer walks it): memories first.
    memory_ids = {photo.pk for photo in memories}
    newest = photos_shown(request.user, pet_ids, limit=RECENT_PHOTOS + ON_THIS_DAY)
    photos = [*memories, *[p for p in newest if p.pk not in memory_ids][:RECENT_PHOTOS]]
    both = tiles(photos, signer, pet_name=lambda p: names[p.pet_id])  # one query
    remembered, shown = both[: len(memories)], both[len(memories) :]
    mine = [card for card in cards if card.owner_id == request.user.pk]
    theirs = [card for card in cards if card.owner_id != request.user.pk]
    context = {
        "my_pets": mine,
        "my_pets_html": cards_html(mine, viewer_id=request.user.pk),
        "shared_pets": theirs,
        "shared_pets_html": cards_html(theirs, viewer_id=request.user.pk),
        "recent": shown,
        "recent_grid": grid_html(shown),
        "on_this_day": remembered,
        "on_this_day_grid": years_ago_html(remembered, today=today),
        "favourites": [str(t.photo.pk) for t in both if t.photo.hearted],
    }
    # Only the pets whose images the page shows (a cover, a recent photo, a memory).
    shown_pets = [card.pk for card in cards if card.cover]
    shown_pets += [t.photo.pet_id for t in [*shown, *remembered]]
    return render_granting(
        request, "home.html", context, pet_ids=shown_pets, floors=card_floors(cards)
    )
