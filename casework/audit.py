"""Audit events: every write, every view of a child's full record, every export.

Services call `audit_record` in the same transaction as the change, so an event exists exactly
when the change does. The table is append-only (a trigger refuses UPDATE and DELETE).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import models

from casework.context import client_ip
from casework.models import AuditEvent
from core.audit import changes, snapshot


def audit_record(
    *,
    actor: User | None,  # None: recorded as "system"
    action: str,
    instance: models.Model | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    case_id: int | None = None,
    changed_fields: dict[str, Any] | None = None,
    ip_address: str | None = None,
) -> AuditEvent:
    """Write one audit event in the current schema and transaction."""
    if instance is not None:
        object_type = object_type or instance._meta.model_name
        object_id = instance.pk if object_id is None else object_id
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_username=getattr(actor, "username", "") or "system",
        action=action,
        object_type=object_type or "",
        object_id=str(object_id or ""),
        case_id=case_id,
        changed_fields=changed_fields or {},
        ip_address=ip_address or client_ip.get(),
    )


def audit_created(
    *, actor: User | None, instance: models.Model, case_id: int | None = None
) -> AuditEvent:
    """The audit event of a new row: every field, from nothing to its value."""
    return audit_record(
        actor=actor,
        action="create",
        instance=instance,
        case_id=case_id,
        changed_fields=changes({}, snapshot(instance)),
    )
