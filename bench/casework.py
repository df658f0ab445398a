"""Benchmark the case register at scale: bulk-load N cases into one NGO, then time the case
list and detail API through the real HTTP stack.

What it does, in a scratch database of its own (never the development database):

1. Drops and recreates the database (default `terpadu_bench_cw`), runs `migrate_schemas`,
   provisions one consortium and one NGO (tenants.services) and creates its staff: a
   supervisor and 20 case workers (casework.services.staff_create; MD5 password hashing here,
   as the accounts use API tokens and hashing is not what is measured).
2. Generates N synthetic cases (statuses, risks, regions, workers, assessments, services and
   follow-ups in realistic proportions; some NIKs, synthetic) and loads them with
   `casework.bulk.cases_bulk_load` in batches (`--batch`, default 5,000), timing only the
   loader calls: cases/second. Then ANALYZE (what autovacuum would do soon after an import).
3. Through django.test.Client (Host `<slug>.localhost`, token auth, the full middleware stack)
   times `--requests` requests (default 200, after 10 warm-up requests) of each scenario: the
   case list (page of 50) unfiltered, filtered by status, risk, worker, province, overdue, a
   combination, searched by a child's name and by reference, page 2 through the cursor, the
   list as a case worker (own and shared cases), and the case detail of random cases. For
   each: p50/p95/max latency, SQL queries per request (CaptureQueriesContext) and the time
   spent in SQL. The list is also timed with page_size 10, 50 and 200 to show that its query
   count does not grow with the page size.
4. EXPLAIN (ANALYZE, BUFFERS) of each list scenario's main query (the plan's top lines and
   execution time; the full plan for scenarios over the p95 target).
5. Prints a summary block (`key=value`) with the target checks: bulk load >= 2,000 cases/s,
   list p95 <= 50 ms, list query count independent of page size. Figures only, no asserts.
6. Drops the scratch database at the end (`--no-drop` keeps it).

Repeat (PostgreSQL reachable as in DEFAULT_DATABASE_URL; Redis configured but barely used):

    .venv/bin/python bench/casework.py --cases 50000

Options: `--batch B`, `--requests R`, `--workers W`, `--seed S`, `--database-url URL` (or env
BENCH_CW_DATABASE_URL; the name must contain "bench", as it is dropped), `--redis-url URL`,
`--no-drop`. Figures from a run are in bench/README.md.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import random
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/terpadu_bench_cw"
# The broker's DB number; results and cache use the next two (ngo_platform.redis_urls).
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/7"
DATABASE_NAME_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
PASSWORD = "Bench-Casework-2026!"
NGO_SLUG = "bench-cw"
LIST_P95_TARGET_MS = 50.0
SLOW_SQL_MS = 5.0
LOAD_TARGET_PER_SECOND = 2000.0
WARMUP = 10

# --- Scratch database (before Django is set up) ----------------------------------------------


def database_name(url: str) -> str:
    name = urlsplit(url).path.lstrip("/")
    if not DATABASE_NAME_RE.match(name) or "bench" not in name:
        raise SystemExit(
            f"Refusing to use database {name!r}: it is dropped and recreated, so its name must "
            "be a plain identifier containing 'bench'."
        )
    return name


def database_recreate(url: str, *, create: bool = True) -> None:
    import psycopg

    name = database_name(url)
    parts = urlsplit(url)
    maintenance = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{name}"')


def django_setup(database_url: str, redis_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["REDIS_URL"] = redis_url
    os.environ["DEBUG"] = "1"
    os.environ["DJANGO_SETTINGS_MODULE"] = "ngo_platform.settings"
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    import django

    django.setup()


# --- Figures ---------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


@dataclass
class Result:
    name: str
    latencies_ms: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    sql_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    sample_sql: str = ""
    sample_queries: list[str] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return percentile(self.latencies_ms, 0.5)

    @property
    def p95(self) -> float:
        return percentile(self.latencies_ms, 0.95)

    def line(self) -> str:
        queries = sorted(set(self.queries))
        shown = str(queries[0]) if len(queries) == 1 else f"{queries[0]}-{queries[-1]}"
        return (
            f"  {self.name:<34} p50 {self.p50:7.1f}  p95 {self.p95:7.1f}  "
            f"max {max(self.latencies_ms):7.1f} ms  queries {shown:>5}  "
            f"sql p50 {statistics.median(self.sql_ms):5.1f}  "
            f"python cpu p50 {statistics.median(self.cpu_ms):5.1f} ms  "
            f"rows {statistics.median(self.rows):g}"
        )


# --- Setup -------------------------------------------------------------------------------------


def platform_prepare(workers: int):
    """Shared migrations, one NGO, its supervisor and workers (tokens for the API)."""
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import override_settings
    from django_tenants.utils import schema_context
    from rest_framework.authtoken.models import Token

    from casework import services
    from tenants.services import consortium_create, ngo_provision

    started = time.perf_counter()
    call_command("migrate_schemas", interactive=False, verbosity=0)
    print(f"migrate_schemas: {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        consortium, _ = consortium_create(
            actor=None,
            slug="bench-cw-consortium",
            name="Bench consortium",
            coordinator_email="coordinator@bench-cw.example.org",
            coordinator_password=PASSWORD,
        )
        result = ngo_provision(
            actor=None,
            consortium=consortium,
            slug=NGO_SLUG,
            name="Yayasan Bench",
            admin_email=f"admin@{NGO_SLUG}.example.org",
            admin_password=PASSWORD,
        )
        ngo = result.ngo
        with schema_context(ngo.schema_name):
            from django.contrib.auth import get_user_model

            admin = get_user_model().objects.get(username=result.admin_username)
            supervisor = services.staff_create(
                actor=admin, username="supervisor", password=PASSWORD, role="supervisor"
            ).user
            staff = [
                services.staff_create(
                    actor=admin, username=f"worker{n:02d}", password=PASSWORD, role="case_worker"
                ).user
                for n in range(1, workers + 1)
            ]
            tokens = {
                "supervisor": Token.objects.create(user=supervisor).key,
                "worker": Token.objects.create(user=staff[0]).key,
            }
    connection.set_schema_to_public()
    print(
        f"NGO provisioned with 1 supervisor and {workers} workers: "
        f"{time.perf_counter() - started:.1f} s"
    )
    return ngo, supervisor, staff, tokens


@dataclass
class Pools:
    female: list[str]
    male: list[str]
    family: list[str]
    regencies: dict[str, list[str]]


def name_pools(seed: int) -> Pools:
    from faker import Faker

    from casework import regions

    faker = Faker("id_ID")
    faker.seed_instance(seed)
    return Pools(
        female=sorted({faker.first_name_female() for _ in range(3000)}),
        male=sorted({faker.first_name_male() for _ in range(3000)}),
        family=sorted({faker.last_name() for _ in range(3000)}),
        regencies={code: [r.code for r in regions.regencies(code)] for code in ("33", "35", "52")},
    )


STATUS_WEIGHTS = {
    "identified": 3,
    "registered": 8,
    "assessed": 7,
    "planned": 5,
    "in_service": 35,
    "monitoring": 20,
    "relapsed": 4,
    "closure_requested": 2,
    "closed": 16,
}
ASSESSED = {"assessed", "planned", "in_service", "monitoring", "relapsed", "closure_requested"}
SERVED = {"in_service", "monitoring", "relapsed", "closure_requested", "closed"}
PROVINCE_WEIGHTS = {"33": 60, "35": 30, "52": 10}
HAZARDS = ["heavy_loads", "chemicals", "street", "dust_smoke", "extreme_heat", "dangerous_tools"]
WORST = ["forced_labour", "trafficking", "sexual_exploitation", "illicit"]
SERVICES = ["school_return", "non_formal", "tutoring", "counselling", "health", "family_economic"]


def generate(count: int, workers: list, pools: Pools, rng: random.Random) -> list:
    """`count` synthetic BulkCase rows (names from pools; NIKs synthetic: district 00)."""
    from django.utils import timezone

    from casework.bulk import BulkCase

    today = timezone.localdate()
    statuses = list(STATUS_WEIGHTS)
    status_weights = list(STATUS_WEIGHTS.values())
    provinces = list(PROVINCE_WEIGHTS)
    province_weights = list(PROVINCE_WEIGHTS.values())
    rows = []
    for _ in range(count):
        sex = rng.choice(("female", "male"))
        first = rng.choice(pools.female if sex == "female" else pools.male)
        full_name = first if rng.random() < 0.4 else f"{first} {rng.choice(pools.family)}"
        status = rng.choices(statuses, status_weights)[0]
        prevention = rng.random() < 0.15
        age = rng.randint(7, 17)
        opened = today - timedelta(days=rng.randint(1, 1500))
        province = rng.choices(provinces, province_weights)[0]
        regency = rng.choice(pools.regencies[province])
        worker = rng.choice(workers)
        row = BulkCase(
            full_name=full_name,
            known_as=first if rng.random() < 0.3 else "",
            sex=sex,
            birth_year=opened.year - age,
            school_status=rng.choice(("in_school", "dropped_out", "dropped_out", "never_enrolled")),
            guardian_name=rng.choice(pools.female + pools.male),
            guardian_relationship=rng.choice(("ibu", "ayah", "nenek", "paman")),
            opened_on=opened,
            status=status,
            case_type="prevention" if prevention else "child_labour",
            nik=(
                f"{regency.replace('.', '')}00{rng.randint(1, 28):02d}"
                f"{rng.randint(1, 12):02d}{(opened.year - age) % 100:02d}0000"
                if rng.random() < 0.2
                else ""
            ),
            province_code=province,
            regency_code=regency,
            village=f"Desa {rng.choice(pools.family)}",
            assigned_worker_id=worker.pk,
        )
        if status in ASSESSED or status == "closed":
            severity = rng.random()
            works = not prevention
            row.assessment = {
                "assessed_on": opened + timedelta(days=rng.randint(0, 14)),
                "sector": "" if prevention else rng.choice(("perikanan", "pertanian", "jalanan")),
                "employer_type": "none" if prevention else "informal",
                "hours_per_week": rng.randint(10, 50) if works else 0,
                "night_work": works and severity > 0.85,
                "hazards": rng.sample(HAZARDS, 2) if works and severity > 0.6 else [],
                "worst_forms": [rng.choice(WORST)] if works and severity > 0.93 else [],
                "score_education": rng.randint(2, 4),
                "score_health": rng.randint(2, 4),
                "score_psychosocial": rng.randint(2, 4),
                "score_safety": 1 if works and severity > 0.93 else rng.randint(2, 4),
                "score_family_economy": rng.randint(2, 3),
            }
        if status in SERVED:
            row.interventions = [
                {
                    "delivered_on": min(today, opened + timedelta(days=rng.randint(15, 200))),
                    "type": rng.choice(SERVICES),
                    "provider": "PKBM Harapan",
                }
                for _ in range(rng.randint(1, 3))
            ]
        if status != "closed" and status != "identified":
            row.followups = [
                {
                    "due_on": today - timedelta(days=rng.randint(40, 400)),
                    "completed_on": today - timedelta(days=rng.randint(1, 39)),
                }
                for _ in range(rng.randint(0, 2))
            ]
            # The open one: overdue for about a fifth of the active cases.
            row.followups.append({"due_on": today + timedelta(days=rng.randint(-60, 240))})
        rows.append(row)
    return rows


def bulk_load(ngo, supervisor, workers, count: int, batch: int, seed: int) -> dict:
    from django.db import connection
    from django_tenants.utils import schema_context

    from casework.bulk import cases_bulk_load

    rng = random.Random(seed)
    pools = name_pools(seed)
    generate_seconds = 0.0
    load_seconds = []
    loaded = 0
    with schema_context(ngo.schema_name):
        for start in range(0, count, batch):
            size = min(batch, count - start)
            started = time.perf_counter()
            rows = generate(size, workers, pools, rng)
            generate_seconds += time.perf_counter() - started
            started = time.perf_counter()
            loaded += cases_bulk_load(actor=supervisor, rows=rows, reference_prefix="IMP")
            load_seconds.append(time.perf_counter() - started)
            print(
                f"  batch {len(load_seconds):>3}: {size} cases in {load_seconds[-1]:.2f} s "
                f"({size / load_seconds[-1]:,.0f} cases/s)",
                flush=True,
            )
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        analyze_seconds = time.perf_counter() - started
        counts = {}
        with connection.cursor() as cursor:
            for table in (
                "casework_case",
                "casework_child",
                "casework_assessment",
                "casework_intervention",
                "casework_followup",
                "casework_auditevent",
            ):
                cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed names
                counts[table] = cursor.fetchone()[0]
    total = sum(load_seconds)
    return {
        "loaded": loaded,
        "load_seconds": total,
        "per_second": loaded / total,
        "batch_rates": [min(batch, count - i * batch) / s for i, s in enumerate(load_seconds)],
        "generate_seconds": generate_seconds,
        "analyze_seconds": analyze_seconds,
        "counts": counts,
        "pools": pools,
    }


# --- HTTP measurements -------------------------------------------------------------------------


def _main_sql(queries: list[dict]) -> str:
    """The list's page query: the slowest SELECT over casework_case with a LIMIT."""
    candidates = [q for q in queries if 'FROM "casework_case"' in q["sql"] and "LIMIT" in q["sql"]]
    if not candidates:
        return ""
    return max(candidates, key=lambda q: float(q["time"]))["sql"]


