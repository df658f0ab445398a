"""Production is the default: without DEBUG the app refuses to start on missing secrets."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PROBE = "import django; django.setup(); print('started')"


def _start(**overrides) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "SECRET_KEY", "FIELD_ENCRYPTION_KEY", "DJANGO_SETTINGS_MODULE"}
    }
    # Never the embedded default here: these processes must fail before touching services.
    env.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:1/none")
    env.setdefault("REDIS_URL", "redis://127.0.0.1:1/0")
    env.update({"DJANGO_SETTINGS_MODULE": "ngo_platform.settings", **overrides})
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("debug", [None, "0", "false"])
def test_production_refuses_to_start_without_secret_key(debug):
    """DEBUG unset or off and no SECRET_KEY: ImproperlyConfigured naming SECRET_KEY."""
    overrides = {} if debug is None else {"DEBUG": debug}
    result = _start(**overrides)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
    assert "started" not in result.stdout


def test_production_refuses_the_development_key():
    """The insecure development key is refused when DEBUG is off."""
    result = _start(SECRET_KEY="insecure-development-key-only-for-debug")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_needs_a_field_encryption_key():
    """A real SECRET_KEY without FIELD_ENCRYPTION_KEY still refuses to start."""
    result = _start(SECRET_KEY="a-real-secret-" + "x" * 40)
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEY must be set" in result.stderr


def test_production_starts_with_both_keys():
    """With both keys set, settings load with DEBUG off and secure cookies."""
    probe = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DEBUG, settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE)"
    )
    env_keys = {"SECRET_KEY": "a-real-secret-" + "x" * 40, "FIELD_ENCRYPTION_KEY": "k" * 40}
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPO,
        env={
            **{k: v for k, v in os.environ.items() if k not in {"DEBUG", "DJANGO_SETTINGS_MODULE"}},
            "DATABASE_URL": "postgres://postgres@127.0.0.1:1/none",
            "REDIS_URL": "redis://127.0.0.1:1/0",
            "DJANGO_SETTINGS_MODULE": "ngo_platform.settings",
            **env_keys,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False True True"
