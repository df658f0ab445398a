"""Mixed load through gunicorn: many NGOs' case workers, supervisors and M&E officers at once.

What it does, in a scratch database of its own (default `terpadu_h11a_bench`, dropped and
recreated at start, dropped at the end unless `--keep`):

1. `migrate_schemas`, one consortium, `--ngos` NGOs (default 20) provisioned by replay, each
   with a supervisor, `--workers-per-ngo` case workers (default 8) and an M&E officer (API
   tokens, and a session each for the HTML home page), a directory entry with a key pair, and
   referral agreements with its two neighbours in a ring.
2. Bulk-loads `--cases-per-ngo` synthetic cases into every NGO (default 10,000:
   `casework.bulk.cases_bulk_load`, COPY; rows from bench/casework.py's generator), gives a
   few hundred cases per NGO a consent to sharing (the pool for assessments and referral sends),
   sends 10 referrals per NGO and delivers them (so inboxes are not empty), then ANALYZE. Prints
   how long each step took.
3. Starts gunicorn on 127.0.0.1 (gthread, `--gunicorn-workers` x `--gunicorn-threads`,
   DEBUG=0, the production middleware; settings `bench._load_settings`, which only adds the
   floor's URL) and a Celery worker (solo pool) that delivers the referrals sent under load
   (the broker DB's queue is purged first: it is the bench's own, `--redis-url`).
4. An asyncio client (raw HTTP/1.1 with keep-alive, one connection per virtual user, no think
   time: a closed loop of `--concurrency` users, default 16) plays for `--duration` s (default
   60) a mix of 80 % reads (case list with random filters, case detail, home page HTML, child
   search, referral inbox) and 20 % writes (case note, follow-up done, assessment, referral
   send); each request picks an NGO and a person of a role allowed to do it. Prints
   throughput, p50/p95/p99 and errors per request type, and the CPU seconds of gunicorn,
   PostgreSQL (the backends connected to the scratch database), the Celery worker, the client,
   and whatever else ran on the machine meanwhile (other engineers' work).
5. The two yardsticks, in the same run: the **framework floor**, `/bench/floor/` (a bare Django
   view returning the bytes of a real page of 50 list rows through the same middleware stack),
   and the case list alone, each as a closed loop with the same concurrency for
   `--yardstick-duration` s (default 15); and the **database floor**: the SQL statements of 20
   requests of each read type, captured in this process (django.test.Client and
   CaptureQueriesContext, the same settings as the server), replayed over one psycopg
   connection (each request's statements in a transaction, rolled back): per-request SQL time
   and query counts.
6. Before the mixed load, each request type alone for `--cost-seconds` (4 users): gunicorn and
   PostgreSQL CPU milliseconds per request, and the mix's weighted cost. CPU time is much less
   disturbed than latency by whatever else runs on the machine: it is the figure that says
   what a change moved.

Figures only, no asserts. Repeat (PostgreSQL and Redis as in the defaults; Redis DBs 3-5):

    .venv/bin/python bench/load.py
    .venv/bin/python bench/load.py --ngos 20 --cases-per-ngo 10000 --duration 60 --concurrency 16

Options: `--gunicorn-workers N --gunicorn-threads N` (default 3 x 2), `--cost-seconds S`
(the per-type CPU phase, default 4; 0 skips it), `--profile` (cProfile of every gunicorn
worker, printed at the end), `--no-celery`, `--keep` (keep the database; `--reuse` then skips
steps 1-2), `--database-url`, `--redis-url`, `--port`, `--seed`. The settings under test come
from the environment as in production (e.g. `TENANT_LIMIT_SET_CALLS=0` to measure without it).
Figures from a run are in bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import importlib.util
import math
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote_plus, urlsplit, urlunsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/terpadu_h11a_bench"
# The broker's DB number; results and cache use the next two (ngo_platform.redis_urls).
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/3"
DATABASE_NAME_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
PASSWORD = "Bench-Load-2026!"
SECRET = "bench-load-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz"
CONSORTIUM_SLUG = "bench-load"
CONSENTED_PER_NGO = 400
SEEDED_REFERRALS_PER_NGO = 10
TARGET_RPS = 300.0
TARGET_P95_MS = 100.0

# Request types: weight in the mix (per cent), read or write.
MIX = {
    "case list": (28, "read"),
    "case detail": (20, "read"),
    "home page": (12, "read"),
    "child search": (10, "read"),
    "inbox": (10, "read"),
    "note": (8, "write"),
    "follow-up done": (5, "write"),
    "assessment": (4, "write"),
    "referral send": (3, "write"),
}
LIST_FILTERS = [
    "",
    "",
    "status=in_service",
    "status=relapsed,closure_requested",
    "risk=high,urgent",
    "overdue=true",
    "province=33",
    "status=in_service&risk=high&province=33",
]


def database_name(url: str) -> str:
    name = urlsplit(url).path.lstrip("/")
    if not DATABASE_NAME_RE.match(name) or "bench" not in name:
        raise SystemExit(f"Refusing to use database {name!r}: its name must contain 'bench'.")
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


def service_environment(args: argparse.Namespace, *, debug: bool) -> dict[str, str]:
    """The environment of this process (DEBUG=1: setup) and of gunicorn/Celery (DEBUG=0)."""
    env = {
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "SECRET_KEY": SECRET,
        "FIELD_ENCRYPTION_KEY": SECRET,
        "CONSORTIUM_LINKAGE_SECRET": SECRET,
        "DEBUG": "1" if debug else "0",
        "LOG_LEVEL": "WARNING" if debug else "ERROR",
        # Plain HTTP on loopback; static files as production serves them (collected, hashed:
        # without the manifest whitenoise rescans the static directories on every request).
        "SECURE_SSL_REDIRECT": "0",
        "STATIC_MANIFEST": "0" if debug else "1",
        "STATIC_ROOT": str(args.work_dir / "static"),
        "DATA_DIR": str(args.work_dir),
        "PYTHONPATH": str(REPO_ROOT),
    }
    return env


def django_setup(args: argparse.Namespace) -> None:
    os.environ.update(service_environment(args, debug=True))
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench._load_settings"
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    import django

    django.setup()


def bench_casework():
    """bench/casework.py as a module (its case generator and name pools)."""
    spec = importlib.util.spec_from_file_location("bench_casework", REPO_ROOT / "bench/casework.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_casework"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


def load_text() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


# --- Setup ---------------------------------------------------------------------------------------


@dataclass
class Person:
    user_id: int
    token: str
    session: str = ""


@dataclass
class Ngo:
    slug: str
    host: str
    schema: str
    agency_uuid: str
    supervisor: Person
    workers: dict[int, Person]
    me_officer: Person
    partners: list[str] = field(default_factory=list)
    cases: list[int] = field(default_factory=list)
    worker_cases: dict[int, list[int]] = field(default_factory=dict)
    open_cases: list[tuple[int, int]] = field(default_factory=list)  # (case, worker)
    consented: list[tuple[int, int]] = field(default_factory=list)
    followups: list[tuple[int, int, int]] = field(default_factory=list)  # (case, follow-up, worker)
    names: list[str] = field(default_factory=list)
    referrable: list[tuple[int, int, str]] = field(default_factory=list)  # (case, worker, to)
    seeded: list[tuple[int, int, int]] = field(default_factory=list)  # (case, child, worker)


def _person(user, *, session: bool = True) -> Person:
    from django.test import Client
    from rest_framework.authtoken.models import Token

    token = Token.objects.get_or_create(user=user)[0].key
    cookie = ""
    if session:
        client = Client()
        client.force_login(user)
        cookie = client.cookies["sessionid"].value
    return Person(user.pk, token, cookie)


def platform_prepare(args: argparse.Namespace) -> list:
    """Migrations, consortium, NGOs with staff, directory entries, keys and agreements."""
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import override_settings
    from django_tenants.utils import schema_context

    from casework import services
    from core import clock
    from network import services as network_services
    from network.referrals.keys import agency_key_ensure
    from tenants.services import consortium_create, host_for, ngo_provision

    started = time.perf_counter()
    call_command("migrate_schemas", interactive=False, verbosity=0)
    print(f"  migrate_schemas: {time.perf_counter() - started:.1f} s", flush=True)
    started = time.perf_counter()
    fast_hash = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    ngos = []
    agencies = []
    with override_settings(PASSWORD_HASHERS=fast_hash, MEDIA_ROOT=args.work_dir / "media"):
        consortium, _ = consortium_create(
            actor=None,
            slug=CONSORTIUM_SLUG,
            name="Bench load",
            coordinator_email="coordinator@bench-load.example.org",
            coordinator_password=PASSWORD,
        )
        coordinator = get_user_model().objects.get(username="coordinator@bench-load.example.org")
        for number in range(args.ngos):
            slug = f"bench-load-{number:03d}"
            result = ngo_provision(
                actor=None,
                consortium=consortium,
                slug=slug,
                name=f"Yayasan Beban {number:03d}",
                admin_email=f"admin@{slug}.example.org",
                admin_password=PASSWORD,
            )
            tenant = result.ngo
            agency = network_services.partner_agency_ensure(ngo=tenant)
            agency.service_types = ["counselling"]
            agency.save()
            agencies.append(agency)
            with schema_context(tenant.schema_name):
                agency_key_ensure(agency=agency)
                admin = get_user_model().objects.get(username=result.admin_username)

                def staff(username: str, role: str, admin=admin):
                    return services.staff_create(
                        actor=admin, username=username, password=PASSWORD, role=role
                    ).user

                supervisor = _person(staff("supervisor", "supervisor"))
                workers = {}
                for n in range(1, args.workers_per_ngo + 1):
                    person = _person(staff(f"worker{n:02d}", "case_worker"))
                    workers[person.user_id] = person
                me_officer = _person(staff("monev", "me_officer"))
            ngos.append(
                Ngo(
                    slug=slug,
                    host=host_for(slug),
                    schema=tenant.schema_name,
                    agency_uuid=str(agency.uuid),
                    supervisor=supervisor,
                    workers=workers,
                    me_officer=me_officer,
                )
            )
        connection.set_schema_to_public()
        print(
            f"  {args.ngos} NGOs provisioned with {args.workers_per_ngo + 2} staff each: "
            f"{time.perf_counter() - started:.1f} s",
            flush=True,
        )
        started = time.perf_counter()
        pairs = {(i, (i + step) % len(ngos)) for i in range(len(ngos)) for step in (1, 2)}
        pairs = {tuple(sorted(pair)) for pair in pairs if pair[0] != pair[1]}
        for first, second in sorted(pairs):
            agreement = network_services.agreement_create(
                actor=coordinator,
                consortium=consortium,
                first_agency_uuid=agencies[first].uuid,
                second_agency_uuid=agencies[second].uuid,
                service_types=["counselling"],
                shared_fields=["full_name", "age", "sex", "reason"],
                valid_from=clock.today(),
            )
            network_services.agreement_activate(
                actor=coordinator,
                agreement_uuid=agreement.uuid,
                mou=SimpleUploadedFile("mou.pdf", b"%PDF-1.4 bench"),
            )
            ngos[first].partners.append(str(agencies[second].uuid))
            ngos[second].partners.append(str(agencies[first].uuid))
    print(f"  {len(pairs)} agreements: {time.perf_counter() - started:.1f} s", flush=True)
    return ngos


def cases_load(args: argparse.Namespace, ngos: list[Ngo]) -> None:
    """Bulk-load the cases, consents for a pool of them, seeded referrals; then ANALYZE."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from casework.bulk import cases_bulk_load
    from casework.models import Case, Consent
    from network.bridge import outbox_sweep
    from network.referrals.services import referral_send

    generator = bench_casework()
    rng = random.Random(args.seed)
    pools = generator.name_pools(args.seed)
    users = get_user_model().objects
    generating = loading = 0.0
    started_all = time.perf_counter()
    for ngo in ngos:
        with schema_context(ngo.schema):
            workers = list(users.filter(pk__in=list(ngo.workers)))
            supervisor = users.get(pk=ngo.supervisor.user_id)
            for start in range(0, args.cases_per_ngo, 5000):
                size = min(5000, args.cases_per_ngo - start)
                started = time.perf_counter()
                rows = generator.generate(size, workers, pools, rng)
                generating += time.perf_counter() - started
                started = time.perf_counter()
                cases_bulk_load(actor=supervisor, rows=rows, reference_prefix="IMP")
                loading += time.perf_counter() - started
            # A consent to sharing for a pool of open cases: assessments and referrals need one.
            open_cases = list(
                Case.objects.exclude(status__in=["closed", "closure_requested"])
                .order_by("?")
                .values_list("id", "child_id", "assigned_worker_id")[:CONSENTED_PER_NGO]
            )
            Consent.objects.bulk_create(
                Consent(
                    child_id=child_id,
                    guardian_name="Wali",
                    guardian_relationship="ibu",
                    guardian_consented=True,
                    child_assented=True,
                    consented_on=timezone.localdate() - timedelta(days=30),
                    scope_referral_sharing=True,
                    recorded_by=supervisor,
                )
                for _, child_id, _ in open_cases
            )
            ngo.seeded = open_cases[:SEEDED_REFERRALS_PER_NGO]
            for case_id, _, worker_id in ngo.seeded:
                referral_send(
                    actor=users.get(pk=worker_id),
                    case_id=case_id,
                    to_agency_uuid=rng.choice(ngo.partners),
                    service_type="counselling",
                    reason="Perlu konseling (bench)",
                )
    connection.set_schema_to_public()
    started = time.perf_counter()
    delivered = outbox_sweep()
    sweep = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"  {len(ngos)} x {args.cases_per_ngo} cases bulk-loaded in {loading:.1f} s "
        f"({len(ngos) * args.cases_per_ngo / loading:,.0f} cases/s; row generation "
        f"{generating:.1f} s not counted); {delivered} seeded referrals delivered in "
        f"{sweep:.1f} s; ANALYZE {time.perf_counter() - started:.1f} s; step total "
        f"{time.perf_counter() - started_all:.1f} s",
        flush=True,
    )


