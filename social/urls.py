"""Likes, comments, the activity page and the digests' unsubscribe: mounted at the site's root."""

from django.urls import path

from social.views import activity, comments, counts, digests, likes

urlpatterns: list = [
    # Likes and comments on a photo (issue 17, item 1).
    path("photos/<uuid:photo_id>/like/", likes.photo_like, name="social_like"),
    path("photos/<uuid:photo_id>/comments/", comments.comment_post, name="social_comment"),
    path("photos/<uuid:photo_id>/social/", counts.photo_counts, name="social_counts"),
    path(
        "s/<str:token>/photos/<uuid:photo_id>/social/",
        counts.link_photo_counts,
        name="social_link_counts",
    ),
    path("comments/<int:comment_id>/delete/", comments.comment_remove, name="social_delete"),
    # E-mail digests (issue 17, item 3).
    path("accounts/digests/", digests.digest_choice_set, name="digest_choice"),
    path("digests/unsubscribe/<str:token>/", digests.digest_unsubscribe, name="digest_unsubscribe"),
    # The activity (issue 17, item 2).
    path("activity/", activity.activity_page, name="activity"),
]
