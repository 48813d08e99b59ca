"""The local stand-in for S3's POST upload, used when photos are stored on the local disk.

It enforces the ticket's policy as S3 would (``images.uploads.verify_local_upload``) and
streams the file to storage: Django spools uploads over FILE_UPLOAD_MAX_MEMORY_SIZE to a
temporary file, and a body larger than the policy allows is refused before it is read.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from storages.backends.s3 import S3Storage

from images.uploads import UploadRefused, verify_local_upload
from pettracker.errors import json_error as refused
from pettracker.framing import MALFORMED, declared_length

# Room for the form fields and multipart framing around the file.
MULTIPART_OVERHEAD = 64 * 1024


# Like S3, this endpoint is authorised by the signed policy in the form, a capability for one
# key that a cross-site page cannot forge; there is no session involved, hence no CSRF token.
@csrf_exempt
@require_POST
def local_upload(request: HttpRequest) -> HttpResponse:
    if isinstance(default_storage, S3Storage):
        raise Http404("Uploads go straight to S3.")
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
        policy = verify_local_upload(request.POST.dict(), file_size=upload.size)
    except UploadRefused as refusal:
        return refused(refusal.status, str(refusal))
    stored_as = default_storage.save(policy.key, upload)
    if stored_as != policy.key:
        return refused(500, "Storage renamed the upload; check its overwrite setting.")
    return HttpResponse(status=204)