def measure(client, name: str, paths, requests: int) -> Result:
    """Time `requests` GETs (paths: a callable returning the next path)."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    result = Result(name)
    for n in range(WARMUP + requests):
        path = paths()
        # DEBUG keeps the last 9,000 queries only: past that, CaptureQueriesContext counts 0.
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            started, cpu_started = time.perf_counter(), time.process_time()
            response = client.get(path)
            elapsed = (time.perf_counter() - started) * 1000
            cpu = (time.process_time() - cpu_started) * 1000
        if response.status_code != 200:
            raise SystemExit(
                f"{name}: GET {path} -> {response.status_code} {response.content[:300]}"
            )
        if n < WARMUP:
            continue
        result.latencies_ms.append(elapsed)
        result.cpu_ms.append(cpu)
        result.queries.append(len(captured.captured_queries))
        result.sql_ms.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
        body = response.json()
        result.rows.append(len(body["results"]) if "results" in body else 1)
        if not result.sample_queries:
            result.sample_queries = [q["sql"] for q in captured.captured_queries]
            result.sample_sql = _main_sql(captured.captured_queries)
    return result


def http_benchmarks(ngo, workers, tokens, pools: Pools, requests: int, seed: int) -> list[Result]:
    from django.db import connection
    from django.test import Client
    from django_tenants.utils import schema_context

    from casework.models import Case, Child
    from tenants.services import host_for

    rng = random.Random(seed + 1)
    host = host_for(ngo.slug)
    supervisor = Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Token {tokens['supervisor']}")
    worker = Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Token {tokens['worker']}")
    with schema_context(ngo.schema_name):
        case_ids = list(Case.objects.values_list("id", flat=True))
        references = rng.sample(list(Case.objects.values_list("reference", flat=True)), 500)
        names = list(
            Child.objects.filter(
                pk__in=rng.sample(list(Child.objects.values_list("pk", flat=True)), 500)
            ).values_list("full_name", flat=True)
        )
    connection.set_schema_to_public()
    list_url = "/api/v1/cases/"
    fixed = lambda path: lambda: path  # noqa: E731 - a tiny path factory

    def page_two(query: str):
        def path():
            first = supervisor.get(f"{list_url}?{query}").json()
            return first["next"].split(host, 1)[1]

        return path

    scenarios = [
        ("list", supervisor, fixed(f"{list_url}?page_size=50")),
        ("list status=in_service", supervisor, fixed(f"{list_url}?status=in_service")),
        (
            "list status=relapsed,closure_req",
            supervisor,
            fixed(f"{list_url}?status=relapsed,closure_requested"),
        ),
        ("list risk=urgent", supervisor, fixed(f"{list_url}?risk=urgent")),
        ("list worker=<id>", supervisor, lambda: f"{list_url}?worker={rng.choice(workers).pk}"),
        ("list province=52 (10%)", supervisor, fixed(f"{list_url}?province=52")),
        (
            "list regency=<code>",
            supervisor,
            lambda: f"{list_url}?regency={rng.choice(pools.regencies['33'])}",
        ),
        ("list overdue=true", supervisor, fixed(f"{list_url}?overdue=true")),
        (
            "list status+risk+province",
            supervisor,
            fixed(f"{list_url}?status=in_service&risk=high&province=33"),
        ),
        (
            "list search=<child name>",
            supervisor,
            lambda: f"{list_url}?search={rng.choice(names).replace(' ', '+')}",
        ),
        (
            "list search=<reference>",
            supervisor,
            lambda: f"{list_url}?search={rng.choice(references)}",
        ),
        ("list page 2 (cursor)", supervisor, page_two("page_size=50")),
        ("list page 2 status=in_service", supervisor, page_two("status=in_service")),
        ("list as case worker", worker, fixed(f"{list_url}?page_size=50")),
        ("detail <random case>", supervisor, lambda: f"{list_url}{rng.choice(case_ids)}/"),
    ]
    results = []
    for name, client, paths in scenarios:
        result = measure(client, name, paths, requests)
        print(result.line(), flush=True)
        results.append(result)
    print("page size (list, unfiltered):")
    for size in (10, 50, 200):
        result = measure(
            supervisor,
            f"list page_size={size}",
            fixed(f"{list_url}?page_size={size}"),
            max(50, requests // 4),
        )
        print(result.line(), flush=True)
        results.append(result)
    return results


def _short(sql: str, width: int = 150) -> str:
    sql = re.sub(r'SELECT (DISTINCT )?".*?" FROM', r"SELECT \1... FROM", sql, count=1)
    return sql if len(sql) <= width else sql[: width - 3] + "..."


def explain(ngo, results: list[Result]) -> None:
    """The queries of one list and one detail request; EXPLAIN ANALYZE of each page query
    (full plan when the database itself takes over SLOW_SQL_MS)."""
    from django.db import connection
    from django_tenants.utils import schema_context

    by_name = {result.name: result for result in results}
    for name in ("list", "detail <random case>"):
        print(f"queries of one '{name}' request:")
        for number, sql in enumerate(by_name[name].sample_queries, start=1):
            print(f"  {number:>2}. {_short(sql)}")
    print("EXPLAIN (ANALYZE, BUFFERS) of each list scenario's page query:")
    with schema_context(ngo.schema_name), connection.cursor() as cursor:
        for result in results:
            if not result.sample_sql or not result.name.startswith("list"):
                continue
            if result.name.startswith("list page_size"):
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + result.sample_sql)
            plan = [row[0] for row in cursor.fetchall()]
            execution = next((line for line in plan if line.startswith("Execution Time")), "")
            milliseconds = float(re.findall(r"[0-9.]+", execution)[0]) if execution else 0.0
            slow = milliseconds > SLOW_SQL_MS
            print(f"  {result.name}: {execution}{'  (slow: full plan)' if slow else ''}")
            for line in plan if slow else plan[:2]:
                print(f"      {line}")
            if slow:
                print(f"      SQL: {_short(result.sample_sql, 2000)}")


# --- Proposed changes, applied in this process and the scratch database only -----------------

PROPOSED_SQL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public",
    "CREATE INDEX child_name_trgm_idx ON casework_child USING gin (normalized_name gin_trgm_ops)",
    "CREATE INDEX child_known_as_trgm_idx ON casework_child "
    "USING gin (upper(known_as) gin_trgm_ops)",
]


def proposals_apply(ngo) -> None:
    """What bench/README.md proposes, without touching the project's files: trigram indexes,
    the case list's search as a UNION of ids, worker visibility without JOIN + DISTINCT, and
    TENANT_LIMIT_SET_CALLS."""
    from django.conf import settings
    from django.db import connection
    from django.db.models import Q
    from django_tenants.utils import schema_context

    from casework import access, selectors
    from casework.models import Case, Child
    from casework.services import normalize_name

    started = time.perf_counter()
    with schema_context(ngo.schema_name), connection.cursor() as cursor:
        for sql in PROPOSED_SQL:
            cursor.execute(sql)
        cursor.execute("ANALYZE casework_child")
    print(f"proposed indexes built in {time.perf_counter() - started:.1f} s")
    settings.TENANT_LIMIT_SET_CALLS = True

    def cases_visible_to(user):
        if access.role_of(user) is None:
            return Case.objects.none()
        if access.can(user, access.Capability.VIEW_ALL_CASES):
            return Case.objects.all()
        shared = Case.shared_with.through.objects.filter(user=user).values("case_id")
        return Case.objects.filter(Q(assigned_worker=user) | Q(pk__in=shared))

    original_case_list = selectors.case_list

    def case_list(*, actor, search=None, **filters):
        queryset = original_case_list(actor=actor, **filters)
        if not search or not search.strip():
            return queryset
        text = search.strip()
        by_reference = Case.objects.filter(reference=text.upper()).values("pk")
        if access.can(actor, access.Capability.VIEW_IDENTITY):
            children = Child.objects.filter(
                Q(normalized_name__contains=normalize_name(text)) | Q(known_as__icontains=text)
            )
            matches = Case.objects.filter(child__in=children).values("pk").union(by_reference)
        else:
            matches = by_reference
        return queryset.filter(pk__in=matches)

    access.cases_visible_to = selectors.cases_visible_to = cases_visible_to
    selectors.case_list = case_list


# --- Main --------------------------------------------------------------------------------------


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cases", type=int, default=50_000, help="cases to load (default 50000)")
    parser.add_argument("--batch", type=int, default=5_000, help="cases per bulk-load call")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per scenario")
    parser.add_argument("--workers", type=int, default=20, help="case workers (default 20)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_CW_DATABASE_URL") or DEFAULT_DATABASE_URL,
        help="scratch database, dropped and recreated (default %(default)s)",
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL") or DEFAULT_REDIS_URL
    )
    parser.add_argument(
        "--with-proposals",
        action="store_true",
        help="then apply the proposed changes (scratch DB and this process only) and measure again",
    )
    parser.add_argument(
        "--drop",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="drop the scratch database at the end (default on)",
    )
    args = parser.parse_args()
    if args.cases < 1000 or args.batch < 1 or args.requests < 1 or args.workers < 1:
        parser.error("--cases >= 1000; --batch, --requests and --workers >= 1")
    database_name(args.database_url)
    return args


def main() -> int:
    args = arguments()
    database_recreate(args.database_url)
    print(f"database: created {database_name(args.database_url)}")
    django_setup(args.database_url, args.redis_url)
    try:
        return run(args)
    finally:
        if args.drop:
            from django.db import connections

            connections.close_all()
            database_recreate(args.database_url, create=False)
            print(f"database: dropped {database_name(args.database_url)}")


def _met(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


def summarize(label: str, results: list[Result]) -> list[str]:
    """key=value figures and the target lines of one round of HTTP measurements."""
    by_name = {result.name: result for result in results}
    lists = [r for r in results if r.name.startswith("list") and "page_size" not in r.name]
    worst = max(lists, key=lambda r: r.p95)
    size_queries = [sorted(set(by_name[f"list page_size={n}"].queries)) for n in (10, 50, 200)]
    constant = all(q == size_queries[0] and len(q) == 1 for q in size_queries)
    detail = by_name["detail <random case>"]
    prefix = f"{label}_" if label else ""
    lines = []
    for result in results:
        key = prefix + re.sub(r"[^a-z0-9]+", "_", result.name.lower()).strip("_")
        lines.append(
            f"{key}_p50_ms={result.p50:.1f} {key}_p95_ms={result.p95:.1f} "
            f"{key}_cpu_p50_ms={statistics.median(result.cpu_ms):.1f} "
            f"{key}_queries={'/'.join(map(str, sorted(set(result.queries))))}"
        )
    lines.append(f"{prefix}list_worst_p95_ms={worst.p95:.1f} ({worst.name})")
    lines.append(
        f"{prefix}list_queries_page_size_10_50_200="
        + " / ".join("/".join(map(str, q)) for q in size_queries)
    )
    tag = f" [{label}]" if label else ""
    over = [r.name for r in lists if r.p95 > LIST_P95_TARGET_MS]
    lines += [
        f"list p95 <= {LIST_P95_TARGET_MS:.0f} ms (unfiltered){tag}: "
        f"{_met(by_name['list'].p95 <= LIST_P95_TARGET_MS)} ({by_name['list'].p95:.1f} ms)",
        f"list p95 <= {LIST_P95_TARGET_MS:.0f} ms (every filter, search, cursor, worker){tag}: "
        f"{_met(not over)} (worst {worst.p95:.1f} ms: {worst.name}"
        f"{'; over: ' + ', '.join(over) if over else ''})",
        f"list query count independent of page size (10/50/200){tag}: {_met(constant)} "
        f"({' / '.join('/'.join(map(str, q)) for q in size_queries)})",
        f"detail p95 (no target given){tag}: {detail.p95:.1f} ms, "
        f"{'/'.join(map(str, sorted(set(detail.queries))))} queries",
    ]
    return lines


def run(args: argparse.Namespace) -> int:
    import django
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    load_before = os.getloadavg()
    print(
        f"machine: {os.cpu_count()} CPUs, load {' '.join(f'{v:.2f}' for v in load_before)}, "
        f"Python {platform.python_version()}, Django {django.get_version()}, PostgreSQL {server}"
    )
    ngo, supervisor, workers, tokens = platform_prepare(args.workers)

    print(f"bulk load: {args.cases} cases in batches of {args.batch}")
    load = bulk_load(ngo, supervisor, workers, args.cases, args.batch, args.seed)
    print(
        f"bulk load: {load['loaded']} cases in {load['load_seconds']:.2f} s = "
        f"{load['per_second']:,.0f} cases/s (row generation {load['generate_seconds']:.1f} s, "
        f"not counted; ANALYZE {load['analyze_seconds']:.1f} s)"
    )
    print(
        "  rows: "
        + ", ".join(f"{k.removeprefix('casework_')} {v}" for k, v in load["counts"].items())
    )

    print(f"HTTP (django.test.Client, token auth, {args.requests} requests each, ms):")
    results = http_benchmarks(ngo, workers, tokens, load["pools"], args.requests, args.seed)
    explain(ngo, results)
    rounds = [("", results)]
    if args.with_proposals:
        proposals_apply(ngo)
        print(f"HTTP with the proposed changes ({args.requests} requests each, ms):")
        proposed = http_benchmarks(ngo, workers, tokens, load["pools"], args.requests, args.seed)
        explain(ngo, proposed)
        rounds.append(("proposed", proposed))
    load_after = os.getloadavg()

    print("\n=== summary ===")
    print(f"cases={load['loaded']}")
    print(f"bulk_load_cases_per_second={load['per_second']:.0f}")
    print(
        f"bulk_load_batch_rate_min_median_max="
        f"{min(load['batch_rates']):.0f}/{statistics.median(load['batch_rates']):.0f}/"
        f"{max(load['batch_rates']):.0f}"
    )
    print(
        f"loadavg_before={' '.join(f'{v:.2f}' for v in load_before)} "
        f"loadavg_after={' '.join(f'{v:.2f}' for v in load_after)}"
    )
    summaries = [summarize(label, results) for label, results in rounds]
    for lines in summaries:
        print("\n".join(line for line in lines if "=" in line.split(" ", 1)[0]))
    print(
        f"bulk load >= {LOAD_TARGET_PER_SECOND:,.0f} cases/s: "
        f"{_met(load['per_second'] >= LOAD_TARGET_PER_SECOND)} ({load['per_second']:,.0f})"
    )
    for lines in summaries:
        print("\n".join(line for line in lines if "=" not in line.split(" ", 1)[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
