"""The pets' cards (home, My pets, Shared with me): each pet's name, whose it is, its kind, how
many photos its gallery shows the visitor, and its cover image.

Two queries whatever the number of pets — the cards, and their covers' square renditions — and
both built once (``pettracker.prepared``): building the cards' queryset, with its counts and
cover subqueries, took 7 ms of a home page whose query ran in 0.9 ms (benchmarks/scale.py). The
rules stay the querysets' (``Pet.objects.visible_to``, ``with_gallery_counts``,
``with_cover``). The markup is made here, as the grid's is (``images.views.tiles``): a template
include per card was a fifth of the home page's time."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import Enum

from django.db.models import OuterRef, Subquery
from django.template.defaultfilters import pluralize
from django.utils.safestring import SafeString, mark_safe

from accounts.models import User
from cdn.models import AccessFloor
from cdn.signer import Signer
from images.models import Access, Pet, PetQuerySet, Photo, Rendition, RenditionName, RenditionRow
from images.views.tiles import route, square_srcset
from pettracker.markup import fill
from pettracker.prepared import Prepared
from pettracker.text import possessive


class Cards(Enum):
    """Whose pets a page shows cards of."""

    SEEN = "seen"  # every pet one sees: one's own and those shared with one (home)
    OWNED = "owned"  # one's own (My pets)
    SHARED = "shared"  # those others share with one (Shared with me)


@dataclass(frozen=True)
class Cover:
    """A card's cover image: its photo's square renditions, by plain URL (the page's signed
    cookies open them)."""

    photo_id: uuid.UUID
    src: str  # the thumb's URL
    srcset: str  # the square renditions
    width: int
    height: int
    placeholder: str  # the photo's colour, shown while the image loads


@dataclass(frozen=True)
class PetCard:
    """What a pet's card shows, as one row of the cards' query."""

    pk: uuid.UUID
    name: str
    kind: str  # "Dog"
    owner_id: int
    owner_name: str
    photos: int  # how many the visitor's gallery of the pet shows
    cover: Cover | None
    floor: int | None  # the pet's access floor (cdn.revocation), read with who sees it


# The renditions a cover shows (square cells; the medium for photos made before the square).
_COVER_RENDITIONS = [RenditionName.THUMB, RenditionName.SQUARE, RenditionName.MEDIUM]


def _pets(cards: Cards, user) -> PetQuerySet:
    if cards is Cards.OWNED:
        return Pet.objects.visible_to(user, Access.MANAGE)
    if cards is Cards.SHARED:
        return Pet.objects.visible_to(user).exclude(owner=user)
    return Pet.objects.visible_to(user)


def _cards_query(cards: Cards, user_id: int):
    user = User(pk=user_id, is_active=True)
    pets = _pets(cards, user).with_gallery_counts(user).with_cover()
    cover = Photo.objects.filter(pk=OuterRef("cover_id")).order_by().values("placeholder_color")
    floor = AccessFloor.objects.filter(pet_id=OuterRef("pk")).values("floor")
    pets = pets.annotate(placeholder=Subquery(cover[:1]), floor=Subquery(floor[:1]))
    return pets.values_list(
        "pk",
        "name",
        "species",
        "owner_id",
        "owner__username",
        "photo_count",
        "cover_id",
        "placeholder",
        "floor",
    )


def _covers_query(cards: Cards, user_id: int):
    # The renditions alone: joined with the photos (for their colour), PostgreSQL's planner
    # hashed all 100,000 of them (70 ms; benchmarks/scale.py --explain).
    user = User(pk=user_id, is_active=True)
    covers = _pets(cards, user).with_cover().order_by().values("cover_id")
    rows = Rendition.objects.filter(photo_id__in=covers, name__in=_COVER_RENDITIONS).order_by()
    return rows.values_list("photo_id", "name", "key", "width", "height")


# A user id no account has, which no constant of the queries can equal (pettracker.prepared).
_USER = -1_734_621_955
_CARDS = {
    cards: Prepared(lambda user_id, c=cards: _cards_query(c, user_id), user_id=_USER)
    for cards in Cards
}
_COVERS = {
    cards: Prepared(lambda user_id, c=cards: _covers_query(c, user_id), user_id=_USER)
    for cards in Cards
}
_KINDS = dict(Pet.Species.choices)


def pet_cards(user, cards: Cards, signer: Signer) -> list[PetCard]:
    """The cards of ``user``'s pets of the kind ``cards`` names, by the pets' names."""
    if not (user.is_authenticated and user.is_active):
        return []
    renditions: dict[uuid.UUID, dict[str, RenditionRow]] = {}
    for photo_id, *row in _COVERS[cards].run(user_id=user.pk):
        renditions.setdefault(photo_id, {})[row[0]] = RenditionRow(*row)
    rows = _CARDS[cards].run(user_id=user.pk)
    return [
        PetCard(
            pk,
            name,
            _KINDS.get(species, species),
            owner_id,
            owner_name,
            photos,
            _cover(cover_id, renditions.get(cover_id, {}), placeholder, signer),
            floor,
        )
        for pk, name, species, owner_id, owner_name, photos, cover_id, placeholder, floor in rows
    ]


def card_floors(cards: list[PetCard]) -> dict[uuid.UUID, int]:
    """The access floors of the cards' pets that have one, as ``cdn.revocation.access_floors``
    gives them (a page's ``render_granting`` takes them instead of asking again)."""
    return {card.pk: card.floor for card in cards if card.floor is not None}


def _cover(photo_id, renditions: dict[str, RenditionRow], placeholder, signer: Signer):
    """The cover image of the photo ``photo_id``, from its renditions; none without a thumb
    (a card then shows its empty cover)."""
    thumb = renditions.get(RenditionName.THUMB)
    if thumb is None:
        return None
    urls = {name: signer.object_url(r.key) for name, r in renditions.items()}
    srcset = square_srcset(renditions, urls)
    return Cover(photo_id, urls[thumb.name], srcset, thumb.width, thumb.height, placeholder or "")


# --- The markup -----------------------------------------------------------------------------

# A card's cover fills its cell: half the screen less the gaps and padding on a phone, 304 px
# wider up (static/css/app.css, .pet-list).
COVER_SIZES = "(max-width: 560px) calc(50vw - 41px), 304px"
_CARD = (
    '<li class="pet-card"><a class="pet-link" href="{}">{}<strong>{}</strong></a>'
    '<span class="muted">{} · {}</span></li>'
)
_COVER = (
    '<img class="cover" src="{}" srcset="{}" sizes="{}" width="{}" height="{}" loading="lazy" '
    'alt="" data-placeholder="{}">'
)
# A pet without a photo: the site's paw, drawn (the emoji needs a font some machines lack).
_NO_COVER = mark_safe(
    '<span class="cover empty" aria-hidden="true"><svg width="48" height="48" '
    'viewBox="0 0 64 64" focusable="false"><g fill="currentColor">'
    '<ellipse cx="32" cy="42" rx="14" ry="12"/><circle cx="14" cy="26" r="6"/>'
    '<circle cx="25" cy="15" r="6"/><circle cx="39" cy="15" r="6"/>'
    '<circle cx="50" cy="26" r="6"/></g></svg></span>'
)


def cards_html(cards: list[PetCard], *, viewer_id: int) -> SafeString:
    """The ``<li>`` of each card: its cover (or a paw) and name linking to the pet's gallery,
    then what it is — "Dog" for the viewer's own, "alice's dog" for another's — and how many
    photos its gallery shows."""
    # Safe: every piece is made by fill, which escapes what it is given.
    return mark_safe("".join(_card_html(card, viewer_id) for card in cards))  # noqa: S308


def _card_html(card: PetCard, viewer_id: int) -> str:
    cover = card.cover
    image = (
        fill(
            _COVER,
            cover.src,
            cover.srcset,
            COVER_SIZES,
            cover.width,
            cover.height,
            cover.placeholder,
        )
        if cover
        else _NO_COVER
    )
    mine = card.owner_id == viewer_id
    kind = card.kind if mine else f"{possessive(card.owner_name)} {card.kind.lower()}"
    photos = f"{card.photos} photo{pluralize(card.photos)}"
    return fill(_CARD, route("pet_gallery", card.pk), image, card.name, kind, photos)
