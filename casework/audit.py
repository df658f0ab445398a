"""Audit events: every write, every view or listing of children's identity, every name search,
export, login and password change.

Services call `audit_record` in the same transaction as the change, so an event exists exactly
when the change does. The table is append-only (a trigger refuses UPDATE and DELETE). The shape
of `changed_fields` and `details` is documented in core/audit.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import User
from django.db import models
from django_tenants.utils import get_public_schema_name

from casework.models import AuditEvent
from core.audit import (
    ANONYMOUS_ACTOR,
    REDACTED,
    AuditAction,
    changes,
    event_values,
    search_text_redact,
    snapshot,
)
from tenants.db import connection


def audit_record(
    *,
    actor: User | str | None,  # a name for a non-user actor; None: "system"
    action: AuditAction,
    instance: models.Model | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    case_id: int | None = None,
    changed_fields: dict[str, Any] | None = None,
    details: dict[str, Any] | None = None,
    ip_address: str | None = None,
) -> AuditEvent:
    """Write one audit event in the current schema and transaction."""
    values = event_values(
        actor=actor,
        action=action,
        instance=instance,
        object_type=object_type,
        object_id=object_id,
        changed_fields=changed_fields,
        details=details,
    )
    if ip_address:
        values["ip_address"] = ip_address
    return AuditEvent.objects.create(case_id=case_id, **values)


def audit_record_many(events: Iterable[dict[str, Any]]) -> list[AuditEvent]:
    """Write several audit events in one statement (each dict holds `audit_record`'s
    arguments): for a batch of writes made in one transaction, e.g. referral delivery."""
    rows = []
    for event in events:
        event = dict(event)
        case_id = event.pop("case_id", None)
        ip_address = event.pop("ip_address", None)
        values = event_values(**event)
        if ip_address:
            values["ip_address"] = ip_address
        rows.append(AuditEvent(case_id=case_id, **values))
    return AuditEvent.objects.bulk_create(rows)


def audit_created(
    *, actor: User | None, instance: models.Model, case_id: int | None = None
) -> AuditEvent:
    """The audit event of a new row: every field, from nothing to its value."""
    return audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=instance,
        case_id=case_id,
        changed_fields=changes({}, snapshot(instance)),
    )


def audit_listed(
    *,
    actor,
    object_type: str,
    rows: Iterable[models.Model],
    query: str | None = None,
    filters: dict | None = None,
    via: str | None = None,
) -> AuditEvent:
    """One 'list' event naming the rows shown (children's or consents' identity records)."""
    ids = [row.pk for row in rows]
    details: dict = {"ids": ids, "count": len(ids)}
    if query:
        details["query"] = search_text_redact(query)
    if filters:
        details["filters"] = filters
    if via:
        details["via"] = via
    return audit_record(
        actor=actor,
        action=AuditAction.LIST,
        object_type=object_type,
        object_id="*",
        details=details,
    )


def audit_searched(*, actor, object_type: str, query: str, filters: dict | None = None):
    """One 'search' event: the text searched for, never a NIK."""
    details: dict = {"query": search_text_redact(query)}
    if filters:
        details["filters"] = filters
    return audit_record(
        actor=actor,
        action=AuditAction.SEARCH,
        object_type=object_type,
        object_id="*",
        details=details,
    )


def audit_password_changed(*, actor, user, via: str) -> AuditEvent:
    """A staff account's password was set (never its value)."""
    return audit_record(
        actor=actor,
        action=AuditAction.PASSWORD_CHANGE,
        instance=user,
        object_type="staff",
        changed_fields={"password": [REDACTED, REDACTED]},
        details={"via": via},
    )


def _on_ngo_host() -> bool:
    return connection.schema_name != get_public_schema_name()


def audit_login(*, user, via: str) -> AuditEvent | None:
    """A successful login on an NGO host (session, token or admin)."""
    if not _on_ngo_host():
        return None
    return audit_record(
        actor=user,
        action=AuditAction.LOGIN,
        instance=user,
        object_type="staff",
        details={"via": via},
    )


def audit_login_failed(*, username: str, via: str) -> AuditEvent | None:
    """A refused login on an NGO host; records what was typed as the username, never more."""
    if not _on_ngo_host():
        return None
    return audit_record(
        actor=ANONYMOUS_ACTOR,
        action=AuditAction.LOGIN_FAILED,
        object_type="staff",
        object_id="",
        details={"via": via, "username": search_text_redact(username or "")[:150]},
    )


def login_via(request) -> str:
    """Which door a login came through, from the request's path."""
    path = getattr(request, "path", "") or ""
    if path.startswith("/admin/"):
        return "admin"
    if path.startswith("/api/"):
        return "token"
    return "session"


def on_user_logged_in(sender, request, user, **kwargs):
    """django.contrib.auth's user_logged_in: the hook; the write is audit_login."""
    audit_login(user=user, via=login_via(request))


def on_user_login_failed(sender, credentials, request=None, **kwargs):
    """django.contrib.auth's user_login_failed: the hook; the write is audit_login_failed."""
    audit_login_failed(username=str(credentials.get("username", "")), via=login_via(request))
