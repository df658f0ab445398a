"""The NGO's own settings row."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction

from casework import validation
from casework.access import (
    Capability,
    require,
)
from casework.audit import audit_record
from casework.models import (
    NGOSettings,
)
from casework.services._common import _full_clean
from core.audit import AuditAction, changes, snapshot
from tenants.models import NGO


@transaction.atomic
def ngo_settings_initialize(*, ngo_name: str) -> NGOSettings:
    """Create the NGO's settings row if it does not exist yet (current schema)."""
    settings_row = NGOSettings.objects.first()
    if settings_row is None:
        settings_row = NGOSettings.objects.create(ngo_name=ngo_name)
    return settings_row


@transaction.atomic
def ngo_settings_update(*, actor: User, **values: object) -> NGOSettings:
    """Change the NGO's settings (admins only)."""
    require(actor, Capability.MANAGE_SETTINGS)
    settings_row = NGOSettings.objects.select_for_update().first()
    if settings_row is None:  # a broken tenant, not bad input: the row is made with the NGO
        raise NGOSettings.DoesNotExist("created by settings.TENANT_INITIALIZERS")
    before = snapshot(settings_row)
    for name in ("classification_standard", "followup_interval_days", "verification_interval_days"):
        if name in values and values[name] is not None:
            setattr(settings_row, name, values[name])
    _full_clean(settings_row)
    validation.check(
        validation.NGO_SETTINGS,
        {
            "followup_interval_days": settings_row.followup_interval_days,
            "verification_interval_days": settings_row.verification_interval_days,
        },
    )
    settings_row.save()
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=settings_row,
        changed_fields=changes(before, snapshot(settings_row)),
    )
    return settings_row


def ngo_settings() -> NGOSettings:
    return NGOSettings.objects.first() or NGOSettings(ngo_name="")


def tenant_initialize(*, tenant: NGO) -> None:
    """A new NGO's default rows (listed in settings.TENANT_INITIALIZERS)."""
    ngo_settings_initialize(ngo_name=tenant.name)