def targets_collect(ngos: list[Ngo], seed: int) -> None:
    """What the client may ask for: case ids, open follow-ups, consented cases, names."""
    from django.db import connection
    from django_tenants.utils import schema_context

    from casework.models import Case, Child, Consent, FollowUp
    from casework.services import CONSENTED_STATUSES
    from network.referrals.models import Referral

    rng = random.Random(seed + 1)
    open_statuses = ["closed", "closure_requested"]
    for ngo in ngos:
        with schema_context(ngo.schema):
            rows = list(Case.objects.values_list("id", "assigned_worker_id", "status"))
            ngo.cases = [case_id for case_id, _, _ in rows]
            ngo.worker_cases = {}
            for case_id, worker_id, _ in rows:
                ngo.worker_cases.setdefault(worker_id, []).append(case_id)
            ngo.open_cases = [(c, w) for c, w, s in rows if s not in open_statuses]
            consented_children = Consent.objects.filter(scope_referral_sharing=True).values(
                "child_id"
            )
            ngo.consented = list(
                Case.objects.filter(
                    status__in=CONSENTED_STATUSES, child_id__in=consented_children
                ).values_list("id", "assigned_worker_id")
            )
            ngo.followups = list(
                FollowUp.objects.filter(completed_on__isnull=True)
                .exclude(case__status__in=open_statuses)
                .values_list("case_id", "id", "case__assigned_worker_id")
            )
            rng.shuffle(ngo.followups)
            ngo.names = list(Child.objects.order_by("?").values_list("full_name", flat=True)[:300])
            # One pending referral per case and receiver: skip what earlier runs (--reuse) and
            # the seeding sent.
            sent = {
                (case_id, str(to_agency))
                for case_id, to_agency in Referral.objects.filter(
                    direction=Referral.Direction.OUTGOING
                ).values_list("case_id", "to_agency_uuid")
            }
            ngo.referrable = [
                (case_id, worker, partner)
                for case_id, worker in ngo.consented
                for partner in ngo.partners
                if (case_id, partner) not in sent
            ]
            rng.shuffle(ngo.referrable)
    connection.set_schema_to_public()


