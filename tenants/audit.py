"""The platform's audit trail (public schema): consortia, NGO provisioning and NGO status.

Tenancy services call `platform_audit_record` in the same transaction as the change. The table is
append-only (a trigger refuses UPDATE and DELETE); the event shape is documented in core/audit.py.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import models

from core.audit import AuditAction, event_values
from tenants.models import PlatformAuditEvent


def platform_audit_record(
    *,
    actor: User | str | None,
    action: AuditAction,
    instance: models.Model | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    changed_fields: dict | None = None,
    details: dict | None = None,
) -> PlatformAuditEvent:
    """Write one platform audit event in the public schema, in the current transaction.

    `actor` is the acting public-schema user, or None / "system" for commands and seeding.
    """
    # No schema switch: the table is in the public schema, which every tenant's search path
    # ends with, and switching here would leave a caller in an NGO's schema on the public one.
    return PlatformAuditEvent.objects.create(
        **event_values(
            actor=actor,
            action=action,
            instance=instance,
            object_type=object_type,
            object_id=object_id,
            changed_fields=changed_fields,
            details=details,
        )
    )
