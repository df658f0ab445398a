"""Benchmark consortium scale: up to 1,000 NGOs in one database.

What it does, in a scratch database of its own (never the development database):

1. Drops and recreates the database (default `terpadu_h11b_bench`; `--keep` reuses it), runs
   `migrate_schemas` and creates one consortium and the template tenant.
2. Fills it, checkpoint by checkpoint (100, 300, 1,000; `--ngos` stops early), with NGOs
   provisioned by `ngo_provision(method="replay")`: each call is timed as in bench/provision.py
   (schema, domain, admin with a real PBKDF2 hash, settings row, ready flag, commit). After each
   call, outside the timing, the NGO gets an API token for its admin, one case worker and
   `--cases` cases (default 5) through `casework.bulk.cases_bulk_load`.
3. At each checkpoint N it prints:
   - provisioning median / p90 / max of the last `--window` calls before N (default 50);
   - `migrate_schemas` with nothing to apply (project's resilient executor, public + tenants
     and tenants only, median of 3);
   - one new tenant migration applied to every schema through `migrate_schemas` (the real
     path): a migration adding a nullable column to `casework_case`, written at bench time into
     a temporary copy of casework's migrations package (MIGRATION_MODULES points at it). Each
     checkpoint adds one more; NGOs provisioned afterwards replay them. The temporary package
     is deleted at exit, and with `--no-drop` the columns are migrated back out first;
   - the case-list API (`GET /api/v1/cases/`, page of 50) through gunicorn (`--workers` x
     `--threads`, gthread, DEBUG=0) with `--clients` concurrent keep-alive clients, each request
     for a different NGO: `--passes` passes (default 3), each a fresh random permutation of all
     NGOs. p50/p95/p99 and errors per pass and overall;
   - memory: RSS (VmRSS, and RssAnon = the backend's private memory) of each PostgreSQL
     backend serving gunicorn (pg_stat_activity pids, /proc/<pid>/status) and of each gunicorn
     worker, before and after every pass; then the same passes again with
     DATABASE_CONN_MAX_REQUESTS=`--recycle-requests` (connections replaced after that many
     requests) to show the bound. Each run ends with one more pass from a single client (no
     queueing behind the other clients: the cost of a request itself). CONN_MAX_AGE is set to
     3600 s for both runs so that age does not hide the growth;
   - cache memory per schema touched: this process's own backend, fresh, serves the case list
     (django.test.Client, the full middleware stack) for every NGO in turn;
     pg_backend_memory_contexts (CacheMemoryContext and its children) and RssAnon are read as
     it goes;
   - the catalog: pg_namespace / pg_class / pg_attribute / pg_index row counts, the size of
     pg_catalog and of the database.
4. Prints a summary block (`key=value`) and the target checks: provisioning median <= 1.5 s
   and case-list p95 <= 50 ms at 1,000 NGOs, one migration across 1,000 schemas <= 5 min,
   backend memory bounded. Figures only, never asserts.
5. Drops the scratch database at the end (`--no-drop` keeps it).

Repeat (PostgreSQL on 127.0.0.1:5432 as postgres, local, so /proc shows its backends):

    PYTHONPATH=. .venv/bin/python bench/scale.py --ngos 300       # quick: ~6 min here
    PYTHONPATH=. .venv/bin/python bench/scale.py --ngos 1000 > /tmp/scale.log 2>&1

Options: `--checkpoints 100,300,1000`, `--cases 5`, `--window 50`, `--passes 3`,
`--clients 4`, `--workers 3`, `--threads 2`, `--recycle-requests 200`, `--port 8719`,
`--database-url` (or BENCH_SCALE_DATABASE_URL; the name must contain "bench"), `--redis-url`,
`--keep`, `--no-drop`. Figures from a run are in bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import io
import os
import queue
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

# Run as a script, this file's directory comes first on sys.path, where bench/casework.py
# would shadow the casework app: import the bench helpers as the `bench` package instead.
BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != BENCH_DIR]
sys.path.insert(0, str(REPO_ROOT))

from bench.provision import (  # noqa: E402 - after the path fix above
    ADMIN_PASSWORD,
    consortium_get_or_create,
    database_exists,
    database_name,
    database_recreate,
    django_setup,
    fmt,
    machine_info,
    migrate_schemas_timed,
    ngos_present,
    percentile,
    stats,
    tenant_migration_count,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/terpadu_h11b_bench"
# Broker DB; results and cache use the next two (ngo_platform.redis_urls).
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/6"
CHECKPOINTS = (100, 300, 1000)
TARGET_PROVISION_S = 1.5
TARGET_LIST_P95_MS = 50.0
TARGET_MIGRATION_S = 300.0
TARGET_AT = 1000
SLUG_PREFIX = "scale"
PROBE_PACKAGE = "terpadu_scale_probe_migrations"
MD5_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LIST_PATH = "/api/v1/cases/"


def loadavg() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')} load {loadavg()}] {message}", flush=True)


# --- Filling -----------------------------------------------------------------------------------


@dataclass
class Tenant:
    slug: str
    host: str
    token: str


def slug_for(number: int) -> str:
    return f"{SLUG_PREFIX}-{number:05d}"


def ngo_fill_one(consortium, number: int, cases: int, pools, rng) -> tuple[float, Tenant]:
    """Provision NGO `number` (timed), then give it a token, a case worker and cases."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import override_settings
    from django_tenants.utils import schema_context
    from rest_framework.authtoken.models import Token

    from bench.casework import generate
    from casework.bulk import cases_bulk_load
    from casework.services import staff_create
    from tenants.services import host_for, ngo_provision

    slug = slug_for(number)
    started = time.perf_counter()
    result = ngo_provision(
        actor=None,
        consortium=consortium,
        slug=slug,
        name=f"Scale NGO {number}",
        admin_email=f"admin@{slug}.example.org",
        admin_password=ADMIN_PASSWORD,
        method="replay",
    )
    seconds = time.perf_counter() - started
    with schema_context(result.ngo.schema_name):
        admin = get_user_model().objects.get(username=result.admin_username)
        with override_settings(PASSWORD_HASHERS=MD5_HASHERS):
            worker = staff_create(
                actor=admin, username="worker01", password=ADMIN_PASSWORD, role="case_worker"
            ).user
        token = Token.objects.create(user=admin).key
        if cases:
            cases_bulk_load(
                actor=admin, rows=generate(cases, [worker], pools, rng), reference_prefix="SCL"
            )
    connection.set_schema_to_public()
    return seconds, Tenant(slug, host_for(slug), token)


