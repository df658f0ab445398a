"""Write operations inside one NGO's schema. Every write checks access, validates, saves and
records an audit event in one transaction; status changes go through `_transition`."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework import crypto, regions
from casework.access import (
    Capability,
    can,
    case_for_editing,
    cases_visible_to,
    require,
    role_of,
)
from casework.audit import audit_created, audit_record, changes, snapshot
from casework.models import (
    Assessment,
    Attachment,
    Case,
    CasePlan,
    Child,
    Consent,
    FollowUp,
    Household,
    Intervention,
    NGOSettings,
    Note,
    Notification,
    PlanGoal,
    PlannedService,
    StaffProfile,
    TaskRun,
    Verification,
)
from casework.rules import age_on, child_labour_status, suggest_risk
from ngo_platform.errors import ApplicationError, InvalidTransitionError, NotFoundError

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
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
ATTACHMENT_TYPES = {
    # content type: (extensions, magic prefixes)
    "application/pdf": ((".pdf",), (b"%PDF-",)),
    "image/jpeg": ((".jpg", ".jpeg"), (b"\xff\xd8\xff",)),
    "image/png": ((".png",), (b"\x89PNG\r\n\x1a\n",)),
    "image/webp": ((".webp",), (b"RIFF",)),
}
NIK_RE = re.compile(r"[0-9]{16}")  # ASCII digits only: \d also matches "３" or "٣"


def _case_worker_or_error(user_id, field_name: str):
    """An active account that can work on cases (admin, supervisor or case worker)."""
    worker = (
        get_user_model().objects.filter(pk=user_id, is_active=True).first() if user_id else None
    )
    if worker is None or not can(worker, Capability.EDIT_CASES):
        raise ApplicationError(
            _("Unknown worker."), fields={field_name: [_("Choose an active staff member.")]}
        )
    return worker


def _invalid(field_name: str, message: str) -> ApplicationError:
    return ApplicationError(message, fields={field_name: [message]})


def _full_clean(instance, exclude: list[str] | None = None) -> None:
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as error:
        raise ApplicationError(_("Some fields are not valid."), fields=error.message_dict) from None


def _today() -> date:
    return timezone.localdate()


def normalize_name(name: str) -> str:
    """Lowercase, accents and punctuation removed, spaces collapsed: for duplicate checks."""
    decomposed = unicodedata.normalize("NFKD", name)
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    # Apostrophes join a name ("Ma'ruf" is "Maruf"); other punctuation separates words.
    joined = re.sub(r"['`\u2019\u02bc]", "", ascii_only.lower())
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", joined).split())


# --- NGO settings and staff -----------------------------------------------------------------


@transaction.atomic
def ngo_settings_initialize(*, ngo_name: str) -> NGOSettings:
    """Create the NGO's settings row if it does not exist yet (current schema)."""
    settings_row = NGOSettings.objects.first()
    if settings_row is None:
        settings_row = NGOSettings.objects.create(ngo_name=ngo_name)
    return settings_row


@transaction.atomic
def ngo_settings_update(*, actor, **values) -> NGOSettings:
    """Change the NGO's settings (admins only)."""
    require(actor, Capability.MANAGE_SETTINGS)
    settings_row = NGOSettings.objects.select_for_update().first()
    before = snapshot(settings_row)
    for name in ("classification_standard", "followup_interval_days", "verification_interval_days"):
        if name in values and values[name] is not None:
            setattr(settings_row, name, values[name])
    _full_clean(settings_row)
    settings_row.save()
    audit_record(
        actor=actor,
        action="update",
        instance=settings_row,
        changed_fields=changes(before, snapshot(settings_row)),
    )
    return settings_row


def ngo_settings() -> NGOSettings:
    return NGOSettings.objects.first() or NGOSettings(ngo_name="")


