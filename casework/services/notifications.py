"""In-app notifications."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

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


def notification_send(*, user: User, case_id: int | None, key: str, message: str) -> Notification:
    """An in-app message to `user`, once per `key` (a repeat returns the first)."""
    notification, _created = Notification.objects.get_or_create(
        user=user, key=key, defaults={"case_id": case_id, "message": message[:255]}
    )
    return notification


def notify_returned(*, user: User, case_id: int, reference: str, what: str, key: str) -> None:
    """Tell `user` that their assessment or plan (`what`) was returned with a comment, in the
    language of their profile."""
    profile = getattr(user, "staff_profile", None)
    with translation.override(getattr(profile, "language", "") or "id"):
        texts = {
            "assessment": _("Assessment for case %(reference)s was returned: see the comment."),
            "plan": _("The plan for case %(reference)s was returned: see the comment."),
        }
        message = texts[what] % {"reference": reference}
    notification_send(user=user, case_id=case_id, key=key, message=message)
