"""Likes, comments, the activity page and the digests' unsubscribe: mounted at the site's root."""

urlpatterns: list = []
