"""Pieces the pages share."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.http import HttpRequest

from cdn.signer import get_signer
from images.models import Pet, Photo
from images.views.tiles import Tile, tile

PAGE_SIZE = 24


@dataclass(frozen=True)
class PetCard:
    pet: Pet
    cover: Tile | None


def pet_cards(user, pets) -> list[PetCard]:
    """Cards for ``pets`` (a queryset already limited to what ``user`` sees), each with its
    cover photo: two queries for any number of pets."""
    pets = list(pets.with_photo_counts().with_cover().select_related("owner"))
    cover_ids = [pet.cover_id for pet in pets if pet.cover_id]
    covers = Photo.objects.visible_to(user).filter(pk__in=cover_ids).with_renditions()
    signer = get_signer()
    cover_tiles = {photo.pk: tile(photo, signer) for photo in covers}
    return [PetCard(pet, cover_tiles.get(pet.cover_id)) for pet in pets]


def page_of(request: HttpRequest, queryset) -> Page:
    """The ``?page=`` of ``queryset``; a page number out of range gives the nearest page."""
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
