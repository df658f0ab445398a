"""Deployment files: docker-compose.yml, deploy/Dockerfile, deploy/entrypoint.sh, .env.example.

Pure file parsing (plus the entrypoint run under /bin/sh with stub commands): no Django, no
database, no Docker daemon. `docker-compose config` is checked only where Debian's
/usr/bin/docker-compose is installed.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
ENTRYPOINT = ROOT / "deploy" / "entrypoint.sh"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKER_COMPOSE = Path("/usr/bin/docker-compose")

# Read by ngo_platform.settings.
SETTINGS_VARIABLES = (
    "DEBUG",
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "BASE_DOMAIN",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "DATA_DIR",
    "MEDIA_ROOT",
    "STATIC_ROOT",
    "STATIC_MANIFEST",
    "EMAIL_URL",
    "DEFAULT_FROM_EMAIL",
    "FIELD_ENCRYPTION_KEY",
    "CONSORTIUM_LINKAGE_SECRET",
    "LOG_LEVEL",
    "TENANT_PROVISION_METHOD",
    "SECURE_SSL_REDIRECT",
    "WEB_CONCURRENCY",
)
# Read by the postgres container.
POSTGRES_VARIABLES = ("POSTGRES_PASSWORD", "POSTGRES_DB", "POSTGRES_USER")
# Read by deploy/entrypoint.sh (and set for the web service in docker-compose.yml).
ENTRYPOINT_VARIABLES = ("MIGRATE_ON_START",)

APP_SERVICES = ("web", "worker", "beat")
REQUIRED_SERVICES = ("postgres", "redis", *APP_SERVICES)

# ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error} and bare $VAR; `$$` is an
# escaped dollar that compose passes to the container, so it is removed before matching.
INTERPOLATION = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}|([A-Za-z_][A-Za-z0-9_]*))")
REQUIRED_INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*):?\?")
ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$")


@pytest.fixture(autouse=True)
def _public_schema_after_test():
    """Override conftest's autouse schema reset: these tests run without Django (-p no:django)."""
    return


# --- helpers ---------------------------------------------------------------------------------


def _load_compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def _env_example_names() -> set[str]:
    assert ENV_EXAMPLE.is_file(), f"{ENV_EXAMPLE.name} is missing at the repository root"
    names = set()
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("#"):
            continue
        match = ENV_LINE.match(line)
        if match:
            names.add(match.group(1))
    return names


