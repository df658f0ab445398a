"""Services delivered, notes, follow-ups and verification visits."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from casework import validation
from casework.access import (
    case_for_editing,
)
from casework.audit import audit_created, audit_record
from casework.models import (
    Case,
    CasePlan,
    FollowUp,
    Intervention,
    Note,
    PlanGoal,
    Verification,
)
from casework.services._common import _case_worker_or_error, _full_clean, _invalid
from casework.services.consents import _ensure_consented
from casework.services.ngo import ngo_settings
from casework.services.states import Status, _ensure_open, _transition
from core import clock
from core.audit import AuditAction, changes, snapshot
from core.errors import NotFoundError


@transaction.atomic
def intervention_record(
    *, actor: User, case_id: int, goal_id: int | None = None, **values: object
) -> Intervention:
    """Record a service delivered, optionally towards one of the plan's goals; the first one
    after plan approval starts 'in_service'."""
    case = case_for_editing(actor, case_id)
    _ensure_consented(case)
    goal = None
    if goal_id is not None:
        goal = PlanGoal.objects.filter(pk=goal_id, plan__case=case).first()
        if goal is None:
            raise _invalid("goal_id", _("Choose one of this case's plan goals."))
    intervention = Intervention(case=case, recorded_by=actor, goal=goal, **values)
    _full_clean(intervention, exclude=["case", "recorded_by", "goal"])
    validation.check(validation.INTERVENTION, {"delivered_on": intervention.delivered_on})
    intervention.save()
    audit_created(actor=actor, instance=intervention, case_id=case.pk)
    if case.status in (Status.PLANNED, Status.MONITORING):
        _transition(case, Status.IN_SERVICE, actor=actor)
    return intervention


@transaction.atomic
def note_add(*, actor: User, case_id: int, body: str) -> Note:
    """Add a case note (closed cases are read-only)."""
    case = case_for_editing(actor, case_id)
    _ensure_open(case)
    if not body or not body.strip():
        raise _invalid("body", _("This field is required."))
    note = Note.objects.create(case=case, author=actor, body=body.strip())
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=note,
        case_id=case.pk,
        changed_fields={"body": [None, f"{len(note.body)} characters"]},
    )
    return note


def case_followups_refresh(case: Case) -> None:
    """Recompute the case's next due date and overdue flag from its open follow-ups."""
    today = clock.today()
    open_followups = FollowUp.objects.filter(case=case, completed_on__isnull=True)
    next_due = open_followups.order_by("due_on").values_list("due_on", flat=True).first()
    case.next_due_on = next_due
    case.has_overdue = bool(next_due and next_due < today)
    case.save(update_fields=["next_due_on", "has_overdue", "updated_at"])


@transaction.atomic
def followup_schedule(
    *,
    actor: User,
    case_id: int,
    due_on: date | None = None,
    kind: str = FollowUp.Kind.VISIT,
    assigned_worker_id: int | None = None,
    purpose: str = "",
) -> FollowUp:
    """Schedule a follow-up or verification visit (default due date from NGO settings)."""
    case = case_for_editing(actor, case_id)
    _ensure_open(case)
    settings_row = ngo_settings()
    if due_on is None:
        days = (
            settings_row.verification_interval_days
            if kind == FollowUp.Kind.VERIFICATION
            else settings_row.followup_interval_days
        )
        due_on = clock.today() + timedelta(days=days)
    validation.check(validation.FOLLOWUP, {"due_on": due_on})
    worker = case.assigned_worker
    if assigned_worker_id is not None:
        worker = _case_worker_or_error(
            assigned_worker_id, "assigned_worker_id", actor=actor, case=case
        )
    if worker is None:
        raise _invalid("assigned_worker_id", _("The case has no worker; choose one."))
    followup = FollowUp(
        case=case, kind=kind, due_on=due_on, assigned_worker=worker, purpose=purpose
    )
    _full_clean(followup, exclude=["case", "assigned_worker"])
    followup.is_overdue = due_on < clock.today()
    followup.save()
    audit_created(actor=actor, instance=followup, case_id=case.pk)
    case_followups_refresh(case)
    return followup


@transaction.atomic
def followup_complete(
    *, actor: User, case_id: int, followup_id: int, completed_on: date, notes: str = ""
) -> FollowUp:
    """Mark a follow-up done."""
    case = case_for_editing(actor, case_id)
    _ensure_open(case)
    followup = FollowUp.objects.select_for_update().filter(pk=followup_id, case=case).first()
    if followup is None:
        raise NotFoundError(_("Follow-up not found."))
    if followup.completed_on is not None:
        raise _invalid("completed_on", _("This follow-up is already completed."))
    validation.check(validation.FOLLOWUP_COMPLETION, {"completed_on": completed_on})
    before = snapshot(followup)
    followup.completed_on = completed_on
    followup.notes = notes
    followup.is_overdue = False
    followup.save(update_fields=["completed_on", "notes", "is_overdue"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=followup,
        case_id=case.pk,
        changed_fields=changes(before, snapshot(followup)),
    )
    case_followups_refresh(case)
    return followup


@transaction.atomic
def verification_record(*, actor: User, case_id: int, **values: object) -> Verification:
    """Record a verification visit. Seen back at work: the case relapses and its plan needs
    revision. Left work and in school or training: the case moves to monitoring."""
    case = case_for_editing(actor, case_id)
    _ensure_consented(case)
    verification = Verification(case=case, verified_by=actor, **values)
    _full_clean(verification, exclude=["case", "verified_by"])
    validation.check(validation.VERIFICATION, {"visited_on": verification.visited_on})
    if verification.seen_back_at_work and verification.left_work:
        raise _invalid("left_work", _("A child seen back at work has not left the work."))
    verification.save()
    audit_created(actor=actor, instance=verification, case_id=case.pk)
    # The visit completes the earliest open verification follow-up, if one is scheduled.
    open_visit = (
        FollowUp.objects.select_for_update()
        .filter(case=case, kind=FollowUp.Kind.VERIFICATION, completed_on__isnull=True)
        .order_by("due_on")
        .first()
    )
    if open_visit is not None:
        before = snapshot(open_visit)
        open_visit.completed_on = verification.visited_on
        open_visit.is_overdue = False
        open_visit.save(update_fields=["completed_on", "is_overdue"])
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=open_visit,
            case_id=case.pk,
            changed_fields=changes(before, snapshot(open_visit)),
        )
        case_followups_refresh(case)
    if verification.seen_back_at_work:
        if case.status != Status.RELAPSED:
            _transition(case, Status.RELAPSED, actor=actor, reason="seen back at work")
        plan = CasePlan.objects.select_for_update().filter(case=case).first()
        if plan is not None and plan.status != CasePlan.Status.REVISION_NEEDED:
            before_status = plan.status
            plan.status = CasePlan.Status.REVISION_NEEDED
            plan.save(update_fields=["status", "updated_at"])
            audit_record(
                actor=actor,
                action=AuditAction.UPDATE,
                instance=plan,
                case_id=case.pk,
                changed_fields={"status": [before_status, plan.status]},
            )
    elif (
        verification.left_work
        and verification.in_school_or_training
        and case.status in (Status.PLANNED, Status.IN_SERVICE)
    ):
        _transition(case, Status.MONITORING, actor=actor)
    return verification
