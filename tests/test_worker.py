"""The test helper that starts a real Celery worker hands it the test database itself."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests.worker import database_url_of_test_db

REPO = Path(__file__).resolve().parent.parent
IDENTIFY = "SELECT current_database(), (SELECT system_identifier FROM pg_control_system())::text"
PROBE = f"""
import django
django.setup()
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute({IDENTIFY!r})
    print(*cursor.fetchone())
"""


@pytest.mark.django_db
def test_worker_database_url_reaches_the_test_database():
    """A process started with the worker's DATABASE_URL opens the same database on the same
    PostgreSQL cluster as the tests: over TCP, and over the embedded server's Unix socket,
    whose directory dj_database_url keeps in OPTIONS rather than HOST."""
    with connection.cursor() as cursor:
        cursor.execute(IDENTIFY)
        expected = " ".join(cursor.fetchone())
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ngo_platform.settings_test",
        "DATABASE_URL": database_url_of_test_db(),
        "PYTHONPATH": str(REPO),
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == expected
