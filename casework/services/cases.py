"""The case status machine, assignment, closure and reopening."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework import messages
from casework.access import (
    Capability,
    case_for_editing,
    case_holders,
    require,
)
from casework.audit import audit_record
from casework.models import (
    Case,
    CasePlan,
    FollowUp,
)
from casework.services._common import _case_worker_or_error, _invalid
from casework.services.delivery import case_followups_refresh
from casework.services.notifications import notification_send
from casework.services.states import Status, _ensure_open, _transition, allowed_next
from core import clock
from core.audit import AuditAction, snapshot
from core.errors import ApplicationError, InvalidTransitionError


@transaction.atomic
def case_assign(
    *, actor: User, case_id: int, worker_id: int, shared_with_ids: list[int] | None = None
) -> Case:
    """Assign the case to a worker and optionally share it with others (supervisors)."""
    require(actor, Capability.ASSIGN_CASES)
    case = case_for_editing(actor, case_id)
    _ensure_open(case)
    worker = _case_worker_or_error(worker_id, "worker_id")
    before = case.assigned_worker_id
    case.assigned_worker = worker
    case.save(update_fields=["assigned_worker", "updated_at"])
    fields: dict[str, list[object]] = {}
    if before != worker.pk:
        fields["assigned_worker_id"] = [before, worker.pk]
    newly_shared: list[User] = []
    if shared_with_ids is not None:
        # The assigned worker holds the case already: "shared with" lists the others.
        wanted = {pk for pk in shared_with_ids if pk != worker.pk}
        shared = list(case_holders().filter(pk__in=wanted))
        if len(shared) != len(wanted):
            raise _invalid("shared_with", _("Choose active staff members."))
        old = sorted(case.shared_with.values_list("pk", flat=True))
        case.shared_with.set(shared)
        new = sorted(user.pk for user in shared)
        if new != old:
            fields["shared_with"] = [old, new]
        newly_shared = [user for user in shared if user.pk not in old]
    elif case.shared_with.filter(pk=worker.pk).exists():
        case.shared_with.remove(worker)
    if not fields:
        return case  # nothing changed: nothing to audit or tell
    if before != worker.pk and worker.pk != actor.pk:
        notification_send(
            user=worker,
            case_id=case.pk,
            key=f"assigned:{case.pk}:{worker.pk}:{timezone.now().isoformat()}",
            code=messages.CASE_ASSIGNED,
            params={"reference": case.reference},
        )
    for user in newly_shared:
        if user.pk != actor.pk:
            notification_send(
                user=user,
                case_id=case.pk,
                key=f"shared:{case.pk}:{user.pk}:{timezone.now().isoformat()}",
                code=messages.CASE_SHARED,
                params={"reference": case.reference},
            )
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=case,
        case_id=case.pk,
        changed_fields=fields,
    )
    return case


@transaction.atomic
def case_closure_request(*, actor: User, case_id: int, reason: str, outcome: str) -> Case:
    """Ask a supervisor to close the case, with a reason and an outcome."""
    case = case_for_editing(actor, case_id)
    fields = {}
    if reason not in Case.ClosureReason.values:
        fields["reason"] = [
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(Case.ClosureReason.values)}
        ]
    if not outcome or not outcome.strip():
        fields["outcome"] = [_("Describe the outcome.")]
    if fields:
        raise ApplicationError(_("Closure needs a reason and an outcome."), fields=fields)
    previous = case.status
    _transition(case, Status.CLOSURE_REQUESTED, actor=actor)
    case.status_before_closure = previous
    case.closure_reason = reason
    case.closure_outcome = outcome.strip()
    case.closure_requested_by = actor
    case.save(
        update_fields=[
            "status_before_closure",
            "closure_reason",
            "closure_outcome",
            "closure_requested_by",
            "updated_at",
        ]
    )
    return case


@transaction.atomic
def case_closure_review(*, actor: User, case_id: int, approve: bool, comment: str = "") -> Case:
    """A supervisor closes the case or returns it to the status it had before the request."""
    require(actor, Capability.APPROVE)
    case = case_for_editing(actor, case_id)
    if case.status != Status.CLOSURE_REQUESTED:
        raise InvalidTransitionError(
            current=case.status,
            requested=Status.CLOSED if approve else "(reject closure)",
            allowed=allowed_next(case),
            labels={**dict(Status.choices), "(reject closure)": _("(reject closure)")},
        )
    if approve:
        _transition(case, Status.CLOSED, actor=actor, reason=comment.strip())
        case.closed_on = clock.today()
        case.closed_by = actor
        case.save(update_fields=["closed_on", "closed_by", "updated_at"])
        for followup in FollowUp.objects.filter(case=case, completed_on__isnull=True):
            audit_record(
                actor=actor,
                action=AuditAction.DELETE,
                instance=followup,
                case_id=case.pk,
                changed_fields={name: [value, None] for name, value in snapshot(followup).items()},
            )
            followup.delete()
        case_followups_refresh(case)
    else:
        if not comment.strip():
            raise _invalid("comment", _("Say why the case stays open."))
        _transition(
            case,
            case.status_before_closure or Status.REGISTERED,
            actor=actor,
            reason=comment.strip(),
        )
        case.closure_reason = ""
        case.closure_outcome = ""
        case.closure_requested_by = None
        case.status_before_closure = ""
        case.save(
            update_fields=[
                "closure_reason",
                "closure_outcome",
                "closure_requested_by",
                "status_before_closure",
                "updated_at",
            ]
        )
    return case


@transaction.atomic
def case_reopen(*, actor: User, case_id: int, reason: str) -> Case:
    """Reopen a closed case with a reason: back to services if a plan was approved.

    Closing needs a supervisor's approval, so reopening does too: a supervisor (or admin)
    reopens; a case worker asks them."""
    case = case_for_editing(actor, case_id)
    require(actor, Capability.APPROVE)
    if case.status != Status.CLOSED:
        raise InvalidTransitionError(
            current=case.status,
            requested="reopen",
            allowed=allowed_next(case),
            labels={**dict(Status.choices), "reopen": _("reopen")},
        )
    if not reason or not reason.strip():
        raise _invalid("reason", _("Give the reason for reopening."))
    has_plan = CasePlan.objects.filter(case=case, status=CasePlan.Status.APPROVED).exists()
    _transition(
        case,
        Status.IN_SERVICE if has_plan else Status.REGISTERED,
        actor=actor,
        reason=reason.strip(),
    )
    case.closed_on = None
    case.closed_by = None
    case.closure_reason = ""
    case.closure_outcome = ""
    case.save(
        update_fields=["closed_on", "closed_by", "closure_reason", "closure_outcome", "updated_at"]
    )
    return case
