"""The pets' cards: whose pets each page shows, what a card says, its cover, its markup."""

from html.parser import HTMLParser

import pytest

from cdn.revocation import access_floors, renditions_revoke
from cdn.signer import get_signer
from images.views.cards import Cards, card_floors, cards_html, pet_cards
from tests.factories import PetFactory, PhotoFactory, ShareFactory, UserFactory, ready_photo

pytestmark = pytest.mark.django_db


def cards_of(user, cards=Cards.SEEN):
    return pet_cards(user, cards, get_signer())


def test_each_page_shows_the_cards_of_its_pets(pet, owner, friend):
    theirs = PetFactory(owner=friend, name="Pip")
    PetFactory(owner=UserFactory(), name="Unshared")
    assert [c.name for c in cards_of(friend)] == ["Biscuit", "Pip"]
    assert [c.name for c in cards_of(friend, Cards.OWNED)] == [theirs.name]
    assert [c.name for c in cards_of(friend, Cards.SHARED)] == ["Biscuit"]
    assert [c.name for c in cards_of(owner, Cards.SHARED)] == []


def test_a_card_counts_the_photos_its_visitors_gallery_shows(pet, owner, friend, contributor):
    ready_photo(pet=pet)
    PhotoFactory(pet=pet, state="failed", error="Not an image")
    PhotoFactory(pet=pet, state="processing")
    PhotoFactory(pet=pet, state="pending")  # an upload not finished: in no gallery
    assert [c.photos for c in cards_of(friend)] == [1]  # a viewer sees ready photos
    assert [c.photos for c in cards_of(contributor)] == [3]  # who uploads sees their progress
    assert [c.photos for c in cards_of(owner)] == [3]


def test_nobody_but_an_active_account_has_cards(pet, owner, django_assert_num_queries):
    owner.is_active = False
    with django_assert_num_queries(0):
        assert cards_of(owner) == []


def test_a_share_revoked_takes_its_card_away_at_once(pet, friend):
    assert [c.name for c in cards_of(friend)] == ["Biscuit"]
    pet.shares.filter(grantee=friend).delete()
    assert cards_of(friend) == []


def test_the_cards_are_two_queries_whatever_their_number(owner, django_assert_num_queries):
    for pet in PetFactory.create_batch(5, owner=owner):
        ready_photo(pet=pet)
        ShareFactory(pet=PetFactory(), grantee=owner)
    with django_assert_num_queries(2):
        cards = cards_of(owner)
    assert len(cards) == 10
    assert sum(1 for c in cards if c.cover) == 5


def test_a_cover_is_the_chosen_photo_or_else_the_newest_taken(pet, owner):
    older, newer = ready_photo(pet=pet), ready_photo(pet=pet)
    PhotoFactory(pet=pet, state="processing")
    (card,) = cards_of(owner)
    assert card.cover.photo_id == newer.pk
    pet.cover_photo = older
    pet.save()
    (card,) = cards_of(owner)
    assert card.cover.photo_id == older.pk
    assert card.cover.src.endswith(f"/renditions/{pet.pk}/{older.pk}/thumb-{older.pk.hex[:8]}.webp")
    assert card.cover.srcset.endswith(" 512w")
    assert (card.cover.width, card.cover.height, card.cover.placeholder) == (256, 256, "#a0b0c0")


def test_a_cover_is_always_a_photo_of_its_own_pet(pet, owner, friend):
    """A cover chosen in the admin (a raw id) may name any photo: the card takes its own pet's
    newest instead, never a photo of another pet, seen or not."""
    own = ready_photo(pet=pet)
    elsewhere = ready_photo(pet=PetFactory(owner=friend))
    pet.cover_photo = elsewhere
    pet.save()
    (card,) = cards_of(owner)
    assert card.cover.photo_id == own.pk
    friends_card = next(c for c in cards_of(friend) if c.pk == pet.pk)
    assert friends_card.cover.photo_id == own.pk


def test_a_photo_made_before_the_square_rendition_offers_the_medium(pet, owner):
    ready_photo(pet=pet, renditions=["thumb", "medium", "large"])
    (card,) = cards_of(owner)
    assert [entry.split()[-1] for entry in card.cover.srcset.split(", ")] == ["256w", "1024w"]


def test_a_pet_without_a_ready_photo_has_no_cover(pet, owner):
    PhotoFactory(pet=pet, state="processing")
    (card,) = cards_of(owner)
    assert card.cover is None
    html = cards_html([card], viewer_id=owner.pk)
    assert 'class="cover empty"' in html
    # A paw drawn, not the emoji: Chromium on a machine without an emoji font drew a box.
    assert "<svg" in html
    assert "🐾" not in html


class Texts(HTMLParser):
    def __init__(self):
        super().__init__()
        self.texts: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.links.append(dict(attrs)["href"])

    def handle_data(self, data):
        if data.strip():
            self.texts.append(data.strip())


def texts_of(html: str) -> Texts:
    parser = Texts()
    parser.feed(html)
    return parser


def test_a_card_says_whose_pet_it_is_and_how_many_photos(pet, owner, friend):
    ready_photo(pet=pet)
    pip = PetFactory(owner=friend, name="Pip", species="cat")
    friends = texts_of(cards_html(cards_of(friend), viewer_id=friend.pk))
    assert friends.texts == [
        "Biscuit",
        "owner's dog · 1 photo",
        "Pip",
        "Cat · 0 photos",
    ]
    assert friends.links == [f"/pets/{pet.pk}/", f"/pets/{pip.pk}/"]


def test_a_cards_words_are_escaped(owner):
    hostile = UserFactory(username="x<b>")
    pet = PetFactory(owner=hostile, name='<script>alert("x")</script>')
    ShareFactory(pet=pet, grantee=owner)
    html = cards_html(cards_of(owner), viewer_id=owner.pk)
    assert "<script>" not in html
    assert "<b>" not in html
    assert texts_of(html).texts == ['<script>alert("x")</script>', "x<b>'s dog · 0 photos"]


def test_a_card_carries_its_pets_access_floor_for_the_pages_cookies(pet, owner):
    other = PetFactory(owner=owner, name="Zed")
    assert card_floors(cards_of(owner)) == {}
    renditions_revoke([pet.pk])
    cards = cards_of(owner)
    assert card_floors(cards) == access_floors([pet.pk, other.pk])
    assert [c.floor is None for c in cards] == [False, True]


def test_my_pets_and_shared_with_me_show_their_cards_and_open_their_covers(
    client, pet, owner, friend
):
    ready_photo(pet=pet)
    client.force_login(friend)
    shared = client.get("/shared/")
    assert "owner's dog · 1 photo" in texts_of(shared.content.decode()).texts
    assert f"Path=/cdn/renditions/{pet.pk}/" in str(shared.cookies)
    client.force_login(owner)
    mine = client.get("/pets/")
    assert "Dog · 1 photo" in texts_of(mine.content.decode()).texts
    assert f"Path=/cdn/renditions/{pet.pk}/" in str(mine.cookies)