@transaction.atomic
def staff_create(
    *,
    actor,
    username: str,
    password: str,
    role: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
):
    """Create a staff account with a role in this NGO (admins only)."""
    require(actor, Capability.MANAGE_STAFF)
    user_model = get_user_model()
    if role not in StaffProfile.Role.values:
        raise _invalid(
            "role",
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(StaffProfile.Role.values)},
        )
    username = (username or "").strip().lower()
    if not username:
        raise _invalid("username", _("This field is required."))
    if user_model.objects.filter(username=username).exists():
        raise _invalid("username", _("A staff account with this username already exists."))
    user = user_model(username=username, email=email, first_name=first_name, last_name=last_name)
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        raise ApplicationError(
            _("The password is too weak."), fields={"password": list(error.messages)}
        ) from None
    user.set_password(password)
    user.is_staff = role == StaffProfile.Role.ADMIN
    _full_clean(user)
    user.save()
    profile = StaffProfile.objects.create(user=user, role=role, phone=phone)
    audit_record(
        actor=actor,
        action="create",
        instance=user,
        object_type="staff",
        changed_fields={"username": [None, username], "role": [None, role]},
    )
    return profile


@transaction.atomic
def staff_update(*, actor, user_id: int, role: str | None = None, is_active: bool | None = None):
    """Change a staff member's role or deactivate the account (admins only)."""
    require(actor, Capability.MANAGE_STAFF)
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        raise NotFoundError(_("Staff member not found."))
    profile, _created = StaffProfile.objects.get_or_create(
        user=user, defaults={"role": role_of(user) or StaffProfile.Role.CASE_WORKER}
    )
    diff = {}
    if role is not None and role != profile.role:
        if role not in StaffProfile.Role.values:
            raise _invalid(
                "role",
                _("Choose one of: %(choices)s.") % {"choices": ", ".join(StaffProfile.Role.values)},
            )
        diff["role"] = [profile.role, role]
        profile.role = role
        profile.save(update_fields=["role"])
        user.is_staff = role == StaffProfile.Role.ADMIN
        user.save(update_fields=["is_staff"])
    if is_active is not None and is_active != user.is_active:
        if user.pk == actor.pk and not is_active:
            raise _invalid("is_active", _("You cannot deactivate your own account."))
        diff["is_active"] = [user.is_active, is_active]
        user.is_active = is_active
        user.save(update_fields=["is_active"])
    if diff:
        audit_record(
            actor=actor, action="update", instance=user, object_type="staff", changed_fields=diff
        )
    return profile


# --- Registration ------------------------------------------------------------------------------


@dataclass
class ChildInput:
    full_name: str
    sex: str
    school_status: str
    known_as: str = ""
    date_of_birth: date | None = None
    birth_year: int | None = None
    birth_year_estimated: bool = False
    nik: str = ""
    last_grade: int | None = None


@dataclass
class HouseholdInput:
    guardian_name: str
    guardian_relationship: str
    guardian_phone: str = ""
    head_of_household: str = ""
    member_count: int = 1
    income_source: str = ""
    monthly_income_band: str = Household.IncomeBand.UNKNOWN
    province_code: str = ""
    regency_code: str = ""
    district: str = ""
    village: str = ""
    address_line: str = ""
    members: list[dict] = field(default_factory=list)


@dataclass
class ConsentInput:
    guardian_name: str
    guardian_relationship: str
    guardian_consented: bool
    child_assented: bool
    consented_on: date
    scope_record_keeping: bool = True
    scope_referral_sharing: bool = False
    scope_photos: bool = False


def _nik_apply(child: Child, nik: str) -> None:
    nik = (nik or "").strip()
    if not nik:
        child.nik_encrypted = child.nik_hash = child.nik_last4 = ""
        return
    if not NIK_RE.fullmatch(nik):
        raise _invalid("nik", _("A NIK has exactly 16 digits."))
    child.nik_encrypted = crypto.encrypt(nik)
    child.nik_hash = crypto.lookup_hash(nik)
    child.nik_last4 = nik[-4:]


def _birth_fields(data: ChildInput) -> tuple[date | None, int, bool]:
    today = _today()
    if data.date_of_birth is not None:
        if data.date_of_birth > today:
            raise _invalid("date_of_birth", _("The date of birth cannot be in the future."))
        return data.date_of_birth, data.date_of_birth.year, False
    if data.birth_year is None:
        raise ApplicationError(
            _("Give the date of birth or a (possibly estimated) birth year."),
            fields={"birth_year": [_("Give the date of birth or an estimated birth year.")]},
        )
    if not (today.year - 25 <= data.birth_year <= today.year):
        raise _invalid(
            "birth_year",
            _("The birth year must be between %(year)s and now.") % {"year": today.year - 25},
        )
    return None, data.birth_year, data.birth_year_estimated


