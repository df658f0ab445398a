"""Settings of the gunicorn that bench/load.py starts: the project's own, with a URL conf that
adds the framework floor (bench/_load_urls.py). Nothing else differs."""

from ngo_platform.settings import *  # noqa: F403

ROOT_URLCONF = "bench._load_urls"
