"""Developer tooling: mypy's configuration, the lock files, the pre-commit hooks, `make test`.

Pure file parsing, plus one subprocess that loads the settings the way django-stubs does.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
STRICT_MODULES = (
    "casework.services",
    "casework.services.*",
    "casework.selectors",
    "casework.access",
    "core",
    "core.*",
    "tenants.services",
    "tenants.selectors",
)
# mypy --strict's per-module flags (`strict` itself is global-only).
STRICT_FLAGS = (
    "disallow_any_generics",
    "disallow_subclassing_any",
    "disallow_untyped_calls",
    "disallow_untyped_defs",
    "disallow_incomplete_defs",
    "check_untyped_defs",
    "disallow_untyped_decorators",
    "warn_return_any",
    "no_implicit_reexport",
    "strict_equality",
    "extra_checks",
)


def _name(requirement: str) -> str:
    """The PEP 503 normalised project name of a requirement string."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group(1)).lower()


def _lock(path: Path) -> dict[str, str]:
    """{name: the requirement's full text, continuation lines joined} of a hashed lock file."""
    text = path.read_text(encoding="utf-8").replace("\\\n", " ")
    entries = {}
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            entries[_name(line)] = line
    return entries


def _make_recipe(target: str) -> list[str]:
    """The command lines of a Makefile target's recipe."""
    lines = (ROOT / "Makefile").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{target}:"))
    recipe = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip())
    return recipe


@pytest.fixture(autouse=True)
def _public_schema_after_test():
    """Override conftest's autouse schema reset: these tests touch no database."""
    return


# --- mypy ------------------------------------------------------------------------------------


def test_mypy_uses_the_django_and_drf_plugins_with_serverless_settings():
    """mypy loads django-stubs' and DRF stubs' plugins with the type-checking settings."""
    assert PYPROJECT["tool"]["mypy"]["plugins"] == [
        "mypy_django_plugin.main",
        "mypy_drf_plugin.main",
    ]
    module = PYPROJECT["tool"]["django-stubs"]["django_settings_module"]
    assert module == "ngo_platform.settings_typecheck"


def test_mypy_is_strict_on_services_selectors_access_and_core():
    """One override lists the strict modules and turns on every flag of --strict."""
    overrides = [
        override
        for override in PYPROJECT["tool"]["mypy"]["overrides"]
        if set(STRICT_MODULES) <= set(override["module"])
    ]
    assert len(overrides) == 1
    assert {flag: overrides[0].get(flag) for flag in STRICT_FLAGS} == dict.fromkeys(
        STRICT_FLAGS, True
    )


def test_type_ignores_name_their_code():
    """mypy refuses a bare `type: ignore`; each ignore in the code names its error code."""
    assert "ignore-without-code" in PYPROJECT["tool"]["mypy"]["enable_error_code"]