def _household_build(data: HouseholdInput) -> Household:
    if data.province_code or data.regency_code:
        try:
            regions.validate_region(data.province_code or None, None)
        except ValueError as error:
            raise _invalid("province_code", str(error)) from None
        try:
            regions.validate_region(data.province_code, data.regency_code or None)
        except ValueError as error:
            raise _invalid("regency_code", str(error)) from None
    household = Household(
        guardian_name=data.guardian_name.strip(),
        guardian_relationship=data.guardian_relationship.strip(),
        guardian_phone=data.guardian_phone,
        head_of_household=data.head_of_household,
        member_count=data.member_count,
        income_source=data.income_source,
        monthly_income_band=data.monthly_income_band,
        province_code=data.province_code or "",
        regency_code=regions.normalize_regency_code(data.regency_code) if data.regency_code else "",
        district=data.district,
        village=data.village,
        address_line=data.address_line,
    )
    _full_clean(household)
    return household


def _next_reference() -> str:
    year = _today().year
    count = Case.objects.filter(reference__startswith=f"{year}-").count() + 1
    reference = f"{year}-{count:05d}"
    while Case.objects.filter(reference=reference).exists():
        count += 1
        reference = f"{year}-{count:05d}"
    return reference


@transaction.atomic
def child_register(
    *,
    actor,
    child: ChildInput,
    household: HouseholdInput,
    consent: ConsentInput | None = None,
    case_type: str = Case.Type.CHILD_LABOUR,
    assigned_worker=None,
) -> Case:
    """Register a child with household (and consent, if given) and open a case.

    Without an active consent the case stays 'identified'; with one it is 'registered'.
    """
    require(actor, Capability.EDIT_CASES)
    if assigned_worker is not None and assigned_worker.pk != actor.pk:
        # Opening a case for someone else is an assignment: supervisors and admins only, and
        # only to someone who can work on it.
        require(actor, Capability.ASSIGN_CASES)
        _case_worker_or_error(assigned_worker.pk, "assigned_worker_id")
    if case_type not in Case.Type.values:
        raise _invalid(
            "case_type", _("Choose one of: %(choices)s.") % {"choices": ", ".join(Case.Type.values)}
        )
    date_of_birth, birth_year, estimated = _birth_fields(child)
    household_row = _household_build(household)
    household_row.save()
    from casework.models import HouseholdMember

    for member in household.members:
        member_row = HouseholdMember(household=household_row, **member)
        _full_clean(member_row, exclude=["household"])
        member_row.save()
    child_row = Child(
        full_name=child.full_name.strip(),
        known_as=child.known_as.strip(),
        normalized_name=normalize_name(child.full_name),
        sex=child.sex,
        date_of_birth=date_of_birth,
        birth_year=birth_year,
        birth_year_estimated=estimated,
        household=household_row,
        school_status=child.school_status,
        last_grade=child.last_grade,
        created_by=actor,
    )
    _nik_apply(child_row, child.nik)
    _full_clean(child_row, exclude=["created_by", "household", "photo"])
    child_row.save()
    worker = assigned_worker or actor
    case = Case(
        reference=_next_reference(),
        child=child_row,
        case_type=case_type,
        status=Status.IDENTIFIED,
        assigned_worker=worker,
        province_code=household_row.province_code,
        regency_code=household_row.regency_code,
        opened_on=_today(),
    )
    case.save()
    audit_created(actor=actor, instance=child_row, case_id=case.pk)
    audit_created(actor=actor, instance=household_row, case_id=case.pk)
    audit_created(actor=actor, instance=case, case_id=case.pk)
    if consent is not None:
        consent_record(actor=actor, child_id=child_row.pk, data=consent)
        case.refresh_from_db()
    return case


