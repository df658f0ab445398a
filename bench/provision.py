"""Benchmark NGO provisioning with N NGOs present: the chosen path (replay the migrations'
collected SQL) against cloning the template schema and running migrations.

What it does, in a scratch database of its own (never the development database):

1. Drops and recreates the database (default `terpadu_bench`; skip with `--keep`), runs
   `migrate_schemas --shared` and creates one consortium.
2. Fills it with N NGOs ("present" tenants) through `ngo_provision(method="replay")`, printing
   progress every 25 and the total fill time.
3. With N present, times K more `ngo_provision(...)` calls per path (`--samples`, default 15),
   interleaved replay, clone, migrate, replay, ... so that drift (catalog growth, a busy
   machine) affects every path alike. Each sample is the full call: schema, domain, admin
   account (password given, so it is validated and hashed) and the ready flag, committed. The
   samples add tenants, so they run "with N..N+3K present". A breakdown per piece (clone_schema SQL,
   constraint/index renaming, sequence types, catalog ANALYZE, password hashing wait, ...) is
   printed as well; the wrappers that measure it cost microseconds.
4. Times `migrate_schemas` with nothing to apply over all tenants: the project's resilient
   executor (3 runs, median) and django-tenants' standard executor (1 run).
5. Prints machine information and a summary block (`key=value`, one figure per line) with the
   target check: chosen-path median <= 1.0 s with 50 present, <= 1.5 s with 300 present.
6. Drops the scratch database at the end (`--no-drop` keeps it).

Timing is reported, never asserted. Figures from a run are in bench/README.md.

Repeat (needs a PostgreSQL role allowed to create databases, by default
postgres@127.0.0.1:5432; Redis is configured but never used by provisioning):

    .venv/bin/python bench/provision.py --tenants 50
    .venv/bin/python bench/provision.py --tenants 300 > /tmp/bench-300.log 2>&1

Options: `--samples K`, `--database-url URL` (or env BENCH_DATABASE_URL; the database name must
contain "bench", as it is dropped), `--redis-url URL` (or env BENCH_REDIS_URL), `--keep` (reuse
the database and top it up to N NGOs), `--no-drop`, `--migrate-runs R`.
"""

from __future__ import annotations

import argparse
import functools
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/terpadu_bench"
# REDIS_URL names the broker's DB; results and cache use the next two (ngo_platform.redis_urls),
# so 13 keeps all three within Redis' default 16 databases. Provisioning does not touch Redis.
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
ADMIN_PASSWORD = "Bench-Provision-2026!"
CONSORTIUM_SLUG = "bench-consortium"
# Clone median targets (seconds) by number of NGOs present.
TARGETS = {50: 1.0, 300: 1.5}
# The path ngo_provision uses by default, and the paths compared with it.
CHOSEN = "replay"
METHODS = ("replay", "clone", "migrate")
PROGRESS_EVERY = 25
DATABASE_NAME_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# Pieces of one provisioning call, in the order they are printed.
PIECES = (
    "schema_step",
    "template_ensure",
    "replay_total",
    "clone_total",
    "clone_schema_sql",
    "constraint_names_align",
    "sequence_types_align",
    "catalogs_analyze",
    "migrate_total",
    "password_hash",
    "password_hash_wait",
    "tenant_initialize",
    "other",
)


# --- Scratch database (before Django is set up) ----------------------------------------------


def database_name(url: str) -> str:
    name = urlsplit(url).path.lstrip("/")
    if not DATABASE_NAME_RE.match(name) or "bench" not in name:
        raise SystemExit(
            f"Refusing to use database {name!r}: it is dropped and recreated, so its name must "
            "be a plain identifier containing 'bench'."
        )
    return name


