from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from images.models import Pet


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The welcome page, or, for someone logged in, their pets and the pets shared with them."""
    if not request.user.is_authenticated:
        return render(request, "home_welcome.html")
    pets = Pet.objects.visible_to(request.user).with_photo_counts().select_related("owner")
    context = {
        "my_pets": [pet for pet in pets if pet.owner_id == request.user.pk],
        "shared_pets": [pet for pet in pets if pet.owner_id != request.user.pk],
    }
    return render(request, "home.html", context)