def tenants_load() -> list[Tenant]:
    """The bench's NGOs already present (for --keep) with their admins' tokens."""
    from django.db import connection

    from tenants.models import NGO
    from tenants.schemas import quote
    from tenants.services import host_for

    connection.set_schema_to_public()
    ngos = list(
        NGO.objects.filter(is_template=False, slug__startswith=SLUG_PREFIX)
        .order_by("slug")
        .values_list("slug", "schema_name")
    )
    if not ngos:
        return []
    union = " UNION ALL ".join(
        f"(SELECT %s, t.key FROM {quote(schema)}.authtoken_token t "  # noqa: S608 - quoted names
        f"JOIN {quote(schema)}.auth_user u ON u.id = t.user_id WHERE u.is_superuser LIMIT 1)"
        for _, schema in ngos
    )
    with connection.cursor() as cursor:
        cursor.execute(union, [slug for slug, _ in ngos])
        tokens = dict(cursor.fetchall())
    return [Tenant(slug, host_for(slug), tokens[slug]) for slug, _ in ngos if slug in tokens]


# --- One new tenant migration, through migrate_schemas ----------------------------------------


class ProbeMigrations:
    """A temporary copy of casework's migrations package that gains one AddField per call."""

    def __init__(self) -> None:
        import casework.migrations

        self.directory = Path(tempfile.mkdtemp(prefix="terpadu-scale-"))
        self.package = self.directory / PROBE_PACKAGE
        source = Path(casework.migrations.__file__).parent
        shutil.copytree(source, self.package, ignore=shutil.ignore_patterns("__pycache__"))
        self.original_leaf = self._leaf()
        self.added: list[str] = []
        sys.path.insert(0, str(self.directory))
        from django.conf import settings

        settings.MIGRATION_MODULES = {**settings.MIGRATION_MODULES, "casework": PROBE_PACKAGE}

    @staticmethod
    def _leaf() -> str:
        from django.db.migrations.loader import MigrationLoader

        loader = MigrationLoader(None, ignore_no_migrations=True)
        leaves = [name for app, name in loader.graph.leaf_nodes() if app == "casework"]
        if len(leaves) != 1:
            raise RuntimeError(f"casework has {len(leaves)} migration leaves: {leaves}")
        return leaves[0]

    def add(self, label: str) -> str:
        """Write a migration adding the nullable column `scale_probe_<label>`; its name."""
        import importlib

        number = int(self._leaf().split("_", 1)[0]) + 1
        name = f"{number:04d}_scale_probe_{label}"
        (self.package / f"{name}.py").write_text(
            "from django.db import migrations, models\n\n\n"
            "class Migration(migrations.Migration):\n"
            f"    dependencies = [('casework', '{self._leaf()}')]\n"
            "    operations = [\n"
            "        migrations.AddField(\n"
            f"            model_name='case', name='scale_probe_{label}',\n"
            "            field=models.TextField(null=True, blank=True),\n"
            "        ),\n"
            "    ]\n",
            encoding="utf-8",
        )
        importlib.invalidate_caches()
        self.added.append(name)
        return name

    def revert(self) -> float:
        """Migrate every schema back to casework's real leaf (seconds)."""
        if not self.added:
            return 0.0
        started = time.perf_counter()
        migrate_quietly("casework", self.original_leaf)
        return time.perf_counter() - started

    def remove(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)
        with contextlib.suppress(ValueError):
            sys.path.remove(str(self.directory))


