"""Audit events as people read them: field labels instead of column names, local time, "Case
2026-00014" instead of "case 14", action names and values in the reader's language.

The trail stores codes and raw values (core/audit.py documents the shape); this module turns a
page of events into rows for the audit page at display time, with a fixed number of queries
whatever the page holds. Templates render the rows as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from casework.models import AuditEvent, Case, StaffProfile
from core.audit import REDACTED, AuditAction

EMPTY = "—"

# Object types recorded under a name that is not a casework model's.
OBJECT_MODELS: dict[str, tuple[type[models.Model], ...]] = {
    "staff": (StaffProfile, get_user_model()),
    "user": (get_user_model(),),
    "group": (Group,),
}

# Labels for audited fields whose model gives no translated verbose name (the models' own
# verbose names win wherever they exist).
FIELD_LABELS = {
    "members": gettext_lazy("household members (number)"),
    "assigned_worker": gettext_lazy("assigned worker"),
    "shared_with": gettext_lazy("shared with"),
    "status": gettext_lazy("status"),
    "status_before_closure": gettext_lazy("status before closure"),
    "closure_reason": gettext_lazy("closure reason"),
    "closure_requested_by": gettext_lazy("closure requested by"),
    "closed_on": gettext_lazy("closed on"),
    "closed_by": gettext_lazy("closed by"),
    "child_labour_status": gettext_lazy("child labour status"),
    "province_code": gettext_lazy("province"),
    "regency_code": gettext_lazy("regency / city"),
    "next_due_on": gettext_lazy("next due on"),
    "has_overdue": gettext_lazy("overdue"),
    "is_overdue": gettext_lazy("overdue"),
    "reviewed_by": gettext_lazy("reviewed by"),
    "reviewed_at": gettext_lazy("reviewed at"),
    "review_comment": gettext_lazy("review comment"),
    "approved_by": gettext_lazy("approved by"),
    "approved_at": gettext_lazy("approved at"),
    "version": gettext_lazy("version"),
    "created_at": gettext_lazy("created at"),
    "updated_at": gettext_lazy("updated at"),
    "recorded_by": gettext_lazy("recorded by"),
    "verified_by": gettext_lazy("verified by"),
    "author": gettext_lazy("author"),
    "assessor": gettext_lazy("assessor"),
    "child": gettext_lazy("child"),
    "case": gettext_lazy("case"),
    "household": gettext_lazy("household"),
    "user": gettext_lazy("account"),
    "size": gettext_lazy("size"),
    "password": gettext_lazy("password"),
    # Referrals live in the network's tables, recorded here by the sender and the receiver.
    "to_agency": gettext_lazy("to agency"),
    "service_type": gettext_lazy("service type"),
    "shared_fields": gettext_lazy("shared fields"),
    "state": gettext_lazy("state"),
}

# Names of recorded object types whose model has no translated verbose name: (one, many).
OBJECT_LABELS = {
    "caseplan": (gettext_lazy("case plan"), gettext_lazy("case plans")),
    "followup": (gettext_lazy("follow-up"), gettext_lazy("follow-ups")),
    "verification": (gettext_lazy("verification visit"), gettext_lazy("verification visits")),
    "note": (gettext_lazy("note"), gettext_lazy("notes")),
    "attachment": (gettext_lazy("attachment"), gettext_lazy("attachments")),
    "householdmember": (gettext_lazy("household member"), gettext_lazy("household members")),
    "referral": (gettext_lazy("referral"), gettext_lazy("referrals")),
}
# Bookkeeping columns that say nothing to a reader (the event has its own time).
HIDDEN_FIELDS = frozenset({"uuid", "normalized_name", "created_at", "updated_at"})
# How services record a text's length instead of the text (a note's body).
LENGTH_RE = re.compile(r"^(\d+) characters$")

# Labels of the facts an event keeps in `details` (core/audit.py documents them).
DETAIL_LABELS = {
    "reason": gettext_lazy("Reason"),
    "comment": gettext_lazy("Comment"),
    "query": gettext_lazy("Searched for"),
    "count": gettext_lazy("Records shown"),
    "rows": gettext_lazy("Rows"),
    "filters": gettext_lazy("Filters"),
    "via": gettext_lazy("Through"),
    "username": gettext_lazy("Username typed"),
    "goals": gettext_lazy("Goals"),
    "version": gettext_lazy("Version"),
}
VIA_LABELS = {
    "admin": gettext_lazy("Django admin"),
    "session": gettext_lazy("login page"),
    "token": gettext_lazy("API token"),
    "staff": gettext_lazy("staff management"),
}
# Details never shown as such: the ids of a list are summed up by its count.
HIDDEN_DETAILS = frozenset({"ids"})


@dataclass(frozen=True)
class Change:
    """A field's label with its value before and after (`old` is None for a new row)."""

    label: str
    old: str | None
    new: str


