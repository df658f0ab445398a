"""Referral delivery against real failures: Redis down, a worker killed mid-delivery, the same
delivery twice at once, a crash between commit and enqueue (real PostgreSQL, Redis, worker)."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.test import override_settings
from django_tenants.utils import schema_context

from core import clock
from network import services as network_services
from network.models import Agency, ReferralAgreement, ReferralEnvelope
from tests.worker import REPO, celery_worker, database_url_of_test_db

pytestmark = pytest.mark.timeout(300)


@dataclass
class Pair:
    sender: object  # NGO
    receiver: object
    worker: object  # a case worker of the sender
    case_ids: list


def _wait_for(predicate, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def pair(committed_db, consortium):
    """Two fresh partner NGOs with keys, an active agreement and consented children of the
    sender (committed; the NGOs' schemas and the network rows are removed afterwards)."""
    from django.contrib.auth import get_user_model

    from casework import services as casework_services
    from casework.models import StaffProfile
    from network.referrals.keys import agency_key_ensure
    from tenants.services import ngo_provision

    suffix = uuid.uuid4().hex[:6]
    sender = ngo_provision(
        actor=None,
        consortium=consortium,
        slug=f"kirim-{suffix}",
        name="Kirim",
        admin_email="a@example.org",
    ).ngo
    receiver = ngo_provision(
        actor=None,
        consortium=consortium,
        slug=f"terima-{suffix}",
        name="Terima",
        admin_email="b@example.org",
    ).ngo
    coordinator = get_user_model().objects.get(username="coordinator@example.org")
    agencies = []
    for ngo in (sender, receiver):
        agency = network_services.partner_agency_ensure(ngo=ngo)
        agency.service_types = ["counselling"]
        agency.save()
        with schema_context(ngo.schema_name):
            agency_key_ensure(agency=agency)
        agencies.append(agency)
    agreement = network_services.agreement_create(
        actor=coordinator,
        consortium=consortium,
        first_agency_uuid=agencies[0].uuid,
        second_agency_uuid=agencies[1].uuid,
        service_types=["counselling"],
        shared_fields=["full_name", "age", "reason"],
        valid_from=clock.today(),
    )
    with override_settings(MEDIA_ROOT=REPO / ".data" / "test-media"):
        network_services.agreement_activate(
            actor=coordinator,
            agreement_uuid=agreement.uuid,
            mou=SimpleUploadedFile("mou.pdf", b"%PDF-1.4 signed"),
        )
    with schema_context(sender.schema_name):
        user = get_user_model().objects.create_user(username="pekerja", password="x-Pekerja-1!")
        StaffProfile.objects.create(user=user, role=StaffProfile.Role.CASE_WORKER)
        case_ids = []
        for number in range(50):
            case = casework_services.child_register(
                actor=user,
                child=casework_services.ChildInput(
                    full_name=f"Anak Nomor {number}",
                    sex="male",
                    school_status="in_school",
                    birth_year=clock.today().year - 12,
                    birth_year_estimated=True,
                ),
                household=casework_services.HouseholdInput(
                    guardian_name="Wali", guardian_relationship="father"
                ),
                consent=casework_services.ConsentInput(
                    guardian_name="Wali",
                    guardian_relationship="father",
                    guardian_consented=True,
                    child_assented=True,
                    consented_on=clock.today(),
                    scope_referral_sharing=True,
                ),
            )
            case_ids.append(case.pk)
    connection.set_schema_to_public()
    yield Pair(sender, receiver, user, case_ids)
    connection.set_schema_to_public()
    ids = [agency.pk for agency in agencies]
    ReferralEnvelope.objects.filter(from_agency_id__in=ids).delete()
    ReferralAgreement.objects.filter(pk=agreement.pk).delete()
    Agency.objects.filter(pk__in=ids).delete()


def _send(pair: Pair, case_id: int):
    from network.referrals.services import referral_send

    receiver_agency = Agency.objects.get(ngo=pair.receiver)
    with schema_context(pair.sender.schema_name):
        return referral_send(
            actor=pair.worker,
            case_id=case_id,
            to_agency_uuid=receiver_agency.uuid,
            service_type="counselling",
            reason="Konseling",
        )


def _counts(pair: Pair) -> tuple[int, int, int]:
    """(envelopes, receiver's inbox rows, sender's undelivered outbox rows)."""
    from network.referrals.models import OutboxMessage, Referral

    connection.set_schema_to_public()
    envelopes = ReferralEnvelope.objects.filter(from_agency__ngo=pair.sender).count()
    with schema_context(pair.receiver.schema_name):
        inbox = Referral.objects.filter(direction="incoming").count()
    with schema_context(pair.sender.schema_name):
        pending = OutboxMessage.objects.filter(delivered_at__isnull=True).count()
    return envelopes, inbox, pending


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def _redis_server(port: int):
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert _wait_for(lambda: _redis_answers(port), timeout=15)
        yield process
    finally:
        process.kill()
        process.wait()


def _redis_answers(port: int) -> bool:
    import redis

    try:
        return redis.Redis(port=port, socket_connect_timeout=0.2).ping()
    except redis.exceptions.ConnectionError:
        return False


@contextmanager
def _broker(url: str):
    """Point this process's Celery app at another broker (and fail fast when it is down)."""
    from ngo_platform.celery import app

    saved = (app.conf.broker_url, app.conf.task_publish_retry)
    app.conf.broker_url, app.conf.task_publish_retry = url, False
    app._pool = None
    app.amqp._producer_pool = None
    try:
        yield app
    finally:
        app.conf.broker_url, app.conf.task_publish_retry = saved
        app._pool = None
        app.amqp._producer_pool = None


def test_redis_down_while_50_referrals_are_sent_loses_none(pair):
    """With Redis stopped, all 50 referrals commit in the sender; once Redis is back the sweep
    (run by a real worker) delivers each exactly once."""
    port = _free_port()
    url = f"redis://127.0.0.1:{port}/0"
    with _broker(url) as app:
        with _redis_server(port):
            pass  # started and stopped: the broker is now down
        for case_id in pair.case_ids:
            _send(pair, case_id)
        assert _counts(pair) == (0, 0, 50)
        with _redis_server(port), override_settings(REDIS_URL=url), celery_worker() as (queue, _):
            app.send_task("network.tasks.referral_outbox_sweep", queue=queue, ignore_result=True)
            assert _wait_for(lambda: _counts(pair) == (50, 50, 0)), _counts(pair)
            app.send_task("network.tasks.referral_outbox_sweep", queue=queue, ignore_result=True)
            time.sleep(3)
            assert _counts(pair) == (50, 50, 0)


def test_on_commit_task_delivers_through_a_real_worker(pair):
    """The normal path: the on-commit task reaches the worker and the inbox fills in seconds."""
    from ngo_platform.celery import app

    with celery_worker() as (queue, _):
        app.conf.task_default_queue = queue
        try:
            referral = _send(pair, pair.case_ids[0])
        finally:
            app.conf.task_default_queue = "celery"
        assert _wait_for(lambda: _counts(pair) == (1, 1, 0), timeout=30), _counts(pair)
    assert ReferralEnvelope.objects.get(referral_uuid=referral.uuid).delivered_at is not None


def test_the_on_commit_task_runs_in_the_senders_schema_whatever_commits_it(pair):
    """A referral sent inside an outer transaction that commits from the public schema (as
    seed_demo does) still queues its delivery for the sender's schema: the real worker delivers
    it, without any sweep."""
    from django.db import transaction

    from network.referrals.services import referral_send
    from ngo_platform.celery import app

    receiver_agency = Agency.objects.get(ngo=pair.receiver)
    with celery_worker() as (queue, _):
        app.conf.task_default_queue = queue
        try:
            with transaction.atomic():
                with schema_context(pair.sender.schema_name):
                    referral_send(
                        actor=pair.worker,
                        case_id=pair.case_ids[2],
                        to_agency_uuid=receiver_agency.uuid,
                        service_type="counselling",
                        reason="Konseling",
                    )
                connection.set_schema_to_public()
        finally:
            app.conf.task_default_queue = "celery"
        assert _wait_for(lambda: _counts(pair) == (1, 1, 0), timeout=30), _counts(pair)


def test_worker_killed_mid_delivery_gives_one_envelope(pair):
    """A worker SIGKILLed while its delivery transaction is open leaves nothing behind; the
    sweep then delivers once."""
    from ngo_platform.celery import app

    _send(pair, pair.case_ids[0])
    blocker = connections.create_connection("default")
    blocker.connect()
    try:
        with blocker.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute(
                f'LOCK TABLE "{pair.receiver.schema_name}".referrals_referral IN EXCLUSIVE MODE'
            )
        with celery_worker() as (queue, _node):
            from network.referrals.models import OutboxMessage

            with schema_context(pair.sender.schema_name):
                message = OutboxMessage.objects.get()
                app.send_task(
                    "network.tasks.referral_outbox_deliver",
                    kwargs={"message_uuid": str(message.uuid)},
                    queue=queue,
                )

            def delivery_waiting() -> bool:
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                        "AND query ILIKE '%%referrals_referral%%'"
                    )
                    return cursor.fetchone()[0] > 0

            assert _wait_for(delivery_waiting, timeout=60)
            _kill_worker_processes(queue)
        with blocker.cursor() as cursor:
            cursor.execute("ROLLBACK")
    finally:
        blocker.close()
    assert _counts(pair) == (0, 0, 1)
    from network.bridge import outbox_sweep

    # The killed worker's backend aborts once it notices its client is gone; until then its row
    # lock makes the sweep skip the message, so sweep until it goes through.
    assert _wait_for(lambda: outbox_sweep() >= 0 and _counts(pair) == (1, 1, 0), timeout=30)
    outbox_sweep()
    assert _counts(pair) == (1, 1, 0)


