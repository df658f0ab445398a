"""Production is the default: without DEBUG the app refuses to start on missing secrets."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PROBE = "import django; django.setup(); print('started')"
PRODUCTION_KEYS = {
    "SECRET_KEY": "a-real-secret-" + "x" * 40,
    "FIELD_ENCRYPTION_KEY": "k" * 40,
    "CONSORTIUM_LINKAGE_SECRET": "l" * 40,
}


def _start(*unset: str, probe: str = PROBE, **overrides: str) -> subprocess.CompletedProcess:
    """Load the settings in a new interpreter; `unset` names variables removed from its env."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "DEBUG",
            "SECRET_KEY",
            "FIELD_ENCRYPTION_KEY",
            "CONSORTIUM_LINKAGE_SECRET",
            "DJANGO_SETTINGS_MODULE",
        }
    }
    # Never the embedded default here: these processes must fail before touching services.
    env.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:1/none")
    env.setdefault("REDIS_URL", "redis://127.0.0.1:1/0")
    env.update({"DJANGO_SETTINGS_MODULE": "ngo_platform.settings", **overrides})
    for name in unset:
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-c", probe],
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


def test_production_needs_a_consortium_linkage_secret():
    """The two keys without CONSORTIUM_LINKAGE_SECRET still refuse to start."""
    result = _start(SECRET_KEY="a-real-secret-" + "x" * 40, FIELD_ENCRYPTION_KEY="k" * 40)
    assert result.returncode != 0
    assert "CONSORTIUM_LINKAGE_SECRET must be set" in result.stderr
    assert "started" not in result.stdout


def test_production_starts_with_both_keys():
    """With the keys set (signing, field encryption, linkage), settings load with DEBUG off and
    secure cookies."""
    probe = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DEBUG, settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE)"
    )
    env_keys = PRODUCTION_KEYS
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


@pytest.fixture
def empty_data_dir():
    """A DATA_DIR to show that nothing was started in it (stopped afterwards should it be)."""
    from ngo_platform import embedded

    # Not tmp_path: were PostgreSQL started, its OS user must traverse every parent directory.
    path = Path(tempfile.mkdtemp(prefix="terpadu-settings-"))
    path.chmod(0o755)
    yield path
    embedded.stop(path)
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize(
    ("unset", "message"),
    [
        (("DATABASE_URL",), "DATABASE_URL must be set when DEBUG is off"),
        (("REDIS_URL",), "REDIS_URL must be set when DEBUG is off"),
        (("DATABASE_URL", "REDIS_URL"), "DATABASE_URL and REDIS_URL must be set when DEBUG is off"),
    ],
)
@pytest.mark.parametrize("debug", [None, "0"])
def test_production_refuses_to_start_without_service_urls(empty_data_dir, unset, message, debug):
    """DEBUG off with both keys but no DATABASE_URL / REDIS_URL: ImproperlyConfigured naming
    the missing variables, and no embedded server is started in DATA_DIR."""
    overrides = {} if debug is None else {"DEBUG": debug}
    result = _start(*unset, DATA_DIR=str(empty_data_dir), **PRODUCTION_KEYS, **overrides)
    assert result.returncode != 0
    assert "django.core.exceptions.ImproperlyConfigured" in result.stderr
    assert message in result.stderr
    assert "started" not in result.stdout
    assert list(empty_data_dir.iterdir()) == []


def test_production_modules_load_without_faker():
    """Faker is a demo dependency only: with it unimportable, the production profile loads its
    URL confs, the WSGI application and every Celery task module."""
    probe = (
        "import sys; sys.modules['faker'] = None\n"  # `import faker` now raises ImportError
        "import django; django.setup()\n"
        "import ngo_platform.urls_ngo, ngo_platform.urls_public, ngo_platform.wsgi\n"
        "from ngo_platform.celery import app; app.loader.import_default_modules()\n"
        "print(sorted(name for name in app.tasks if not name.startswith('celery.')))\n"
        "try:\n"
        "    import faker\n"
        "except ImportError:\n"
        "    print('no faker')\n"
    )
    result = _start(probe=probe, **PRODUCTION_KEYS)
    assert result.returncode == 0, result.stderr
    tasks, blocked = result.stdout.strip().splitlines()[-2:]
    assert "tenants.tasks.fan_out_daily" in tasks
    assert blocked == "no faker"


def test_reporting_months_cover_a_year():
    """Reports are published per calendar year: fewer months counted is refused at start."""
    result = _start(DEBUG="1", REPORTING_MONTHS="6")
    assert result.returncode != 0
    assert "REPORTING_MONTHS must be at least 12" in result.stderr
