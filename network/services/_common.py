"""Validation helpers shared by the network services."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext as _

from casework import regions
from core.audit import AuditAction, changes, snapshot
from core.errors import ApplicationError
from tenants.audit import platform_audit_record


def invalid(field: str, message: str) -> ApplicationError:
    return ApplicationError(message, fields={field: [message]})


def choices_subset(values: Iterable[str], allowed: Iterable[str], field: str, *, required: bool):
    """`values` as a sorted, duplicate-free list, each one of `allowed`."""
    chosen = sorted(set(values or []))
    allowed_set = set(allowed)
    unknown = [value for value in chosen if value not in allowed_set]
    if unknown:
        raise invalid(field, _("Unknown choice: %(values)s.") % {"values": ", ".join(unknown)})
    if required and not chosen:
        raise invalid(field, _("Choose at least one."))
    return chosen


def province_codes_clean(codes: Iterable[str]) -> list[str]:
    chosen = sorted({(code or "").strip() for code in codes or []} - {""})
    unknown = [code for code in chosen if regions.province(code) is None]
    if unknown:
        raise invalid(
            "province_codes", _("Unknown province code: %(codes)s.") % {"codes": ", ".join(unknown)}
        )
    return chosen


def regency_codes_clean(codes: Iterable[str]) -> list[str]:
    cleaned = set()
    for code in codes or []:
        if not (code or "").strip():
            continue
        regency = regions.regency(code)
        if regency is None:
            raise invalid(
                "regency_codes", _("Unknown regency code: %(code)s.") % {"code": str(code)[:20]}
            )
        cleaned.add(regency.code)
    return sorted(cleaned)


def audited(instance: models.Model, fields: list[str]) -> dict:
    """`fields` of `instance` as the trail stores them (a file as its stored name)."""
    values = snapshot(instance, fields)
    return {
        name: (value.name or "") if isinstance(value, FieldFile) else value
        for name, value in values.items()
    }


def audit(
    *,
    actor,
    action: AuditAction,
    instance: models.Model,
    fields: list[str],
    before: dict | None = None,
    details: dict | None = None,
) -> None:
    """One event in the platform trail (`tenants.PlatformAuditEvent`), in the caller's
    transaction: `fields` of `instance` compared with `before` (empty for a create)."""
    platform_audit_record(
        actor=actor,
        action=action,
        instance=instance,
        changed_fields=changes(before or {}, audited(instance, fields)),
        details=details,
    )