def _kill_worker_processes(queue: str) -> None:
    output = subprocess.run(["pgrep", "-f", "--", f"-Q {queue}"], capture_output=True, text=True)
    assert output.stdout.split(), "no worker process found to kill"
    for pid in output.stdout.split():
        os.kill(int(pid), signal.SIGKILL)


def test_the_same_delivery_twice_at_once_creates_one_envelope(pair):
    from network.referrals.delivery import outbox_deliver
    from network.referrals.models import OutboxMessage

    _send(pair, pair.case_ids[0])
    with schema_context(pair.sender.schema_name):
        message_uuid = OutboxMessage.objects.get().uuid
    barrier = threading.Barrier(2)
    results = []

    def deliver():
        try:
            with schema_context(pair.sender.schema_name):
                barrier.wait()
                results.append(outbox_deliver(message_uuid=message_uuid))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) in ([False, True], [True, True])
    assert _counts(pair) == (1, 1, 0)


def test_a_crash_between_commit_and_enqueue_is_recovered_by_the_sweep(pair):
    """A process that dies right after COMMIT, before its on-commit enqueue, leaves the
    referral and its outbox row; the sweep delivers it."""
    receiver_agency = Agency.objects.get(ngo=pair.receiver)
    script = f"""
import os, django
django.setup()
from django.contrib.auth import get_user_model
from django.db import transaction
from django_tenants.utils import schema_context
from network.referrals.services import referral_send
with schema_context({pair.sender.schema_name!r}):
    user = get_user_model().objects.get(username="pekerja")
    with transaction.atomic():
        transaction.on_commit(lambda: os._exit(0))  # runs first: the process dies here
        referral_send(
            actor=user,
            case_id={pair.case_ids[1]},
            to_agency_uuid={str(receiver_agency.uuid)!r},
            service_type="counselling",
            reason="Konseling",
        )
raise SystemExit("not reached")
"""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ngo_platform.settings_test",
        "DATABASE_URL": database_url_of_test_db(),
        "PYTHONPATH": str(REPO),
    }
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=REPO, timeout=120)
    assert done.returncode == 0
    assert _counts(pair) == (0, 0, 1)
    from network.bridge import outbox_sweep

    assert outbox_sweep() >= 1
    assert _counts(pair) == (1, 1, 0)


