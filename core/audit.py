"""Audit base pieces shared by every audit trail (an NGO's and the consortium's).

Snapshots of a row and the diff between two snapshots, with sensitive values redacted. The trails
themselves (tables, who may read them) belong to the apps.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import models

# Field values never copied into an audit trail (only the field name is recorded).
SENSITIVE_FIELDS = frozenset(
    {"nik", "nik_encrypted", "nik_hash", "nik_last4", "password", "private_key_encrypted"}
)
REDACTED = "<redacted>"


def plain(value: Any) -> Any:
    """`value` as JSON-ready data: model instances as their primary key, dates as ISO text."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (Decimal, UUID)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The concrete field values of `instance` (foreign keys as ids), for change diffs."""
    names = fields or [
        field.attname for field in instance._meta.concrete_fields if not field.primary_key
    ]
    return {name: plain(getattr(instance, name)) for name in names}


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for fields that differ; sensitive values are redacted."""
    diff: dict[str, list[Any]] = {}
    for name, new in after.items():
        old = before.get(name)
        if old != new:
            diff[name] = [REDACTED, REDACTED] if name in SENSITIVE_FIELDS else [old, new]
    return diff
