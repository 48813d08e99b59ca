"""A mail back end for tests across processes: each message written to a file of its own
(Django's file back end), after a pause like an SMTP server's."""

import time

from django.core.mail.backends.filebased import EmailBackend

PAUSE_SECONDS = 0.15


class SlowFileBackend(EmailBackend):
    def send_messages(self, email_messages):
        time.sleep(PAUSE_SECONDS)
        return super().send_messages(email_messages)
