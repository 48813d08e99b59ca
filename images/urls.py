from django.urls import path

from images import api, upload_endpoint, views
from images.delivery.edge import edge

urlpatterns = [
    path("", views.home, name="home"),
    path("api/pets/<uuid:pet_id>/uploads", api.upload_create, name="api_upload_create"),
    path("api/photos/<uuid:photo_id>/complete", api.upload_complete, name="api_upload_complete"),
    path("api/photos/<uuid:photo_id>", api.photo_detail, name="api_photo"),
    path("uploads/", upload_endpoint.local_upload, name="local_upload"),
    # The local edge (CDN_BASE_URL's default, /cdn): CloudFront's checks, then the object.
    path("cdn/<path:key>", edge, name="cdn_edge"),
]
