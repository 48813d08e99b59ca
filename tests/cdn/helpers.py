"""Helpers of the CDN tests."""

from cdn.stack import StackSettings


def example_stack(**fields) -> StackSettings:
    """Stack settings of an example installation, ``fields`` changed."""
    defaults = {
        "bucket_name": "pets-photos",
        "region": "us-west-2",
        "app_domain": "app.pets.example.com",
        "cdn_domain": "cdn.pets.example.com",
        "upload_origins": ("https://pets.example.com",),
        "key_group_name": "pettracker-signing",
        "public_keys": (("key-1", "PEM"),),
    }
    return StackSettings(**{**defaults, **fields})
