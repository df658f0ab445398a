"""Tasks that run inside one NGO's schema (the schema travels with the message)."""

from celery import shared_task

from casework.services import followups_mark_overdue, form_tokens_forget, task_run_record


@shared_task(acks_late=True, ignore_result=True, max_retries=3)
def daily_maintenance(run_key: str) -> bool:
    """The NGO's daily run: flag overdue follow-ups and notify their workers; forget old form
    tokens.

    Recorded once per run key, in the same transaction as its work, so a redelivered message
    (acks_late) does nothing twice.
    """
    from django.db import transaction

    with transaction.atomic():
        if not task_run_record(task="daily_maintenance", run_key=run_key):
            return False
        followups_mark_overdue()
        form_tokens_forget()
    return True
