"""A real Celery worker in a subprocess, pointed at the test database and the test Redis."""

import os
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlencode

from django.conf import settings
from django.db import connection

REPO = Path(__file__).resolve().parent.parent


def database_url_of_test_db() -> str:
    """The URL of the database pytest-django created, for another process to use.

    dj_database_url keeps a Unix socket directory (`?host=/dir`, the embedded PostgreSQL's
    only listener) in OPTIONS with HOST empty; the URL carries OPTIONS back as its query, or the
    other process would fall back to libpq's default socket, i.e. another server.
    """
    db = connection.settings_dict
    options = {key: str(value) for key, value in (db.get("OPTIONS") or {}).items()}
    user = quote(db.get("USER") or "postgres", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or ""
    port = str(db.get("PORT") or "")
    if host.startswith("/"):  # a socket directory cannot go in the authority
        options["host"], host = host, ""
        if port:
            options["port"], port = port, ""
    netloc = f"{user}{password}@{host}" + (f":{port}" if port else "")
    query = f"?{urlencode(options)}" if options else ""
    return f"postgresql://{netloc}/{quote(db['NAME'], safe='')}{query}"


@contextmanager
def celery_worker(queue: str | None = None):
    """Run a worker consuming `queue` until the block exits; yields (queue, node name).

    The worker's output goes to a temporary file, printed when the block exits (pytest shows it
    with a failure): its errors, e.g. a database it cannot reach, are otherwise invisible. A
    pipe nobody reads would also stall a worker that logs more than the pipe holds.
    """
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
    log = tempfile.TemporaryFile(mode="w+", prefix="celery-worker-")
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
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{_read(log)}")
            if app.control.ping(destination=[node], timeout=0.5):
                break
        else:
            raise RuntimeError(f"worker did not answer within 60 s:\n{_read(log)}")
        yield queue, node
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        output = _read(log)
        log.close()
        if output.strip():
            print(f"--- output of Celery worker {node} ---\n{output}")


def _read(log) -> str:
    log.flush()
    log.seek(0)
    return log.read()