@transaction.atomic
def child_update(*, actor, case_id: int, **values) -> Child:
    """Correct a child's identifying details (through a case the actor may edit)."""
    case = case_for_editing(actor, case_id)
    _ensure_open(case)
    child = Child.objects.select_for_update().get(pk=case.child_id)
    before = snapshot(child)
    for name in ("full_name", "known_as", "sex", "school_status", "last_grade"):
        if name in values:
            setattr(child, name, values[name])
    if "full_name" in values:
        child.normalized_name = normalize_name(child.full_name)
    if "nik" in values:
        _nik_apply(child, values["nik"])
    _full_clean(child, exclude=["created_by", "household", "photo"])
    child.save()
    audit_record(
        actor=actor,
        action="update",
        instance=child,
        case_id=case.pk,
        changed_fields=changes(before, snapshot(child)),
    )
    return child


@transaction.atomic
def consent_record(*, actor, child_id: int, data: ConsentInput) -> Consent:
    """Record consent and assent; identified cases of the child become registered."""
    require(actor, Capability.EDIT_CASES)
    child = Child.objects.filter(pk=child_id, cases__in=cases_visible_to(actor)).first()
    if child is None:
        raise NotFoundError(_("Child not found."))
    if data.consented_on > _today():
        raise _invalid("consented_on", _("The consent date cannot be in the future."))
    consent = Consent(
        child=child,
        guardian_name=data.guardian_name.strip(),
        guardian_relationship=data.guardian_relationship.strip(),
        guardian_consented=data.guardian_consented,
        child_assented=data.child_assented,
        consented_on=data.consented_on,
        scope_record_keeping=data.scope_record_keeping,
        scope_referral_sharing=data.scope_referral_sharing,
        scope_photos=data.scope_photos,
        recorded_by=actor,
    )
    _full_clean(consent, exclude=["child", "recorded_by"])
    consent.save()
    audit_created(actor=actor, instance=consent)
    if consent.is_active:
        for case in Case.objects.select_for_update().filter(child=child, status=Status.IDENTIFIED):
            _transition(case, Status.REGISTERED, actor=actor)
    return consent


@transaction.atomic
def consent_withdraw(*, actor, consent_id: int, withdrawn_on: date, reason: str) -> Consent:
    """Withdraw a consent. Open cases keep their history but no new work can be recorded
    unless another active consent exists."""
    require(actor, Capability.EDIT_CASES)
    visible_children = Child.objects.filter(cases__in=cases_visible_to(actor))
    consent = (
        Consent.objects.select_for_update()
        .filter(pk=consent_id, child__in=visible_children)
        .first()
    )
    if consent is None:
        raise NotFoundError(_("Consent not found."))
    if consent.withdrawn_on is not None:
        raise _invalid("withdrawn_on", _("This consent was already withdrawn."))
    if not reason or not reason.strip():
        raise _invalid("reason", _("Give the reason for the withdrawal."))
    if withdrawn_on < consent.consented_on or withdrawn_on > _today():
        raise _invalid("withdrawn_on", _("The withdrawal date must be between consent and today."))
    before = snapshot(consent)
    consent.withdrawn_on = withdrawn_on
    consent.withdrawal_reason = reason.strip()
    consent.save(update_fields=["withdrawn_on", "withdrawal_reason"])
    audit_record(
        actor=actor,
        action="update",
        instance=consent,
        changed_fields=changes(before, snapshot(consent)),
    )
    return consent


def child_has_active_consent(child_id: int) -> bool:
    return any(consent.is_active for consent in Consent.objects.filter(child_id=child_id))


# --- Status machine ----------------------------------------------------------------------------


def allowed_next(case: Case) -> list[str]:
    """The statuses `case` may move to next."""
    if case.status == Status.CLOSURE_REQUESTED:
        return [Status.CLOSED, case.status_before_closure or Status.REGISTERED]
    return list(TRANSITIONS[case.status])


def _transition(case: Case, to_status: str, *, actor, reason: str = "") -> Case:
    allowed = allowed_next(case)
    if to_status not in allowed:
        raise InvalidTransitionError(current=case.status, requested=to_status, allowed=allowed)
    before = case.status
    case.status = to_status
    case.save(update_fields=["status", "updated_at"])
    fields = {"status": [before, to_status]}
    if reason:
        fields["reason"] = reason
    audit_record(
        actor=actor, action="transition", instance=case, case_id=case.pk, changed_fields=fields
    )
    return case


def _ensure_open(case: Case) -> None:
    if case.status == Status.CLOSED:
        raise ApplicationError(
            _("This case is closed and read-only; reopen it with a reason first."),
            code="case_closed",
            fields={"status": [_("Allowed next states: %(allowed)s.") % {"allowed": "reopen"}]},
        )