def maintenance_url(url: str) -> str:
    """The same server, connected to the `postgres` database."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))


def database_recreate(url: str, *, create: bool = True) -> None:
    """Drop the scratch database (and create it again when `create`)."""
    import psycopg

    name = database_name(url)
    with psycopg.connect(maintenance_url(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{name}"')


def database_exists(url: str) -> bool:
    import psycopg

    with psycopg.connect(maintenance_url(url), autocommit=True) as conn:
        row = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [database_name(url)]
        ).fetchone()
        return row is not None


def django_setup(database_url: str, redis_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["REDIS_URL"] = redis_url
    os.environ["DEBUG"] = "1"
    os.environ["DJANGO_SETTINGS_MODULE"] = "ngo_platform.settings"
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    import django

    django.setup()


# --- Measuring -------------------------------------------------------------------------------


class Recorder:
    """Collects (start, end) of instrumented functions during one provisioning call."""

    def __init__(self) -> None:
        self.events: dict[str, list[tuple[float, float]]] = defaultdict(list)

    def reset(self) -> None:
        self.events = defaultdict(list)

    def wrap(self, module, name: str, label: str) -> None:
        original = getattr(module, name)

        @functools.wraps(original)
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.events[label].append((start, time.perf_counter()))

        setattr(module, name, timed)

    def seconds(self, label: str) -> float:
        return sum(end - start for start, end in self.events.get(label, []))

    def pieces(self, total: float) -> dict[str, float]:
        """Seconds per piece of the call just measured (see PIECES)."""
        found = {label: self.seconds(label) for label in PIECES if label in self.events}
        clone_total = found.get("clone_total", 0.0)
        if clone_total:
            found["clone_schema_sql"] = (
                clone_total
                - found.get("constraint_names_align", 0.0)
                - found.get("sequence_types_align", 0.0)
            )
        # The hash runs in a thread while the schema is built; only what is left is waited for.
        wait = 0.0
        if self.events.get("password_hash") and self.events.get("schema_step"):
            wait = max(0.0, self.events["password_hash"][-1][1] - self.events["schema_step"][-1][1])
        found["password_hash_wait"] = wait
        found["other"] = (
            total - found.get("schema_step", 0.0) - wait - found.get("tenant_initialize", 0.0)
        )
        return found


def instrument(recorder: Recorder) -> None:
    """Time the pieces of ngo_provision by wrapping module attributes (this process only)."""
    from tenants import schemas, services

    recorder.wrap(services, "_ngo_create_with_schema", "schema_step")
    recorder.wrap(services, "template_ensure", "template_ensure")
    recorder.wrap(services, "make_password", "password_hash")
    recorder.wrap(services, "_tenant_initialize", "tenant_initialize")
    recorder.wrap(schemas, "schema_create_by_replaying", "replay_total")
    recorder.wrap(schemas, "schema_create_by_cloning", "clone_total")
    recorder.wrap(schemas, "schema_create_by_migrating", "migrate_total")
    recorder.wrap(schemas, "constraint_names_align", "constraint_names_align")
    recorder.wrap(schemas, "sequence_types_align", "sequence_types_align")
    recorder.wrap(schemas, "catalogs_analyze", "catalogs_analyze")


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def stats(values: list[float]) -> dict[str, float]:
    return {
        "median": statistics.median(values),
        "p90": percentile(values, 0.9),
        "min": min(values),
        "max": max(values),
    }


def fmt(seconds: float) -> str:
    return f"{seconds:.3f}"


# --- Steps -----------------------------------------------------------------------------------


def machine_info() -> dict[str, str]:
    import django
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]
        cursor.execute("SELECT version()")
        server_full = cursor.fetchone()[0]
        # Settings that move these figures: catalog statistics (autovacuum) and commit cost.
        cursor.execute(
            "SELECT string_agg(name || '=' || setting, ' ' ORDER BY name) FROM pg_settings "
            "WHERE name IN ('autovacuum', 'fsync', 'synchronous_commit', 'shared_buffers')"
        )
        server_settings = cursor.fetchone()[0]
    load = os.getloadavg()
    return {
        "code_revision": code_revision(),
        "nproc": str(os.cpu_count()),
        "nproc_usable": str(len(os.sched_getaffinity(0))),
        "loadavg_1_5_15": " ".join(f"{value:.2f}" for value in load),
        "python": platform.python_version(),
        "django": django.get_version(),
        "django_tenants": _version("django-tenants"),
        "postgresql_server_version": server_version,
        "postgresql": server_full,
        "postgresql_settings": server_settings,
    }


def code_revision() -> str:
    """The checked-out commit (uncommitted edits are not reflected)."""
    try:
        result = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return result.stdout.strip()


def _version(distribution: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return "unknown"


def tenant_migration_count() -> int:
    from django.conf import settings
    from django.db import connection

    from tenants.schemas import quote

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {quote(settings.TENANT_TEMPLATE_SCHEMA)}.django_migrations"  # noqa: S608 - quoted, validated name
        )
        return cursor.fetchone()[0]


def ngos_present() -> int:
    from django.db import connection

    from tenants.models import NGO

    connection.set_schema_to_public()
    return NGO.objects.filter(is_template=False).count()


def consortium_get_or_create():
    from tenants.models import Consortium
    from tenants.services import consortium_create

    existing = Consortium.objects.filter(slug=CONSORTIUM_SLUG).first()
    if existing is not None:
        return existing
    consortium, _ = consortium_create(
        actor=None,
        slug=CONSORTIUM_SLUG,
        name="Bench consortium",
        coordinator_email="coordinator@bench.example.org",
        coordinator_password=ADMIN_PASSWORD,
    )
    return consortium


def provision(consortium, *, prefix: str, method: str, recorder: Recorder) -> float:
    """Provision one NGO with a fresh slug; return the seconds the full call took."""
    from tenants.services import ngo_provision

    number = ngos_present() + 1
    slug = f"{prefix}-{number:05d}"
    recorder.reset()
    start = time.perf_counter()
    ngo_provision(
        actor=None,
        consortium=consortium,
        slug=slug,
        name=f"Bench NGO {number}",
        admin_email=f"admin@{slug}.example.org",
        admin_password=ADMIN_PASSWORD,
        method=method,
    )
    return time.perf_counter() - start


def fill(consortium, target: int, recorder: Recorder) -> tuple[float, list[float]]:
    """Provision NGOs (chosen path) until `target` are present; total and per-NGO seconds."""
    present = ngos_present()
    todo = max(0, target - present)
    print(f"fill: {present} NGOs present, provisioning {todo} more ({CHOSEN})")
    durations: list[float] = []
    block: list[float] = []
    start = time.perf_counter()
    for index in range(1, todo + 1):
        seconds = provision(consortium, prefix="fill", method=CHOSEN, recorder=recorder)
        durations.append(seconds)
        block.append(seconds)
        if index % PROGRESS_EVERY == 0 or index == todo:
            print(
                f"fill: {present + index}/{target} present, {time.perf_counter() - start:.1f} s "
                f"so far; last {len(block)}: median {fmt(statistics.median(block))} s, "
                f"max {fmt(max(block))} s",
                flush=True,
            )
            block = []
    return time.perf_counter() - start, durations


def sample(consortium, samples: int, recorder: Recorder):
    """Interleaved provisioning per method; per method: durations and piece breakdowns."""
    durations: dict[str, list[float]] = {method: [] for method in METHODS}
    breakdowns: dict[str, list[dict[str, float]]] = {method: [] for method in METHODS}
    for index in range(samples):
        for method in METHODS:
            seconds = provision(consortium, prefix=method, method=method, recorder=recorder)
            pieces = recorder.pieces(seconds)
            durations[method].append(seconds)
            breakdowns[method].append(pieces)
            notes = " +ANALYZE" if "catalogs_analyze" in pieces else ""
            print(
                f"sample {index + 1:2d}/{samples} {method:7s} {fmt(seconds)} s "
                f"(schema {fmt(pieces.get('schema_step', 0.0))}, "
                f"hash wait {fmt(pieces['password_hash_wait'])}, "
                f"other {fmt(pieces['other'])}{notes})",
                flush=True,
            )
    return durations, breakdowns


def migrate_schemas_timed(runs: int, **options) -> list[float]:
    from django.core.management import call_command
    from django.db import connection

    times = []
    for _ in range(runs):
        connection.set_schema_to_public()
        start = time.perf_counter()
        call_command("migrate_schemas", interactive=False, verbosity=0, **options)
        times.append(time.perf_counter() - start)
        connection.set_schema_to_public()
    return times


def breakdown_print(method: str, breakdowns: list[dict[str, float]]) -> None:
    print(f"breakdown {method} (median / max over {len(breakdowns)} samples, seconds):")
    for piece in PIECES:
        values = [pieces.get(piece, 0.0) for pieces in breakdowns if piece in pieces]
        if not values:
            continue
        if len(values) < len(breakdowns):
            print(
                f"  {piece:24s} in {len(values)} of {len(breakdowns)} samples: "
                f"median {fmt(statistics.median(values))}  max {fmt(max(values))}"
            )
        else:
            print(f"  {piece:24s} median {fmt(statistics.median(values))}  max {fmt(max(values))}")


# --- Main ------------------------------------------------------------------------------------


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--tenants", type=int, default=50, help="NGOs present (default 50)")
    parser.add_argument(
        "--samples", type=int, default=15, help="provisioning samples per path (default 15)"
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL,
        help="scratch database, dropped and recreated (default %(default)s)",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL") or DEFAULT_REDIS_URL,
        help="Redis base URL for the settings (default %(default)s)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="do not recreate the database at start; top it up to --tenants NGOs",
    )
    parser.add_argument(
        "--drop",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="drop the scratch database at the end (default on)",
    )
    parser.add_argument(
        "--migrate-runs",
        type=int,
        default=3,
        help="runs of the no-op migrate_schemas (default 3)",
    )
    args = parser.parse_args()
    if args.tenants < 0 or args.samples < 1 or args.migrate_runs < 1:
        parser.error("--tenants must be >= 0, --samples and --migrate-runs >= 1")
    database_name(args.database_url)
    return args


def main() -> int:
    args = arguments()
    started = datetime.now(UTC)
    if args.keep and database_exists(args.database_url):
        print(f"database: reusing {database_name(args.database_url)}")
    else:
        database_recreate(args.database_url)
        print(f"database: created {database_name(args.database_url)}")
    django_setup(args.database_url, args.redis_url)
    try:
        return run(args, started)
    finally:
        if args.drop:
            from django.db import connections

            connections.close_all()
            database_recreate(args.database_url, create=False)
            print(f"database: dropped {database_name(args.database_url)}")


def run(args: argparse.Namespace, started: datetime) -> int:
    from django.core.management import call_command
    from django.db import connection

    from tenants.services import template_ensure

    info = machine_info()
    print("machine:")
    for key, value in info.items():
        print(f"  {key}: {value}")

    start = time.perf_counter()
    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    print(f"migrate_schemas --shared: {time.perf_counter() - start:.2f} s")
    connection.set_schema_to_public()
    consortium = consortium_get_or_create()
    start = time.perf_counter()
    template_ensure()
    print(f"template_ensure: {time.perf_counter() - start:.2f} s")
    migrations = tenant_migration_count()
    print(f"tenant migrations (applied in the template): {migrations}")

    recorder = Recorder()
    instrument(recorder)

    fill_seconds, fill_durations = fill(consortium, args.tenants, recorder)
    present_start = ngos_present()
    print(f"fill: {len(fill_durations)} NGOs provisioned in {fill_seconds:.1f} s")

    print(f"samples: {args.samples} per path, interleaved, with {present_start} present")
    durations, breakdowns = sample(consortium, args.samples, recorder)
    present_end = ngos_present()
    for method in METHODS:
        breakdown_print(method, breakdowns[method])

    print(f"migrate_schemas no-op, resilient executor (public + all tenants), {args.migrate_runs}x")
    noop_all = migrate_schemas_timed(args.migrate_runs)
    print(f"  runs: {', '.join(fmt(value) for value in noop_all)} s")
    print(f"migrate_schemas no-op, resilient executor (tenants only), {args.migrate_runs}x")
    noop_tenants = migrate_schemas_timed(args.migrate_runs, tenant=True)
    print(f"  runs: {', '.join(fmt(value) for value in noop_tenants)} s")
    print("migrate_schemas no-op, standard executor (tenants only), 1x")
    noop_standard = migrate_schemas_timed(1, tenant=True, executor="standard")
    print(f"  run: {fmt(noop_standard[0])} s")
    schemas_migrated = present_end + 1  # plus the template

    figures_by_method = {method: stats(durations[method]) for method in METHODS}
    chosen = figures_by_method[CHOSEN]
    summary = {
        "date_utc": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "code_revision": info["code_revision"],
        "machine_nproc": info["nproc"],
        "machine_loadavg_at_start": info["loadavg_1_5_15"],
        "machine_loadavg_at_end": " ".join(f"{value:.2f}" for value in os.getloadavg()),
        "postgresql_server_version": info["postgresql_server_version"],
        "postgresql_settings": info["postgresql_settings"],
        "tenant_migrations": str(migrations),
        "tenants_present": f"{present_start}..{present_end}",
        "samples_per_path": str(args.samples),
        "chosen_path": CHOSEN,
        "fill_count": str(len(fill_durations)),
        "fill_total_s": f"{fill_seconds:.1f}",
    }
    if fill_durations:
        summary["fill_median_s"] = fmt(statistics.median(fill_durations))
        summary["fill_max_s"] = fmt(max(fill_durations))
    for method, figures in figures_by_method.items():
        for key, value in figures.items():
            summary[f"provision_{method}_{key}_s"] = fmt(value)
    for method, figures in figures_by_method.items():
        if method != CHOSEN:
            ratio = figures["median"] / chosen["median"]
            summary[f"provision_ratio_{method}_over_{CHOSEN}"] = f"{ratio:.2f}"
    summary["migrate_schemas_noop_median_s"] = fmt(statistics.median(noop_all))
    summary["migrate_schemas_noop_tenants_median_s"] = fmt(statistics.median(noop_tenants))
    summary["migrate_schemas_noop_standard_s"] = fmt(noop_standard[0])
    summary["migrate_schemas_schemas"] = f"{schemas_migrated} tenant schemas + public"

    print()
    print("==== summary ====")
    for key, value in summary.items():
        print(f"{key}={value}")
    for present, limit in TARGETS.items():
        if present == args.tenants:
            verdict = "MET" if chosen["median"] <= limit else "NOT MET"
            print(f"target: {CHOSEN} median <= {limit} s with {present} present: {verdict}")
    if args.tenants not in TARGETS:
        listing = ", ".join(f"<= {limit} s with {n}" for n, limit in TARGETS.items())
        print(f"target: none defined for {args.tenants} present (targets: {listing})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