# --- Requests -------------------------------------------------------------------------------


@dataclass
class Request:
    kind: str
    method: str
    path: str
    host: str
    headers: dict[str, str]
    body: bytes = b""
    expect: int = 200


def _auth(person: Person) -> dict[str, str]:
    return {"Authorization": f"Token {person.token}"}


def _json(payload: dict) -> bytes:
    import json

    return json.dumps(payload).encode()


class Planner:
    """Builds the next request of a given type: an NGO, a person allowed to do it, a target."""

    def __init__(self, ngos: list[Ngo], seed: int):
        self.ngos = ngos
        self.rng = random.Random(seed)
        self.today = time.strftime("%Y-%m-%d")

    def next(self, kind: str) -> Request:
        rng = self.rng
        ngo = rng.choice(self.ngos)
        worker_id = rng.choice(list(ngo.workers))
        worker = ngo.workers[worker_id]
        if kind == "case list":
            who = rng.random()
            person = ngo.supervisor if who < 0.5 else worker if who < 0.85 else ngo.me_officer
            query = rng.choice(LIST_FILTERS)
            if rng.random() < 0.15:
                query = f"worker={worker_id}"
            return Request(kind, "GET", f"/api/v1/cases/?{query}", ngo.host, _auth(person))
        if kind == "case detail":
            if rng.random() < 0.5:
                person, case_id = ngo.supervisor, rng.choice(ngo.cases)
            else:
                person, case_id = worker, rng.choice(ngo.worker_cases[worker_id])
            return Request(kind, "GET", f"/api/v1/cases/{case_id}/", ngo.host, _auth(person))
        if kind == "home page":
            who = rng.random()
            person = ngo.supervisor if who < 0.3 else worker if who < 0.9 else ngo.me_officer
            return Request(kind, "GET", "/", ngo.host, {"Cookie": f"sessionid={person.session}"})
        if kind == "child search":
            person = ngo.supervisor if rng.random() < 0.5 else worker
            name = rng.choice(ngo.names).split()[0]
            path = f"/api/v1/children/?search={quote_plus(name)}"
            return Request(kind, "GET", path, ngo.host, _auth(person))
        if kind == "inbox":
            return Request(
                kind, "GET", "/api/v1/referrals/incoming/", ngo.host, _auth(ngo.supervisor)
            )
        if kind == "note":
            case_id, owner = rng.choice(ngo.open_cases)
            body = _json({"body": "Kunjungan rumah: anak hadir di sekolah (bench)."})
            return self._post(kind, ngo, owner, f"/api/v1/cases/{case_id}/notes/", body)
        if kind == "follow-up done":
            case_id, followup_id, owner = ngo.followups.pop()
            path = f"/api/v1/cases/{case_id}/followups/{followup_id}/complete/"
            body = _json({"completed_on": self.today, "notes": "Selesai (bench)."})
            return self._post(kind, ngo, owner, path, body, expect=200)
        if kind == "assessment":
            case_id, owner = rng.choice(ngo.consented)
            body = _json(
                {
                    "assessed_on": self.today,
                    "works": True,
                    "sector": "pertanian",
                    "hours_per_week": "12",
                    "risk_level": "medium",
                    "score_education": 3,
                    "score_health": 3,
                    "score_psychosocial": 3,
                    "score_safety": 3,
                    "score_family_economy": 2,
                }
            )
            return self._post(kind, ngo, owner, f"/api/v1/cases/{case_id}/assessments/", body)
        if kind == "referral send":
            case_id, owner, partner = ngo.referrable.pop()
            body = _json(
                {
                    "case_id": case_id,
                    "to_agency": partner,
                    "service_type": "counselling",
                    "reason": "Perlu konseling (bench).",
                }
            )
            return self._post(kind, ngo, owner, "/api/v1/referrals/outgoing/", body)
        raise ValueError(kind)

    def _post(self, kind, ngo: Ngo, owner_id: int | None, path, body, expect=201) -> Request:
        person = ngo.workers.get(owner_id) if owner_id else None
        person = person or ngo.supervisor
        headers = {**_auth(person), "Content-Type": "application/json"}
        return Request(kind, "POST", path, ngo.host, headers, body, expect)


