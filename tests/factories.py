import datetime
import io

import factory
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image

from accounts.models import User
from cdn.models import SigningKey
from images.models import Pet, Photo, Rendition, Share, ShareLink, hash_share_token, local_time

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save(update_fields=["password"])


class PetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pet

    owner = factory.SubFactory(UserFactory)
    name = factory.Faker("first_name")
    species = Pet.Species.DOG


class PhotoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Photo

    pet = factory.SubFactory(PetFactory)
    uploader = factory.SelfAttribute("pet.owner")
    original_key = factory.Sequence(lambda n: f"originals/test/{n}.jpg")
    content_type = "image/jpeg"
    size = 1024
    taken_at = factory.LazyFunction(timezone.now)
    taken_at_offset = None
    # The day on the place's clock, as processing sets it from the two above.
    taken_on = factory.LazyAttribute(lambda o: local_time(o.taken_at, o.taken_at_offset).date())


class RenditionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rendition

    photo = factory.SubFactory(PhotoFactory)
    name = Rendition.Name.THUMB
    key = factory.Sequence(lambda n: f"renditions/test/{n}/thumb-{n:08x}.webp")
    width = 256
    height = 256
    bytes = 4096


class ShareFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Share

    pet = factory.SubFactory(PetFactory)
    grantee = factory.SubFactory(UserFactory)
    role = Share.Role.VIEWER
    created_by = factory.SelfAttribute("pet.owner")


class ShareLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShareLink

    pet = factory.SubFactory(PetFactory)
    token_hash = factory.Sequence(lambda n: hash_share_token(f"token-{n}"))
    created_by = factory.SelfAttribute("pet.owner")
    expires_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=7))


class SigningKeyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SigningKey

    public_key_id = factory.Sequence(lambda n: f"K{n:013d}")
    public_key_pem = "-----BEGIN PUBLIC KEY-----\n...\n-----END PUBLIC KEY-----\n"
    encrypted_private_key = "not-a-real-token"
    state = SigningKey.State.PUBLISHED


def ready_photo(*, pet, uploader=None, caption: str = "", renditions=None, **fields) -> Photo:
    """A processed photo with its renditions, as the pipeline leaves it (``renditions``: the
    names to make, e.g. those of a photo processed before the 512 px square existed)."""
    photo = PhotoFactory(
        pet=pet,
        uploader=uploader or pet.owner,
        state=Photo.State.READY,
        caption=caption,
        width=4000,
        height=3000,
        placeholder_color="#a0b0c0",
        **fields,
    )
    sizes = {
        "thumb": (256, 256),
        "square": (512, 512),
        "medium": (1024, 768),
        "large": (2048, 1536),
    }
    for name, (width, height) in sizes.items():
        if renditions is not None and name not in renditions:
            continue
        RenditionFactory(
            photo=photo,
            name=name,
            key=f"renditions/{pet.pk}/{photo.pk}/{name}-{photo.pk.hex[:8]}.webp",
            width=width,
            height=height,
        )
    return photo


def store_renditions(photo: Photo, colour="#f08c00") -> None:
    """Write a real WebP of each rendition's size where its key says, so the edge serves it."""
    for rendition in photo.renditions.all():
        buffer = io.BytesIO()
        Image.new("RGB", (rendition.width, rendition.height), colour).save(buffer, "WEBP")
        default_storage.save(rendition.key, ContentFile(buffer.getvalue()))


def store_full(photo: Photo, *, size=(64, 48), colour="#3a7bd5", original: bool = True) -> bytes:
    """Give a ready photo its ``full`` rendition (a real JPEG, stored) and, with
    ``original``, a stored original carrying GPS, as downloads read them. Returns the full's
    bytes."""
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG", quality=90)
    data = buffer.getvalue()
    key = f"renditions/{photo.pet_id}/{photo.pk}/full-{photo.pk.hex[:16]}.jpg"
    default_storage.save(key, ContentFile(data))
    RenditionFactory(
        photo=photo, name="full", key=key, width=size[0], height=size[1], bytes=len(data)
    )
    if original:
        exif = Image.Exif()
        exif[0x8825] = {1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 39.0)}
        gps = io.BytesIO()
        Image.new("RGB", size, colour).save(gps, "JPEG", exif=exif.tobytes())
        default_storage.save(photo.original_key, ContentFile(gps.getvalue()))
        Photo.objects.filter(pk=photo.pk).update(size=len(gps.getvalue()))
    return data