def migrate_quietly(*args: str) -> str:
    """`migrate_schemas` (public and every tenant); what it printed."""
    from django.core.management import call_command
    from django.db import connection

    connection.set_schema_to_public()
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        call_command("migrate_schemas", *args, interactive=False, verbosity=1, stdout=output)
    connection.set_schema_to_public()
    return output.getvalue()


def migration_apply(probes: ProbeMigrations, label: str) -> dict[str, str]:
    name = probes.add(label)
    started = time.perf_counter()
    output = migrate_quietly()
    seconds = time.perf_counter() - started
    # Counted in the database: the executor's processes print to their own stdout.
    from django.conf import settings

    from tenants.migration import applied_by_schema
    from tenants.models import NGO

    schemas = list(NGO.objects.values_list("schema_name", flat=True))
    applied = sum(("casework", name) in done for done in applied_by_schema(schemas).values())
    resilient = next((line for line in output.splitlines() if "[resilient]" in line), "")
    return {
        "migration": name,
        "seconds": f"{seconds:.1f}",
        "schemas_applied": f"{applied} of {len(schemas)}",
        "processes": str(settings.TENANT_MIGRATION_PROCESSES),
        "executor_line": resilient.strip(),
    }


# --- Serving: gunicorn and the client ---------------------------------------------------------


