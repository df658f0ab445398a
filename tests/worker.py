"""A real Celery worker in a subprocess, pointed at the test database and the test Redis."""

import os
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

REPO = Path(__file__).resolve().parent.parent


def database_url_of_test_db() -> str:
    """The URL of the database pytest-django created, for another process to use."""
    db = connection.settings_dict
    user = quote(db.get("USER") or "postgres")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or ""
    if host.startswith("/"):
        return f"postgresql://{user}{password}@/{db['NAME']}?host={host}"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgresql://{user}{password}@{host}{port}/{db['NAME']}"


@contextmanager
def celery_worker(queue: str | None = None):
    """Run a worker consuming `queue` until the block exits; yields (queue, node name)."""
    from ngo_platform.celery import app

    queue = queue or f"test-{uuid.uuid4().hex[:8]}"
    node = f"{queue}@localhost"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ngo_platform.settings_test",
        "DATABASE_URL": database_url_of_test_db(),
        "REDIS_URL": settings.REDIS_URL,
        "PYTHONPATH": str(REPO),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "ngo_platform",
            "worker",
            "-P",
            "solo",
            "-Q",
            queue,
            "-n",
            node,
            "--without-gossip",
            "--without-mingle",
            "-l",
            "warning",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{process.stdout.read()}")
            if app.control.ping(destination=[node], timeout=0.5):
                break
        else:
            raise RuntimeError("worker did not answer within 60 s")
        yield queue, node
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
