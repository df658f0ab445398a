"""The zero-install default: with DATABASE_URL and REDIS_URL unset, the app boots on the
embedded PostgreSQL and Redis, provisions an NGO and serves a Celery worker."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from ngo_platform import embedded

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.embedded


@pytest.fixture(scope="module")
def embedded_env():
    # Not tmp_path: PostgreSQL runs as another OS user that must traverse every parent dir.
    data_dir = Path(tempfile.mkdtemp(prefix="terpadu-embedded-"))
    data_dir.chmod(0o755)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        {"DEBUG": "1", "DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "ngo_platform.settings"}
    )
    yield env, data_dir
    embedded.stop(data_dir)
    shutil.rmtree(data_dir, ignore_errors=True)


def _manage(env, *args) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_embedded_default_boots_provisions_and_serves(embedded_env):
    """migrate_schemas, create_consortium and create_ngo work on the embedded services, and
    /healthz is 200 once a worker runs on the embedded Redis."""
    env, data_dir = embedded_env
    _manage(env, "migrate_schemas", "--noinput", "-v", "0")
    assert embedded.status(data_dir) == {"postgres": True, "redis": True}
    _manage(
        env,
        "create_consortium",
        "--slug",
        "emb",
        "--name",
        "Embedded",
        "--coordinator-email",
        "c@example.org",
    )
    out = _manage(
        env,
        "create_ngo",
        "--consortium",
        "emb",
        "--slug",
        "emb-ngo",
        "--name",
        "Emb NGO",
        "--admin-email",
        "a@example.org",
        "--admin-password",
        "Kuat-Sekali-2026!",
    )
    assert "NGO 'emb-ngo' ready at emb-ngo.localhost (replay" in out

    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "ngo_platform",
            "worker",
            "-P",
            "solo",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "warning",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        probe = textwrap.dedent(
            """
            import json, time, django
            django.setup()
            from django.test import Client
            for _ in range(60):
                response = Client(HTTP_HOST="localhost").get("/healthz")
                if response.status_code == 200:
                    break
                time.sleep(0.5)
            token = Client(HTTP_HOST="emb-ngo.localhost").post(
                "/api/v1/auth/token/",
                {"username": "a@example.org", "password": "Kuat-Sekali-2026!"},
            )
            print(json.dumps({"health": response.json(), "token": token.status_code}))
            """
        )
        result = subprocess.run(
            [sys.executable, "-c", probe],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        body = json.loads(result.stdout.strip().splitlines()[-1])
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert body["health"] == {
        "status": "ok",
        "checks": {"database": "ok", "redis": "ok", "worker": "ok"},
    }
    assert body["token"] == 200
