"""In-app notifications."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework import messages
from casework.models import (
    Notification,
)
from core.errors import NotFoundError


@transaction.atomic
def notification_mark_read(*, actor: User, notification_id: int) -> Notification:
    notification = Notification.objects.filter(pk=notification_id, user=actor).first()
    if notification is None:
        raise NotFoundError(_("Notification not found."))
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notification_send(
    *, user: User, case_id: int | None, key: str, code: str, params: dict[str, Any]
) -> Notification:
    """An in-app message to `user` (a code with its parameters, rendered in the reader's
    language when shown), once per `key` (a repeat returns the first)."""
    notification, _created = Notification.objects.get_or_create(
        user=user, key=key, defaults={"case_id": case_id, "code": code, "params": params}
    )
    return notification


def notify_returned(*, user: User, case_id: int, reference: str, what: str, key: str) -> None:
    """Tell `user` that their assessment or plan (`what`) was returned with a comment."""
    code = {"assessment": messages.ASSESSMENT_RETURNED, "plan": messages.PLAN_RETURNED}[what]
    notification_send(
        user=user, case_id=case_id, key=key, code=code, params={"reference": reference}
    )
