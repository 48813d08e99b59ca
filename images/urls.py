from django.urls import path

from cdn.edge import edge
from images.views import (
    account,
    api,
    downloads,
    favourites,
    home,
    invitations,
    pets,
    photos,
    selection,
    sharing,
    upload_endpoint,
)

urlpatterns = [
    path("", home.home, name="home"),
    path("pets/", pets.pet_list, name="pet_list"),
    path("pets/new/", pets.pet_new, name="pet_new"),
    path("pets/<uuid:pet_id>/", pets.pet_gallery, name="pet_gallery"),
    path("pets/<uuid:pet_id>/edit/", pets.pet_edit, name="pet_edit"),
    path("pets/<uuid:pet_id>/delete/", pets.pet_remove, name="pet_delete"),
    path("pets/<uuid:pet_id>/upload/", pets.pet_upload, name="pet_upload"),
    path("pets/<uuid:pet_id>/sharing/", sharing.sharing_page, name="pet_sharing"),
    path(
        "pets/<uuid:pet_id>/photos/delete/", selection.photos_delete_selected, name="photos_delete"
    ),
    path("pets/<uuid:pet_id>/photos/move/", selection.photos_move_selected, name="photos_move"),
    path("pets/<uuid:pet_id>/photos/cover/", selection.photos_cover_selected, name="photos_cover"),
    path("photos/download/", downloads.photos_download, name="photos_download"),
    path("photos/<uuid:photo_id>/", photos.photo_page, name="photo_page"),
    path("photos/<uuid:photo_id>/download/", downloads.photo_download, name="photo_download"),
    path("photos/<uuid:photo_id>/original", photos.photo_original, name="photo_original"),
    path("photos/<uuid:photo_id>/delete/", photos.photo_remove, name="photo_delete"),
    path("photos/<uuid:photo_id>/cover/", photos.photo_make_cover, name="photo_cover"),
    path("photos/<uuid:photo_id>/taken/", photos.photo_change_taken_at, name="photo_taken_at"),
    path("photos/<uuid:photo_id>/favourite/", favourites.photo_favourite, name="photo_favourite"),
    path("shared/", sharing.shared_with_me, name="shared_with_me"),
    path("favourites/", favourites.favourites_page, name="favourites"),
    path("invitations/<str:token>/", invitations.invitation_page, name="invitation"),
    # The account page, beside accounts/'s own pages (it shows what was uploaded: images').
    path("accounts/", account.account_page, name="account"),
    path("s/<str:token>/", sharing.share_link, name="share_link"),
    path("s/<str:token>/download/", downloads.share_link_download, name="share_link_download"),
    path(
        "s/<str:token>/photos/<uuid:photo_id>/download/",
        downloads.share_link_photo_download,
        name="share_link_photo_download",
    ),
    path("api/pets/<uuid:pet_id>/uploads", api.upload_create, name="api_upload_create"),
    path("api/photos/<uuid:photo_id>/complete", api.upload_complete, name="api_upload_complete"),
    path("api/photos/<uuid:photo_id>", api.photo_detail, name="api_photo"),
    # After the API's routes: any other address under /api/ (a malformed id included) is a
    # JSON 404, also under DEBUG=true, instead of Django's HTML page.
    path("api/", api.unknown_endpoint, name="api_unknown"),
    path("api/<path:rest>", api.unknown_endpoint, name="api_unknown_path"),
    path("uploads/", upload_endpoint.local_upload, name="local_upload"),
    # The local edge (CDN_BASE_URL's default, /cdn): CloudFront's checks, then the object.
    path("cdn/<path:key>", edge, name="cdn_edge"),
]