# --- The client -------------------------------------------------------------------------------


class Connection:
    """One keep-alive HTTP/1.1 connection to gunicorn."""

    def __init__(self, port: int):
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self, request: Request) -> tuple[int, bytes]:
        head = [
            f"{request.method} {request.path} HTTP/1.1",
            f"Host: {request.host}",
            "Accept-Encoding: gzip",
            "Accept-Language: id",
            *(f"{k}: {v}" for k, v in request.headers.items()),
            f"Content-Length: {len(request.body)}",
        ]
        data = ("\r\n".join(head) + "\r\n\r\n").encode() + request.body
        for attempt in (1, 2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            assert self.reader is not None
            self.writer.write(data)
            try:
                status_line = await self.reader.readline()
            except ConnectionError:
                status_line = b""
            if status_line:
                break
            # The server closed an idle keep-alive connection before reading: retry once.
            self.close()
            if attempt == 2:
                raise ConnectionError("no response")
        status = int(status_line.split()[1])
        length = 0
        close = False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection" and value.strip().lower() == "close":
                close = True
        body = await self.reader.readexactly(length) if length else b""
        if close:
            self.close()
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)


async def _user(port, planner: Planner, kinds, weights, deadline, tallies, seed) -> None:
    rng = random.Random(seed)
    connection = Connection(port)
    while time.monotonic() < deadline:
        kind = rng.choices(kinds, weights)[0]
        try:
            request = planner.next(kind)
        except IndexError:  # a pool of one-off targets ran dry
            continue
        tally = tallies.setdefault(kind, Tally())
        started = time.perf_counter()
        try:
            status, body = await connection.send(request)
        except (ConnectionError, asyncio.IncompleteReadError) as error:
            connection.close()
            status, body = 0, str(error).encode()
        tally.latencies_ms.append((time.perf_counter() - started) * 1000)
        if status != request.expect:
            tally.errors += 1
            if body[:2] == b"\x1f\x8b":
                body = gzip.decompress(body)
            if len(tally.error_samples) < 3:
                tally.error_samples.append(
                    f"{request.method} {request.path} -> {status} {body[:200]!r}"
                )
    connection.close()


