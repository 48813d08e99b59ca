"""Settings of the workers the digests' kill test starts: the project's, with mail written to
files in ``DIGEST_MAIL_DIR`` by a slow back end, so that this test's process reads what every
worker process sent, and a worker can be killed while a digest is on its way."""

import os

from pettracker.settings import *  # noqa: F403

EMAIL_BACKEND = "tests.social.mail_backend.SlowFileBackend"
EMAIL_FILE_PATH = os.environ["DIGEST_MAIL_DIR"]