def gunicorn_start(args, *, max_requests: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "DJANGO_SETTINGS_MODULE": "ngo_platform.settings",
        "DEBUG": "0",
        "SECRET_KEY": "scale-bench-" + "k" * 50,
        "FIELD_ENCRYPTION_KEY": os.environ["FIELD_ENCRYPTION_KEY"],
        "CONSORTIUM_LINKAGE_SECRET": "scale-bench-linkage-" + "l" * 40,
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "BASE_DOMAIN": "localhost",
        "SECURE_SSL_REDIRECT": "0",
        "STATIC_MANIFEST": "0",
        "LOG_LEVEL": "WARNING",
        "DATABASE_CONN_MAX_AGE": "3600",
        "DATABASE_CONN_MAX_REQUESTS": str(max_requests),
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "ngo_platform.wsgi:application",
        "--bind",
        f"127.0.0.1:{args.port}",
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--worker-class",
        "gthread",
        "--log-level",
        "warning",
        "--timeout",
        "120",
    ]
    return subprocess.Popen(command, cwd=REPO_ROOT, env=env, start_new_session=True)


def gunicorn_stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def gunicorn_workers(process: subprocess.Popen) -> list[int]:
    path = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    try:
        return [int(pid) for pid in path.read_text().split()]
    except OSError:
        return []


def get(connection: http.client.HTTPConnection, tenant: Tenant) -> tuple[int, bytes]:
    connection.request(
        "GET",
        LIST_PATH,
        headers={"Host": tenant.host, "Authorization": f"Token {tenant.token}"},
    )
    response = connection.getresponse()
    return response.status, response.read()


def wait_ready(args, process: subprocess.Popen, tenant: Tenant, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=10)
            status, body = get(connection, tenant)
            connection.close()
            if status == 200:
                return
            raise RuntimeError(f"case list answered {status}: {body[:300]!r}")
        except (ConnectionRefusedError, http.client.RemoteDisconnected):
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer in time")


@dataclass
class Pass:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    error_sample: str = ""
    seconds: float = 0.0

    def line(self) -> str:
        values = self.latencies_ms
        return (
            f"{len(values)} requests in {self.seconds:.1f} s ({len(values) / self.seconds:.0f}/s), "
            f"p50 {statistics.median(values):.1f} ms, p95 {percentile(values, 0.95):.1f} ms, "
            f"p99 {percentile(values, 0.99):.1f} ms, max {max(values):.1f} ms, "
            f"errors {self.errors}{' ' + self.error_sample if self.error_sample else ''}"
        )


def one_pass(args, tenants: list[Tenant], rng: random.Random) -> Pass:
    """Every NGO once, in random order, spread over `args.clients` keep-alive clients."""
    order: queue.Queue[Tenant] = queue.Queue()
    for tenant in rng.sample(tenants, len(tenants)):
        order.put(tenant)
    result = Pass()
    lock = threading.Lock()

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=60)
        while True:
            try:
                tenant = order.get_nowait()
            except queue.Empty:
                break
            started = time.perf_counter()
            try:
                status, body = get(connection, tenant)
            except (OSError, http.client.HTTPException) as error:
                status, body = 0, str(error).encode()
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=60)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                result.latencies_ms.append(elapsed)
                if status != 200:
                    result.errors += 1
                    result.error_sample = result.error_sample or f"{status} {body[:120]!r}"
        connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    return result


# --- Memory ------------------------------------------------------------------------------------


def proc_memory_kb(pid: int) -> dict[str, int]:
    """VmRSS, RssAnon (private), RssShmem (shared buffers touched) of a process, in kB."""
    found = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in {"VmRSS", "RssAnon", "RssShmem"}:
                found[key] = int(value.split()[0])
    except OSError:
        pass
    return found