@dataclass
class AuditRow:
    """One event ready to show."""

    at: datetime
    when: str
    who: str
    action: str
    action_code: str
    subject: str
    changes: list[Change] = field(default_factory=list)
    details: list[tuple[str, str]] = field(default_factory=list)
    ip_address: str = ""


# Casework models never named by an event (bookkeeping rows).
UNAUDITED_MODELS = frozenset(
    {"auditevent", "notification", "formsubmission", "taskrun", "casereferencecounter"}
)


def object_type_choices() -> list[tuple[str, str]]:
    """The object types events name, as (code, the reader's word), sorted by the word: the
    audit page's filter offers words, the trail stores codes."""
    codes: set[str] = {*OBJECT_MODELS, *OBJECT_LABELS}
    for model in apps.get_app_config("casework").get_models():
        name = model._meta.model_name
        if name and name not in UNAUDITED_MODELS:
            codes.add(name)
    labelled = [(code, _type_label(code).capitalize()) for code in codes]
    return sorted(labelled, key=lambda pair: pair[1].casefold())


def audit_rows(events: list[AuditEvent]) -> list[AuditRow]:
    """Rows for the audit page, in the active language and time zone (two queries at most)."""
    events = list(events)
    references = _case_references(events)
    usernames = _usernames(events)
    return [_row(event, references, usernames) for event in events]


def _case_references(events: list[AuditEvent]) -> dict[int, str]:
    ids = {event.case_id for event in events if event.case_id}
    ids |= {
        int(event.object_id)
        for event in events
        if event.object_type == "case" and event.object_id.isdigit()
    }
    if not ids:
        return {}
    return dict(Case.objects.filter(pk__in=ids).values_list("pk", "reference"))


def _user_fields(event: AuditEvent) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for name, pair in event.changed_fields.items():
        model_field = _model_field(event.object_type, name)
        if _is_user_relation(model_field):
            found.extend((name, value) for value in pair)
    return found


def _usernames(events: list[AuditEvent]) -> dict[int, str]:
    ids: set[int] = set()
    for event in events:
        for _name, value in _user_fields(event):
            values = value if isinstance(value, list) else [value]
            ids |= {item for item in values if isinstance(item, int)}
    if not ids:
        return {}
    return dict(get_user_model().objects.filter(pk__in=ids).values_list("pk", "username"))


def _is_user_relation(model_field: models.Field | None) -> bool:
    return bool(
        model_field is not None
        and model_field.is_relation
        and model_field.related_model is not None
        # A user relation names its model: never the string "self".
        and model_field.related_model._meta.label == settings.AUTH_USER_MODEL  # type: ignore[union-attr]
    )


def _models_for(object_type: str) -> tuple[type[models.Model], ...]:
    if object_type in OBJECT_MODELS:
        return OBJECT_MODELS[object_type]
    try:
        return (apps.get_model("casework", object_type),)
    except LookupError:
        return ()


def _model_field(object_type: str, name: str) -> models.Field | None:
    for model in _models_for(object_type):
        for candidate in (name, name.removesuffix("_id")):
            try:
                found = model._meta.get_field(candidate)
            except FieldDoesNotExist:
                continue
            # changed_fields name concrete fields (core.audit.snapshot), and a service may add
            # a summary of related rows ("members": [before, after] counts): a reverse
            # relation has no verbose name, so it is labelled from FIELD_LABELS.
            if isinstance(found, models.Field):
                return found
            return None
    return None


def _type_label(object_type: str, plural: bool = False) -> str:
    if object_type == "staff":
        return _("staff accounts") if plural else _("staff account")
    if object_type in OBJECT_LABELS:
        return str(OBJECT_LABELS[object_type][1 if plural else 0])
    found = _models_for(object_type)
    if not found:
        return object_type
    meta = found[0]._meta
    return str(meta.verbose_name_plural if plural else meta.verbose_name)


