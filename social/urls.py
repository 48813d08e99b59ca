"""Likes, comments, the activity page and the digests' unsubscribe: mounted at the site's root."""

from django.urls import path

from social.views import digests

urlpatterns: list = [
    path("accounts/digests/", digests.digest_choice_set, name="digest_choice"),
    path("digests/unsubscribe/<str:token>/", digests.digest_unsubscribe, name="digest_unsubscribe"),
]
