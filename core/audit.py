"""Audit base pieces shared by every audit trail (an NGO's and the platform's).

The trails themselves (tables, who may read them) belong to the apps; they share what is here:
the actions (`AuditAction`), the columns (`AuditEventBase`), the append-only trigger
(`append_only_sql`), snapshots of a row and the diff between two snapshots, with sensitive values
redacted, and the request's client IP.

Shape of an event (the same in every trail):

- `changed_fields` is always `{field: [old, new]}` (attribute names: foreign keys as `<name>_id`,
  many-to-many as sorted id lists, sensitive values as "<redacted>"). A create has `old` None, a
  delete has `new` None. Events that change nothing (view, list, search, export, login, failed
  login) have `{}`.
- `details` holds the facts that are not a field change, by action:
    - view: `{}`, or `{"via": "admin"}` when read through the Django admin;
    - list: `{"ids": [ids shown], "count": n}`, plus `"query"` / `"filters"` when given;
    - search: `{"query": text}` (digit runs of 10 or more redacted: a NIK is never recorded),
      plus `"filters"`;
    - export: `{"rows": n, "filters": {name: [values]}}`;
    - login / login_failed: `{"via": "session" | "token" | "admin"}`, failed logins add
      `"username"` (what was typed);
    - transition, update: `{"reason": text}` / `{"comment": text}` when one was given;
    - writes through the Django admin: `{"via": "admin"}`;
    - platform writes may add counts (`{"revoked_tokens": n, "revoked_sessions": n}`).
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.utils.translation import gettext_lazy as _

# Field values never copied into an audit trail (only the field name is recorded).
SENSITIVE_FIELDS = frozenset(
    {"nik", "nik_encrypted", "nik_hash", "nik_last4", "password", "private_key_encrypted"}
)
REDACTED = "<redacted>"
SYSTEM_ACTOR = "system"
ANONYMOUS_ACTOR = "anonymous"

# The client IP of the current request (set by casework.context.AuditContextMiddleware).
client_ip: ContextVar[str | None] = ContextVar("client_ip", default=None)


class AuditAction(models.TextChoices):
    """Every action an audit trail records, in both trails."""

    CREATE = "create", _("Create")
    UPDATE = "update", _("Update")
    DELETE = "delete", _("Delete")
    TRANSITION = "transition", _("Status change")
    VIEW = "view", _("View full record")
    LIST = "list", _("List")
    SEARCH = "search", _("Name search")
    EXPORT = "export", _("Export")
    LOGIN = "login", _("Login")
    LOGIN_FAILED = "login_failed", _("Failed login")
    PASSWORD_CHANGE = "password_change", _("Password change")


# Actions whose `changed_fields` describe a write; the others carry `{}` and use `details`.
WRITE_ACTIONS = frozenset(
    {
        AuditAction.CREATE,
        AuditAction.UPDATE,
        AuditAction.DELETE,
        AuditAction.TRANSITION,
        AuditAction.PASSWORD_CHANGE,
    }
)


class AuditEventBase(models.Model):
    """The columns every audit trail has; each app adds its actor foreign key (and more)."""

    actor_username = models.CharField(max_length=150)
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    object_type = models.CharField(max_length=50)
    object_id = models.CharField(max_length=64)
    changed_fields = models.JSONField(default=dict, blank=True)
    details = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        abstract = True
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.actor_username} {self.action} {self.object_type}:{self.object_id}"


def event_values(
    *,
    actor: AbstractBaseUser | AnonymousUser | str | None,
    action: AuditAction,
    instance: models.Model | None = None,
    object_type: str | None = None,
    object_id: Any = None,
    changed_fields: dict[str, Any] | None = None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The common column values of one event, checked against the documented shape.

    `actor` is a user, a name for a non-user actor ("system" for commands), or None (system).
    """
    action = AuditAction(action)
    changed_fields = changed_fields_validate(changed_fields or {})
    if changed_fields and action not in WRITE_ACTIONS:
        raise ValueError(f"A {action} event changes no field: put its facts in details.")
    if instance is not None:
        object_type = object_type or instance._meta.model_name
        object_id = instance.pk if object_id is None else object_id
    if isinstance(actor, str):
        user, username = None, actor
    else:
        user = actor if getattr(actor, "pk", None) else None
        username = getattr(actor, "username", "") or SYSTEM_ACTOR
    return {
        "actor": user,
        "actor_username": username[:150],
        "action": action,
        "object_type": object_type or "",
        "object_id": "" if object_id is None else str(object_id),
        "changed_fields": changed_fields,
        "details": details or {},
        "ip_address": client_ip.get(),
    }


def changed_fields_validate(fields: dict[str, Any]) -> dict[str, Any]:
    """`fields` if it has the one shape `{field: [old, new]}`; ValueError otherwise."""
    for name, value in fields.items():
        if not isinstance(name, str) or not isinstance(value, (list, tuple)) or len(value) != 2:
            raise ValueError(f"changed_fields[{name!r}] must be [old, new], not {value!r}")
    return {name: list(value) for name, value in fields.items()}


def append_only_sql(table: str, function: str) -> tuple[str, str]:
    """SQL (forward, backward) for a trigger that refuses UPDATE and DELETE on `table`."""
    forward = f"""
CREATE FUNCTION {function}() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events cannot be changed or deleted';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER {table}_append_only
    BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION {function}();
"""
    backward = f"""
DROP TRIGGER IF EXISTS {table}_append_only ON {table};
DROP FUNCTION IF EXISTS {function}();
"""
    return forward, backward


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
    """{field: [old, new]} for fields that differ (a field missing on one side is None there);
    sensitive values are redacted."""
    diff: dict[str, list[Any]] = {}
    for name in {**before, **after}:
        old, new = before.get(name), after.get(name)
        if old != new:
            diff[name] = [REDACTED, REDACTED] if name in SENSITIVE_FIELDS else [old, new]
    return diff


LONG_DIGITS_RE = re.compile(r"\d{10,}")


def search_text_redact(text: str) -> str:
    """A search as typed, with every run of 10 or more digits (a NIK, a phone) redacted."""
    return LONG_DIGITS_RE.sub(REDACTED, text.strip())[:200]