def test_one_task_delivers_the_waiting_referrals_in_one_batch(pair):
    """The on-commit task of one referral (its id a string, as Celery carries it) delivers
    every referral waiting in the sender's outbox, each once; the tasks behind it find theirs
    delivered. The batch's statements do not grow with its size."""
    from django.test.utils import CaptureQueriesContext

    from network.referrals.delivery import outbox_deliver
    from network.referrals.models import OutboxMessage

    def send_and_deliver(case_ids) -> tuple[list, int]:
        for case_id in case_ids:
            _send(pair, case_id)
        with schema_context(pair.sender.schema_name):
            waiting = OutboxMessage.objects.filter(delivered_at__isnull=True).order_by("id")
            uuids = [str(value) for value in waiting.values_list("uuid", flat=True)]
            with CaptureQueriesContext(connection) as queries:
                first = outbox_deliver(message_uuid=uuids[0])
            rest = [outbox_deliver(message_uuid=value) for value in uuids[1:]]
        return [first, *rest], len(queries.captured_queries)

    assert send_and_deliver(pair.case_ids[:1])[0] == [True]  # warms the agreement-id cache
    results, statements_for_2 = send_and_deliver(pair.case_ids[1:3])
    assert results == [True, True]
    assert _counts(pair) == (3, 3, 0)
    results, statements_for_6 = send_and_deliver(pair.case_ids[3:9])
    assert results == [True] * 6
    assert _counts(pair) == (9, 9, 0)
    assert statements_for_6 == statements_for_2