def test_typecheck_settings_start_no_server(tmp_path):
    """Loading the settings as django-stubs does starts no embedded PostgreSQL or Redis, even
    with DATABASE_URL and REDIS_URL unset (the settings would otherwise boot both)."""
    data_dir = tmp_path / "data"
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "DEBUG"}
    }
    environment["DATA_DIR"] = str(data_dir)
    script = (
        "from mypy_django_plugin.django.context import initialize_django\n"
        "_apps, settings = initialize_django('ngo_platform.settings_typecheck')\n"
        "database = settings.DATABASES['default']\n"
        "print(database['HOST'], database['PORT'], settings.REDIS_URL)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["127.0.0.1", "9", "redis://127.0.0.1:9/0"]
    # Only the DEBUG settings' STATIC_ROOT; no postgres/, redis/ or lock of the embedded servers.
    assert sorted(path.name for path in data_dir.iterdir()) == ["static"]


def test_make_test_runs_mypy_after_the_import_contracts():
    """`make test` runs mypy after lint-imports and before pytest."""
    recipe = _make_recipe("test")
    commands = [line.split()[0] for line in recipe]
    assert "$(BIN)/mypy" in commands
    mypy = commands.index("$(BIN)/mypy")
    assert commands.index("$(BIN)/lint-imports") < mypy
    pytest_line = next(i for i, line in enumerate(recipe) if "pytest" in line)
    assert mypy < pytest_line


# --- lock files ------------------------------------------------------------------------------


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-dev.lock"])
def test_lock_pins_every_requirement_with_hashes(lock):
    """Each entry is pinned with == and carries at least one sha256 hash (--require-hashes)."""
    entries = _lock(ROOT / lock)
    assert entries
    unpinned = sorted(name for name, line in entries.items() if "==" not in line)
    unhashed = sorted(name for name, line in entries.items() if "--hash=sha256:" not in line)
    assert (unpinned, unhashed) == ([], [])


def test_production_lock_has_the_runtime_dependencies_only():
    """requirements.lock pins every [project] dependency and nothing only an extra needs."""
    entries = _lock(ROOT / "requirements.lock")
    runtime = {_name(spec) for spec in PYPROJECT["project"]["dependencies"]}
    assert sorted(runtime - set(entries)) == []
    extras = PYPROJECT["project"]["optional-dependencies"]
    dev_only = {_name(spec) for specs in extras.values() for spec in specs}
    # PyYAML is a dev requirement and also drf-spectacular's, so production has it too.
    dev_only -= runtime | {"terpadu", "pyyaml"}
    assert sorted(dev_only & set(entries)) == []


def test_dev_lock_has_the_dev_and_embedded_extras():
    """requirements-dev.lock pins the runtime dependencies and the dev and embedded extras."""
    entries = _lock(ROOT / "requirements-dev.lock")
    extras = PYPROJECT["project"]["optional-dependencies"]
    wanted = {_name(spec) for spec in PYPROJECT["project"]["dependencies"]}
    wanted |= {_name(spec) for name in ("dev", "embedded") for spec in extras[name]}
    assert sorted(wanted - {"terpadu"} - set(entries)) == []


def test_make_lock_compiles_both_files_for_python_311():
    """`make lock` compiles both lock files from pyproject.toml, for Python 3.11, with hashes."""
    recipe = " ".join(_make_recipe("lock"))
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    flags = re.search(r"^LOCK_FLAGS := (.*(?:\\\n.*)*)", makefile, re.MULTILINE)
    assert flags
    assert "--python-version 3.11" in flags.group(1)
    assert "--generate-hashes" in flags.group(1)
    assert "-o requirements.lock" in recipe
    assert "--extra dev" in recipe
    assert "-o requirements-dev.lock" in recipe


# --- pre-commit ------------------------------------------------------------------------------


def test_pre_commit_runs_ruff_and_mypy_from_the_project_venv():
    """.pre-commit-config.yaml has local hooks for ruff check, ruff format and mypy that run the
    project's virtualenv (pre-commit downloads nothing)."""
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = {
        hook["id"]: hook
        for repo in config["repos"]
        if repo["repo"] == "local"
        for hook in repo["hooks"]
    }
    assert {"ruff-check", "ruff-format", "mypy"} <= set(hooks)
    entries = {name: hooks[name]["entry"].split() for name in ("ruff-check", "ruff-format", "mypy")}
    assert entries["ruff-check"][:2] == [".venv/bin/ruff", "check"]
    assert entries["ruff-format"][:2] == [".venv/bin/ruff", "format"]
    assert entries["mypy"][:1] == [".venv/bin/mypy"]
    assert {hooks[name]["language"] for name in entries} == {"system"}
    # mypy checks the configured tree, not only the staged files (callers break too).
    assert hooks["mypy"]["pass_filenames"] is False


@pytest.mark.parametrize("script", sorted(p.name for p in (ROOT / "bench").glob("*.py")))
def test_benchmark_scripts_compile_and_explain_themselves(script):
    """Every bench script compiles (a `global` after use is a SyntaxError ruff does not
    report) and `--help` works without a server or a database."""
    path = ROOT / "bench" / script
    compile(path.read_text(encoding="utf-8"), str(path), "exec")
    if script.startswith("_"):
        return
    result = subprocess.run(
        [sys.executable, str(path), "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "usage:" in result.stdout
