"""Settings for the load benchmark's ceiling: the product's whole middleware stack in front of
a view that does nothing, so that the pages' throughput is read against what Django itself
can serve on this machine."""

from django.http import HttpResponse
from django.urls import path

from pettracker.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.ceiling"


def minimal(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("", minimal)]
