"""Benchmark the consortium reporting at scale: full rollup refresh, dashboard speed, suppression.

What it does, in a scratch database of its own (never the development database):

1. Drops and recreates the database (default `terpadu_bench_rollups`), runs `migrate_schemas`,
   provisions one consortium and `--ngos` NGOs (default 200), and fills each NGO's schema with
   `--cases-per-ngo` children and cases (default 5,000) by SQL (`generate_series`: fast and
   deterministic): households, children aged 5-17, cases opened over the last 24 months (a
   fifth closed, a quarter prevention cases), two approved assessments for most cases (sectors
   written as workers write them), three services, two follow-up visits (on time, late or
   overdue) and a verification visit for half of them. Each NGO works in one province and
   three of its regencies; names differ by NGO (the linkage finds no one twice).
2. Full refresh with one worker: starts a Celery worker (`-P solo`, its own queue), sends
   `reporting_refresh_all` (one rollup task per NGO) and times until every NGO's Rollup row is
   newer than the start. Then the same with two worker processes (`-c 2`).
3. Dashboard: the coordinator's report page (`/console/<id>/reports/`, through Django's test
   client, HTML included) 20 times for each of six filter combinations (none, sex, province,
   age band, BPS rules, one NGO): p50 and p95 per combination and overall.
4. Suppression on the demo data: seeds the demo consortium (`seed_consortium`, whose NGOs are
   rolled up as `seed_demo` does) and prints the share of suppressed cells in its dashboard's
   tables and in every indicator's table by month.

Targets (issue 10): full refresh <= 60 s on this machine, dashboard p95 <= 200 ms.

Repeat (PostgreSQL and Redis reachable as in the defaults):

    .venv/bin/python bench/rollups.py --ngos 200 --cases-per-ngo 5000

Options: `--workers 1,2` (the refresh runs), `--requests 20`, `--no-demo`, `--no-drop` (keep
the database; a second run with `--reuse` skips steps 1's provisioning and filling).
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/terpadu_bench_rollups"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/11"
REFRESH_TARGET_S = 60.0
DASHBOARD_P95_TARGET_MS = 200.0
QUEUE = "bench-rollups"  # the worker's name
PROVINCES = {  # province: three of its regencies
    "33": ["33.74", "33.22", "33.24"],
    "35": ["35.78", "35.15", "35.07"],
    "12": ["12.71", "12.07", "12.12"],
    "52": ["52.71", "52.01", "52.03"],
    "32": ["32.73", "32.04", "32.17"],
}
SECTORS = [
    "perikanan",
    "perkebunan sawit",
    "pertanian tembakau",
    "tambang emas rakyat",
    "berdagang di jalan",
    "pemulung",
    "pekerja rumah tangga anak",
    "industri rumahan",
    "bangunan",
    "warung makan",
]


def database_recreate(url: str, *, create: bool = True) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    if "bench" not in name or not name.replace("_", "").isalnum():
        raise SystemExit(f"Refusing to drop {name!r}: its name must contain 'bench'.")
    parts = urlsplit(url)
    maintenance = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{name}"')


def django_setup(database_url: str, redis_url: str) -> None:
    os.environ.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        DEBUG="1",
        DJANGO_SETTINGS_MODULE="ngo_platform.settings",
    )
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    import django

    django.setup()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


FILL_SQL = """
INSERT INTO casework_household (id, guardian_name, guardian_relationship, guardian_phone,
    head_of_household, member_count, income_source, monthly_income_band, province_code,
    regency_code, district, village, address_line, created_at)
SELECT i, 'Wali ' || %(tag)s || ' ' || i, 'ibu', '', '', 1 + i %% 6, '',
    (ARRAY['lt_1m', '1m_2m', '2m_3m', 'unknown'])[1 + i %% 4], %(province)s,
    (%(regencies)s::text[])[1 + i %% 3], '', 'Desa ' || (i %% 40), '', now()
FROM generate_series(1, %(n)s) AS i;

