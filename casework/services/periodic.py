"""Periodic work: the idempotency ledger and overdue follow-ups."""

from __future__ import annotations

from datetime import date
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework import messages
from casework.models import (
    Case,
    FollowUp,
    Notification,
    TaskRun,
)
from core import clock


def task_run_record(*, task: str, run_key: str) -> bool:
    """Record a run of `task` for `run_key`; False when it already ran (idempotency guard)."""
    _row, created = TaskRun.objects.get_or_create(task=task, run_key=run_key)
    return created


@transaction.atomic
def followups_mark_overdue(*, today: date | None = None) -> int:
    """Flag follow-ups past their due date and notify each assigned worker once (in-app, and
    by e-mail when the worker has an address and e-mail is configured). Returns how many were
    newly flagged."""
    today = today or clock.today()
    newly = list(
        FollowUp.objects.select_for_update()
        .select_related("case", "assigned_worker")
        .filter(completed_on__isnull=True, due_on__lt=today, overdue_notified_at__isnull=True)
    )
    for followup in newly:
        followup.is_overdue = True
        followup.overdue_notified_at = timezone.now()
        params = {
            "kind": followup.kind,
            "reference": followup.case.reference,
            "due_on": followup.due_on.isoformat(),
        }
        notification, created = Notification.objects.get_or_create(
            user=followup.assigned_worker,
            key=f"overdue:{followup.pk}",
            defaults={"case": followup.case, "code": messages.FOLLOWUP_OVERDUE, "params": params},
        )
        if created and followup.assigned_worker.email and getattr(settings, "EMAIL_URL", None):
            # partial binds this iteration's address and text (a closure would see the last).
            # Mail is text once sent: rendered now, in the active language.
            transaction.on_commit(
                partial(
                    send_mail,
                    _("Terpadu: overdue follow-up"),
                    notification.text,
                    None,
                    [followup.assigned_worker.email],
                    fail_silently=True,
                )
            )
    FollowUp.objects.bulk_update(newly, ["is_overdue", "overdue_notified_at"])
    case_ids = {followup.case_id for followup in newly}
    Case.objects.filter(pk__in=case_ids).update(has_overdue=True)
    return len(newly)
