"""Assessments: recording (with derived child-labour status) and supervisor review."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework import validation
from casework.access import (
    Capability,
    case_for_editing,
    require,
)
from casework.audit import audit_created, audit_record
from casework.models import (
    Assessment,
)
from casework.rules import age_on, assessment_statuses, suggest_risk
from casework.services._common import _full_clean, _invalid
from casework.services.consents import _ensure_consented
from casework.services.ngo import ngo_settings
from casework.services.notifications import notify_returned
from casework.services.states import Status, _ensure_open, _transition
from core import clock
from core.audit import AuditAction, changes, snapshot
from core.errors import ApplicationError, InvalidTransitionError, NotFoundError

ASSESSMENT_INPUT_FIELDS = (
    "assessed_on",
    "works",
    "sector",
    "tasks",
    "employer_type",
    "hours_per_week",
    "night_work",
    "monthly_wage",
    "hazards",
    "worst_forms",
    "schooling_notes",
    "health_notes",
    "psychosocial_notes",
    "family_economy_notes",
    "safety_notes",
    "score_education",
    "score_health",
    "score_psychosocial",
    "score_safety",
    "score_family_economy",
    "risk_level",
)


def _unknown_fields_check(values: dict[str, object]) -> None:
    unknown = set(values) - set(ASSESSMENT_INPUT_FIELDS)
    if unknown:
        raise ApplicationError(
            _("Unknown fields."), fields={name: [_("Unknown field.")] for name in sorted(unknown)}
        )


def _assessment_derive(assessment: Assessment) -> None:
    """Validate the answers and derive what the worker never types: age, child-labour status
    under both standards, suggested risk."""
    child = assessment.case.child
    assessment.age_at_assessment = age_on(
        assessment.assessed_on or clock.today(),
        date_of_birth=child.date_of_birth,
        birth_year=child.birth_year,
    )
    assessment.suggested_risk_level = "low"
    assessment.status_bps = assessment.status_ilo = ""
    _full_clean(
        assessment,
        exclude=["case", "assessor", "suggested_risk_level", "status_bps", "status_ilo"],
    )
    validation.check(
        validation.ASSESSMENT,
        {"assessed_on": assessment.assessed_on, "hours_per_week": assessment.hours_per_week},
    )
    if not assessment.works:  # the hours given were checked like the page and the API do
        assessment.hours_per_week = 0
    statuses = assessment_statuses(
        age=assessment.age_at_assessment,
        works=assessment.works,
        hours_per_week=assessment.hours_per_week,
        hazards=assessment.hazards,
        night_work=assessment.night_work,
        worst_forms=assessment.worst_forms,
    )
    assessment.status_bps, assessment.status_ilo = statuses["bps"], statuses["ilo"]
    chosen = getattr(assessment, f"status_{ngo_settings().classification_standard}")
    assessment.suggested_risk_level = suggest_risk(
        status=chosen, night_work=assessment.night_work, scores=assessment.scores()
    )


@transaction.atomic
def assessment_create(*, actor: User, case_id: int, **values: object) -> Assessment:
    """Record an assessment; the child-labour status (both standards) and a suggested risk are
    derived, the worker sets the risk level. Awaits supervisor approval."""
    case = case_for_editing(actor, case_id)
    _ensure_consented(case)
    _unknown_fields_check(values)
    assessment = Assessment(case=case, assessor=actor, **values)
    _assessment_derive(assessment)
    assessment.save()
    audit_created(actor=actor, instance=assessment, case_id=case.pk)
    return assessment


@transaction.atomic
def assessment_resubmit(
    *, actor: User, case_id: int, assessment_id: int, **values: object
) -> Assessment:
    """Correct a returned assessment and send it for approval again (the supervisor's comment
    stays on it, for the record); everything derived is derived anew."""
    case = case_for_editing(actor, case_id)
    _ensure_consented(case)
    _unknown_fields_check(values)
    assessment = Assessment.objects.select_for_update().filter(pk=assessment_id, case=case).first()
    if assessment is None:
        raise NotFoundError(_("Assessment not found."))
    if assessment.status != Assessment.Status.RETURNED:
        raise ApplicationError(
            _("Only an assessment returned for changes can be corrected."),
            code="invalid_transition",
            fields={"status": [_("Only an assessment returned for changes can be corrected.")]},
        )
    before = snapshot(assessment)
    for name, value in values.items():
        setattr(assessment, name, value)
    assessment.case = case
    _assessment_derive(assessment)
    assessment.status = Assessment.Status.SUBMITTED
    assessment.save()
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=assessment,
        case_id=case.pk,
        changed_fields=changes(before, snapshot(assessment)),
    )
    return assessment


@transaction.atomic
def assessment_review(
    *, actor: User, case_id: int, assessment_id: int, approve: bool, comment: str = ""
) -> Assessment:
    """A supervisor approves (or returns) an assessment; approval updates the case's risk and
    child-labour status and moves a registered case to 'assessed'."""
    require(actor, Capability.APPROVE)
    case = case_for_editing(actor, case_id)
    _ensure_open(case)
    assessment = Assessment.objects.select_for_update().filter(pk=assessment_id, case=case).first()
    if assessment is None:
        raise NotFoundError(_("Assessment not found."))
    if assessment.status != Assessment.Status.SUBMITTED:
        raise InvalidTransitionError(
            current=assessment.status,
            requested="approved" if approve else "returned",
            allowed=[],
            labels=dict(Assessment.Status.choices),
        )
    if not approve and not comment.strip():
        raise _invalid("comment", _("Say what needs to change."))
    before = snapshot(assessment, ["status", "reviewed_by_id", "review_comment"])
    assessment.status = Assessment.Status.APPROVED if approve else Assessment.Status.RETURNED
    assessment.reviewed_by = actor
    assessment.reviewed_at = timezone.now()
    assessment.review_comment = comment.strip()
    assessment.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_comment"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=assessment,
        case_id=case.pk,
        changed_fields=changes(before, snapshot(assessment, list(before))),
    )
    if approve:
        standard = ngo_settings().classification_standard
        case.risk_level = assessment.risk_level
        case.child_labour_status = getattr(assessment, f"status_{standard}")
        case.save(update_fields=["risk_level", "child_labour_status", "updated_at"])
        if case.status == Status.REGISTERED:
            _transition(case, Status.ASSESSED, actor=actor)
    else:
        notify_returned(
            user=assessment.assessor,
            case_id=case.pk,
            reference=case.reference,
            what="assessment",
            key=f"returned:assessment:{assessment.pk}:{assessment.reviewed_at:%Y%m%d%H%M%S%f}",
        )
    return assessment