INSERT INTO casework_child (id, uuid, full_name, known_as, normalized_name, sex, date_of_birth,
    birth_year, birth_year_estimated, nik_encrypted, nik_hash, nik_last4, school_status,
    last_grade, created_at, updated_at, created_by_id, photo_id, household_id)
SELECT i, gen_random_uuid(), 'Anak ' || %(tag)s || ' ' || i, '', 'anak ' || %(tag)s || ' ' || i,
    (ARRAY['female', 'male'])[1 + i %% 2], NULL, extract(year FROM now())::int - 5 - i %% 13,
    true, '', '', '', (ARRAY['in_school', 'dropped_out', 'never_enrolled'])[1 + i %% 3], NULL,
    now(), now(), %(user)s, NULL, i
FROM generate_series(1, %(n)s) AS i;

INSERT INTO casework_case (id, uuid, reference, case_type, status, status_before_closure,
    risk_level, child_labour_status, province_code, regency_code, next_due_on, has_overdue,
    opened_on, closure_reason, closure_outcome, closed_on, created_at, updated_at,
    assigned_worker_id, closed_by_id, closure_requested_by_id, child_id)
SELECT i, gen_random_uuid(), 'B' || %(tag)s || '-' || i,
    CASE WHEN i %% 4 = 0 THEN 'prevention' ELSE 'child_labour' END,
    CASE WHEN i %% 5 = 0 AND current_date - (i * 7 %% 720) + 150 <= current_date
         THEN 'closed' ELSE (ARRAY['in_service', 'monitoring', 'planned', 'assessed'])[1 + i %% 4]
    END,
    '', (ARRAY['low', 'medium', 'high', 'urgent'])[1 + i %% 4],
    (ARRAY['none', 'child_labour', 'hazardous', 'worst_form'])[1 + i %% 4],
    %(province)s, (%(regencies)s::text[])[1 + i %% 3], NULL, false,
    current_date - (i * 7 %% 720),
    CASE WHEN i %% 5 = 0 AND current_date - (i * 7 %% 720) + 150 <= current_date
         THEN (ARRAY['withdrawn_child_labour', 'prevented', 'moved_away', 'aged_out'])[1 + i %% 4]
         ELSE '' END,
    '', CASE WHEN i %% 5 = 0 AND current_date - (i * 7 %% 720) + 150 <= current_date
         THEN current_date - (i * 7 %% 720) + 150 END,
    now(), now(), %(user)s, NULL, NULL, i
FROM generate_series(1, %(n)s) AS i;

INSERT INTO casework_assessment (assessed_on, age_at_assessment, works, sector, tasks,
    employer_type, hours_per_week, night_work, monthly_wage, hazards, worst_forms,
    schooling_notes, health_notes, psychosocial_notes, family_economy_notes, safety_notes,
    score_education, score_health, score_psychosocial, score_safety, score_family_economy,
    risk_level, suggested_risk_level, status_bps, status_ilo, status, reviewed_at,
    review_comment, created_at, assessor_id, reviewed_by_id, case_id)
SELECT c.opened_on + step.days, 12, c.case_type = 'child_labour',
    CASE WHEN c.case_type = 'child_labour' THEN (%(sectors)s::text[])[1 + c.id %% 10] ELSE '' END,
    '', 'informal', 20, false, NULL, '{}', '{}', '', '', '', '', '',
    1 + (c.id + step.n) %% 5, 1 + c.id %% 5, 2 + step.n, 1 + (c.id * 3) %% 5, 2,
    'medium', 'medium',
    (ARRAY['none', 'child_labour', 'hazardous', 'worst_form'])[1 + (c.id + step.n) %% 4],
    (ARRAY['none', 'child_labour', 'hazardous', 'worst_form'])[1 + (c.id * 5 + step.n) %% 4],
    'approved', now(), '', now(), %(user)s, %(user)s, c.id
FROM casework_case c
CROSS JOIN (VALUES (0, 7), (1, 120)) AS step (n, days)
WHERE c.id %% 10 < 8 AND c.opened_on + step.days <= current_date;

INSERT INTO casework_intervention (delivered_on, type, provider, notes, outcome, created_at,
    case_id, recorded_by_id, goal_id)
