"""A task queued in an NGO's context runs in that NGO's schema (real worker, real Redis)."""

import time
import uuid

import pytest
from django.conf import settings
from django.test import override_settings
from django_tenants.utils import schema_context, tenant_context

from casework.models import TaskRun
from casework.tasks import daily_maintenance
from tenants.models import NGO
from tests.support import host_client
from tests.worker import celery_worker


def _wait_for(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture(scope="module")
def worker(django_db_blocker, ngo_a, ngo_b):
    with django_db_blocker.unblock(), celery_worker() as running:
        yield running


def test_task_from_ngo_a_writes_only_to_ngo_a(worker, committed_db, ngo_a, ngo_b):
    """The worker runs A's task in A's schema; B's schema never sees the row."""
    queue, _ = worker
    run_key = f"isolation-{uuid.uuid4().hex}"
    with tenant_context(NGO.objects.get(slug="yayasan-a")):
        result = daily_maintenance.apply_async(
            kwargs={"run_key": run_key}, queue=queue, ignore_result=False
        )

    def in_a() -> bool:
        with schema_context("ngo_yayasan_a"):
            return TaskRun.objects.filter(run_key=run_key).exists()

    assert _wait_for(in_a), "the task never wrote to A's schema"
    assert result.get(timeout=10) is True
    with schema_context("ngo_lembaga_b"):
        assert not TaskRun.objects.filter(run_key=run_key).exists()
    with schema_context("public"):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_name = 'casework_taskrun'"
            )
            assert cursor.fetchone()[0] == 0


def test_redelivered_task_runs_once(worker, committed_db, ngo_a):
    """The same run key delivered twice records one run (tasks are idempotent)."""
    queue, _ = worker
    run_key = f"twice-{uuid.uuid4().hex}"
    with tenant_context(NGO.objects.get(slug="yayasan-a")):
        first = daily_maintenance.apply_async(
            kwargs={"run_key": run_key}, queue=queue, ignore_result=False
        )
        second = daily_maintenance.apply_async(
            kwargs={"run_key": run_key}, queue=queue, ignore_result=False
        )
    assert first.get(timeout=30) is True
    assert second.get(timeout=30) is False
    with schema_context("ngo_yayasan_a"):
        assert TaskRun.objects.filter(run_key=run_key).count() == 1


def test_fan_out_reaches_only_ready_active_ngos(worker, committed_db, ngo_a, ngo_b):
    """The daily fan-out queues work for active NGOs and skips suspended ones."""
    from tenants.services import ngo_set_status
    from tenants.tasks import fan_out_daily

    queue, _ = worker
    run_key = f"fanout-{uuid.uuid4().hex}"
    ngo_set_status(actor=None, ngo=NGO.objects.get(slug="lembaga-b"), status=NGO.Status.SUSPENDED)
    try:
        with override_settings(CELERY_TASK_DEFAULT_QUEUE=queue):
            from ngo_platform.celery import app

            app.conf.task_default_queue = queue
            try:
                queued = fan_out_daily.run(run_key=run_key)
            finally:
                app.conf.task_default_queue = "celery"

        def in_a() -> bool:
            with schema_context("ngo_yayasan_a"):
                return TaskRun.objects.filter(run_key=run_key).exists()

        assert _wait_for(in_a)
        active = NGO.objects.filter(status="active", is_ready=True, is_template=False).count()
        assert queued == active * len(settings.TENANT_DAILY_TASKS)
        with schema_context("ngo_lembaga_b"):
            assert not TaskRun.objects.filter(run_key=run_key).exists()
    finally:
        ngo_set_status(actor=None, ngo=NGO.objects.get(slug="lembaga-b"), status=NGO.Status.ACTIVE)


def test_healthz_is_200_with_a_live_worker(worker, committed_db):
    """With PostgreSQL, Redis and a worker up, /healthz answers 200 and names each check."""
    response = host_client("localhost").get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "redis": "ok", "worker": "ok"},
    }