def closed_loop(port: int, planner: Planner, mix: dict[str, int], users: int, seconds: float):
    """`users` virtual users, each sending one request after another for `seconds`."""
    kinds, weights = list(mix), list(mix.values())
    tallies: dict[str, Tally] = {}
    deadline = time.monotonic() + seconds

    async def run():
        await asyncio.gather(
            *(_user(port, planner, kinds, weights, deadline, tallies, n) for n in range(users))
        )

    started = time.perf_counter()
    asyncio.run(run())
    return tallies, time.perf_counter() - started


# --- Processes and CPU ---------------------------------------------------------------------------


def gunicorn_start(args: argparse.Namespace, floor_body: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        **service_environment(args, debug=False),
        "DJANGO_SETTINGS_MODULE": "bench._load_settings",
        "BENCH_FLOOR_BODY": str(floor_body),
    }
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "django", "collectstatic", "--noinput", "-v", "0"],
        cwd=REPO_ROOT,
        env=env,
        check=True,
    )
    print(f"collectstatic: {time.perf_counter() - started:.1f} s", flush=True)
    if args.profile:
        env["BENCH_PROFILE_DIR"] = str(args.work_dir / "profiles")
        (args.work_dir / "profiles").mkdir(exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "ngo_platform.wsgi:application",
        "--bind",
        f"127.0.0.1:{args.port}",
        "--worker-class",
        "gthread",
        "--workers",
        str(args.gunicorn_workers),
        "--threads",
        str(args.gunicorn_threads),
        "--keep-alive",
        "75",
        "--worker-tmp-dir",
        "/dev/shm",  # noqa: S108 - gunicorn's heartbeat files, as deploy/Dockerfile
        "--timeout",
        "60",
        "--no-control-socket",  # gunicorn 27's default socket path is shared by every instance
    ]
    if args.profile:
        command += ["--config", str(REPO_ROOT / "bench" / "_load_profile.py")]
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=env)
    deadline = time.monotonic() + 60
    import urllib.error
    import urllib.request

    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(
                f"http://127.0.0.1:{args.port}/healthz", headers={"Host": "localhost"}
            )
            with urllib.request.urlopen(request, timeout=2):  # noqa: S310 - loopback
                return process
        except urllib.error.HTTPError:
            return process  # it answers (503 while the Celery worker is not up yet)
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise SystemExit("gunicorn did not answer /healthz within 60 s")


def celery_start(args: argparse.Namespace) -> subprocess.Popen:
    env = {
        **os.environ,
        **service_environment(args, debug=False),
        "DJANGO_SETTINGS_MODULE": "ngo_platform.settings",
    }
    from ngo_platform.celery import app

    # The broker DB is the bench's own (--redis-url): tasks left there by an earlier run or by
    # a test suite pointed at the same DB name schemas this database does not have.
    purged = app.control.purge()
    if purged:
        print(f"celery: purged {purged} stale task(s) from the bench's broker DB", flush=True)
    command = [sys.executable, "-m", "celery", "-A", "ngo_platform", "worker", "-P", "solo"]
    command += ["--without-gossip", "--without-mingle", "-l", "warning"]
    return subprocess.Popen(command, cwd=REPO_ROOT, env=env)


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _tree_cpu(pid: int) -> dict[int, float]:
    import psutil

    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return {}
    seconds = {}
    for process in processes:
        try:
            times = process.cpu_times()
            seconds[process.pid] = times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return seconds


def _postgres_cpu(database: str) -> dict[int, float]:
    import psutil
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], dbname=database
    ) as conn:
        pids = [
            row[0]
            for row in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [database],
            )
        ]
    seconds = {}
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
            seconds[pid] = times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return seconds


class CpuMeter:
    """CPU seconds over a phase: gunicorn (master and workers), PostgreSQL backends of the
    scratch database, the Celery worker, this client, and the machine as a whole. Backends are
    sampled every half second during the phase: a connection that reaches CONN_MAX_AGE closes
    and its backend exits before the phase ends, and its CPU would be lost otherwise."""

    def __init__(self, gunicorn: int, celery: int | None, database: str):
        self.gunicorn, self.celery, self.database = gunicorn, celery, database
        self._seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _watch(self) -> None:
        while not self._stop.wait(0.5):
            self._seen.update(_postgres_cpu(self.database))

    def sample(self) -> dict:
        import psutil

        machine = psutil.cpu_times()
        self._seen.update(_postgres_cpu(self.database))
        return {
            "gunicorn": _tree_cpu(self.gunicorn),
            "celery": _tree_cpu(self.celery) if self.celery else {},
            "postgres": dict(self._seen),
            "client": time.process_time(),
            "machine_busy": machine.user
            + machine.system
            + machine.nice
            + machine.irq
            + machine.softirq,
        }

    def start(self) -> dict:
        self._seen = {}
        before = self.sample()
        self._stop.clear()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return before

    def finish(self, before: dict) -> dict[str, float]:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        return self.delta(before, self.sample())

    @staticmethod
    def delta(before: dict, after: dict) -> dict[str, float]:
        def tree(name):
            return sum(v - before[name].get(pid, 0.0) for pid, v in after[name].items())

        split = {name: tree(name) for name in ("gunicorn", "postgres", "celery")}
        split["client"] = after["client"] - before["client"]
        split["machine_busy"] = after["machine_busy"] - before["machine_busy"]
        split["other"] = split["machine_busy"] - sum(
            split[n] for n in ("gunicorn", "postgres", "celery", "client")
        )
        return split


# --- Yardsticks measured in this process -----------------------------------------------------


def database_floor(ngos: list[Ngo], seed: int) -> dict[str, dict]:
    """Each read type's SQL: 20 requests captured through django.test.Client, then replayed
    over one psycopg connection (a transaction per request, rolled back)."""
    import psycopg
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    planner = Planner(ngos, seed + 7)
    captured: dict[str, list[list[str]]] = {}
    for kind, (_, nature) in MIX.items():
        if nature != "read":
            continue
        for _ in range(20):
            request = planner.next(kind)
            client = Client()
            headers = {"HTTP_HOST": request.host}
            for name, value in request.headers.items():
                if name == "Cookie":
                    client.cookies["sessionid"] = value.split("=", 1)[1]
                else:
                    headers["HTTP_" + name.upper().replace("-", "_")] = value
            reset_queries()
            with CaptureQueriesContext(connection) as queries:
                response = client.get(request.path, **headers)
            if response.status_code != 200:
                raise SystemExit(f"{kind}: {request.path} -> {response.status_code}")
            captured.setdefault(kind, []).append([q["sql"] for q in queries.captured_queries])
    connection.set_schema_to_public()
    db = connection.settings_dict
    figures = {}
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], dbname=db["NAME"]
    ) as raw:
        for kind, requests in captured.items():
            timings = []
            for _ in range(3):
                for statements in requests:
                    started = time.perf_counter()
                    with raw.transaction(force_rollback=True), raw.cursor() as cursor:
                        for sql in statements:
                            cursor.execute(sql.encode())
                    timings.append((time.perf_counter() - started) * 1000)
            counts = [len(statements) for statements in requests]
            sets = [sum(s.startswith("SET search_path") for s in st) for st in requests]
            figures[kind] = {
                "sql_p50_ms": statistics.median(timings),
                "sql_p95_ms": percentile(timings, 0.95),
                "queries": f"{min(counts)}-{max(counts)}"
                if min(counts) != max(counts)
                else str(counts[0]),
                "set_search_path": f"{min(sets)}-{max(sets)}"
                if min(sets) != max(sets)
                else str(sets[0]),
            }
    return figures


# --- Report --------------------------------------------------------------------------------------


def tallies_print(title: str, tallies: dict[str, Tally], seconds: float) -> dict[str, float]:
    total = sum(len(t.latencies_ms) for t in tallies.values())
    everything = [ms for t in tallies.values() for ms in t.latencies_ms]
    errors = sum(t.errors for t in tallies.values())
    print(f"{title}: {total} requests in {seconds:.1f} s")
    print(
        f"  {'request':<16} {'req/s':>7} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7} "
        f"{'errors':>6}   (ms)"
    )
    for kind in [k for k in MIX if k in tallies] + [k for k in tallies if k not in MIX]:
        tally = tallies[kind]
        if not tally.latencies_ms:
            continue
        values = tally.latencies_ms
        print(
            f"  {kind:<16} {len(values) / seconds:7.1f} {percentile(values, 0.5):7.1f} "
            f"{percentile(values, 0.95):7.1f} {percentile(values, 0.99):7.1f} "
            f"{max(values):7.1f} {tally.errors:6d}"
        )
    figures = {
        "rps": total / seconds,
        "p50": percentile(everything, 0.5),
        "p95": percentile(everything, 0.95),
        "p99": percentile(everything, 0.99),
        "errors": errors,
    }
    print(
        f"  {'all':<16} {figures['rps']:7.1f} {figures['p50']:7.1f} {figures['p95']:7.1f} "
        f"{figures['p99']:7.1f} {max(everything):7.1f} {errors:6d}"
    )
    for kind, tally in tallies.items():
        for sample in tally.error_samples:
            print(f"  error sample [{kind}]: {sample}")
    return figures


def cpu_print(split: dict[str, float], seconds: float, requests: int) -> None:
    ours = sum(split[n] for n in ("gunicorn", "postgres", "celery", "client"))
    print(
        "  CPU seconds (share of the 2 cores' time): "
        + ", ".join(
            f"{name} {split[name]:.1f} ({split[name] / (seconds * (os.cpu_count() or 1)):.0%})"
            for name in ("gunicorn", "postgres", "celery", "client", "other")
        )
    )
    if requests:
        print(
            f"  per request: gunicorn {split['gunicorn'] / requests * 1000:.2f} ms, "
            f"PostgreSQL {split['postgres'] / requests * 1000:.2f} ms, "
            f"client {split['client'] / requests * 1000:.2f} ms CPU; "
            f"ours {ours:.1f} s of the machine's busy {split['machine_busy']:.1f} s"
        )


# --- Main ------------------------------------------------------------------------------------


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--ngos", type=int, default=20)
    parser.add_argument("--cases-per-ngo", type=int, default=10_000)
    parser.add_argument("--workers-per-ngo", type=int, default=8)
    parser.add_argument("--duration", type=float, default=60.0, help="mixed load, seconds")
    parser.add_argument("--yardstick-duration", type=float, default=15.0)
    parser.add_argument("--concurrency", type=int, default=16, help="virtual users")
    parser.add_argument("--gunicorn-workers", type=int, default=3)
    parser.add_argument("--gunicorn-threads", type=int, default=2)
    parser.add_argument("--port", type=int, default=8711)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--profile", action="store_true", help="cProfile the gunicorn workers")
    parser.add_argument(
        "--cost-seconds", type=float, default=4.0, help="per-type CPU phase (0: skip)"
    )
    parser.add_argument("--celery", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    parser.add_argument("--reuse", action="store_true", help="reuse a kept database")
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_LOAD_DATABASE_URL") or DEFAULT_DATABASE_URL
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_LOAD_REDIS_URL") or DEFAULT_REDIS_URL
    )
    args = parser.parse_args()
    database_name(args.database_url)
    args.work_dir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    return args


def main() -> int:
    args = arguments()
    if not args.reuse:
        database_recreate(args.database_url)
    django_setup(args)
    try:
        return run(args)
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            database_recreate(args.database_url, create=False)
            print(f"database: dropped {database_name(args.database_url)}")


def state_save(path: Path, ngos: list[Ngo]) -> None:
    import json
    from dataclasses import asdict

    path.write_text(json.dumps([asdict(ngo) for ngo in ngos]))


def state_load(path: Path) -> list[Ngo]:
    import json

    ngos = []
    for raw in json.loads(path.read_text()):
        ngo = Ngo(**raw)
        ngo.supervisor = Person(**raw["supervisor"])
        ngo.me_officer = Person(**raw["me_officer"])
        ngo.workers = {int(k): Person(**v) for k, v in raw["workers"].items()}
        ngos.append(ngo)
    return ngos


def run(args: argparse.Namespace) -> int:
    import django
    from django.conf import settings
    from django.db import connection, connections

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    print(
        f"machine: {os.cpu_count()} CPUs, load {load_text()}; Django {django.get_version()}, "
        f"PostgreSQL {server}; TENANT_LIMIT_SET_CALLS={settings.TENANT_LIMIT_SET_CALLS}, "
        f"CONN_MAX_AGE={settings.DATABASES['default']['CONN_MAX_AGE']}, "
        f"pool={bool(settings.DATABASES['default'].get('OPTIONS', {}).get('pool'))}"
    )
    state = Path(tempfile.gettempdir()) / f"{database_name(args.database_url)}.json"
    started = time.perf_counter()
    if args.reuse and state.exists():
        ngos = state_load(state)
        print(f"setup: reusing {len(ngos)} NGOs of {database_name(args.database_url)}")
    else:
        print(f"setup: {args.ngos} NGOs x {args.cases_per_ngo} cases")
        ngos = platform_prepare(args)
        cases_load(args, ngos)
        state_save(state, ngos)
        print(f"setup: {time.perf_counter() - started:.1f} s in all")
    targets_collect(ngos, args.seed)

    # The floor's body: the bytes of a real page of 50 rows (a supervisor's unfiltered list).
    from django.test import Client

    ngo = ngos[0]
    response = Client().get(
        "/api/v1/cases/", HTTP_HOST=ngo.host, HTTP_AUTHORIZATION=f"Token {ngo.supervisor.token}"
    )
    floor_body = args.work_dir / "floor.json"
    floor_body.write_bytes(response.content)
    connection.set_schema_to_public()
    print(f"floor body: {len(response.content)} bytes (a page of 50 list rows)")

    print("database floor (SQL of 20 requests of each read type, replayed; ms per request):")
    db_floor = database_floor(ngos, args.seed)
    for kind, figures in db_floor.items():
        print(
            f"  {kind:<16} sql p50 {figures['sql_p50_ms']:6.2f}  p95 {figures['sql_p95_ms']:6.2f}"
            f"  queries {figures['queries']:>5} (SET search_path {figures['set_search_path']})"
        )
    connections.close_all()

    gunicorn = gunicorn_start(args, floor_body)
    celery = None
    if args.celery:
        from network.referrals.delivery import delivery_task_release

        celery = celery_start(args)
        for ngo in ngos:  # the purged tasks' "one is queued" flags: the next send queues one
            delivery_task_release(ngo.schema)
    try:
        meter = CpuMeter(
            gunicorn.pid, celery.pid if celery else None, database_name(args.database_url)
        )
        planner = Planner(ngos, args.seed + 3)
        # Warm up: every worker thread opens its connection and fills its caches.
        closed_loop(args.port, planner, {kind: w for kind, (w, _) in MIX.items()}, 8, 5)
        phases = [
            ("mixed", {kind: w for kind, (w, _) in MIX.items()}, args.duration),
            ("framework floor", {"floor": 1}, args.yardstick_duration),
            ("case list alone", {"case list": 1}, args.yardstick_duration),
        ]
        results = {}
        costs = {}
        if args.cost_seconds > 0:
            # CPU per request of each type alone (CPU time is far less disturbed by the other
            # work on the machine than latency is): what each change moved.
            print(f"\nCPU per request, each type alone ({args.cost_seconds:g} s, 4 users):")
            for kind in [*MIX, "floor"]:
                before = meter.start()
                tallies, elapsed = closed_loop(
                    args.port, _FloorAware(planner), {kind: 1}, 4, args.cost_seconds
                )
                split = meter.finish(before)
                done = sum(len(t.latencies_ms) for t in tallies.values())
                errors = sum(t.errors for t in tallies.values())
                costs[kind] = (split["gunicorn"] / done * 1000, split["postgres"] / done * 1000)
                print(
                    f"  {kind:<16} gunicorn {costs[kind][0]:6.2f} ms  PostgreSQL "
                    f"{costs[kind][1]:5.2f} ms  ({done} requests, {errors} errors, "
                    f"load {load_text()})",
                    flush=True,
                )
            weights = {kind: w for kind, (w, _) in MIX.items()}
            mixed_cost = sum((costs[k][0] + costs[k][1]) * w for k, w in weights.items()) / sum(
                weights.values()
            )
            print(
                f"  the mix's weighted cost: {mixed_cost:.2f} ms CPU per request (gunicorn + "
                f"PostgreSQL), i.e. at most {2000 / mixed_cost:.0f} req/s on 2 idle cores"
            )
        for name, mix, seconds in phases:
            load_before = load_text()
            before = meter.start()
            tallies, elapsed = closed_loop(
                args.port, _FloorAware(planner), mix, args.concurrency, seconds
            )
            split = meter.finish(before)
            print(f"\n[{name}] load before {load_before}, after {load_text()}")
            figures = tallies_print(f"{name} ({args.concurrency} users)", tallies, elapsed)
            cpu_print(split, elapsed, sum(len(t.latencies_ms) for t in tallies.values()))
            results[name] = (figures, tallies, split)
    finally:
        stop(gunicorn)
        stop(celery)
    if args.profile:
        profiles_print(args.work_dir / "profiles")

    mixed = results["mixed"][0]
    floor = results["framework floor"][0]
    listing = results["case list alone"][0]
    print("\n=== summary ===")
    print(
        f"config: gunicorn {args.gunicorn_workers} workers x {args.gunicorn_threads} threads "
        f"(gthread), {args.concurrency} users, {args.ngos} NGOs x {args.cases_per_ngo} cases"
    )
    print(
        f"mixed_rps={mixed['rps']:.1f} mixed_p50_ms={mixed['p50']:.1f} mixed_p95_ms="
        f"{mixed['p95']:.1f} mixed_p99_ms={mixed['p99']:.1f} mixed_errors={mixed['errors']}"
    )
    print(
        f"floor_rps={floor['rps']:.1f} floor_p50_ms={floor['p50']:.1f} "
        f"floor_p95_ms={floor['p95']:.1f}"
    )
    print(
        f"list_rps={listing['rps']:.1f} list_p50_ms={listing['p50']:.1f} "
        f"list_p95_ms={listing['p95']:.1f}"
    )
    ratio = floor["rps"] / listing["rps"]
    met = mixed["rps"] >= TARGET_RPS and mixed["p95"] <= TARGET_P95_MS and mixed["errors"] == 0
    print(
        f"mixed >= {TARGET_RPS:.0f} req/s at p95 <= {TARGET_P95_MS:.0f} ms, 0 errors: "
        f"{'MET' if met else 'NOT MET'} ({mixed['rps']:.1f} req/s, p95 {mixed['p95']:.1f} ms, "
        f"{mixed['errors']} errors)"
    )
    print(
        f"case list <= 2x the framework floor (cost per request = floor rps / list rps at the "
        f"same concurrency): {'MET' if ratio <= 2 else 'NOT MET'} ({ratio:.2f}x; p50 "
        f"{listing['p50']:.1f} vs {floor['p50']:.1f} ms)"
    )
    detail_queries = db_floor["case detail"]["queries"]
    print(f"case detail queries (with its audit write) <= 8: {detail_queries}")
    print(f"load average at the end: {load_text()}")
    return 0


class _FloorAware:
    """The planner, plus the floor request (same NGO host and token as a supervisor's list)."""

    def __init__(self, planner: Planner):
        self.planner = planner

    def next(self, kind: str) -> Request:
        if kind != "floor":
            return self.planner.next(kind)
        ngo = self.planner.rng.choice(self.planner.ngos)
        return Request(kind, "GET", "/bench/floor/", ngo.host, _auth(ngo.supervisor))


def profiles_print(directory: Path) -> None:
    import pstats

    files = sorted(directory.glob("*.prof"))
    if not files:
        print("profile: no files written")
        return
    stats = pstats.Stats(*map(str, files))
    print(f"\n=== cProfile of the gunicorn workers ({len(files)} files), by cumulative time ===")
    stats.sort_stats("cumulative").print_stats(45)
    print("=== by own time ===")
    stats.sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    sys.exit(main())