SELECT c.opened_on + step.days,
    (ARRAY['school_return', 'counselling', 'health', 'family_economic', 'vocational',
           'non_formal'])[1 + (c.id + step.days) %% 6],
    '', '', '', now(), c.id, %(user)s, NULL
FROM casework_case c CROSS JOIN (VALUES (14), (45), (90)) AS step (days)
WHERE c.opened_on + step.days <= current_date;

INSERT INTO casework_followup (kind, due_on, purpose, completed_on, notes, is_overdue,
    overdue_notified_at, created_at, assigned_worker_id, case_id)
SELECT 'visit', c.opened_on + step.days, '',
    CASE WHEN c.id %% 3 = 0 THEN c.opened_on + step.days - 1
         WHEN c.id %% 3 = 1 AND c.opened_on + step.days + 5 <= current_date
         THEN c.opened_on + step.days + 5 END,
    '', false, NULL, now(), %(user)s, c.id
FROM casework_case c CROSS JOIN (VALUES (30), (60)) AS step (days);

INSERT INTO casework_verification (visited_on, left_work, in_school_or_training,
    seen_back_at_work, notes, created_at, case_id, verified_by_id)
SELECT c.opened_on + 100, c.id %% 3 <> 0, c.id %% 2 = 0, c.id %% 11 = 0, '', now(), c.id,
    %(user)s
FROM casework_case c WHERE c.id %% 2 = 0 AND c.opened_on + 100 <= current_date;

SELECT setval(pg_get_serial_sequence('casework_household', 'id'), %(n)s);
SELECT setval(pg_get_serial_sequence('casework_child', 'id'), %(n)s);
SELECT setval(pg_get_serial_sequence('casework_case', 'id'), %(n)s);
"""


def prepare(ngo_count: int, cases: int) -> int:
    """The consortium and its NGOs, each filled by SQL; returns the consortium's id."""
    from django.core.management import call_command
    from django.db import connection

    from tenants.models import NGO
    from tenants.services import consortium_create, ngo_provision

    started = time.perf_counter()
    call_command("migrate_schemas", "--shared", verbosity=0)
    call_command("migrate_schemas", verbosity=0)
    consortium, _ = consortium_create(
        actor=None,
        slug="bench-rollups",
        name="Bench consortium",
        coordinator_email="coordinator@bench.example.org",
        coordinator_password="Bench-Password-2026!",
    )
    print(f"migrated in {time.perf_counter() - started:.1f} s", flush=True)
    started = time.perf_counter()
    for number in range(1, ngo_count + 1):
        ngo_provision(
            actor=None,
            consortium=consortium,
            slug=f"bench-{number:03d}",
            name=f"Bench NGO {number:03d}",
            admin_email=f"admin@bench-{number:03d}.example.org",
            admin_password="Bench-Password-2026!",
        )
        if number % 50 == 0:
            print(f"provisioned {number}/{ngo_count}: {time.perf_counter() - started:.1f} s")
    print(f"provisioned {ngo_count} NGOs in {time.perf_counter() - started:.1f} s", flush=True)
    started = time.perf_counter()
    provinces = list(PROVINCES.items())
    for index, ngo in enumerate(NGO.objects.filter(consortium=consortium).order_by("slug")):
        province, regencies = provinces[index % len(provinces)]
        with connection.cursor() as cursor:
            cursor.execute(f'SET search_path TO "{ngo.schema_name}", public')
            cursor.execute("SELECT min(id) FROM auth_user")
            user = cursor.fetchone()[0]
            values = {
                "n": cases,
                "tag": str(index + 1),
                "province": province,
                "regencies": regencies,
                "sectors": SECTORS,
                "user": user,
            }
            for statement in FILL_SQL.strip().split(";\n\n"):
                for part in statement.split(";\n"):
                    if part.strip():
                        cursor.execute(part, values)
            cursor.execute("SET search_path TO public")
        if (index + 1) % 50 == 0:
            print(f"filled {index + 1}/{ngo_count}: {time.perf_counter() - started:.1f} s")
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"filled {ngo_count} x {cases} cases in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    return consortium.pk


