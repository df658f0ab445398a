"""Case plans: goals and planned services, submission and supervisor review."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework import validation
from casework.access import (
    Capability,
    case_for_editing,
    require,
)
from casework.audit import audit_record
from casework.models import (
    Assessment,
    CasePlan,
    PlanGoal,
    PlannedService,
)
from casework.services._common import (
    _case_worker_or_error,
    _invalid,
    record_version,
    version_check,
)
from casework.services.consents import _ensure_consented
from casework.services.notifications import notify_returned
from casework.services.states import Status, _ensure_open, _transition
from core.audit import AuditAction, changes, snapshot
from core.errors import ApplicationError, InvalidTransitionError, NotFoundError


def plan_version(plan: CasePlan | None) -> str:
    """The plan's version, its goals included (`plan_save(expected_version=...)` checks it);
    a case without a plan has the version of "no plan"."""
    if plan is None or plan.pk is None:
        return record_version(None)
    goals = list(
        plan.goals.order_by("id").values("id", "description", "target_date", "achieved_on")
    )
    return record_version(plan.summary, plan.status, plan.version, goals)


@transaction.atomic
def plan_save(
    *,
    actor: User,
    case_id: int,
    summary: str,
    goals: list[dict[str, Any]],
    submit: bool,
    expected_version: str | None = None,
) -> CasePlan:
    """Write the case plan (goals with planned services), replacing the previous draft;
    `submit` sends it for supervisor approval, which needs an approved assessment (a draft
    does not). A goal given with its `id` is kept (with its achieved date and the services
    linked to it); goals left out are removed."""
    case = case_for_editing(actor, case_id)
    _ensure_consented(case)
    if submit and not case.assessments.filter(status=Assessment.Status.APPROVED).exists():
        raise ApplicationError(
            _("The plan needs an approved assessment first."),
            code="assessment_required",
            fields={"assessment": [_("No approved assessment yet.")]},
        )
    if submit and not goals:
        raise _invalid("goals", _("A plan needs at least one goal."))
    current = CasePlan.objects.select_for_update().filter(case=case).first()
    version_check(expected_version, plan_version(current))
    plan, created = CasePlan.objects.select_for_update().get_or_create(case=case)
    if plan.status == CasePlan.Status.SUBMITTED:
        raise _invalid("status", _("The plan is awaiting approval; it cannot be changed now."))
    if plan.status == CasePlan.Status.APPROVED and case.status != Status.RELAPSED:
        plan.version += 1
    # Targets the plan already had may have passed; only new ones must still be ahead.
    kept_targets = set(plan.goals.values_list("target_date", flat=True))
    existing = {goal.pk: goal for goal in plan.goals.select_for_update()}
    kept_ids = {goal.get("id") for goal in goals if goal.get("id") in existing}
    plan.goals.exclude(pk__in=kept_ids).delete()
    for goal_index, goal in enumerate(goals):
        goal_row = existing[goal["id"]] if goal.get("id") in kept_ids else PlanGoal(plan=plan)
        goal_row.description = (goal.get("description") or "").strip()
        # None is refused by full_clean below, with the field's own message.
        goal_row.target_date = goal.get("target_date")  # type: ignore[assignment]
        try:
            goal_row.full_clean(exclude=["plan"])
        except ValidationError as error:
            raise ApplicationError(
                _("Some goals are not valid."),
                fields={f"goals[{goal_index}].{k}": v for k, v in error.message_dict.items()},
            ) from None
        if goal_row.target_date not in kept_targets:
            found = validation.errors(validation.PLAN_GOAL, {"target_date": goal_row.target_date})
            if found:
                raise ApplicationError(
                    _("Some goals are not valid."),
                    fields={f"goals[{goal_index}].{k}": v for k, v in found.items()},
                )
        goal_row.save()
        goal_row.services.all().delete()
        for service_index, service in enumerate(goal.get("services", [])):
            prefix = f"goals[{goal_index}].services[{service_index}]"
            worker = _case_worker_or_error(
                service.get("responsible_worker_id"),
                f"{prefix}.responsible_worker_id",
                actor=actor,
                case=case,
            )
            service_row = PlannedService(
                goal=goal_row,
                type=service.get("type"),
                provider_kind=service.get("provider_kind", PlannedService.ProviderKind.OWN),
                provider_name=service.get("provider_name", ""),
                responsible_worker=worker,
                due_on=service.get("due_on"),
            )
            try:
                service_row.full_clean(exclude=["goal", "responsible_worker"])
            except ValidationError as error:
                raise ApplicationError(
                    _("Some planned services are not valid."),
                    fields={f"{prefix}.{k}": v for k, v in error.message_dict.items()},
                ) from None
            service_row.save()
    before_status = plan.status
    plan.summary = summary or ""
    plan.status = CasePlan.Status.SUBMITTED if submit else CasePlan.Status.DRAFT
    plan.approved_by = None
    plan.approved_at = None
    plan.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        instance=plan,
        case_id=case.pk,
        changed_fields={"status": [None if created else before_status, plan.status]},
        details={"goals": len(goals), "version": plan.version},
    )
    return plan


@transaction.atomic
def plan_review(*, actor: User, case_id: int, approve: bool, comment: str = "") -> CasePlan:
    """A supervisor approves the submitted plan (case becomes 'planned') or returns it."""
    require(actor, Capability.APPROVE)
    case = case_for_editing(actor, case_id)
    _ensure_open(case)
    plan = CasePlan.objects.select_for_update().filter(case=case).first()
    if plan is None or plan.status != CasePlan.Status.SUBMITTED:
        raise InvalidTransitionError(
            current=plan.status if plan else "none",
            requested="approved" if approve else "revision_needed",
            allowed=[],
            labels=dict(CasePlan.Status.choices),
        )
    if not approve and not comment.strip():
        raise _invalid("comment", _("Say what needs to change."))
    before = plan.status
    plan.status = CasePlan.Status.APPROVED if approve else CasePlan.Status.REVISION_NEEDED
    plan.approved_by = actor if approve else None
    plan.approved_at = timezone.now() if approve else None
    plan.review_comment = comment.strip()
    plan.save(
        update_fields=["status", "approved_by", "approved_at", "review_comment", "updated_at"]
    )
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=plan,
        case_id=case.pk,
        changed_fields={"status": [before, plan.status]},
        details={"comment": comment.strip()} if comment.strip() else None,
    )
    if approve and case.status in (Status.ASSESSED, Status.RELAPSED):
        _transition(case, Status.PLANNED, actor=actor)
    if not approve and case.assigned_worker is not None:
        notify_returned(
            user=case.assigned_worker,
            case_id=case.pk,
            reference=case.reference,
            what="plan",
            key=f"returned:plan:{plan.pk}:{timezone.now():%Y%m%d%H%M%S%f}",
        )
    return plan


@transaction.atomic
def goal_mark_achieved(
    *, actor: User, case_id: int, goal_id: int, achieved_on: date | None
) -> PlanGoal:
    """Mark a plan goal achieved on a day (or not achieved after all, with None)."""
    case = case_for_editing(actor, case_id)
    _ensure_open(case)
    goal = PlanGoal.objects.select_for_update().filter(pk=goal_id, plan__case=case).first()
    if goal is None:
        raise NotFoundError(_("Goal not found."))
    if achieved_on is not None:
        validation.check(validation.GOAL_ACHIEVED, {"achieved_on": achieved_on})
    before = snapshot(goal, ["achieved_on"])
    goal.achieved_on = achieved_on
    goal.save(update_fields=["achieved_on"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=goal,
        case_id=case.pk,
        changed_fields=changes(before, snapshot(goal, ["achieved_on"])),
    )
    return goal
