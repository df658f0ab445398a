"""The console's per-NGO summary row, written by a real worker: the daily fan-out sends the task
in each NGO's schema (which names the NGO), onboarding sends it from the public schema with the
NGO's id. Both count the NGO's own staff and cases, and only that NGO's row changes."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context

from casework.models import Case
from network.models import NGOSummary
from network.tasks import ngo_summary_refresh
from tenants.models import NGO
from tests.worker import celery_worker


@pytest.fixture(scope="module")
def worker(django_db_blocker, ngo_a, ngo_b):
    with django_db_blocker.unblock(), celery_worker() as running:
        yield running


def _counts(schema: str) -> tuple[int, int]:
    with schema_context(schema):
        return get_user_model().objects.filter(is_active=True).count(), Case.objects.count()


def test_the_task_sent_in_an_ngos_schema_counts_that_ngo(worker, committed_db, ngo_a, ngo_b):
    queue, _ = worker
    start = timezone.now()
    before_b = NGOSummary.objects.filter(ngo=ngo_b.ngo).values_list("computed_at", flat=True)
    before_b = list(before_b)
    with tenant_context(NGO.objects.get(slug="yayasan-a")):
        result = ngo_summary_refresh.apply_async(
            kwargs={"run_key": f"summary-{uuid.uuid4().hex}"}, queue=queue, ignore_result=False
        )
    assert result.get(timeout=30) is True
    summary = NGOSummary.objects.get(ngo=ngo_a.ngo)
    assert (summary.staff_count, summary.case_count) == _counts(ngo_a.ngo.schema_name)
    assert summary.computed_at >= start
    after_b = list(NGOSummary.objects.filter(ngo=ngo_b.ngo).values_list("computed_at", flat=True))
    assert after_b == before_b


def test_the_task_sent_from_the_public_schema_names_its_ngo(worker, committed_db, ngo_b):
    queue, _ = worker
    result = ngo_summary_refresh.apply_async(
        kwargs={"ngo_id": ngo_b.ngo.pk}, queue=queue, ignore_result=False
    )
    assert result.get(timeout=30) is True
    summary = NGOSummary.objects.get(ngo=ngo_b.ngo)
    assert (summary.staff_count, summary.case_count) == _counts(ngo_b.ngo.schema_name)


@pytest.mark.django_db
def test_an_unprovisioned_ngo_gets_no_summary(consortium):
    """Not ready yet (or the template): nothing to count, no row."""
    from network import services

    ngo = NGO.objects.create(
        schema_name="ngo_belum_siap", slug="belum-siap", name="Belum Siap", consortium=consortium
    )
    assert services.ngo_summary_refresh(ngo_id=ngo.pk) is None
    assert not NGOSummary.objects.filter(ngo=ngo).exists()
