"""`make run`'s web server under parallel requests: every request answered, and no database
connection left behind per request (runserver serves each request in a new thread; kept
connections ran PostgreSQL out of them during a trial)."""

from __future__ import annotations

import concurrent.futures
import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from django.db import connection

from ngo_platform import devserver

REPO = Path(__file__).resolve().parents[2]
PARALLEL, REQUESTS = 12, 48


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(port: int, path: str) -> int:
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        client.request("GET", path, headers={"Host": "localhost"})
        return client.getresponse().status
    finally:
        client.close()


APPLICATION = "terpadu-devserver-test"


def _backends(url: str) -> int:
    """The server's connections (named by application_name), seen from a connection of our
    own in autocommit (the statistics views are a snapshot per transaction)."""
    with psycopg.connect(url, autocommit=True) as probe:
        row = probe.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [APPLICATION]
        ).fetchone()
        return row[0] if row else 0


def test_parallel_requests_to_the_devserver_leave_no_connection_behind(ngo_a):
    # The test database, on the server this run uses (the machine's, or the embedded one
    # through its Unix socket): the run's URL with the test database's name.
    from urllib.parse import urlsplit, urlunsplit

    from django.conf import settings

    from ngo_platform import embedded

    database = connection.settings_dict["NAME"]
    base = os.environ.get("DATABASE_URL") or embedded.postgres_url(Path(settings.DATA_DIR))
    parts = urlsplit(base)
    url = urlunsplit(parts._replace(path=f"/{database}"))
    port = _free_port()
    env = devserver.runserver_env(
        {
            **os.environ,
            "DEBUG": "1",
            "DATABASE_URL": f"{url}{'&' if parts.query else '?'}application_name={APPLICATION}",
            "DJANGO_SETTINGS_MODULE": "ngo_platform.settings",
            "DATABASE_CONN_MAX_AGE": "",
        }
    )
    assert env["DATABASE_CONN_MAX_AGE"] == "0"
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                _get(port, "/accounts/login/")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    message = server.stderr.read()[-2000:] if server.stderr else ""
                    raise AssertionError(message) from None
                time.sleep(0.3)
        before = _backends(url)
        paths = ["/accounts/login/", "/console/"] * (REQUESTS // 2)
        with concurrent.futures.ThreadPoolExecutor(PARALLEL) as pool:
            statuses = list(pool.map(lambda path: _get(port, path), paths))
        assert all(status in (200, 302) for status in statuses), statuses
        # Each request closed its connection: none is left from the 48 requests (the one left
        # may be the start-up migration check's, in the main thread).
        assert before <= 1
        deadline = time.monotonic() + 10
        while _backends(url) > before and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _backends(url) <= before
    finally:
        server.terminate()
        server.wait(30)
