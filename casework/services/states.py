"""The case status machine: allowed transitions and the checks every write makes."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.utils.translation import gettext as _

from casework.audit import audit_record
from casework.models import (
    Case,
)
from core.audit import AuditAction
from core.errors import ApplicationError, InvalidTransitionError

Status = Case.Status


ACTIVE_STATUSES = [s for s in Status.values if s not in (Status.CLOSED,)]


TRANSITIONS: dict[str, list[str]] = {
    Status.IDENTIFIED: [Status.REGISTERED, Status.CLOSURE_REQUESTED],
    Status.REGISTERED: [Status.ASSESSED, Status.CLOSURE_REQUESTED],
    Status.ASSESSED: [Status.PLANNED, Status.CLOSURE_REQUESTED],
    Status.PLANNED: [
        Status.IN_SERVICE,
        Status.MONITORING,
        Status.RELAPSED,
        Status.CLOSURE_REQUESTED,
    ],
    Status.IN_SERVICE: [Status.MONITORING, Status.RELAPSED, Status.CLOSURE_REQUESTED],
    Status.MONITORING: [Status.IN_SERVICE, Status.RELAPSED, Status.CLOSURE_REQUESTED],
    Status.RELAPSED: [Status.PLANNED, Status.CLOSURE_REQUESTED],
    # Rejecting a closure request returns to the status the case had before it.
    Status.CLOSURE_REQUESTED: [
        Status.CLOSED,
        Status.IDENTIFIED,
        Status.REGISTERED,
        Status.ASSESSED,
        Status.PLANNED,
        Status.IN_SERVICE,
        Status.MONITORING,
        Status.RELAPSED,
    ],
    Status.CLOSED: [Status.REGISTERED, Status.IN_SERVICE],
}


# Statuses from which case work (assessments, plans, services) may be recorded: consent given.
CONSENTED_STATUSES = [
    Status.REGISTERED,
    Status.ASSESSED,
    Status.PLANNED,
    Status.IN_SERVICE,
    Status.MONITORING,
    Status.RELAPSED,
]


def allowed_next(case: Case) -> list[str]:
    """The statuses `case` may move to next."""
    if case.status == Status.CLOSURE_REQUESTED:
        return [Status.CLOSED, case.status_before_closure or Status.REGISTERED]
    return list(TRANSITIONS[case.status])


def _transition(case: Case, to_status: str, *, actor: User, reason: str = "") -> Case:
    allowed = allowed_next(case)
    if to_status not in allowed:
        raise InvalidTransitionError(
            current=case.status,
            requested=to_status,
            allowed=allowed,
            labels=dict(Case.Status.choices),
        )
    before = case.status
    case.status = to_status
    case.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.TRANSITION,
        instance=case,
        case_id=case.pk,
        changed_fields={"status": [before, to_status]},
        details={"reason": reason} if reason else None,
    )
    return case


def _ensure_open(case: Case) -> None:
    if case.status == Status.CLOSED:
        raise ApplicationError(
            _("This case is closed and read-only; reopen it with a reason first."),
            code="case_closed",
            fields={"status": [_("Allowed next states: %(allowed)s.") % {"allowed": _("reopen")}]},
        )
