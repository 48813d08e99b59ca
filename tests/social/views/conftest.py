"""The social views' tests use the images views' fixtures (one definition): the actors, a
photo, a share link's token and an active signing key."""

from tests.images.views.conftest import (  # noqa: F401
    _active_signing_key,
    actors,
    link_token,
    photo,
)