def _strings(node):
    """Yield every string value in a parsed YAML document (mapping keys excluded)."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def _interpolated_names(document) -> set[str]:
    names = set()
    for text in _strings(document):
        for braced, bare in INTERPOLATION.findall(text.replace("$$", "")):
            names.add(braced or bare)
    return names


def _environment(service: dict) -> dict[str, str | None]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        pairs = (item.split("=", 1) for item in environment)
        return {pair[0]: (pair[1] if len(pair) > 1 else None) for pair in pairs}
    return {key: (None if value is None else str(value)) for key, value in environment.items()}


def _env_files(service: dict) -> list[str]:
    env_file = service.get("env_file") or []
    if isinstance(env_file, str | dict):
        env_file = [env_file]
    return [item["path"] if isinstance(item, dict) else item for item in env_file]


def _command(service: dict) -> list[str]:
    command = service.get("command") or []
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


def _celery_app(tokens: list[str]) -> str | None:
    for index, token in enumerate(tokens):
        if token in {"-A", "--app"} and index + 1 < len(tokens):
            return tokens[index + 1]
        if token.startswith("--app="):
            return token.split("=", 1)[1]
        if token.startswith("-A") and len(token) > 2:
            return token[2:]
    return None


def _option(tokens: list[str], *flags: str) -> str | None:
    for index, token in enumerate(tokens):
        if token in flags and index + 1 < len(tokens):
            return tokens[index + 1]
        for flag in flags:
            if flag.startswith("--") and token.startswith(flag + "="):
                return token.split("=", 1)[1]
    return None


def _builds_dockerfile(service: dict) -> bool:
    build = service.get("build")
    if build is None:
        return False
    if isinstance(build, str):
        build = {"context": build}
    context = ROOT / build.get("context", ".")
    dockerfile = context / build.get("dockerfile", "Dockerfile")
    return dockerfile.resolve() == DOCKERFILE.resolve()


def _volume_mounts(service: dict) -> dict[str, str]:
    """Map container path -> source for a service's volumes (short and long syntax)."""
    mounts = {}
    for volume in service.get("volumes") or []:
        if isinstance(volume, dict):
            mounts[volume["target"]] = volume.get("source", "")
        else:
            parts = volume.split(":")
            if len(parts) >= 2:
                mounts[parts[1]] = parts[0]
    return mounts


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs with line continuations joined and comments dropped."""
    instructions = []
    current = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        keyword, _, arguments = current.partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        current = ""
    return instructions


# --- docker-compose.yml ----------------------------------------------------------------------


def test_compose_uses_the_compose_spec_without_version_key():
    """docker-compose.yml is a Compose-spec file: it has services and no obsolete `version:`."""
    compose = _load_compose()
    assert "version" not in compose
    assert isinstance(compose.get("services"), dict)


def test_compose_defines_all_services():
    """postgres, redis, web, worker and beat are all defined."""
    services = _load_compose()["services"]
    missing = [name for name in REQUIRED_SERVICES if name not in services]
    assert not missing, f"services missing from docker-compose.yml: {missing}"


def test_app_services_run_the_project_image():
    """web builds deploy/Dockerfile; worker and beat build it too or reuse web's image."""
    services = _load_compose()["services"]
    web = services["web"]
    assert _builds_dockerfile(web), "web must build from deploy/Dockerfile with context ."
    for name in ("worker", "beat"):
        service = services[name]
        same_image = web.get("image") is not None and service.get("image") == web.get("image")
        assert _builds_dockerfile(service) or same_image, f"{name} does not run the app image"


def test_worker_runs_celery_worker_for_ngo_platform():
    """The worker service runs `celery -A ngo_platform worker`."""
    tokens = _command(_load_compose()["services"]["worker"])
    assert tokens[:1] == ["celery"]
    assert "worker" in tokens
    assert _celery_app(tokens) == "ngo_platform"


def test_beat_runs_celery_beat_for_ngo_platform():
    """The beat service runs `celery -A ngo_platform beat`."""
    tokens = _command(_load_compose()["services"]["beat"])
    assert tokens[:1] == ["celery"]
    assert "beat" in tokens
    assert _celery_app(tokens) == "ngo_platform"


def test_beat_schedule_file_is_on_a_volume():
    """beat writes its schedule file into a directory mounted from a volume."""
    beat = _load_compose()["services"]["beat"]
    schedule = _option(_command(beat), "-s", "--schedule")
    assert schedule, "beat needs an explicit --schedule path"
    mounted = _volume_mounts(beat)
    assert any(
        Path(schedule).parent == Path(target) or Path(target) in Path(schedule).parents
        for target in mounted
    ), f"{schedule} is not under any of beat's volumes {sorted(mounted)}"


def test_web_and_worker_share_the_media_volume():
    """web and worker mount the same volume at MEDIA_ROOT, so uploads reach the tasks."""
    services = _load_compose()["services"]
    media_root = _environment(services["web"]).get("MEDIA_ROOT") or "/data/media"
    web_source = _volume_mounts(services["web"]).get(media_root)
    worker_source = _volume_mounts(services["worker"]).get(media_root)
    assert web_source, f"web mounts nothing at {media_root}"
    assert web_source == worker_source


@pytest.mark.parametrize("dependency", ["postgres", "redis"])
def test_web_waits_for_healthy_dependency(dependency):
    """web depends on postgres and redis with condition service_healthy."""
    depends_on = _load_compose()["services"]["web"].get("depends_on")
    assert isinstance(depends_on, dict), "depends_on must use the long form with conditions"
    assert depends_on.get(dependency, {}).get("condition") == "service_healthy"


