"""What the accounts app tells the others."""

from django.dispatch import Signal

# Sent by ``accounts.services.user_deactivate`` with ``user``, inside its transaction: whatever
# the account could reach ends too (the images app revokes its pets' renditions at the CDN).
user_deactivated = Signal()
