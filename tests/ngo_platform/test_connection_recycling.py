"""DATABASE_CONN_MAX_REQUESTS: a kept connection is replaced once it has served that many
requests (a PostgreSQL backend keeps the catalog entries of every NGO schema it touched).

Against the real PostgreSQL: in a thread of its own (a connection of its own, outside the
test's transaction) with Django's request signals, as the WSGI handler sends them; and end to
end through gunicorn, watching its backend in pg_stat_activity.
"""

from __future__ import annotations

import copy
import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django.core.signals import request_finished, request_started
from django.db import connection, connections
from django.db.utils import load_backend

REPO = Path(__file__).resolve().parents[2]


def _requests_in_a_thread(schema_name: str, count: int) -> list[tuple[int, str]]:
    """`count` request cycles in a new thread, each on `schema_name`: (backend pid, schema)."""
    seen: list[tuple[int, str]] = []
    failure: list[BaseException] = []

    def run() -> None:
        settings_dict = copy.deepcopy(connections.settings["default"])
        settings_dict["NAME"] = connection.settings_dict["NAME"]  # the test database
        settings_dict["CONN_MAX_AGE"] = 600  # age never decides here
        wrapper = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, "default")
        connections["default"] = wrapper
        try:
            for _ in range(count):
                request_started.send(sender=None)
                wrapper.set_schema(schema_name)
                with wrapper.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid(), current_schema()")
                    pid, schema = cursor.fetchone()
                seen.append((pid, schema))
                request_finished.send(sender=None)
        except BaseException as error:  # noqa: BLE001 - reported by the test
            failure.append(error)
        finally:
            wrapper.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    assert not failure, failure
    return seen


@pytest.mark.django_db
@pytest.mark.parametrize("limit_set_calls", [False, True])
def test_a_connection_is_replaced_after_the_request_bound(settings, ngo_a, limit_set_calls):
    """With a bound of 3 the backend changes after requests 3 and 6, and every request, on the
    old connection or the new one, runs in the NGO's schema."""
    settings.DATABASE_CONN_MAX_REQUESTS = 3
    settings.TENANT_LIMIT_SET_CALLS = limit_set_calls
    schema = ngo_a.ngo.schema_name

    seen = _requests_in_a_thread(schema, 7)

    pids = [pid for pid, _ in seen]
    assert len(set(pids[0:3])) == 1
    assert len(set(pids[3:6])) == 1
    assert len({pids[0], pids[3], pids[6]}) == 3
    assert [found for _, found in seen] == [schema] * 7


@pytest.mark.django_db
def test_without_a_bound_the_connection_is_kept(settings, ngo_a):
    """DATABASE_CONN_MAX_REQUESTS=0: the same backend serves every request."""
    settings.DATABASE_CONN_MAX_REQUESTS = 0

    seen = _requests_in_a_thread(ngo_a.ngo.schema_name, 7)

    assert len({pid for pid, _ in seen}) == 1


APPLICATION = "terpadu-recycling-test"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _backends(url: str) -> list[int]:
    """The server's backends; a closed one can take a moment to leave pg_stat_activity."""
    deadline = time.monotonic() + 5
    with psycopg.connect(url, autocommit=True) as probe:
        while True:
            rows = probe.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = %s ORDER BY pid",
                [APPLICATION],
            ).fetchall()
            if len(rows) <= 1 or time.monotonic() > deadline:
                return [row[0] for row in rows]
            time.sleep(0.05)


def _get(port: int, host: str) -> tuple[int, bytes]:
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        # An unknown token: the NGO is looked up and its token table read, nothing written.
        client.request(
            "GET", "/api/v1/cases/", headers={"Host": host, "Authorization": "Token 0000"}
        )
        response = client.getresponse()
        return response.status, response.read()
    finally:
        client.close()


def test_gunicorn_replaces_its_connection_after_the_bound(ngo_a):
    """One gunicorn worker thread with DATABASE_CONN_MAX_REQUESTS=2 and a one-hour
    CONN_MAX_AGE: one backend for requests 1-2, a new one from request 3, another from 5."""
    base = os.environ.get("DATABASE_URL")
    if not base:
        pytest.skip("needs DATABASE_URL (a PostgreSQL server gunicorn can reach)")
    parts = urlsplit(base)
    url = urlunsplit(parts._replace(path=f"/{connection.settings_dict['NAME']}"))
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "DJANGO_SETTINGS_MODULE": "ngo_platform.settings_test",
        "DEBUG": "1",
        "DATABASE_URL": f"{url}{'&' if parts.query else '?'}application_name={APPLICATION}",
        "DATABASE_CONN_MAX_AGE": "3600",
        "DATABASE_CONN_MAX_REQUESTS": "2",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "ngo_platform.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--threads",
            "1",
            "--log-level",
            "warning",
        ],
        cwd=REPO,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert server.poll() is None, "gunicorn exited"
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        backends = []
        for _ in range(5):
            status, body = _get(port, ngo_a.host)
            assert status == 401, body[:300]
            backends.append(_backends(url))
    finally:
        server.terminate()
        server.wait(timeout=30)

    # After each request: the one backend the worker holds (closed ones are gone).
    assert [len(pids) for pids in backends] == [1, 1, 1, 1, 1]
    pids = [pids[0] for pids in backends]
    assert pids[0] == pids[1]
    assert pids[2] == pids[3]
    assert len({pids[0], pids[2], pids[4]}) == 3