def _ensure_consented(case: Case) -> None:
    _ensure_open(case)
    if case.status not in CONSENTED_STATUSES or not child_has_active_consent(case.child_id):
        raise ApplicationError(
            _("No active consent for this child: record consent and assent first."),
            code="consent_required",
            fields={"consent": [_("No active consent for this child.")]},
        )


@transaction.atomic
def case_assign(*, actor, case_id: int, worker_id: int, shared_with_ids: list[int] | None = None):
    """Assign the case to a worker and optionally share it with others (supervisors)."""
    require(actor, Capability.ASSIGN_CASES)
    case = case_for_editing(actor, case_id)
    _ensure_open(case)
    user_model = get_user_model()
    worker = _case_worker_or_error(worker_id, "worker_id")
    before = case.assigned_worker_id
    case.assigned_worker = worker
    case.save(update_fields=["assigned_worker", "updated_at"])
    fields = {"assigned_worker_id": [before, worker.pk]}
    if shared_with_ids is not None:
        shared = list(user_model.objects.filter(pk__in=shared_with_ids, is_active=True))
        if len(shared) != len(set(shared_with_ids)):
            raise _invalid("shared_with", _("Choose active staff members."))
        old = sorted(case.shared_with.values_list("pk", flat=True))
        case.shared_with.set(shared)
        fields["shared_with"] = [old, sorted(user.pk for user in shared)]
    audit_record(
        actor=actor, action="update", instance=case, case_id=case.pk, changed_fields=fields
    )
    return case


# --- Assessment --------------------------------------------------------------------------------

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


@transaction.atomic
def assessment_create(*, actor, case_id: int, **values) -> Assessment:
    """Record an assessment; the child-labour status (both standards) and a suggested risk are
    derived, the worker sets the risk level. Awaits supervisor approval."""
    case = case_for_editing(actor, case_id)
    _ensure_consented(case)
    unknown = set(values) - set(ASSESSMENT_INPUT_FIELDS)
    if unknown:
        raise ApplicationError(
            _("Unknown fields."), fields={name: [_("Unknown field.")] for name in sorted(unknown)}
        )
    assessment = Assessment(case=case, assessor=actor, **values)
    if assessment.assessed_on and assessment.assessed_on > _today():
        raise _invalid("assessed_on", _("The assessment date cannot be in the future."))
    if not assessment.works:
        assessment.hours_per_week = 0
    child = case.child
    assessment.age_at_assessment = age_on(
        assessment.assessed_on or _today(),
        date_of_birth=child.date_of_birth,
        birth_year=child.birth_year,
    )
    assessment.suggested_risk_level = "low"
    assessment.status_bps = assessment.status_ilo = ""
    _full_clean(
        assessment,
        exclude=["case", "assessor", "suggested_risk_level", "status_bps", "status_ilo"],
    )
    hazardous = bool(assessment.hazards) or assessment.night_work
    worst_form = bool(assessment.worst_forms)
    for standard in ("bps", "ilo"):
        status = child_labour_status(
            age=assessment.age_at_assessment,
            hours_per_week=assessment.hours_per_week if assessment.works else 0,
            hazardous=hazardous and assessment.works,
            worst_form=worst_form,
            standard=standard,
        )
        setattr(assessment, f"status_{standard}", status)
    chosen = getattr(assessment, f"status_{ngo_settings().classification_standard}")
    assessment.suggested_risk_level = suggest_risk(
        status=chosen, night_work=assessment.night_work, scores=assessment.scores()
    )
    assessment.save()
    audit_created(actor=actor, instance=assessment, case_id=case.pk)
    return assessment


