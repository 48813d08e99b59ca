"""What the services refuse, in words for the person who asked. The views and the API choose
the HTTP answer for each (``images.views.api``)."""

from __future__ import annotations


class PhotoError(Exception):
    """A request about a photo that cannot be honoured; the message says why, and what to do."""


class InvalidRequest(PhotoError):
    """The request itself is malformed (a missing or wrong field)."""


class UnsupportedType(PhotoError):
    """Not one of the image types accepted."""


class TooLarge(PhotoError):
    """Larger than a photo may be."""


class OverQuota(PhotoError):
    """One more photo, or its bytes, would take the uploader over their quota."""


class TooFast(PhotoError):
    """More requests (upload tickets, comments) than the rate allows; ``retry_after`` is the
    seconds until one is free."""

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class NotUploaded(PhotoError):
    """Completing a photo whose file is not (or not yet) in storage."""


class AlreadyThere(PhotoError):
    """The file is already one of the pet's photos (``duplicate``); the uploader may send it
    anyway."""

    def __init__(self, message: str, *, duplicate):
        super().__init__(message)
        self.duplicate = duplicate


class StillProcessing(PhotoError):
    """A photo asked to move is still waiting for its upload or being processed."""


class StorageUnavailable(PhotoError):
    """Storage failed in the middle of the work; nothing was changed, and it may be tried
    again."""


class ChangedMeanwhile(PhotoError):
    """The photos changed while the work was under way (deleted, processed again); nothing
    was changed."""
