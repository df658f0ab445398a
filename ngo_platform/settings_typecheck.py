"""Settings for mypy's django-stubs plugin: the test settings, without any server.

The plugin imports the settings module inside the mypy process and runs `apps.populate()`
(mypy_django_plugin.django.context.initialize_django); it never opens a connection. The settings
start the embedded PostgreSQL/Redis when DATABASE_URL/REDIS_URL are unset, so those are pointed at
a closed local port here: type checking needs no database and never starts one.
"""

import os

os.environ["DATABASE_URL"] = "postgres://typecheck:unused@127.0.0.1:9/typecheck"
os.environ["REDIS_URL"] = "redis://127.0.0.1:9/0"

from ngo_platform.settings_test import *  # noqa: E402, F403