def _subject(event: AuditEvent, references: dict[int, str]) -> str:
    if event.object_type == "case" and event.object_id.isdigit():
        reference = references.get(int(event.object_id), event.object_id)
        return _("Case %(reference)s") % {"reference": reference}
    if event.object_id == "*":
        text = _type_label(event.object_type, plural=True).capitalize()
    elif event.object_id:
        text = f"{_type_label(event.object_type).capitalize()} #{event.object_id}"
    else:
        text = _type_label(event.object_type).capitalize()
    if event.case_id:
        reference = references.get(event.case_id, str(event.case_id))
        case_label = _("Case %(reference)s") % {"reference": reference}
        text = f"{text} · {case_label}"
    return text


def _local(value: datetime) -> str:
    local = timezone.localtime(value)
    return f"{formats.date_format(local, 'SHORT_DATETIME_FORMAT')} {local.tzname()}"


def _value(model_field: models.Field | None, value: Any, usernames: dict[int, str]) -> str:
    if value == REDACTED:
        return _("(hidden)")
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, list):
        return ", ".join(_value(model_field, item, usernames) for item in value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if _is_user_relation(model_field) and isinstance(value, int):
        return usernames.get(value, f"#{value}")
    if model_field is not None and model_field.is_relation and isinstance(value, int):
        return f"#{value}"
    if model_field is not None and model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(model_field, models.DateTimeField) and isinstance(value, str):
        try:
            return _local(datetime.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(model_field, models.DateField) and isinstance(value, str):
        try:
            return formats.date_format(date.fromisoformat(value), "SHORT_DATE_FORMAT")
        except ValueError:
            return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return formats.localize(value)
    length = LENGTH_RE.match(str(value))
    if length:
        count = int(length.group(1))
        return ngettext("%(count)s character", "%(count)s characters", count) % {
            "count": formats.localize(count)
        }
    return str(value)


def _field_label(model_field: models.Field | None, name: str) -> str:
    """The field's translated verbose name, else a label of ours, else the column name."""
    key = model_field.name if model_field is not None else name.removesuffix("_id")
    if model_field is not None and isinstance(model_field.verbose_name, Promise):
        label = str(model_field.verbose_name)
    elif key in FIELD_LABELS:
        label = str(FIELD_LABELS[key])
    elif model_field is not None:
        label = str(model_field.verbose_name)
    else:
        label = name
    return label[:1].upper() + label[1:]


def _changes(event: AuditEvent, usernames: dict[int, str]) -> list[Change]:
    rows = []
    for name, pair in event.changed_fields.items():
        if not (isinstance(pair, list) and len(pair) == 2):
            continue  # written before the one shape: shown with the details
        old, new = pair
        if name in HIDDEN_FIELDS:
            continue
        if event.action == AuditAction.CREATE and new in (None, "", []):
            continue  # a new row's empty fields say nothing
        model_field = _model_field(event.object_type, name)
        label = _field_label(model_field, name)
        before = None if event.action == AuditAction.CREATE else _value(model_field, old, usernames)
        rows.append(Change(label, before, _value(model_field, new, usernames)))
    return rows


def _detail_value(name: str, value: Any) -> str:
    if name == "via":
        return str(VIA_LABELS.get(value, value))
    if name == "filters" and isinstance(value, dict):
        return "; ".join(
            f"{key}: {', '.join(map(str, item)) if isinstance(item, list) else item}"
            for key, item in value.items()
        )
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return formats.localize(value)
    return str(value)


def _details(event: AuditEvent) -> list[tuple[str, str]]:
    facts = dict(event.details)
    # Events written before the one shape kept such facts in changed_fields.
    facts.update(
        (name, value)
        for name, value in event.changed_fields.items()
        if not (isinstance(value, list) and len(value) == 2)
    )
    return [
        (str(DETAIL_LABELS.get(name, name)), _detail_value(name, value))
        for name, value in facts.items()
        if name not in HIDDEN_DETAILS
    ]


def _row(event: AuditEvent, references: dict[int, str], usernames: dict[int, str]) -> AuditRow:
    try:
        action = str(AuditAction(event.action).label)
    except ValueError:
        action = event.action
    return AuditRow(
        at=event.at,
        when=_local(event.at),
        who=event.actor_username,
        action=action,
        action_code=event.action,
        subject=_subject(event, references),
        changes=_changes(event, usernames),
        details=_details(event),
        ip_address=event.ip_address or "",
    )
