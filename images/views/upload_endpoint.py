"""The local stand-in for S3's POST upload, used when photos are stored on the local disk.

It enforces the ticket's policy as S3 would (``verify_local_upload``) and
streams the file to storage: Django spools uploads over FILE_UPLOAD_MAX_MEMORY_SIZE to a
temporary file, and a body larger than the policy allows is refused before it is read.
Only the file of a photo still waiting for it is taken: a deleted photo's would stay for
ever, and a processed photo's would no longer match its renditions.
"""

from __future__ import annotations

import errno
import logging

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from images.models import Photo
from images.pure.upload_tickets import UploadRefused, verify_local_upload
from images.storage import local_ticket_key
from pettracker.errors import json_error as refused
from pettracker.framing import MALFORMED, declared_length

logger = logging.getLogger(__name__)

# Room for the form fields and multipart framing around the file.
MULTIPART_OVERHEAD = 64 * 1024

PHOTO_GONE = (
    "This upload's photo was deleted (or its pet was), so the file was not kept. "
    "Start a new upload if you still want it."
)
ALREADY_RECEIVED = (
    "This photo's file was already received and is processed or being processed; it was "
    "not replaced. Start a new upload to add another photo."
)
STORAGE_FULL = "The server's storage is full; nothing was saved. Please try again later."
STORAGE_FAILED = (
    "The server could not write to its storage; nothing was saved. This is the server's "
    "fault, not your file's: please try again later."
)
RETRY_AFTER_SECONDS = 60


# Like S3, this endpoint is authorised by the signed policy in the form, a capability for one
# key that a cross-site page cannot forge; there is no session involved, hence no CSRF token.
@csrf_exempt
@require_POST
def local_upload(request: HttpRequest) -> HttpResponse:
    if not default_storage.takes_local_uploads:
        raise Http404("Uploads go straight to the bucket.")
    # ContentLengthMiddleware refuses a malformed one first; this view does not rely on it.
    declared = declared_length(request)
    if declared is None:
        return refused(400, MALFORMED)
    if declared > settings.PHOTO_MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD:
        return refused(413, f"The file is larger than {settings.PHOTO_MAX_UPLOAD_BYTES:,} bytes.")
    upload = request.FILES.get("file")
    if upload is None:
        return refused(400, "The form has no file field named 'file'.")
    try:
        policy = verify_local_upload(
            request.POST.dict(), file_size=upload.size, key=local_ticket_key()
        )
    except UploadRefused as refusal:
        return refused(refusal.status, str(refusal))
    # No lock is held while the file is written (on SQLite it would stop every other write):
    # a photo deleted meanwhile has its key deleted again once the ticket has expired, and a
    # completion meanwhile records the version it saw (``images.storage``), which processing
    # insists on.
    state = Photo.objects.filter(original_key=policy.key).values_list("state", flat=True).first()
    if state is None:
        return refused(410, PHOTO_GONE)
    if state != Photo.State.PENDING:
        # Posting again while pending is a browser's retry, and may replace the file.
        return refused(409, ALREADY_RECEIVED)
    try:
        stored_as = default_storage.save(policy.key, upload)
    except OSError as exc:
        return storage_failed(policy.key, exc)
    if stored_as != policy.key:
        return refused(500, "Storage renamed the upload; check its overwrite setting.")
    return HttpResponse(status=204)


def storage_failed(key: str, exc: OSError) -> HttpResponse:
    """The answer to a write the storage refused: the server's fault, said as such."""
    # The error's number and text only: no request fields (the signed policy) in the log.
    logger.error(
        "could not store upload %s: %s (%s)",
        key,
        errno.errorcode.get(exc.errno, exc.errno),
        exc.strerror or type(exc).__name__,
    )
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        response = refused(507, STORAGE_FULL)
    else:
        response = refused(503, STORAGE_FAILED)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