def serving_backends(database: str) -> list[int]:
    """PostgreSQL backends connected to the scratch database, other than this process's."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s "
            "AND backend_type = 'client backend' AND pid <> pg_backend_pid() ORDER BY pid",
            [database],
        )
        return [row[0] for row in cursor.fetchall()]


def memory_line(label: str, pids: list[int]) -> tuple[str, list[dict[str, int]]]:
    found = [proc_memory_kb(pid) for pid in pids]
    found = [entry for entry in found if entry]
    if not found:
        return f"{label}: none", found
    rss = [entry["VmRSS"] / 1024 for entry in found]
    anon = [entry["RssAnon"] / 1024 for entry in found]
    return (
        f"{label}: {len(found)} processes, RssAnon (private) MB "
        f"{' '.join(f'{value:.1f}' for value in anon)} (max {max(anon):.1f}); "
        f"VmRSS MB max {max(rss):.1f}",
        found,
    )


def serve_and_measure(args, tenants, *, max_requests: int, label: str) -> dict[str, float]:
    """gunicorn up, `args.passes` rotating passes with memory after each, gunicorn down."""
    database = database_name(args.database_url)
    process = gunicorn_start(args, max_requests=max_requests)
    rng = random.Random(args.seed)
    figures: dict[str, float] = {}
    try:
        wait_ready(args, process, tenants[0])
        # Warm-up, not measured: each worker thread's first requests import and build what
        # Django and DRF load lazily (about 1 s). All of them go to one NGO.
        warm = Pass()
        for _ in range(args.workers * args.threads * 5):
            warm = one_pass(args, tenants[:1], rng)
        say(
            f"{label}: gunicorn up ({args.workers} workers x {args.threads} threads), "
            f"warmed up with {args.workers * args.threads * 5} requests to one NGO"
            f"{' (errors!)' if warm.errors else ''}"
        )
        line, _ = memory_line("  postgres backends before", serving_backends(database))
        print(line)
        line, _ = memory_line("  gunicorn workers before", gunicorn_workers(process))
        print(line)
        latencies: list[float] = []
        errors = 0
        backend_anon_max = 0.0
        worker_anon_max = 0.0
        backends_seen: set[int] = set()
        for number in range(1, args.passes + 1):
            result = one_pass(args, tenants, rng)
            latencies += result.latencies_ms
            errors += result.errors
            say(f"{label} pass {number}: {result.line()}")
            pids = serving_backends(database)
            backends_seen.update(pids)
            line, found = memory_line("  postgres backends", pids)
            print(line)
            if found:
                backend_anon_max = max(backend_anon_max, *(e["RssAnon"] / 1024 for e in found))
            line, found = memory_line("  gunicorn workers", gunicorn_workers(process))
            print(line)
            if found:
                worker_anon_max = max(worker_anon_max, *(e["RssAnon"] / 1024 for e in found))
        # One more pass with a single client: the latency of a request for an NGO the
        # backend may not have served yet, without queueing behind the other clients.
        sequential = one_pass(argparse.Namespace(**{**vars(args), "clients": 1}), tenants, rng)
        say(f"{label} sequential pass (1 client): {sequential.line()}")
        line, found = memory_line("  postgres backends", serving_backends(database))
        print(line)
        figures = {
            "sequential_p50_ms": statistics.median(sequential.latencies_ms),
            "sequential_p95_ms": percentile(sequential.latencies_ms, 0.95),
            "sequential_errors": float(sequential.errors),
            "requests": float(len(latencies)),
            "errors": float(errors),
            "p50_ms": statistics.median(latencies),
            "p95_ms": percentile(latencies, 0.95),
            "p99_ms": percentile(latencies, 0.99),
            "backend_rss_anon_max_mb": backend_anon_max,
            "worker_rss_anon_max_mb": worker_anon_max,
            "backends_seen": float(len(backends_seen)),
        }
        print(
            f"  {label} overall: p50 {figures['p50_ms']:.1f} ms, p95 {figures['p95_ms']:.1f} ms, "
            f"p99 {figures['p99_ms']:.1f} ms, errors {errors}; {len(backends_seen)} distinct "
            f"backend pids seen"
        )
    finally:
        gunicorn_stop(process)
    return figures


def cache_growth(tenants: list[Tenant]) -> dict[str, float]:
    """Serve the case list for every NGO in turn on this process's own, fresh backend and read
    its cache memory (pg_backend_memory_contexts) and RssAnon as it goes."""
    from django.db import connection
    from django.test import Client

    def measure() -> tuple[float, float]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT coalesce(sum(total_bytes), 0) FROM pg_backend_memory_contexts "
                "WHERE name = 'CacheMemoryContext' OR parent = 'CacheMemoryContext'"
            )
            cache_bytes = cursor.fetchone()[0]
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        return cache_bytes / 1024 / 1024, proc_memory_kb(pid).get("RssAnon", 0) / 1024

    connection.close()
    connection.set_schema_to_public()
    client = Client()
    # One request first, so that the baseline has the public schema's relations cached.
    marks = sorted({1, 10, 50, len(tenants) // 4, len(tenants) // 2, len(tenants)} - {0})
    rows = []
    for index, tenant in enumerate(tenants, start=1):
        response = client.get(
            LIST_PATH, HTTP_HOST=tenant.host, HTTP_AUTHORIZATION=f"Token {tenant.token}"
        )
        if response.status_code != 200:
            raise RuntimeError(f"{tenant.slug}: {response.status_code}")
        if index in marks:
            connection.set_schema_to_public()
            cache_mb, anon_mb = measure()
            rows.append((index, cache_mb, anon_mb))
    connection.set_schema_to_public()
    print("  schemas touched | CacheMemoryContext+children MB | backend RssAnon MB")
    for index, cache_mb, anon_mb in rows:
        print(f"  {index:15d} | {cache_mb:30.1f} | {anon_mb:.1f}")
    first, last = rows[0], rows[-1]
    touched = last[0] - first[0]
    per_schema_cache = (last[1] - first[1]) * 1024 / touched if touched else 0.0
    per_schema_anon = (last[2] - first[2]) * 1024 / touched if touched else 0.0
    print(
        f"  per schema touched: cache {per_schema_cache:.0f} kB, RssAnon {per_schema_anon:.0f} kB"
    )
    connection.close()
    return {
        "cache_mb_all": last[1],
        "anon_mb_all": last[2],
        "per_schema_cache_kb": per_schema_cache,
        "per_schema_anon_kb": per_schema_anon,
    }


def catalog_size() -> dict[str, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM pg_namespace), (SELECT count(*) FROM pg_class), "
            "(SELECT count(*) FROM pg_attribute), (SELECT count(*) FROM pg_index), "
            "(SELECT count(*) FROM pg_depend), "
            "(SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
            " JOIN pg_namespace n ON n.oid = c.relnamespace "
            " WHERE n.nspname = 'pg_catalog' AND c.relkind = 'r'), "
            "pg_database_size(current_database())"
        )
        namespaces, classes, attributes, indexes, depends, catalog, database = cursor.fetchone()
    return {
        "pg_namespace": str(namespaces),
        "pg_class": str(classes),
        "pg_attribute": str(attributes),
        "pg_index": str(indexes),
        "pg_depend": str(depends),
        "pg_catalog_mb": f"{catalog / 1024 / 1024:.1f}",
        "database_mb": f"{database / 1024 / 1024:.1f}",
    }


# --- Main --------------------------------------------------------------------------------------


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--ngos", type=int, default=1000, help="NGOs at the end (default 1000)")
    parser.add_argument(
        "--checkpoints",
        default=",".join(str(n) for n in CHECKPOINTS),
        help="NGO counts to measure at, up to --ngos (default %(default)s)",
    )
    parser.add_argument("--cases", type=int, default=5, help="cases per NGO (default 5)")
    parser.add_argument("--window", type=int, default=50, help="provisionings per median")
    parser.add_argument("--passes", type=int, default=3, help="passes over all NGOs (default 3)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients (default 4)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (default 3)")
    parser.add_argument("--threads", type=int, default=2, help="threads per worker (default 2)")
    parser.add_argument(
        "--recycle-requests",
        type=int,
        default=200,
        help="DATABASE_CONN_MAX_REQUESTS of the second serving run; 0 skips it (default 200)",
    )
    parser.add_argument(
        "--reconnect-every",
        type=int,
        default=0,
        help="close this process's database connection every K provisionings, as recycled "
        "web and task connections would be (default 0: one connection for the whole fill, as "
        "in the figures of bench/README.md)",
    )
    parser.add_argument("--port", type=int, default=8719)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_SCALE_DATABASE_URL") or DEFAULT_DATABASE_URL,
        help="scratch database, dropped and recreated (default %(default)s)",
    )
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--keep", action="store_true", help="reuse the database, top it up")
    parser.add_argument(
        "--drop",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="drop the scratch database at the end (default on)",
    )
    args = parser.parse_args()
    args.checkpoint_list = sorted(
        {n for n in (int(v) for v in args.checkpoints.split(",") if v.strip()) if n <= args.ngos}
        | {args.ngos}
    )
    if args.ngos < 1 or args.window < 1 or args.passes < 1 or args.clients < 1:
        parser.error("--ngos, --window, --passes and --clients must be >= 1")
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
    from django.conf import settings

    # gunicorn runs with DEBUG=0: give it this process's (development-derived) field key so
    # that both read the same encrypted fields.
    os.environ["FIELD_ENCRYPTION_KEY"] = settings.FIELD_ENCRYPTION_KEY
    probes = ProbeMigrations()
    try:
        return run(args, started, probes)
    finally:
        from django.db import connections

        if not args.drop and probes.added:
            say(f"reverting {len(probes.added)} probe migration(s) in every schema")
            say(f"reverted in {probes.revert():.1f} s")
        probes.remove()
        if args.drop:
            connections.close_all()
            database_recreate(args.database_url, create=False)
            print(f"database: dropped {database_name(args.database_url)}")


def run(args: argparse.Namespace, started: datetime, probes: ProbeMigrations) -> int:
    from bench.casework import name_pools
    from tenants.services import template_ensure

    info = machine_info()
    print("machine:")
    for key, value in info.items():
        print(f"  {key}: {value}")
    say("migrate_schemas (public and existing tenants)")
    migrate_quietly()
    consortium = consortium_get_or_create()
    template_ensure()
    print(f"tenant migrations (applied in the template): {tenant_migration_count()}")
    tenants = tenants_load() if args.keep else []
    pools = name_pools(args.seed)
    rng = random.Random(args.seed)
    durations: list[float] = []
    summary: dict[str, str] = {
        "date_utc": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "code_revision": info["code_revision"],
        "machine_nproc": info["nproc"],
        "machine_loadavg_at_start": info["loadavg_1_5_15"],
        "cases_per_ngo": str(args.cases),
        "serving": f"gunicorn {args.workers}x{args.threads} gthread, {args.clients} clients",
    }
    fill_started = time.perf_counter()
    for checkpoint in args.checkpoint_list:
        present = len(tenants)
        say(f"fill: {present} NGOs present, provisioning {max(0, checkpoint - present)} more")
        block: list[float] = []
        while len(tenants) < checkpoint:
            seconds, tenant = ngo_fill_one(consortium, len(tenants) + 1, args.cases, pools, rng)
            tenants.append(tenant)
            durations.append(seconds)
            if args.reconnect_every and len(tenants) % args.reconnect_every == 0:
                from django.db import connection

                connection.close()
            block.append(seconds)
            if len(tenants) % 25 == 0 or len(tenants) == checkpoint:
                say(
                    f"fill: {len(tenants)}/{checkpoint}, {time.perf_counter() - fill_started:.0f} s"
                    f" so far; last {len(block)}: median {fmt(statistics.median(block))} s, "
                    f"max {fmt(max(block))} s"
                )
                block = []
        if ngos_present() != len(tenants):
            raise RuntimeError("NGOs in the database other than this bench's")
        at = f"at_{checkpoint}"
        print(f"\n==== checkpoint: {checkpoint} NGOs (load {loadavg()}) ====")
        window = durations[-args.window :]
        if window:
            figures = stats(window)
            summary[f"{at}_provision_median_s"] = fmt(figures["median"])
            summary[f"{at}_provision_p90_s"] = fmt(figures["p90"])
            summary[f"{at}_provision_max_s"] = fmt(figures["max"])
            summary[f"{at}_provision_window"] = f"last {len(window)} before {checkpoint}"
            say(
                f"provisioning, last {len(window)}: median {fmt(figures['median'])} s, "
                f"p90 {fmt(figures['p90'])} s, max {fmt(figures['max'])} s"
            )
        noop_all = migrate_schemas_timed(3)
        noop_tenants = migrate_schemas_timed(3, tenant=True)
        summary[f"{at}_migrate_noop_s"] = fmt(statistics.median(noop_all))
        summary[f"{at}_migrate_noop_tenants_s"] = fmt(statistics.median(noop_tenants))
        say(
            f"migrate_schemas no-op: public + tenants {', '.join(fmt(v) for v in noop_all)} s; "
            f"tenants only {', '.join(fmt(v) for v in noop_tenants)} s"
        )
        say(f"one new tenant migration (nullable column) across {checkpoint + 1} tenant schemas")
        applied = migration_apply(probes, f"{checkpoint:04d}")
        summary[f"{at}_migration_apply_s"] = applied["seconds"]
        summary[f"{at}_migration_schemas_applied"] = applied["schemas_applied"]
        summary[f"{at}_migration_processes"] = applied["processes"]
        summary[f"{at}_migration_load_after"] = loadavg()
        say(
            f"{applied['migration']}: {applied['seconds']} s, applied in "
            f"{applied['schemas_applied']} tenant schemas by {applied['processes']} processes "
            f"({applied['executor_line']})"
        )
        catalog = catalog_size()
        for key, value in catalog.items():
            summary[f"{at}_catalog_{key}"] = value
        say("catalog: " + ", ".join(f"{key} {value}" for key, value in catalog.items()))
        say(f"cache growth: this process's own backend serves the case list of {checkpoint} NGOs")
        growth = cache_growth(tenants)
        for key, value in growth.items():
            summary[f"{at}_own_backend_{key}"] = f"{value:.1f}"
        served = serve_and_measure(args, tenants, max_requests=0, label="unbounded")
        summary[f"{at}_list_load"] = loadavg()
        for key, value in served.items():
            summary[f"{at}_list_{key}"] = f"{value:.1f}"
        if args.recycle_requests > 0:
            label = f"recycle@{args.recycle_requests}"
            recycled = serve_and_measure(
                args, tenants, max_requests=args.recycle_requests, label=label
            )
            summary[f"{at}_recycled_load"] = loadavg()
            for key, value in recycled.items():
                summary[f"{at}_recycled_{args.recycle_requests}_{key}"] = f"{value:.1f}"

    summary["machine_loadavg_at_end"] = loadavg()
    summary["total_s"] = f"{(datetime.now(UTC) - started).total_seconds():.0f}"
    print("\n==== summary ====")
    for key, value in summary.items():
        print(f"{key}={value}")
    final = args.checkpoint_list[-1]
    if final >= TARGET_AT:
        at = f"at_{final}"
        checks = [
            (
                f"provisioning median <= {TARGET_PROVISION_S} s",
                float(summary[f"{at}_provision_median_s"]) <= TARGET_PROVISION_S,
            ),
            (
                f"case-list p95 <= {TARGET_LIST_P95_MS:.0f} ms",
                float(summary[f"{at}_list_p95_ms"]) <= TARGET_LIST_P95_MS,
            ),
            (
                f"one migration across all schemas <= {TARGET_MIGRATION_S:.0f} s",
                float(summary[f"{at}_migration_apply_s"]) <= TARGET_MIGRATION_S,
            ),
        ]
        for label, met in checks:
            print(f"target at {final} NGOs: {label}: {'MET' if met else 'NOT MET'}")
    else:
        print(f"targets are defined at {TARGET_AT} NGOs; this run stopped at {final}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
