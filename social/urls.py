"""Likes, comments, the activity page and the digests' unsubscribe: mounted at the site's root."""

from django.urls import path

from social.views import activity

urlpatterns: list = [
    path("activity/", activity.activity_page, name="activity"),
]