def worker_start(database_url: str, redis_url: str, concurrency: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "ngo_platform.settings",
    }
    pool = ["-P", "solo"] if concurrency <= 1 else ["-P", "prefork", "-c", str(concurrency)]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "ngo_platform",
            "worker",
            *pool,
            "-n",
            f"{QUEUE}-{concurrency}@localhost",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "warning",
        ],
        cwd=REPO_ROOT,
        env=env,
    )
    from ngo_platform.celery import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if app.control.ping(destination=[f"{QUEUE}-{concurrency}@localhost"], timeout=0.5):
            return process
    raise SystemExit("the worker did not start within 60 s")


def refresh_timed(consortium_id: int, database_url: str, redis_url: str, concurrency: int):
    from django.utils import timezone

    from network.reporting.models import AggregateCell, Rollup
    from network.tasks import reporting_refresh_all
    from tenants.models import NGO

    total = NGO.objects.filter(consortium_id=consortium_id, is_template=False).count()
    worker = worker_start(database_url, redis_url, concurrency)
    try:
        since = timezone.now()
        started = time.perf_counter()
        # The fan-out queues one rollup task per NGO on the default queue, which this Redis
        # database's only worker (the bench's) consumes.
        reporting_refresh_all.delay(consortium_id)
        while True:
            done = Rollup.objects.filter(
                ngo__consortium_id=consortium_id, attempted_at__gte=since
            ).count()
            if done >= total:
                break
            if time.perf_counter() - started > 3600:
                raise SystemExit(f"refresh: only {done}/{total} after an hour")
            time.sleep(0.2)
        seconds = time.perf_counter() - started
    finally:
        worker.terminate()
        worker.wait(30)
    failed = Rollup.objects.filter(ngo__consortium_id=consortium_id, status="failed").count()
    rows = AggregateCell.objects.filter(consortium_id=consortium_id).count()
    print(
        f"full refresh, {concurrency} worker process(es): {seconds:.1f} s for {total} NGOs "
        f"({total / seconds:.1f} NGOs/s), {rows:,} aggregate rows, {failed} failed",
        flush=True,
    )
    return seconds, rows


def dashboard_timed(consortium_id: int, requests: int) -> dict[str, list[float]]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from tenants.models import NGO

    connection.set_schema_to_public()
    client = Client(HTTP_HOST="localhost", HTTP_ACCEPT_LANGUAGE="id")
    client.force_login(get_user_model().objects.get(username="coordinator@bench.example.org"))
    one = NGO.objects.filter(consortium_id=consortium_id).order_by("slug").first()
    combinations = {
        "no filter": "",
        "sex=female": "?sex=female",
        "province=33": "?province=33",
        "age_band=12_14": "?age_band=12_14",
        "standard=bps": "?standard=bps",
        "one NGO": f"?ngo={one.slug if one else ''}",
    }
    # The first request after a rollup computes the year's publication (every table of each
    # indicator shown, suppressed together); the others read it from the cache until the next
    # rollup. Timed apart, then 20 requests per filter.
    from django.core.cache import cache

    cache.clear()
    for name, query in (("cold", ""), ("cold bps", "?standard=bps")):
        started = time.perf_counter()
        client.get(f"/console/{consortium_id}/reports/{query}")
        print(
            f"dashboard first request ({name}, publication computed): "
            f"{(time.perf_counter() - started) * 1000:.0f} ms",
            flush=True,
        )
    from network.reporting.publication import publish_all
    from tenants.models import Consortium

    cache.clear()
    started = time.perf_counter()
    tables = publish_all(consortium=Consortium.objects.get(pk=consortium_id))
    print(
        f"publication counted in the background (reporting_publish, every indicator and "
        f"standard): {time.perf_counter() - started:.1f} s, {tables:,} tables",
        flush=True,
    )
    timings: dict[str, list[float]] = {}
    for name, query in combinations.items():
        path = f"/console/{consortium_id}/reports/{query}"
        samples = []
        for _ in range(requests):
            started = time.perf_counter()
            response = client.get(path)
            samples.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{path}: {response.status_code}")
        timings[name] = samples
        print(
            f"dashboard {name:<16} p50 {statistics.median(samples):7.1f} ms  "
            f"p95 {percentile(samples, 0.95):7.1f} ms",
            flush=True,
        )
    return timings