@transaction.atomic
def assessment_review(
    *, actor, case_id: int, assessment_id: int, approve: bool, comment: str = ""
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
        action="update",
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
    return assessment


# --- Plan --------------------------------------------------------------------------------------


@transaction.atomic
def plan_save(*, actor, case_id: int, summary: str, goals: list[dict], submit: bool) -> CasePlan:
    """Write the case plan (goals with planned services), replacing the previous draft;
    `submit` sends it for supervisor approval. Needs an approved assessment."""
    case = case_for_editing(actor, case_id)
    _ensure_consented(case)
    if not case.assessments.filter(status=Assessment.Status.APPROVED).exists():
        raise ApplicationError(
            _("The plan needs an approved assessment first."),
            code="assessment_required",
            fields={"assessment": [_("No approved assessment yet.")]},
        )
    if submit and not goals:
        raise _invalid("goals", _("A plan needs at least one goal."))
    plan, created = CasePlan.objects.select_for_update().get_or_create(case=case)
    if plan.status == CasePlan.Status.SUBMITTED:
        raise _invalid("status", _("The plan is awaiting approval; it cannot be changed now."))
    if plan.status == CasePlan.Status.APPROVED and case.status != Status.RELAPSED:
        plan.version += 1
    plan.goals.all().delete()
    for goal_index, goal in enumerate(goals):
        goal_row = PlanGoal(
            plan=plan,
            description=(goal.get("description") or "").strip(),
            target_date=goal.get("target_date"),
        )
        try:
            goal_row.full_clean(exclude=["plan"])
        except ValidationError as error:
            raise ApplicationError(
                _("Some goals are not valid."),
                fields={f"goals[{goal_index}].{k}": v for k, v in error.message_dict.items()},
            ) from None
        goal_row.save()
        for service_index, service in enumerate(goal.get("services", [])):
            prefix = f"goals[{goal_index}].services[{service_index}]"
            worker = _case_worker_or_error(
                service.get("responsible_worker_id"), f"{prefix}.responsible_worker_id"
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
        action="create" if created else "update",
        instance=plan,
        case_id=case.pk,
        changed_fields={
            "status": [None if created else before_status, plan.status],
            "goals": len(goals),
            "version": plan.version,
        },
    )
    return plan


@transaction.atomic
def plan_review(*, actor, case_id: int, approve: bool, comment: str = "") -> CasePlan:
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
        )
    if not approve and not comment.strip():
        raise _invalid("comment", _("Say what needs to change."))
    before = plan.status
    plan.status = CasePlan.Status.APPROVED if approve else CasePlan.Status.REVISION_NEEDED
    plan.approved_by = actor if approve else None
    plan.approved_at = timezone.now() if approve else None
    plan.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
    audit_record(
        actor=actor,
        action="update",
        instance=plan,
        case_id=case.pk,
        changed_fields={"status": [before, plan.status], "comment": comment.strip()},
    )
    if approve and case.status in (Status.ASSESSED, Status.RELAPSED):
        _transition(case, Status.PLANNED, actor=actor)
    return plan


# --- Services delivered, notes, follow-ups, verification --------------------------------------


@transaction.atomic
def intervention_record(*, actor, case_id: int, **values) -> Intervention:
    """Record a service delivered; the first one after plan approval starts 'in_service'."""
    case = case_for_editing(actor, case_id)
    _ensure_consented(case)
    intervention = Intervention(case=case, recorded_by=actor, **values)
    if intervention.delivered_on and intervention.delivered_on > _today():
        raise _invalid("delivered_on", _("The date cannot be in the future."))
    _full_clean(intervention, exclude=["case", "recorded_by"])
    intervention.save()
    audit_created(actor=actor, instance=intervention, case_id=case.pk)
    if case.status in (Status.PLANNED, Status.MONITORING):
        _transition(case, Status.IN_SERVICE, actor=actor)
    return intervention


@transaction.atomic
def note_add(*, actor, case_id: int, body: str) -> Note:
    """Add a case note (closed cases are read-only)."""
    case = case_for_editing(actor, case_id)
    _ensure_open(case)
    if not body or not body.strip():
        raise _invalid("body", _("This field is required."))
    note = Note.objects.create(case=case, author=actor, body=body.strip())
    audit_record(
        actor=actor,
        action="create",
        instance=note,
        case_id=case.pk,
        changed_fields={"body": [None, f"{len(note.body)} characters"]},
    )
    return note


def case_followups_refresh(case: Case) -> None:
    """Recompute the case's next due date and overdue flag from its open follow-ups."""
    today = _today()
    open_followups = FollowUp.objects.filter(case=case, completed_on__isnull=True)
    next_due = open_followups.order_by("due_on").values_list("due_on", flat=True).first()
    case.next_due_on = next_due
    case.has_overdue = bool(next_due and next_due < today)
    case.save(update_fields=["next_due_on", "has_overdue", "updated_at"])


