""".ci/run's logic with stand-ins for make, the embedded-server CLI and the PostgreSQL/Redis
clients (the real runs are what .ci/run itself does). The script is copied into a temporary
tree, so it can never stop this checkout's embedded servers."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

STUBS = {
    # Exit status per run: run 1 has no DATABASE_URL, run 2 has one.
    "make": """
echo "make $* DATABASE_URL=${DATABASE_URL-unset} REDIS_URL=${REDIS_URL-unset}" >> "$LOG"
if [ -z "${DATABASE_URL-}" ]; then exit "${EMBEDDED_EXIT:-0}"; fi
exit "${MACHINE_EXIT:-0}"
""",
    "python": """
echo "python $*" >> "$LOG"
if [ "$3" = status ]; then echo "postgres: $EMBEDDED_STATE"; echo "redis: $EMBEDDED_STATE"; fi
""",
    "pg_isready": 'echo "pg_isready $*" >> "$LOG"',
    "redis-cli": 'echo "redis-cli $*" >> "$LOG"; echo PONG',
    # The database does not exist yet: the SELECT prints nothing.
    "psql": 'echo "psql $*" >> "$LOG"',
}


@pytest.fixture(autouse=True)
def _public_schema_after_test():
    """Override conftest's autouse schema reset: no database here."""
    return


@pytest.fixture
def ci(tmp_path):
    tree = tmp_path / "checkout"
    (tree / ".ci").mkdir(parents=True)
    shutil.copy(ROOT / ".ci" / "run", tree / ".ci" / "run")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in STUBS.items():
        (bin_dir / name).write_text(f"#!/bin/sh\n{body.strip()}\n", encoding="utf-8")
        (bin_dir / name).chmod(0o755)
    log = tmp_path / "calls.log"

    def run(**env: str) -> tuple[int, list[str], str]:
        result = subprocess.run(
            ["bash", str(tree / ".ci" / "run")],
            env={
                "PATH": f"{bin_dir}:/usr/bin:/bin",
                "PYTHON": str(bin_dir / "python"),
                "LOG": str(log),
                "EMBEDDED_STATE": "stopped",
                "DATABASE_URL": "postgres://caller@elsewhere/db",
                "REDIS_URL": "redis://elsewhere/9",
                **env,
            },
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        calls = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
        return result.returncode, calls, result.stdout + result.stderr

    return run, tree


def test_runs_embedded_then_machine_and_stops_what_it_started(ci):
    """Run 1 is `make test` without the caller's URLs, then the embedded servers it started are
    stopped, then run 2 uses the machine's services with the overridden database and Redis
    number, creating the database, without the tests that boot embedded servers."""
    run, tree = ci
    status, calls, stdout = run(CI_DATABASE_NAME="terpadu_h9", CI_REDIS_DB="7")
    data_dir = tree / ".data"
    assert status == 0, stdout
    assert calls == [
        f"python -P ngo_platform/embedded.py status --data-dir {data_dir}",
        "make test DATABASE_URL=unset REDIS_URL=unset",
        f"python -P ngo_platform/embedded.py stop --data-dir {data_dir}",
        "pg_isready -h 127.0.0.1 -p 5432 -q",
        "redis-cli -h 127.0.0.1 -p 6379 ping",
        "psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -tAc "
        "SELECT 1 FROM pg_database WHERE datname = 'terpadu_h9'",
        "psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -q -c CREATE DATABASE terpadu_h9",
        'make test PYTEST_ARGS=-m "not embedded" '
        "DATABASE_URL=postgres://postgres@127.0.0.1:5432/terpadu_h9 "
        "REDIS_URL=redis://127.0.0.1:6379/7",
    ]
    assert "PASS" in stdout.split("CI summary")[1]


def test_defaults_are_terpadu_ci_and_redis_3(ci):
    """Without overrides, run 2 uses the database terpadu_ci and Redis number 3."""
    run, _tree = ci
    status, calls, _stdout = run()
    assert status == 0
    assert calls[-1].endswith(
        "DATABASE_URL=postgres://postgres@127.0.0.1:5432/terpadu_ci REDIS_URL=redis://127.0.0.1:6379/3"
    )


@pytest.mark.parametrize(
    ("failing", "summary"),
    [("EMBEDDED_EXIT", ["FAIL", "PASS"]), ("MACHINE_EXIT", ["PASS", "FAIL"])],
)
def test_either_failing_run_fails_ci_and_both_run(ci, failing, summary):
    """A failure in either run makes .ci/run exit non-zero; both runs still happen and the
    embedded servers are still stopped."""
    run, _tree = ci
    status, calls, stdout = run(**{failing: "1"})
    assert status != 0
    assert [call.split()[0] for call in calls].count("make") == 2
    assert any(" stop " in call for call in calls)
    lines = stdout.split("CI summary")[1].strip().splitlines()
    assert [line.split()[-2] for line in lines[:2]] == summary


def test_embedded_servers_already_running_are_left_running(ci):
    """Servers a developer had running in .data/ (e.g. `make run`) are reused and not stopped."""
    run, _tree = ci
    status, calls, _stdout = run(EMBEDDED_STATE="running")
    assert status == 0
    assert not any(" stop " in call for call in calls)


def test_an_unreachable_machine_service_fails_run_2(ci, tmp_path):
    """.ci/run starts no machine service: PostgreSQL not answering fails run 2 by name."""
    run, _tree = ci
    (tmp_path / "bin" / "pg_isready").write_text("#!/bin/sh\nexit 2\n", encoding="utf-8")
    status, calls, stdout = run()
    assert status != 0
    assert [call.split()[0] for call in calls].count("make") == 1
    assert "PostgreSQL does not answer on 127.0.0.1:5432" in stdout
    assert "FAIL" in stdout.split("CI summary")[1].strip().splitlines()[1]