@pytest.mark.parametrize(("service", "probe"), [("postgres", "pg_isready"), ("redis", "redis-cli")])
def test_backing_services_have_healthchecks(service, probe):
    """postgres is probed with pg_isready and redis with redis-cli ping."""
    healthcheck = _load_compose()["services"][service].get("healthcheck") or {}
    test = healthcheck.get("test")
    text = test if isinstance(test, str) else " ".join(test or [])
    assert probe in text


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_services_read_dot_env(service):
    """web, worker and beat load their settings from `.env` via env_file."""
    env_files = _env_files(_load_compose()["services"][service])
    assert ".env" in [Path(path).as_posix().removeprefix("./") for path in env_files]


def test_compose_interpolations_are_in_env_example():
    """Every ${VAR} / ${VAR:-default} interpolated by docker-compose.yml is in .env.example."""
    names = _interpolated_names(_load_compose())
    assert names, "docker-compose.yml is expected to interpolate the POSTGRES_* variables"
    missing = sorted(names - _env_example_names())
    assert not missing, f"interpolated but not in .env.example: {missing}"


def test_compose_environment_keys_are_in_env_example():
    """Every key under a service's `environment:` is a variable listed in .env.example."""
    known = _env_example_names()
    missing = {
        f"{name}.{key}"
        for name, service in _load_compose()["services"].items()
        for key in _environment(service)
        if key not in known
    }
    assert not missing, f"environment keys not in .env.example: {sorted(missing)}"


@pytest.mark.parametrize("name", SETTINGS_VARIABLES + POSTGRES_VARIABLES + ENTRYPOINT_VARIABLES)
def test_env_example_lists_variable(name):
    """.env.example lists (uncommented) each variable of settings, postgres and entrypoint."""
    assert name in _env_example_names()


def test_web_healthcheck_probes_healthz_with_base_domain():
    """A healthcheck (compose web or Dockerfile HEALTHCHECK) requests /healthz as BASE_DOMAIN."""
    healthcheck = _load_compose()["services"]["web"].get("healthcheck") or {}
    test = healthcheck.get("test") or []
    texts = [test if isinstance(test, str) else " ".join(test)]
    texts += [args for keyword, args in _dockerfile_instructions() if keyword == "HEALTHCHECK"]
    probes = [text for text in texts if "/healthz" in text]
    assert probes, "neither compose web nor the Dockerfile has a /healthz healthcheck"
    assert all("BASE_DOMAIN" in text for text in probes), "send Host: BASE_DOMAIN"


@pytest.mark.skipif(not DOCKER_COMPOSE.exists(), reason="/usr/bin/docker-compose not installed")
def test_docker_compose_config_is_valid(tmp_path):
    """`docker-compose config -q` accepts the file with a .env made from .env.example."""
    assert ENV_EXAMPLE.is_file(), f"{ENV_EXAMPLE.name} is missing at the repository root"
    shutil.copy(COMPOSE_FILE, tmp_path / "docker-compose.yml")
    # An operator fills in the variables compose insists on (${VAR:?...}); stand in for them.
    required = set()
    for text in _strings(_load_compose()):
        required.update(REQUIRED_INTERPOLATION.findall(text.replace("$$", "")))
    lines = []
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = None if line.lstrip().startswith("#") else ENV_LINE.match(line)
        if match and match.group(1) in required and not match.group(2).strip():
            line = f"{match.group(1)}=placeholder-for-config-check"
        lines.append(line)
    (tmp_path / ".env").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = subprocess.run(
        [str(DOCKER_COMPOSE), "-f", "docker-compose.yml", "config", "-q"],
        cwd=tmp_path,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr


# --- deploy/Dockerfile -----------------------------------------------------------------------


def test_dockerfile_is_python_312_slim():
    """The image is based on python:3.12-slim."""
    assert DOCKERFILE.is_file()
    text = " ".join(
        args for keyword, args in _dockerfile_instructions() if keyword in {"FROM", "ARG"}
    )
    assert "python:3.12-slim" in text


def test_dockerfile_runs_as_non_root():
    """The final USER instruction names an unprivileged user."""
    users = [args for keyword, args in _dockerfile_instructions() if keyword == "USER"]
    assert users, "the Dockerfile has no USER line"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}