@transaction.atomic
def followup_schedule(
    *,
    actor,
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
        due_on = _today() + timedelta(days=days)
    worker = case.assigned_worker
    if assigned_worker_id is not None:
        worker = _case_worker_or_error(assigned_worker_id, "assigned_worker_id")
    if worker is None:
        raise _invalid("assigned_worker_id", _("The case has no worker; choose one."))
    followup = FollowUp(
        case=case, kind=kind, due_on=due_on, assigned_worker=worker, purpose=purpose
    )
    _full_clean(followup, exclude=["case", "assigned_worker"])
    followup.is_overdue = due_on < _today()
    followup.save()
    audit_created(actor=actor, instance=followup, case_id=case.pk)
    case_followups_refresh(case)
    return followup


@transaction.atomic
def followup_complete(
    *, actor, case_id: int, followup_id: int, completed_on: date, notes: str = ""
) -> FollowUp:
    """Mark a follow-up done."""
    case = case_for_editing(actor, case_id)
    _ensure_open(case)
    followup = FollowUp.objects.select_for_update().filter(pk=followup_id, case=case).first()
    if followup is None:
        raise NotFoundError(_("Follow-up not found."))
    if followup.completed_on is not None:
        raise _invalid("completed_on", _("This follow-up is already completed."))
    if completed_on > _today():
        raise _invalid("completed_on", _("The date cannot be in the future."))
    before = snapshot(followup)
    followup.completed_on = completed_on
    followup.notes = notes
    followup.is_overdue = False
    followup.save(update_fields=["completed_on", "notes", "is_overdue"])
    audit_record(
        actor=actor,
        action="update",
        instance=followup,
        case_id=case.pk,
        changed_fields=changes(before, snapshot(followup)),
    )
    case_followups_refresh(case)
    return followup


@transaction.atomic
def verification_record(*, actor, case_id: int, **values) -> Verification:
    """Record a verification visit. Seen back at work: the case relapses and its plan needs
    revision. Left work and in school or training: the case moves to monitoring."""
    case = case_for_editing(actor, case_id)
    _ensure_consented(case)
    verification = Verification(case=case, verified_by=actor, **values)
    if verification.visited_on and verification.visited_on > _today():
        raise _invalid("visited_on", _("The visit date cannot be in the future."))
    _full_clean(verification, exclude=["case", "verified_by"])
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
            action="update",
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
                action="update",
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


# --- Closure -----------------------------------------------------------------------------------


@transaction.atomic
def case_closure_request(*, actor, case_id: int, reason: str, outcome: str) -> Case:
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
def case_closure_review(*, actor, case_id: int, approve: bool, comment: str = "") -> Case:
    """A supervisor closes the case or returns it to the status it had before the request."""
    require(actor, Capability.APPROVE)
    case = case_for_editing(actor, case_id)
    if case.status != Status.CLOSURE_REQUESTED:
        raise InvalidTransitionError(
            current=case.status,
            requested=Status.CLOSED if approve else "(reject closure)",
            allowed=allowed_next(case),
        )
    if approve:
        _transition(case, Status.CLOSED, actor=actor, reason=comment.strip())
        case.closed_on = _today()
        case.closed_by = actor
        case.save(update_fields=["closed_on", "closed_by", "updated_at"])
        for followup in FollowUp.objects.filter(case=case, completed_on__isnull=True):
            audit_record(
                actor=actor,
                action="delete",
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
def case_reopen(*, actor, case_id: int, reason: str) -> Case:
    """Reopen a closed case with a reason: back to services if a plan was approved."""
    case = case_for_editing(actor, case_id)
    if case.status != Status.CLOSED:
        raise InvalidTransitionError(
            current=case.status, requested="reopen", allowed=allowed_next(case)
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


# --- Attachments --------------------------------------------------------------------------------


@transaction.atomic
def attachment_upload(*, actor, case_id: int, kind: str, uploaded_file) -> Attachment:
    """Store a consent form, document or photo for the case's child; size and type checked."""
    case = case_for_editing(actor, case_id)
    _ensure_open(case)
    if kind not in Attachment.Kind.values:
        raise _invalid(
            "kind",
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(Attachment.Kind.values)},
        )
    if uploaded_file.size > MAX_ATTACHMENT_BYTES:
        raise _invalid("file", _("The file is larger than 5 MB."))
    name = uploaded_file.name or "file"
    head = uploaded_file.read(16)
    uploaded_file.seek(0)
    content_type = next(
        (
            kind_type
            for kind_type, (extensions, magics) in ATTACHMENT_TYPES.items()
            if name.lower().endswith(extensions)
            and head.startswith(magics)
            # "RIFF" starts WAV and AVI files too; WebP has "WEBP" at bytes 8-11.
            and (kind_type != "image/webp" or head[8:12] == b"WEBP")
        ),
        None,
    )
    if content_type is None:
        raise _invalid("file", _("Only PDF, JPEG, PNG or WebP files are accepted."))
    if kind == Attachment.Kind.PHOTO and not content_type.startswith("image/"):
        raise _invalid("file", _("A photo must be a JPEG, PNG or WebP image."))
    if (
        kind == Attachment.Kind.PHOTO
        and not Consent.objects.filter(
            child=case.child,
            guardian_consented=True,
            child_assented=True,
            scope_record_keeping=True,
            scope_photos=True,
            withdrawn_on__isnull=True,
        ).exists()
    ):
        raise _invalid("file", _("The consent does not cover photos."))
    attachment = Attachment(
        child=case.child,
        case=case,
        kind=kind,
        original_name=name[:255],
        content_type=content_type,
        size=uploaded_file.size,
        uploaded_by=actor,
    )
    attachment.file.save(re.sub(r"[^A-Za-z0-9._-]", "_", name)[-100:], uploaded_file, save=False)
    attachment.save()
    if kind == Attachment.Kind.PHOTO:
        Child.objects.filter(pk=case.child_id).update(photo=attachment)
    audit_record(
        actor=actor,
        action="create",
        instance=attachment,
        case_id=case.pk,
        changed_fields={"kind": [None, kind], "size": [None, attachment.size]},
    )
    return attachment


# --- Periodic work ------------------------------------------------------------------------------


def task_run_record(*, task: str, run_key: str) -> bool:
    """Record a run of `task` for `run_key`; False when it already ran (idempotency guard)."""
    _row, created = TaskRun.objects.get_or_create(task=task, run_key=run_key)
    return created


@transaction.atomic
def followups_mark_overdue(*, today: date | None = None) -> int:
    """Flag follow-ups past their due date and notify each assigned worker once (in-app, and
    by e-mail when the worker has an address and e-mail is configured). Returns how many were
    newly flagged."""
    today = today or _today()
    newly = list(
        FollowUp.objects.select_for_update()
        .select_related("case", "assigned_worker")
        .filter(completed_on__isnull=True, due_on__lt=today, overdue_notified_at__isnull=True)
    )
    for followup in newly:
        followup.is_overdue = True
        followup.overdue_notified_at = timezone.now()
        message = _("Overdue %(kind)s for case %(reference)s (due %(due_on)s)") % {
            "kind": followup.get_kind_display().lower(),
            "reference": followup.case.reference,
            "due_on": f"{followup.due_on:%d/%m/%Y}",
        }
        notification, created = Notification.objects.get_or_create(
            user=followup.assigned_worker,
            key=f"overdue:{followup.pk}",
            defaults={"case": followup.case, "message": message[:255]},
        )
        if created and followup.assigned_worker.email and getattr(settings, "EMAIL_URL", None):
            transaction.on_commit(
                lambda address=followup.assigned_worker.email, text=message: send_mail(
                    _("Terpadu: overdue follow-up"), text, None, [address], fail_silently=True
                )
            )
    FollowUp.objects.bulk_update(newly, ["is_overdue", "overdue_notified_at"])
    case_ids = {followup.case_id for followup in newly}
    Case.objects.filter(pk__in=case_ids).update(has_overdue=True)
    return len(newly)


@transaction.atomic
def notification_mark_read(*, actor, notification_id: int) -> Notification:
    notification = Notification.objects.filter(pk=notification_id, user=actor).first()
    if notification is None:
        raise NotFoundError(_("Notification not found."))
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification
