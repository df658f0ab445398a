"""Benchmark referral delivery: N referrals between M partner NGOs through one real worker.

What it does, in a scratch database of its own (never the development database):

1. Drops and recreates the database (default `terpadu_bench_ref`), runs `migrate_schemas`,
   provisions one consortium and `--ngos` NGOs (default 10), each with its directory entry,
   key pair, a case worker and consented children; one both-ways agreement between every pair of
   NGOs for counselling (sharing full name, age, sex and reason).
2. Starts one Celery worker (`-P solo`, its own queue) on the configured Redis.
3. Run "on-commit": sends `--referrals` referrals (default 1,000) from random NGOs to random
   others through `network.referrals.services.referral_send`, from `--senders` processes at
   once (default 2, one a core: the staff of several NGOs at work; 1 sends from this
   process), each
   queuing its delivery task on commit, and waits until every receiver's inbox has them all.
4. Run "sweep only": the same number again with the on-commit enqueue switched off (as when
   Redis is down), then the beat sweep task is sent to the worker every `--sweep-period` seconds
   (default 60, beat's period) until all are delivered.
5. For each run prints: send-to-inbox latency p50/p95/max (from the sender's `sent_at` to the
   receiver's inbox row `created_at`, both written by PostgreSQL clients on this machine),
   deliveries per second end to end (referrals over the time from the first send to the last
   inbox row; never more than the senders' pace, printed beside it) and the worker's own pace
   (first to last inbox row), and a summary block against the targets: p95 <= 2 s (on-commit)
   and >= 50 deliveries/s, end to end (on-commit) and for the worker with a backlog
   (sweep-only).
6. Drops the scratch database at the end (`--no-drop` keeps it).

Repeat (PostgreSQL and Redis reachable as in the defaults):

    .venv/bin/python bench/referrals.py --ngos 10 --referrals 1000

Before the two runs it prints the load-independent costs: statements per send and per delivery
(and how many are `SET search_path`) and CPU milliseconds per send and per delivery, measured in
process on `--cost-referrals` referrals (`--profile` adds a cProfile of each). The summary
repeats them with the load average at the start and the end: the machine may be shared.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/terpadu_bench_ref"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/10"
P95_TARGET_S = 2.0
RATE_TARGET = 50.0


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


def prepare(ngo_count: int, children_per_ngo: int):
    """NGOs with agencies, keys, a worker and consented children; agreements between all."""
    from itertools import combinations

    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import override_settings
    from django_tenants.utils import schema_context

    from casework import services as casework_services
    from casework.models import StaffProfile
    from core import clock
    from network import services as network_services
    from network.referrals.keys import agency_key_ensure
    from tenants.services import consortium_create, ngo_provision

    started = time.perf_counter()
    call_command("migrate_schemas", interactive=False, verbosity=0)
    fast_hash = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with override_settings(PASSWORD_HASHERS=fast_hash, MEDIA_ROOT=REPO_ROOT / ".data" / "bench"):
        consortium, _ = consortium_create(
            actor=None,
            slug="bench-ref",
            name="Bench referrals",
            coordinator_email="coordinator@bench-ref.example.org",
            coordinator_password="Bench-Referrals-2026!",
        )
        coordinator = get_user_model().objects.get(username="coordinator@bench-ref.example.org")
        ngos = []
        for number in range(ngo_count):
            ngo = ngo_provision(
                actor=None,
                consortium=consortium,
                slug=f"bench-ref-{number:02d}",
                name=f"Yayasan {number:02d}",
                admin_email=f"admin{number}@bench-ref.example.org",
                admin_password="Bench-Referrals-2026!",
            ).ngo
            agency = network_services.partner_agency_ensure(ngo=ngo)
            agency.service_types = ["counselling"]
            agency.save()
            with schema_context(ngo.schema_name):
                agency_key_ensure(agency=agency)
                worker = get_user_model().objects.create_user(username="worker", password="x")
                StaffProfile.objects.create(user=worker, role=StaffProfile.Role.CASE_WORKER)
                case_ids = [
                    casework_services.child_register(
                        actor=worker,
                        child=casework_services.ChildInput(
                            full_name=f"Anak {number}-{child}",
                            sex=random.choice(["female", "male"]),
                            school_status="dropped_out",
                            birth_year=clock.today().year - random.randint(8, 16),
                            birth_year_estimated=True,
                        ),
                        household=casework_services.HouseholdInput(
                            guardian_name="Wali", guardian_relationship="mother"
                        ),
                        consent=casework_services.ConsentInput(
                            guardian_name="Wali",
                            guardian_relationship="mother",
                            guardian_consented=True,
                            child_assented=True,
                            consented_on=clock.today(),
                            scope_referral_sharing=True,
                        ),
                    ).pk
                    for child in range(children_per_ngo)
                ]
            ngos.append({"ngo": ngo, "agency": agency, "worker": worker, "cases": case_ids})
        connection.set_schema_to_public()
        for first, second in combinations(ngos, 2):
            agreement = network_services.agreement_create(
                actor=coordinator,
                consortium=consortium,
                first_agency_uuid=first["agency"].uuid,
                second_agency_uuid=second["agency"].uuid,
                service_types=["counselling"],
                shared_fields=["full_name", "age", "sex", "reason"],
                valid_from=clock.today(),
            )
            network_services.agreement_activate(
                actor=coordinator,
                agreement_uuid=agreement.uuid,
                mou=SimpleUploadedFile("mou.pdf", b"%PDF-1.4 bench"),
            )
    print(f"prepared {ngo_count} NGOs in {time.perf_counter() - started:.1f} s")
    return ngos


def worker_start(
    queue: str, database_url: str, redis_url: str, concurrency: int = 1
) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "ngo_platform.settings",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "ngo_platform",
            "worker",
            *(["-P", "solo"] if concurrency <= 1 else ["-P", "prefork", "-c", str(concurrency)]),
            "-Q",
            queue,
            "-n",
            f"{queue}@localhost",
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
        if app.control.ping(destination=[f"{queue}@localhost"], timeout=0.5):
            return process
    raise SystemExit("the worker did not start within 60 s")


def plan(ngos, count: int, rng: random.Random) -> list[tuple[str, int, str]]:
    """`count` referrals as (sender schema, case id, receiver agency uuid): random pairs of
    NGOs; each case of a sender is referred once over the whole benchmark."""
    planned = []
    for _ in range(count):
        sender, receiver = rng.sample(ngos, 2)
        case_id = sender["cases"][sender.setdefault("next", 0)]
        sender["next"] += 1
        planned.append((sender["ngo"].schema_name, case_id, str(receiver["agency"].uuid)))
    return planned


def send_planned(planned) -> list[tuple[str, str, str]]:
    """Send the planned referrals in this process: [(referral uuid, sent_at ISO, receiver
    schema)]. Each NGO's case worker sends its NGO's referrals."""
    from django.contrib.auth import get_user_model
    from django_tenants.utils import schema_context

    from network.models import Agency
    from network.referrals.services import referral_send

    receivers = dict(
        Agency.objects.filter(ngo__isnull=False).values_list("uuid", "ngo__schema_name")
    )
    workers: dict[str, object] = {}
    sent = []
    for schema, case_id, to_agency in planned:
        with schema_context(schema):
            if schema not in workers:
                workers[schema] = get_user_model().objects.get(username="worker")
            try:
                referral = referral_send(
                    actor=workers[schema],
                    case_id=case_id,
                    to_agency_uuid=to_agency,
                    service_type="counselling",
                    reason="Konseling lanjutan",
                )
            except Exception:
                print(f"send failed from {schema} case {case_id}", file=sys.stderr)
                raise
        sent.append(
            (str(referral.uuid), referral.sent_at.isoformat(), receivers[uuid.UUID(to_agency)])
        )
    return sent


def send_all(ngos, count: int, rng: random.Random, senders: int = 1, quiet: bool = False) -> list:
    """Send `count` referrals from `senders` processes at once (as the staff of several NGOs
    sending at the same moment; 1: from this process). [(uuid, sent_at, receiver schema)]."""
    import json
    from datetime import datetime

    planned = plan(ngos, count, rng)
    if senders <= 1:
        rows = send_planned(planned)
    else:
        env = {**os.environ, "BENCH_REF_SENDER": "1"}
        if quiet:
            env["BENCH_REF_NO_ENQUEUE"] = "1"
        processes = []
        for index in range(senders):
            process = subprocess.Popen(
                [sys.executable, __file__, "--send-stdin"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                cwd=REPO_ROOT,
                env=env,
                text=True,
            )
            process.stdin.write(json.dumps(planned[index::senders]))
            process.stdin.close()
            processes.append(process)
        rows = []
        for process in processes:
            output = process.stdout.read()
            if process.wait() != 0:
                raise SystemExit("a sender process failed")
            rows += json.loads(output)
    return [
        (uuid.UUID(referral_uuid), datetime.fromisoformat(sent_at), schema)
        for referral_uuid, sent_at, schema in rows
    ]


def sender_main() -> None:
    """A sender process (--send-stdin): the planned referrals as JSON on stdin, the sent ones
    as JSON on stdout. Started with the parent's DATABASE_URL and REDIS_URL."""
    import json

    django_setup(os.environ["DATABASE_URL"], os.environ["REDIS_URL"])
    from ngo_platform.celery import app

    app.conf.task_default_queue = os.environ["BENCH_REF_QUEUE"]
    if os.environ.get("BENCH_REF_NO_ENQUEUE"):
        import network.referrals.services as referral_services

        referral_services._schedule_delivery = lambda message: None  # as if Redis were down
    planned = json.loads(sys.stdin.read())
    sys.stdout.write(json.dumps(send_planned(planned)))


def cost(ngos, count: int, rng: random.Random, profile: bool) -> dict:
    """Load-independent figures: statements per send and per delivery (and how many of them
    are django-tenants' `SET search_path`), CPU milliseconds of this process per send and per
    delivery, with delivery run in process by the sweep (`outbox_sweep`)."""
    import cProfile
    import pstats

    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    import network.referrals.services as referral_services
    from network.bridge import outbox_sweep

    saved = referral_services._schedule_delivery
    referral_services._schedule_delivery = lambda message: None
    figures = {}
    try:
        for name, run in (
            ("send", lambda: send_all(ngos, count, rng)),
            ("delivery", outbox_sweep),
        ):
            profiler = cProfile.Profile(time.process_time) if profile else None
            reset_queries()
            with CaptureQueriesContext(connection) as queries:
                cpu = time.process_time()
                if profiler:
                    profiler.enable()
                result = run()
                if profiler:
                    profiler.disable()
                cpu = time.process_time() - cpu
            done = len(result) if name == "send" else result
            statements = [query["sql"] for query in queries.captured_queries]
            sets = sum(1 for sql in statements if sql.startswith("SET search_path"))
            figures[name] = {
                "count": done,
                "statements": len(statements) / done,
                "set_search_path": sets / done,
                "cpu_ms": 1000 * cpu / done,
            }
            print(
                f"per {name:<8} {len(statements) / done:5.1f} statements "
                f"({sets / done:.1f} of them SET search_path)  "
                f"{1000 * cpu / done:5.1f} ms CPU of this process  (n={done})"
            )
            if profiler:
                pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
    finally:
        referral_services._schedule_delivery = saved
    return figures


def _children_cpu() -> float:
    """CPU seconds of this process's finished children (the sender processes)."""
    times = os.times()
    return times.children_user + times.children_system


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds so far of a process and its direct children (a prefork
    worker's pool processes; Linux /proc)."""

    def of(stat: str) -> float:
        fields = stat.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    total = of(Path(f"/proc/{pid}/stat").read_text())
    for path in Path("/proc").glob("[0-9]*/stat"):
        try:
            stat = path.read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            total += of(stat)
    return total


def arrivals(sent) -> dict:
    """{referral uuid: inbox created_at} of the sent referrals that reached their inbox."""
    from django_tenants.utils import schema_context

    from network.referrals.models import Referral

    by_schema: dict[str, list] = {}
    for referral_uuid, _sent_at, schema in sent:
        by_schema.setdefault(schema, []).append(referral_uuid)
    found = {}
    for schema, uuids in by_schema.items():
        with schema_context(schema):
            found.update(
                Referral.objects.filter(uuid__in=uuids, direction="incoming").values_list(
                    "uuid", "created_at"
                )
            )
    return found


def report(name: str, sent, found, started: float) -> dict:
    latencies = [(found[u] - sent_at).total_seconds() for u, sent_at, _ in sent if u in found]
    first_send = min(sent_at for _, sent_at, _ in sent)
    last_arrival = max(found.values())
    span = (last_arrival - first_send).total_seconds()
    # The worker's own pace: deliveries over the time from the first to the last inbox row
    # (the end-to-end rate above also contains the sender's pace).
    first_arrival = min(found.values())
    drain = (last_arrival - first_arrival).total_seconds()
    figures = {
        "referrals": len(sent),
        "delivered": len(found),
        "p50_s": percentile(latencies, 0.5),
        "p95_s": percentile(latencies, 0.95),
        "max_s": max(latencies),
        "per_second": len(found) / span if span else float("inf"),
        "worker_per_second": (len(found) - 1) / drain if drain else float("inf"),
        "send_per_second": len(sent)
        / max((max(s for _, s, _ in sent) - first_send).total_seconds(), 1e-9),
        "wall_s": time.perf_counter() - started,
    }
    print(
        f"{name:<10} delivered {figures['delivered']}/{figures['referrals']}  "
        f"send-to-inbox p50 {figures['p50_s']:.3f} s  p95 {figures['p95_s']:.3f} s  "
        f"max {figures['max_s']:.3f} s  {figures['per_second']:.1f} deliveries/s end to end  "
        f"(sends {figures['send_per_second']:.1f}/s, worker {figures['worker_per_second']:.1f} "
        f"deliveries/s first to last inbox row; wall {figures['wall_s']:.1f} s)"
    )
    return figures


def wait_all(sent, timeout: float, tick=None) -> dict:
    deadline = time.monotonic() + timeout
    found = {}
    while time.monotonic() < deadline:
        if tick:
            tick()
        found = arrivals(sent)
        if len(found) == len(sent):
            break
        time.sleep(0.5)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ngos", type=int, default=10)
    parser.add_argument("--referrals", type=int, default=1000)
    parser.add_argument("--sweep-period", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_REF_DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REF_REDIS_URL", DEFAULT_REDIS_URL)
    )
    parser.add_argument("--cost-referrals", type=int, default=100)
    parser.add_argument("--profile", action="store_true", help="cProfile the send and delivery")
    parser.add_argument("--no-drop", action="store_true")
    parser.add_argument(
        "--senders",
        type=int,
        default=2,
        help="processes sending at once (the staff of several NGOs); 1 sends from this process",
    )
    parser.add_argument(
        "--worker-concurrency",
        type=int,
        default=1,
        help="the worker's processes: 1 runs it with -P solo, more with -P prefork -c N",
    )
    parser.add_argument("--send-stdin", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.send_stdin:
        sender_main()
        return
    rng = random.Random(options.seed)
    random.seed(options.seed)
    database_recreate(options.database_url)
    django_setup(options.database_url, options.redis_url)
    # Each case is referred once over both runs; senders are drawn at random, so leave room.
    total = 2 * options.referrals + options.cost_referrals
    per_ngo = math.ceil(total / options.ngos * 1.3) + 10
    load_start = os.getloadavg()
    ngos = prepare(options.ngos, per_ngo)
    costs = cost(ngos, options.cost_referrals, rng, options.profile)
    from ngo_platform.celery import app

    queue = f"bench-{uuid.uuid4().hex[:6]}"
    worker = worker_start(
        queue, options.database_url, options.redis_url, concurrency=options.worker_concurrency
    )
    app.conf.task_default_queue = queue
    os.environ["BENCH_REF_QUEUE"] = queue
    try:
        started = time.perf_counter()
        worker_cpu = cpu_seconds(worker.pid)
        sender_cpu = time.process_time() + _children_cpu()
        sent = send_all(ngos, options.referrals, rng, senders=options.senders)
        sender_cpu = time.process_time() + _children_cpu() - sender_cpu
        found = wait_all(sent, timeout=600)
        worker_cpu = cpu_seconds(worker.pid) - worker_cpu
        on_commit = report("on-commit", sent, found, started)
        print(
            f"on-commit  sender {1000 * sender_cpu / len(sent):.1f} ms CPU per send, worker "
            f"{1000 * worker_cpu / len(sent):.1f} ms CPU per delivery (with its polling)"
        )

        import network.referrals.services as referral_services

        referral_services._schedule_delivery = lambda message: None  # as if Redis were down
        started = time.perf_counter()
        sent = send_all(ngos, options.referrals, rng, senders=options.senders, quiet=True)
        last_sweep = [0.0]

        def beat() -> None:
            if time.monotonic() - last_sweep[0] >= options.sweep_period:
                last_sweep[0] = time.monotonic()
                app.send_task(
                    "network.tasks.referral_outbox_sweep", queue=queue, ignore_result=True
                )

        found = wait_all(sent, timeout=600 + options.sweep_period, tick=beat)
        sweep = report("sweep-only", sent, found, started)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    load_end = os.getloadavg()
    print("\n# summary")
    print(
        f"ngos={options.ngos} referrals={options.referrals} senders={options.senders} "
        f"worker_concurrency={options.worker_concurrency} cpu_count={os.cpu_count()}"
    )
    print(
        "load_average_1_5_15_start={:.2f},{:.2f},{:.2f} end={:.2f},{:.2f},{:.2f}".format(
            *load_start, *load_end
        )
    )
    for name in ("send", "delivery"):
        print(
            f"statements_per_{name}={costs[name]['statements']:.1f} "
            f"set_search_path_per_{name}={costs[name]['set_search_path']:.1f} "
            f"cpu_ms_per_{name}={costs[name]['cpu_ms']:.1f}"
        )
    print(
        f"on_commit_p95_s={on_commit['p95_s']:.3f} target<={P95_TARGET_S} "
        f"met={on_commit['p95_s'] <= P95_TARGET_S}"
    )
    # Deliveries per second, two ways: end to end (referrals over first send to last inbox
    # row: never more than the senders' pace, printed beside it), and the worker's own pace
    # when it has a backlog (the sweep-only run: first to last inbox row).
    print(
        f"on_commit_deliveries_per_s={on_commit['per_second']:.1f} "
        f"senders={options.senders} sends_per_s={on_commit['send_per_second']:.1f} "
        f"target>={RATE_TARGET} met={on_commit['per_second'] >= RATE_TARGET}"
    )
    print(
        f"worker_deliveries_per_s_with_backlog={sweep['worker_per_second']:.1f} "
        f"target>={RATE_TARGET} met={sweep['worker_per_second'] >= RATE_TARGET}"
    )
    print(
        f"sweep_only_p95_s={sweep['p95_s']:.3f} sweep_period_s={options.sweep_period:g} "
        f"deliveries_per_s={sweep['per_second']:.1f}"
    )
    if not options.no_drop:
        from django.db import connections

        connections.close_all()
        database_recreate(options.database_url, create=False)


if __name__ == "__main__":
    main()