def suppression_share() -> tuple[int, int, int, int]:
    """Seed the demo consortium (rolled up by the seeding) and count suppressed cells in its
    dashboard's tables and in every table of every indicator's publication (this year)."""
    from demo.seed import CONSORTIUM_SLUG, seed_consortium
    from network.reporting import dashboard, publication
    from network.reporting.indicators import INDICATORS
    from tenants.models import Consortium

    seed_consortium()
    consortium = Consortium.objects.get(slug=CONSORTIUM_SLUG)
    filters = dashboard.default_filters()
    board = dashboard.dashboard(consortium=consortium, filters=filters)
    cells = [c for table in board.tables.values() for c in table.table["cells"]]
    board_hidden, board_total = sum(c["suppressed"] for c in cells), len(cells)
    hidden = total = 0
    for code in INDICATORS:
        published = publication.publication(
            consortium=consortium, indicator=code, period=filters.period
        )
        for table in published.all():
            hidden += sum(c["suppressed"] for c in table["cells"])
            total += len(table["cells"])
    return board_hidden, board_total, hidden, total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ngos", type=int, default=200)
    parser.add_argument("--cases-per-ngo", type=int, default=5000)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--reuse", action="store_true", help="the database of a --no-drop run")
    parser.add_argument("--no-drop", action="store_true")
    parser.add_argument("--no-demo", action="store_true")
    options = parser.parse_args()

    if not options.reuse:
        database_recreate(options.database_url)
    django_setup(options.database_url, options.redis_url)
    from tenants.models import Consortium

    load = os.getloadavg()
    started = time.perf_counter()
    if options.reuse:
        consortium_id = Consortium.objects.get(slug="bench-rollups").pk
    else:
        consortium_id = prepare(options.ngos, options.cases_per_ngo)
    fixture_s = time.perf_counter() - started
    refresh = {}
    for concurrency in (int(part) for part in options.workers.split(",") if part):
        refresh[concurrency] = refresh_timed(
            consortium_id, options.database_url, options.redis_url, concurrency
        )
    timings = dashboard_timed(consortium_id, options.requests)
    every = [value for samples in timings.values() for value in samples]
    share = None if options.no_demo else suppression_share()

    print("\n=== summary ===")
    print(
        f"fixture: {options.ngos} NGOs x {options.cases_per_ngo} cases, built in {fixture_s:.0f} s"
    )
    for concurrency, (seconds, rows) in refresh.items():
        verdict = "MET" if seconds <= REFRESH_TARGET_S else "MISSED"
        print(
            f"full_refresh_s[{concurrency} worker]={seconds:.1f} target<={REFRESH_TARGET_S:.0f}"
            f" {verdict} ({rows:,} rows)"
        )
    p95 = percentile(every, 0.95)
    verdict = "MET" if p95 <= DASHBOARD_P95_TARGET_MS else "MISSED"
    print(
        f"dashboard_ms p50={statistics.median(every):.1f} p95={p95:.1f} "
        f"target<={DASHBOARD_P95_TARGET_MS:.0f} {verdict} ({len(every)} requests)"
    )
    if share:
        board_hidden, board_total, hidden, total = share
        print(
            f"suppressed_share demo dashboard={board_hidden}/{board_total} "
            f"({board_hidden / max(board_total, 1):.1%}), every published table={hidden}/{total} "
            f"({hidden / max(total, 1):.1%})"
        )
    end_load = os.getloadavg()[0]
    print(f"load average at start {load[0]:.2f}, at end {end_load:.2f}; cpus {os.cpu_count()}")
    if not options.no_drop:
        from django.db import connections

        connections.close_all()
        database_recreate(options.database_url, create=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