def test_dockerfile_installs_project_without_dev_extras():
    """The project is installed with `pip install .`, without the dev or embedded extras."""
    runs = " ".join(args for keyword, args in _dockerfile_instructions() if keyword == "RUN")
    assert re.search(r"pip install (?:[^&;|]*\s)?\.(?:\s|$)", runs), "no `pip install .`"
    assert "[dev]" not in runs
    assert "[embedded]" not in runs


def test_dockerfile_collects_static_without_baking_a_secret():
    """collectstatic runs at build time and no SECRET_KEY is kept in an ENV instruction."""
    instructions = _dockerfile_instructions()
    assert any(keyword == "RUN" and "collectstatic" in args for keyword, args in instructions)
    for keyword, args in instructions:
        if keyword == "ENV":
            assert "SECRET_KEY" not in args
            assert "FIELD_ENCRYPTION_KEY" not in args
            assert "CONSORTIUM_LINKAGE_SECRET" not in args


def test_dockerfile_exposes_port_8000():
    """The image exposes port 8000."""
    exposed = [args for keyword, args in _dockerfile_instructions() if keyword == "EXPOSE"]
    assert any("8000" in args.split() for args in exposed)


def test_dockerfile_default_command_is_gunicorn_wsgi():
    """CMD/ENTRYPOINT start gunicorn with ngo_platform.wsgi:application."""
    text = " ".join(
        args for keyword, args in _dockerfile_instructions() if keyword in {"CMD", "ENTRYPOINT"}
    )
    assert "gunicorn" in text
    assert "ngo_platform.wsgi" in text


# --- deploy/entrypoint.sh ---------------------------------------------------------------------