def test_while_a_delivery_task_is_queued_a_new_commit_queues_none(pair):
    """Two referrals sent while the schema's task waits in the broker queue one task; once it
    starts (it then reads the outbox), the next commit queues a new one."""
    import redis
    from django.conf import settings

    from network.referrals.delivery import TASK_QUEUED_KEY, delivery_task_started
    from ngo_platform.celery import app
    from ngo_platform.redis_urls import redis_url_for

    broker = redis.Redis.from_url(redis_url_for(settings.REDIS_URL, offset=0))
    queue = app.conf.task_default_queue
    key = TASK_QUEUED_KEY.format(schema=pair.sender.schema_name)
    flags = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    flags.delete(key)
    before = broker.llen(queue)
    _send(pair, pair.case_ids[0])
    _send(pair, pair.case_ids[1])
    assert broker.llen(queue) == before + 1
    assert flags.exists(key)
    with schema_context(pair.sender.schema_name):
        delivery_task_started()
    assert not flags.exists(key)
    _send(pair, pair.case_ids[2])
    assert broker.llen(queue) == before + 2
    assert _counts(pair)[2] == 3  # all three wait in the outbox for the tasks (or the sweep)


def test_a_broken_message_in_a_batch_blocks_none_of_the_others(pair):
    """A waiting message whose referral row is gone fails alone: the batch falls back to one
    by one, the others are delivered, the broken one stays in the outbox for a person to see."""
    from network.referrals.delivery import outbox_drain
    from network.referrals.models import OutboxMessage, Referral

    sent = [_send(pair, case_id) for case_id in pair.case_ids[:3]]
    with schema_context(pair.sender.schema_name):
        Referral.objects.filter(uuid=sent[1].uuid).delete()
        assert outbox_drain() == 2
        waiting = list(
            OutboxMessage.objects.filter(delivered_at__isnull=True).values_list(
                "referral_uuid", flat=True
            )
        )
    assert waiting == [sent[1].uuid]
    assert _counts(pair)[:2] == (2, 2)
