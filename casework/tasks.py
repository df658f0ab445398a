"""Tasks that run inside one NGO's schema (the schema travels with the message)."""

from celery import shared_task

from casework.services import task_run_record


@shared_task(acks_late=True, ignore_result=True, max_retries=3)
def daily_maintenance(run_key: str) -> bool:
    """The NGO's daily run; records itself once per run key so redelivery is harmless."""
    return task_run_record(task="daily_maintenance", run_key=run_key)
