"""Celery tasks of the consortium layer. Each takes ids, calls one service, and is idempotent."""

from __future__ import annotations

from celery import shared_task

from core import clock


@shared_task(acks_late=True, ignore_result=True, max_retries=3, default_retry_delay=10)
def referral_outbox_deliver(message_uuid: str) -> bool:
    """Deliver an outbox message of the schema the task was sent from (tenant-schemas-celery
    carries it), and everything else waiting there: messages committed while this task was
    queued did not queue their own. Safe to run twice or concurrently: the outbox rows are
    locked and marked."""
    from network.referrals.delivery import (
        delivery_task_started,
        outbox_deliver,
        outbox_drain,
        outbox_has_pending,
    )

    delivery_task_started()
    delivered = outbox_deliver(message_uuid=message_uuid)
    if outbox_has_pending():
        outbox_drain()
    return delivered


@shared_task(acks_late=True, ignore_result=True)
def referral_outbox_sweep() -> int:
    """Every minute (beat): deliver whatever an on-commit task did not."""
    from network.bridge import outbox_sweep

    return outbox_sweep()


@shared_task(acks_late=True, ignore_result=True)
def agreements_expire_daily() -> int:
    """Once a day (beat): mark agreements past their end date as expired."""
    from network.services import agreements_expire

    return agreements_expire(today=clock.today())


@shared_task(acks_late=True, ignore_result=True, max_retries=3, default_retry_delay=30)
def ngo_summary_refresh(run_key: str | None = None, ngo_id: int | None = None) -> bool:
    """Recount one NGO's staff and cases for the console: after onboarding (with `ngo_id`, sent
    from the public schema) and daily through `settings.TENANT_DAILY_TASKS` (sent in the NGO's
    schema, which names the NGO). True when a summary row was written."""
    from network.services import ngo_summary_refresh as refresh
    from tenants.db import connection
    from tenants.models import NGO

    if ngo_id is None:
        ngo_id = (
            NGO.objects.filter(schema_name=connection.schema_name).values_list("pk", flat=True)
        ).first()
        if ngo_id is None:
            return False
    return refresh(ngo_id=ngo_id) is not None


@shared_task(acks_late=True, ignore_result=True, max_retries=2, default_retry_delay=60)
def reporting_rollup_ngo(ngo_id: int) -> int:
    """Recount one NGO's indicators into the aggregate table (sent in the public schema, or in
    the NGO's own from its report page; the bridge enters the NGO's schema). Idempotent: a
    second run writes the same rows. Returns the number of rows, 0 for an NGO that is gone,
    suspended or not ready."""
    from network.reporting.rollup import ngo_rollup, ngos_to_roll_up

    ngo = ngos_to_roll_up().filter(pk=ngo_id).first()
    if ngo is None:
        return 0
    rows = ngo_rollup(ngo=ngo).rows
    if ngo.consortium_id is not None:
        publish_soon(ngo.consortium_id)
    return rows


PUBLISH_DELAY_SECONDS = 60


def publish_soon(consortium_id: int) -> None:
    """Count the consortium's publication a minute from now, once for all the rollups that
    finish meanwhile (a refresh of 200 NGOs publishes a few times, not 200), in the public
    schema (the cache keys carry the schema)."""
    from django.core.cache import cache

    from network.bridge import in_public_schema

    with in_public_schema():
        if cache.add(f"publication-pending:{consortium_id}", 1, PUBLISH_DELAY_SECONDS):
            reporting_publish.apply_async((consortium_id,), countdown=PUBLISH_DELAY_SECONDS)


@shared_task(acks_late=True, ignore_result=True)
def reporting_publish(consortium_id: int) -> int:
    """The consortium's current-year publication, counted and cached before anyone asks
    (network.reporting.publication.publish_all). Returns the number of tables."""
    from network.bridge import in_public_schema
    from network.reporting.publication import publish_all
    from tenants.models import Consortium

    with in_public_schema():
        consortium = Consortium.objects.filter(pk=consortium_id).first()
        return 0 if consortium is None else publish_all(consortium=consortium)


@shared_task(acks_late=True, ignore_result=True)
def reporting_refresh_all(consortium_id: int | None = None) -> int:
    """Nightly (beat), or when a coordinator asks: one rollup task per ready, active NGO (of
    one consortium, or of all). Returns how many were queued."""
    from network.reporting.rollup import ngos_to_roll_up

    ngo_ids = list(ngos_to_roll_up(consortium_id).values_list("pk", flat=True))
    for ngo_id in ngo_ids:
        reporting_rollup_ngo.delay(ngo_id)
    return len(ngo_ids)