@pytest.fixture
def stub_path(tmp_path):
    """A PATH whose python, gunicorn and celery only log how they were called."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.log"
    for name in ("python", "gunicorn", "celery"):
        stub = bin_dir / name
        stub.write_text(
            f'#!/bin/sh\necho "{name} $* WEB_CONCURRENCY=$WEB_CONCURRENCY" >> "{log}"\n',
            encoding="utf-8",
        )
        stub.chmod(0o755)
    return f"{bin_dir}:/usr/bin:/bin", log


def _run_entrypoint(stub_path, *command: str, **env: str) -> list[str]:
    path, log = stub_path
    subprocess.run(
        ["/bin/sh", str(ENTRYPOINT), *command],
        env={"PATH": path, **env},
        check=True,
        timeout=30,
    )
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []


@pytest.mark.parametrize("flag", ["1", "true"])
def test_entrypoint_migrates_web_when_asked(stub_path, flag):
    """With MIGRATE_ON_START set, the web role runs migrate_schemas before gunicorn."""
    calls = _run_entrypoint(
        stub_path, "gunicorn", "ngo_platform.wsgi:application", MIGRATE_ON_START=flag
    )
    assert len(calls) == 2
    assert calls[0].startswith("python -m django migrate_schemas --noinput")
    assert calls[1].startswith("gunicorn ngo_platform.wsgi:application")


@pytest.mark.parametrize("flag", [None, "", "0"])
def test_entrypoint_skips_migrations_by_default(stub_path, flag):
    """Without MIGRATE_ON_START=1 the web role execs gunicorn straight away."""
    env = {} if flag is None else {"MIGRATE_ON_START": flag}
    calls = _run_entrypoint(stub_path, "gunicorn", "ngo_platform.wsgi:application", **env)
    assert [call.split()[0] for call in calls] == ["gunicorn"]


def test_entrypoint_never_migrates_for_celery(stub_path):
    """worker and beat (celery) never run migrations, even with MIGRATE_ON_START=1."""
    calls = _run_entrypoint(
        stub_path, "celery", "-A", "ngo_platform", "worker", MIGRATE_ON_START="1"
    )
    assert [call.split()[0] for call in calls] == ["celery"]


@pytest.mark.parametrize(("value", "expected"), [(None, "2"), ("", "2"), ("5", "5")])
def test_entrypoint_defaults_web_concurrency(stub_path, value, expected):
    """gunicorn gets WEB_CONCURRENCY, defaulting to 2 when it is unset or empty."""
    env = {} if value is None else {"WEB_CONCURRENCY": value}
    calls = _run_entrypoint(stub_path, "gunicorn", "ngo_platform.wsgi:application", **env)
    assert calls[-1].endswith(f"WEB_CONCURRENCY={expected}")


def test_dockerfile_installs_dependencies_from_the_lock_file():
    """Dependencies come from requirements.lock with --require-hashes, copied before the install
    (its own layer); the project itself is then installed with --no-deps, resolving nothing."""
    instructions = _dockerfile_instructions()
    lock_install = next(
        (
            index
            for index, (keyword, args) in enumerate(instructions)
            if keyword == "RUN" and re.search(r"pip install [^&;|]*-r requirements\.lock", args)
        ),
        None,
    )
    assert lock_install is not None, "no `pip install -r requirements.lock`"
    assert "--require-hashes" in instructions[lock_install][1]
    copies = [
        index
        for index, (keyword, args) in enumerate(instructions[:lock_install])
        if keyword == "COPY" and "requirements.lock" in args.split()[:-1]
    ]
    assert copies, "requirements.lock is not copied before it is installed"
    project_installs = [
        args
        for keyword, args in instructions
        if keyword == "RUN" and re.search(r"pip install (?:[^&;|]*\s)?\.(?:\s|$)", args)
    ]
    assert project_installs
    assert all("--no-deps" in args for args in project_installs)
    runs = " ".join(args for keyword, args in instructions if keyword == "RUN")
    assert "tomllib" not in runs, "dependencies are read from pyproject.toml, not the lock"


# --- packaging: what production installs --------------------------------------------------------

PYPROJECT = ROOT / "pyproject.toml"
MAKEFILE = ROOT / "Makefile"


def _requirement_names(requirements: list[str]) -> set[str]:
    return {re.match(r"[A-Za-z0-9._-]+", item).group().lower() for item in requirements}


def test_faker_is_a_demo_dependency_not_a_production_one():
    """Faker is in the `demo` extra, which `dev` includes, and not in the runtime dependencies
    that deploy/Dockerfile installs."""
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    assert "faker" not in _requirement_names(project["dependencies"])
    assert "faker" in _requirement_names(extras["demo"])
    self_references = [item for item in extras["dev"] if item.startswith(f"{project['name']}[")]
    assert len(self_references) == 1
    included = self_references[0].split("[", 1)[1].rstrip("]").split(",")
    assert {"embedded", "demo"} <= {name.strip() for name in included}


def test_dockerfile_installs_no_demo_extra():
    """The image installs neither the demo extra nor Faker."""
    runs = " ".join(args for keyword, args in _dockerfile_instructions() if keyword == "RUN")
    assert "demo" not in runs
    assert "faker" not in runs.lower()


def test_make_run_installs_the_demo_extra():
    """`make run` seeds the demo data, so its install step includes the demo extra."""
    text = MAKEFILE.read_text(encoding="utf-8")
    stamp = re.search(r"^\$\(STAMP_RUN\):.*\n((?:\t.*\n)+)", text, re.MULTILINE)
    assert stamp, "no $(STAMP_RUN) rule in the Makefile"
    assert "pip install --quiet -e '.[embedded,demo]'" in stamp.group(1)
    assert re.search(r"^run: \$\(STAMP_RUN\)", text, re.MULTILINE)
