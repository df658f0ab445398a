"""Celery tasks of the consortium layer. Each takes ids, calls one service, and is idempotent."""

from __future__ import annotations

from celery import shared_task

from core import clock


@shared_task(acks_late=True, ignore_result=True, max_retries=3, default_retry_delay=10)
def referral_outbox_deliver(message_uuid: str) -> bool:
    """Deliver one outbox message of the schema the task was sent from (tenant-schemas-celery
    carries it). Safe to run twice or concurrently: the outbox row is locked and marked."""
    from network.referrals.delivery import outbox_deliver

    return outbox_deliver(message_uuid=message_uuid)


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
