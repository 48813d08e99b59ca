"""Settings for the load benchmark's ceilings: the product's whole middleware stack in front of
views that do as little as Django allows, so that the product's throughput is read against what
Django itself serves on this machine (benchmarks/load.sh).

- ``/`` is a page's ceiling: ``@login_required`` (so it loads the session and the user, as
  every page does) and a short string.
- ``/file/<key>`` is the edge's ceiling: a plain ``FileResponse`` of a stored object, with no
  signature checked and no header of the edge's.
"""

import re

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse
from django.urls import path

from pettracker.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.ceiling"
# The keys the edge serves (cdn.edge.OBJECT_KEY; not imported: settings load before the apps).
OBJECT_KEY = re.compile(r"(?:originals|renditions)/[A-Za-z0-9_-]+(?:/[A-Za-z0-9_-]+)*\.[a-z0-9]+")


@login_required
def minimal(request):
    return HttpResponse("ok", content_type="text/plain")


def stored_file(request, key):
    if not OBJECT_KEY.fullmatch(key):
        raise Http404
    return FileResponse(default_storage.open(key))


urlpatterns = [path("", minimal), path("file/<path:key>", stored_file)]
