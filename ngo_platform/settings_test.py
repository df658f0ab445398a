"""Settings for the test suite: the development profile, with the same real services."""

import os

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("BASE_DOMAIN", "localhost")

from ngo_platform.settings import *  # noqa: E402, F403

# Tests send mail to memory so they can read it.
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# The suite runs in English; tests that need Indonesian ask for it (Accept-Language: id).
LANGUAGE_CODE = "en"
