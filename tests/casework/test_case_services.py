"""The case lifecycle through the real write services (casework/services.py) in NGO A's schema:
every status transition, the rules that derive risk, age and child-labour status, follow-ups,
staff and NGO settings."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from django_tenants.utils import schema_context

from casework import rules, services
from casework.models import (
    Assessment,
    AuditEvent,
    Case,
    CasePlan,
    Child,
    FollowUp,
    Intervention,
    NGOSettings,
    Note,
    StaffProfile,
    Verification,
)
from casework.services import TRANSITIONS, _transition, allowed_next
from core import clock
from core.errors import (
    ApplicationError,
    InvalidTransitionError,
    NotFoundError,
    PermissionDeniedError,
)

pytestmark = pytest.mark.django_db

S = Case.Status
STRONG_PASSWORD = "Kuat-Sekali-2026!"


@pytest.fixture
def fast_passwords(settings):
    """Staff tests hash passwords; a fast hasher keeps them quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def team(ngo_a, team_a):
    """NGO A's staff users, with NGO A's schema active for the test."""
    with schema_context(ngo_a.ngo.schema_name):
        yield {role: staff.user for role, staff in team_a.items()}


# --- Builders (the services themselves, with sensible defaults) ---------------------------------


def _today() -> date:
    return timezone.localdate()


def _child(name: str = "Siti Rahayu", **overrides) -> services.ChildInput:
    values = {
        "full_name": name,
        "sex": "female",
        "school_status": "dropped_out",
        "birth_year": _today().year - 13,
        "birth_year_estimated": True,
    }
    values.update(overrides)
    return services.ChildInput(**values)


def _household(**overrides) -> services.HouseholdInput:
    values = {
        "guardian_name": "Ibu Rahayu",
        "guardian_relationship": "mother",
        "province_code": "33",
        "regency_code": "33.74",
        "village": "Tanjung Mas",
    }
    values.update(overrides)
    return services.HouseholdInput(**values)


def _consent(**overrides) -> services.ConsentInput:
    values = {
        "guardian_name": "Ibu Rahayu",
        "guardian_relationship": "mother",
        "guardian_consented": True,
        "child_assented": True,
        "consented_on": _today(),
    }
    values.update(overrides)
    return services.ConsentInput(**values)


def _register(actor, *, consent=True, case_type="child_labour", **child) -> Case:
    return services.child_register(
        actor=actor,
        child=_child(**child),
        household=_household(),
        consent=_consent() if consent is True else consent or None,
        case_type=case_type,
    )


def _assessment_values(**overrides) -> dict:
    values = {
        "assessed_on": _today(),
        "works": True,
        "sector": "perikanan",
        "tasks": "menyortir ikan",
        "employer_type": "informal",
        "hours_per_week": Decimal("20"),
        "night_work": False,
        "hazards": [],
        "worst_forms": [],
        "score_education": 2,
        "score_health": 3,
        "score_psychosocial": 3,
        "score_safety": 3,
        "score_family_economy": 2,
        "risk_level": "medium",
    }
    values.update(overrides)
    return values


def _assess(case, team, **overrides) -> Assessment:
    assessment = services.assessment_create(
        actor=team["worker"], case_id=case.pk, **_assessment_values(**overrides)
    )
    return services.assessment_review(
        actor=team["supervisor"], case_id=case.pk, assessment_id=assessment.pk, approve=True
    )


def _goals(worker) -> list[dict]:
    due = _today() + timedelta(days=30)
    return [
        {
            "description": "Kembali ke sekolah",
            "target_date": due,
            "services": [
                {"type": "school_return", "responsible_worker_id": worker.pk, "due_on": due}
            ],
        }
    ]


def _plan(case, team) -> CasePlan:
    services.plan_save(
        actor=team["worker"],
        case_id=case.pk,
        summary="Kembali ke sekolah",
        goals=_goals(team["worker"]),
        submit=True,
    )
    return services.plan_review(actor=team["supervisor"], case_id=case.pk, approve=True)


def _serve(case, team) -> Intervention:
    return services.intervention_record(
        actor=team["worker"],
        case_id=case.pk,
        delivered_on=_today(),
        type="school_return",
        provider="SD Negeri 1",
    )


def _verify(case, team, *, left_work=True, in_school=True, back_at_work=False) -> Verification:
    return services.verification_record(
        actor=team["worker"],
        case_id=case.pk,
        visited_on=_today(),
        left_work=left_work,
        in_school_or_training=in_school,
        seen_back_at_work=back_at_work,
    )


def _request_closure(case, team) -> Case:
    return services.case_closure_request(
        actor=team["worker"], case_id=case.pk, reason="withdrawn_child_labour", outcome="Sekolah"
    )


def _reject_closure(case, team) -> Case:
    return services.case_closure_review(
        actor=team["supervisor"], case_id=case.pk, approve=False, comment="Belum selesai"
    )


def _approve_closure(case, team) -> Case:
    return services.case_closure_review(actor=team["supervisor"], case_id=case.pk, approve=True)


def _reach(status: str, team) -> Case:
    """A new case brought to `status` through the services only."""
    if status == S.IDENTIFIED:
        return _register(team["worker"], consent=False)
    case = _register(team["worker"])
    if status == S.REGISTERED:
        return case
    _assess(case, team)
    if status == S.ASSESSED:
        return case
    _plan(case, team)
    if status == S.PLANNED:
        return case
    if status == S.RELAPSED:
        _verify(case, team, left_work=False, in_school=False, back_at_work=True)
        return case
    _serve(case, team)
    if status == S.IN_SERVICE:
        return case
    _verify(case, team)
    if status == S.MONITORING:
        return case
    raise ValueError(status)


def _status(case) -> str:
    return Case.objects.values_list("status", flat=True).get(pk=case.pk)


def _fresh(case) -> Case:
    return Case.objects.get(pk=case.pk)


# --- Every transition in TRANSITIONS, through the service that performs it ---------------------


def _closure_requested_from(previous):
    def setup(team):
        case = _reach(previous, team)
        _request_closure(case, team)
        return case

    return setup


def _closed_from(previous):
    def setup(team):
        case = _reach(previous, team)
        _request_closure(case, team)
        _approve_closure(case, team)
        return case

    return setup


def _reopen(case, team):
    return services.case_reopen(
        actor=team["supervisor"], case_id=case.pk, reason="Terlihat di pasar"
    )


def _record_consent(case, team):
    return services.consent_record(actor=team["worker"], child_id=case.child_id, data=_consent())


def _approve_assessment(case, team):
    assessment = services.assessment_create(
        actor=team["worker"], case_id=case.pk, **_assessment_values()
    )
    services.assessment_review(
        actor=team["supervisor"], case_id=case.pk, assessment_id=assessment.pk, approve=True
    )


def _revise_plan(case, team):
    _plan(case, team)


def _back_at_work(case, team):
    _verify(case, team, left_work=False, in_school=False, back_at_work=True)


SERVICE_STEPS = {
    (S.IDENTIFIED, S.REGISTERED): (S.IDENTIFIED, _record_consent),
    (S.IDENTIFIED, S.CLOSURE_REQUESTED): (S.IDENTIFIED, _request_closure),
    (S.REGISTERED, S.ASSESSED): (S.REGISTERED, _approve_assessment),
    (S.REGISTERED, S.CLOSURE_REQUESTED): (S.REGISTERED, _request_closure),
    (S.ASSESSED, S.PLANNED): (S.ASSESSED, _plan),
    (S.ASSESSED, S.CLOSURE_REQUESTED): (S.ASSESSED, _request_closure),
    (S.PLANNED, S.IN_SERVICE): (S.PLANNED, _serve),
    (S.PLANNED, S.MONITORING): (S.PLANNED, _verify),
    (S.PLANNED, S.RELAPSED): (S.PLANNED, _back_at_work),
    (S.PLANNED, S.CLOSURE_REQUESTED): (S.PLANNED, _request_closure),
    (S.IN_SERVICE, S.MONITORING): (S.IN_SERVICE, _verify),
    (S.IN_SERVICE, S.RELAPSED): (S.IN_SERVICE, _back_at_work),
    (S.IN_SERVICE, S.CLOSURE_REQUESTED): (S.IN_SERVICE, _request_closure),
    (S.MONITORING, S.IN_SERVICE): (S.MONITORING, _serve),
    (S.MONITORING, S.RELAPSED): (S.MONITORING, _back_at_work),
    (S.MONITORING, S.CLOSURE_REQUESTED): (S.MONITORING, _request_closure),
    (S.RELAPSED, S.PLANNED): (S.RELAPSED, _revise_plan),
    (S.RELAPSED, S.CLOSURE_REQUESTED): (S.RELAPSED, _request_closure),
    (S.CLOSURE_REQUESTED, S.CLOSED): (_closure_requested_from(S.IN_SERVICE), _approve_closure),
    **{
        (S.CLOSURE_REQUESTED, previous): (_closure_requested_from(previous), _reject_closure)
        for previous in TRANSITIONS[S.CLOSURE_REQUESTED]
        if previous != S.CLOSED
    },
    (S.CLOSED, S.REGISTERED): (_closed_from(S.REGISTERED), _reopen),
    (S.CLOSED, S.IN_SERVICE): (_closed_from(S.PLANNED), _reopen),
}


def _step_params():
    for (from_status, to_status), (setup, action) in SERVICE_STEPS.items():
        yield pytest.param(from_status, to_status, setup, action, id=f"{from_status}->{to_status}")


def test_service_steps_cover_every_transition():
    """The table of service steps below names every pair in TRANSITIONS, no more."""
    pairs = {(from_status, to) for from_status, targets in TRANSITIONS.items() for to in targets}
    assert set(SERVICE_STEPS) == pairs
    assert len(pairs) == 28


@pytest.mark.parametrize(("from_status", "to_status", "setup", "action"), list(_step_params()))
def test_transition_through_service(team, from_status, to_status, setup, action):
    """Each allowed transition happens through its service and is audited with from/to."""
    case = setup(team) if callable(setup) else _reach(setup, team)
    assert _status(case) == from_status
    action(case, team)
    assert _status(case) == to_status
    last = AuditEvent.objects.filter(case_id=case.pk, action="transition").order_by("-id").first()
    assert last.changed_fields["status"] == [from_status, to_status]


ILLEGAL_PAIRS = [
    pytest.param(from_status, to_status, id=f"{from_status}->{to_status}")
    for from_status in S.values
    for to_status in S.values
    if to_status not in TRANSITIONS[from_status]
]


def _bare_case(worker, status: str, **fields) -> Case:
    child = Child.objects.create(
        full_name="Anak Uji",
        normalized_name="anak uji",
        sex="male",
        birth_year=_today().year - 12,
        school_status="in_school",
        created_by=worker,
    )
    return Case.objects.create(
        reference=f"T-{status}",
        child=child,
        case_type="child_labour",
        status=status,
        assigned_worker=worker,
        opened_on=_today(),
        **fields,
    )


def test_illegal_pairs_count():
    """81 ordered pairs of statuses, 28 allowed: 53 illegal ones are tested below."""
    assert len(ILLEGAL_PAIRS) == 53


@pytest.mark.parametrize(("from_status", "to_status"), ILLEGAL_PAIRS)
def test_illegal_transition_raises_with_allowed_states(team, from_status, to_status):
    """A transition not in TRANSITIONS raises InvalidTransitionError naming allowed_next()."""
    case = _bare_case(team["worker"], from_status)
    with pytest.raises(InvalidTransitionError) as caught:
        _transition(case, to_status, actor=team["worker"])
    assert caught.value.current == from_status
    assert caught.value.requested == to_status
    assert caught.value.allowed == allowed_next(case)
    assert caught.value.code == "invalid_transition"
    assert _status(case) == from_status
    assert not AuditEvent.objects.filter(case_id=case.pk).exists()


@pytest.mark.parametrize(
    "to_status",
    [s for s in TRANSITIONS[S.CLOSURE_REQUESTED] if s not in (S.CLOSED, S.MONITORING)],
)
def test_closure_requested_returns_only_to_its_previous_status(team, to_status):
    """From closure_requested only 'closed' and the status before the request are allowed."""
    case = _bare_case(team["worker"], S.CLOSURE_REQUESTED, status_before_closure=S.MONITORING)
    assert allowed_next(case) == [S.CLOSED, S.MONITORING]
    with pytest.raises(InvalidTransitionError) as caught:
        _transition(case, to_status, actor=team["worker"])
    assert caught.value.allowed == [S.CLOSED, S.MONITORING]
    assert _status(case) == S.CLOSURE_REQUESTED


# --- Registration and consent ------------------------------------------------------------------


def test_registration_without_consent_is_identified(team):
    """Without consent the new case is 'identified', assigned to the registering worker."""
    year = _today().year
    numbered = Case.objects.filter(reference__startswith=f"{year}-").count()
    case = _fresh(_register(team["worker"], consent=False))
    assert case.status == S.IDENTIFIED
    assert case.assigned_worker_id == team["worker"].pk
    assert case.case_type == "child_labour"
    assert case.opened_on == _today()
    assert case.reference == f"{year}-{numbered + 1:05d}"
    assert (case.province_code, case.regency_code) == ("33", "33.74")


def test_registration_with_consent_is_registered(team):
    """With an active consent (guardian and child agree) the case is 'registered'."""
    case = _register(team["worker"])
    assert _status(case) == S.REGISTERED
    assert case.status == S.REGISTERED


def test_registration_with_refused_consent_stays_identified(team):
    """A recorded refusal (guardian did not consent) is not an active consent."""
    case = _register(team["worker"], consent=_consent(guardian_consented=False))
    assert _status(case) == S.IDENTIFIED
    assert case.child.consents.count() == 1


def test_consent_record_promotes_identified_to_registered(team):
    """Recording consent later moves the child's identified case to 'registered'."""
    case = _register(team["worker"], consent=False)
    consent = services.consent_record(actor=team["worker"], child_id=case.child_id, data=_consent())
    assert consent.is_active is True
    assert _status(case) == S.REGISTERED


def test_consent_without_child_assent_does_not_promote(team):
    """Guardian consent without the child's assent leaves the case identified."""
    case = _register(team["worker"], consent=False)
    services.consent_record(
        actor=team["worker"], child_id=case.child_id, data=_consent(child_assented=False)
    )
    assert _status(case) == S.IDENTIFIED


def test_consent_needs_access_to_the_childs_case(team):
    """A worker who cannot see the child's case cannot record its consent (not found)."""
    case = _register(team["worker"], consent=False)
    with pytest.raises(NotFoundError):
        services.consent_record(actor=team["other_worker"], child_id=case.child_id, data=_consent())
    assert _status(case) == S.IDENTIFIED


def test_consent_in_the_future_is_a_field_error(team):
    """A consent dated tomorrow is refused on the consented_on field."""
    case = _register(team["worker"], consent=False)
    with pytest.raises(ApplicationError) as caught:
        services.consent_record(
            actor=team["worker"],
            child_id=case.child_id,
            data=_consent(consented_on=_today() + timedelta(days=1)),
        )
    assert caught.value.fields == {"consented_on": ["The consent date cannot be in the future."]}
    assert _status(case) == S.IDENTIFIED


def test_me_officer_cannot_register(team):
    """M&E officers have no edit capability: registration is denied and nothing is saved."""
    before = (Case.objects.count(), Child.objects.count())
    with pytest.raises(PermissionDeniedError):
        _register(team["me"])
    assert (Case.objects.count(), Child.objects.count()) == before


# --- Assessment --------------------------------------------------------------------------------


def test_assessment_requires_consent(team):
    """An identified case (no consent yet) refuses an assessment with code consent_required."""
    case = _register(team["worker"], consent=False)
    with pytest.raises(ApplicationError) as caught:
        services.assessment_create(actor=team["worker"], case_id=case.pk, **_assessment_values())
    assert caught.value.code == "consent_required"
    assert caught.value.fields == {"consent": ["No active consent for this child."]}
    assert Assessment.objects.count() == 0


def test_assessment_blocked_after_consent_withdrawal(team):
    """Once the only consent is withdrawn, no new assessment can be recorded."""
    case = _register(team["worker"])
    consent = case.child.consents.get()
    services.consent_withdraw(
        actor=team["worker"], consent_id=consent.pk, withdrawn_on=_today(), reason="Pindah"
    )
    with pytest.raises(ApplicationError) as caught:
        services.assessment_create(actor=team["worker"], case_id=case.pk, **_assessment_values())
    assert caught.value.code == "consent_required"
    assert Assessment.objects.filter(case=case).count() == 0
    assert _status(case) == S.REGISTERED


def test_assessment_rejects_unknown_fields(team):
    """Fields the worker may not type (derived ones) are refused by name."""
    case = _register(team["worker"])
    with pytest.raises(ApplicationError) as caught:
        services.assessment_create(
            actor=team["worker"], case_id=case.pk, **_assessment_values(status_bps="none")
        )
    assert caught.value.fields == {"status_bps": ["Unknown field."]}


def test_assessment_in_the_future_is_a_field_error(team):
    """An assessment dated tomorrow is refused on assessed_on."""
    case = _register(team["worker"])
    with pytest.raises(ApplicationError) as caught:
        services.assessment_create(
            actor=team["worker"],
            case_id=case.pk,
            **_assessment_values(assessed_on=_today() + timedelta(days=1)),
        )
    assert caught.value.fields == {"assessed_on": ["The assessment date cannot be in the future."]}


def test_assessment_approval_sets_case_risk_and_bps_status(team):
    """Approval moves registered -> assessed and copies risk and the BPS status to the case."""
    services.ngo_settings_update(actor=team["admin"], classification_standard="bps")
    case = _register(team["worker"])
    # Age 13, 15 h/week: BPS needs more than 15 h (none); ILO needs 14 h or more (child labour).
    assessment = services.assessment_create(
        actor=team["worker"],
        case_id=case.pk,
        **_assessment_values(hours_per_week=Decimal("15"), risk_level="high"),
    )
    assert (assessment.status_bps, assessment.status_ilo) == ("none", "child_labour")
    assert assessment.status == Assessment.Status.SUBMITTED
    assert _status(case) == S.REGISTERED
    services.assessment_review(
        actor=team["supervisor"], case_id=case.pk, assessment_id=assessment.pk, approve=True
    )
    case = _fresh(case)
    assert case.status == S.ASSESSED
    assert case.risk_level == "high"
    assert case.child_labour_status == "none"
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.APPROVED
    assert assessment.reviewed_by_id == team["supervisor"].pk


def test_assessment_approval_uses_ilo_when_the_ngo_chooses_it(team):
    """With the NGO on the ILO standard the case takes the ILO status of the assessment."""
    services.ngo_settings_update(actor=team["admin"], classification_standard="ilo")
    case = _register(team["worker"])
    assessment = _assess(case, team, hours_per_week=Decimal("15"))
    assert (assessment.status_bps, assessment.status_ilo) == ("none", "child_labour")
    case = _fresh(case)
    assert case.child_labour_status == "child_labour"
    assert case.risk_level == "medium"
    # The suggestion follows the NGO's standard too: child labour -> medium.
    assert assessment.suggested_risk_level == "medium"


def test_assessment_return_needs_a_comment(team):
    """Returning an assessment without a comment is a field error; with one it is returned."""
    case = _register(team["worker"])
    assessment = services.assessment_create(
        actor=team["worker"], case_id=case.pk, **_assessment_values()
    )
    with pytest.raises(ApplicationError) as caught:
        services.assessment_review(
            actor=team["supervisor"], case_id=case.pk, assessment_id=assessment.pk, approve=False
        )
    assert caught.value.fields == {"comment": ["Say what needs to change."]}
    services.assessment_review(
        actor=team["supervisor"],
        case_id=case.pk,
        assessment_id=assessment.pk,
        approve=False,
        comment="Jam kerja belum jelas",
    )
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.RETURNED
    assert assessment.review_comment == "Jam kerja belum jelas"
    case = _fresh(case)
    assert (case.status, case.risk_level, case.child_labour_status) == (S.REGISTERED, "", "")


def test_assessment_cannot_be_reviewed_twice(team):
    """An approved assessment is not reviewed again (no allowed next state)."""
    case = _register(team["worker"])
    assessment = _assess(case, team)
    with pytest.raises(InvalidTransitionError) as caught:
        services.assessment_review(
            actor=team["supervisor"], case_id=case.pk, assessment_id=assessment.pk, approve=True
        )
    assert (caught.value.current, caught.value.allowed) == ("approved", [])


def test_worker_cannot_approve_assessment(team):
    """Approving needs the supervisor capability; the assessment stays submitted."""
    case = _register(team["worker"])
    assessment = services.assessment_create(
        actor=team["worker"], case_id=case.pk, **_assessment_values()
    )
    with pytest.raises(PermissionDeniedError):
        services.assessment_review(
            actor=team["worker"], case_id=case.pk, assessment_id=assessment.pk, approve=True
        )
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.SUBMITTED
    assert _status(case) == S.REGISTERED


# --- Plan ----------------------------------------------------------------------------------------


def test_plan_save_requires_an_approved_assessment(team):
    """A submitted (not yet approved) assessment is not enough for a plan."""
    case = _register(team["worker"])
    services.assessment_create(actor=team["worker"], case_id=case.pk, **_assessment_values())
    with pytest.raises(ApplicationError) as caught:
        services.plan_save(
            actor=team["worker"],
            case_id=case.pk,
            summary="x",
            goals=_goals(team["worker"]),
            submit=True,
        )
    assert caught.value.code == "assessment_required"
    assert caught.value.fields == {"assessment": ["No approved assessment yet."]}
    assert not CasePlan.objects.filter(case=case).exists()


def test_plan_submit_needs_a_goal(team):
    """Submitting a plan without goals is a field error on goals."""
    case = _reach(S.ASSESSED, team)
    with pytest.raises(ApplicationError) as caught:
        services.plan_save(actor=team["worker"], case_id=case.pk, summary="", goals=[], submit=True)
    assert caught.value.fields == {"goals": ["A plan needs at least one goal."]}


def test_plan_review_approves_and_case_is_planned(team):
    """A submitted plan approved by a supervisor makes the case 'planned'."""
    case = _reach(S.ASSESSED, team)
    plan = services.plan_save(
        actor=team["worker"],
        case_id=case.pk,
        summary="Kembali ke sekolah",
        goals=_goals(team["worker"]),
        submit=True,
    )
    assert plan.status == CasePlan.Status.SUBMITTED
    assert _status(case) == S.ASSESSED
    plan = services.plan_review(actor=team["supervisor"], case_id=case.pk, approve=True)
    assert plan.status == CasePlan.Status.APPROVED
    assert plan.approved_by_id == team["supervisor"].pk
    assert _status(case) == S.PLANNED
    assert plan.goals.get().services.get().responsible_worker_id == team["worker"].pk


def test_submitted_plan_cannot_be_edited(team):
    """A plan awaiting approval refuses changes."""
    case = _reach(S.ASSESSED, team)
    services.plan_save(
        actor=team["worker"], case_id=case.pk, summary="", goals=_goals(team["worker"]), submit=True
    )
    with pytest.raises(ApplicationError) as caught:
        services.plan_save(
            actor=team["worker"], case_id=case.pk, summary="", goals=[], submit=False
        )
    assert caught.value.fields == {
        "status": ["The plan is awaiting approval; it cannot be changed now."]
    }


def test_plan_return_needs_a_comment(team):
    """Returning a plan without a comment is a field error; with one it needs revision."""
    case = _reach(S.ASSESSED, team)
    services.plan_save(
        actor=team["worker"], case_id=case.pk, summary="", goals=_goals(team["worker"]), submit=True
    )
    with pytest.raises(ApplicationError) as caught:
        services.plan_review(actor=team["supervisor"], case_id=case.pk, approve=False)
    assert caught.value.fields == {"comment": ["Say what needs to change."]}
    plan = services.plan_review(
        actor=team["supervisor"], case_id=case.pk, approve=False, comment="Tambah konseling"
    )
    assert plan.status == CasePlan.Status.REVISION_NEEDED
    assert _status(case) == S.ASSESSED


# --- Services, verification, relapse -----------------------------------------------------------


def test_intervention_starts_service(team):
    """The first service after plan approval moves the case to 'in_service'."""
    case = _reach(S.PLANNED, team)
    intervention = _serve(case, team)
    assert intervention.recorded_by_id == team["worker"].pk
    assert _status(case) == S.IN_SERVICE
    _serve(case, team)
    assert _status(case) == S.IN_SERVICE
    assert Intervention.objects.filter(case=case).count() == 2


def test_verification_left_work_and_in_school_moves_to_monitoring(team):
    """Left work and in school: monitoring."""
    case = _reach(S.IN_SERVICE, team)
    _verify(case, team)
    assert _status(case) == S.MONITORING


def test_verification_left_work_but_not_in_school_keeps_service(team):
    """Left work but not in school or training: the case stays in service."""
    case = _reach(S.IN_SERVICE, team)
    _verify(case, team, left_work=True, in_school=False)
    assert _status(case) == S.IN_SERVICE


def test_seen_back_at_work_cannot_have_left_work(team):
    """Seen back at work contradicts 'left work': field error on left_work."""
    case = _reach(S.IN_SERVICE, team)
    with pytest.raises(ApplicationError) as caught:
        _verify(case, team, left_work=True, in_school=False, back_at_work=True)
    assert caught.value.fields == {
        "left_work": ["A child seen back at work has not left the work."]
    }
    assert Verification.objects.filter(case=case).count() == 0


def test_relapse_needs_plan_revision_then_new_approval_plans_again(team):
    """Seen back at work: relapsed, plan revision_needed; a new approved plan: planned."""
    case = _reach(S.MONITORING, team)
    _verify(case, team, left_work=False, in_school=False, back_at_work=True)
    assert _status(case) == S.RELAPSED
    plan = CasePlan.objects.get(case=case)
    assert plan.status == CasePlan.Status.REVISION_NEEDED
    with pytest.raises(ApplicationError):
        services.plan_review(actor=team["supervisor"], case_id=case.pk, approve=True)
    assert _status(case) == S.RELAPSED
    services.plan_save(
        actor=team["worker"],
        case_id=case.pk,
        summary="Rencana baru",
        goals=_goals(team["worker"]),
        submit=True,
    )
    assert _status(case) == S.RELAPSED
    plan = services.plan_review(actor=team["supervisor"], case_id=case.pk, approve=True)
    assert plan.status == CasePlan.Status.APPROVED
    assert plan.summary == "Rencana baru"
    assert _status(case) == S.PLANNED


# --- Closure and reopening -------------------------------------------------------------------


def test_closure_request_needs_reason_and_outcome(team):
    """Both missing: one error with a message per field; the case does not move."""
    case = _reach(S.IN_SERVICE, team)
    with pytest.raises(ApplicationError) as caught:
        services.case_closure_request(actor=team["worker"], case_id=case.pk, reason="", outcome=" ")
    assert caught.value.fields == {
        "reason": [f"Choose one of: {', '.join(Case.ClosureReason.values)}."],
        "outcome": ["Describe the outcome."],
    }
    assert _status(case) == S.IN_SERVICE


def test_closure_request_records_reason_outcome_and_previous_status(team):
    """A closure request remembers who asked, why, and the status to return to."""
    case = _reach(S.IN_SERVICE, team)
    services.case_closure_request(
        actor=team["worker"], case_id=case.pk, reason="moved_away", outcome="  Pindah ke Medan "
    )
    case = _fresh(case)
    assert case.status == S.CLOSURE_REQUESTED
    assert case.status_before_closure == S.IN_SERVICE
    assert (case.closure_reason, case.closure_outcome) == ("moved_away", "Pindah ke Medan")
    assert case.closure_requested_by_id == team["worker"].pk
    assert allowed_next(case) == [S.CLOSED, S.IN_SERVICE]


def test_worker_cannot_approve_closure(team):
    """Closure approval needs a supervisor; the case stays requested."""
    case = _reach(S.IN_SERVICE, team)
    _request_closure(case, team)
    with pytest.raises(PermissionDeniedError):
        services.case_closure_review(actor=team["worker"], case_id=case.pk, approve=True)
    assert _status(case) == S.CLOSURE_REQUESTED


def test_closure_approval_closes_and_drops_open_followups(team):
    """Approved closure: closed, dated, closed_by set, open follow-ups removed."""
    case = _reach(S.IN_SERVICE, team)
    services.followup_schedule(actor=team["worker"], case_id=case.pk)
    _request_closure(case, team)
    _approve_closure(case, team)
    case = _fresh(case)
    assert case.status == S.CLOSED
    assert case.is_closed is True
    assert case.closed_on == _today()
    assert case.closed_by_id == team["supervisor"].pk
    assert case.next_due_on is None
    assert FollowUp.objects.filter(case=case).count() == 0


def test_closure_rejection_needs_a_comment_and_clears_the_request(team):
    """Rejection without a comment is refused; with one the case returns and the request is
    cleared."""
    case = _reach(S.MONITORING, team)
    _request_closure(case, team)
    with pytest.raises(ApplicationError) as caught:
        services.case_closure_review(actor=team["supervisor"], case_id=case.pk, approve=False)
    assert caught.value.fields == {"comment": ["Say why the case stays open."]}
    _reject_closure(case, team)
    case = _fresh(case)
    assert case.status == S.MONITORING
    assert (case.closure_reason, case.closure_outcome, case.status_before_closure) == ("", "", "")
    assert case.closure_requested_by_id is None


def test_closure_review_without_request_names_allowed_states(team):
    """Reviewing a closure nobody requested raises with the case's allowed next states."""
    case = _reach(S.ASSESSED, team)
    with pytest.raises(InvalidTransitionError) as caught:
        _approve_closure(case, team)
    assert caught.value.allowed == allowed_next(_fresh(case)) == [S.PLANNED, S.CLOSURE_REQUESTED]


def _closed_case(team) -> Case:
    case = _reach(S.IN_SERVICE, team)
    _request_closure(case, team)
    _approve_closure(case, team)
    return case


def _upload(case, team):
    pdf = SimpleUploadedFile("a.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    services.attachment_upload(
        actor=team["worker"], case_id=case.pk, kind="document", uploaded_file=pdf
    )


CLOSED_CASE_WRITES = {
    "note_add": lambda case, team: services.note_add(
        actor=team["worker"], case_id=case.pk, body="catatan"
    ),
    "assessment_create": lambda case, team: services.assessment_create(
        actor=team["worker"], case_id=case.pk, **_assessment_values()
    ),
    "assessment_review": lambda case, team: services.assessment_review(
        actor=team["supervisor"], case_id=case.pk, assessment_id=0, approve=True
    ),
    "plan_save": lambda case, team: services.plan_save(
        actor=team["worker"], case_id=case.pk, summary="", goals=_goals(team["worker"]), submit=True
    ),
    "plan_review": lambda case, team: services.plan_review(
        actor=team["supervisor"], case_id=case.pk, approve=True
    ),
    "intervention_record": _serve,
    "verification_record": _verify,
    "followup_schedule": lambda case, team: services.followup_schedule(
        actor=team["worker"], case_id=case.pk
    ),
    "followup_complete": lambda case, team: services.followup_complete(
        actor=team["worker"], case_id=case.pk, followup_id=0, completed_on=_today()
    ),
    "child_update": lambda case, team: services.child_update(
        actor=team["worker"], case_id=case.pk, known_as="Sri"
    ),
    "attachment_upload": _upload,
    "case_assign": lambda case, team: services.case_assign(
        actor=team["supervisor"], case_id=case.pk, worker_id=team["other_worker"].pk
    ),
}


@pytest.mark.parametrize(
    "write",
    [pytest.param(fn, id=name) for name, fn in CLOSED_CASE_WRITES.items()],
)
def test_closed_case_is_read_only(team, write):
    """Every write to a closed case raises code case_closed and changes nothing."""
    case = _closed_case(team)
    events_before = AuditEvent.objects.count()
    with pytest.raises(ApplicationError) as caught:
        write(case, team)
    assert caught.value.code == "case_closed"
    assert caught.value.fields == {"status": ["Allowed next states: reopen."]}
    assert AuditEvent.objects.count() == events_before
    case = _fresh(case)
    assert case.status == S.CLOSED
    assert case.assigned_worker_id == team["worker"].pk
    assert Note.objects.filter(case=case).count() == 0


def test_reopen_needs_a_reason(team):
    """Reopening without a reason is a field error; the case stays closed."""
    case = _closed_case(team)
    with pytest.raises(ApplicationError) as caught:
        services.case_reopen(actor=team["supervisor"], case_id=case.pk, reason="  ")
    assert caught.value.fields == {"reason": ["Give the reason for reopening."]}
    assert _status(case) == S.CLOSED


def test_case_worker_cannot_reopen(team):
    """Closing needs a supervisor, so does reopening: a case worker's reopen is refused, the
    case stays closed and nothing is recorded."""
    case = _closed_case(team)
    events_before = AuditEvent.objects.count()
    with pytest.raises(PermissionDeniedError):
        services.case_reopen(actor=team["worker"], case_id=case.pk, reason="Terlihat di pasar")
    assert _status(case) == S.CLOSED
    assert AuditEvent.objects.count() == events_before


def test_reopen_with_approved_plan_goes_back_to_service(team):
    """A reopened case with an approved plan is in service; closure data is cleared."""
    case = _closed_case(team)
    _reopen(case, team)
    case = _fresh(case)
    assert case.status == S.IN_SERVICE
    assert (case.closed_on, case.closed_by_id, case.closure_reason, case.closure_outcome) == (
        None,
        None,
        "",
        "",
    )
    services.note_add(actor=team["worker"], case_id=case.pk, body="Dibuka kembali")
    assert Note.objects.filter(case=case).count() == 1


def test_reopen_without_plan_goes_back_to_registered(team):
    """A reopened case that never had an approved plan is registered."""
    case = _reach(S.ASSESSED, team)
    _request_closure(case, team)
    _approve_closure(case, team)
    _reopen(case, team)
    assert _status(case) == S.REGISTERED


def test_reopen_of_open_case_names_allowed_states(team):
    """Reopening a case that is not closed raises with the case's real allowed next states."""
    case = _reach(S.IN_SERVICE, team)
    with pytest.raises(InvalidTransitionError) as caught:
        _reopen(case, team)
    assert caught.value.allowed == [S.MONITORING, S.RELAPSED, S.CLOSURE_REQUESTED]
    assert _status(case) == S.IN_SERVICE


# --- Rules: risk suggestion, age, derived child-labour status ---------------------------------

GOOD = {"education": 3, "health": 3, "psychosocial": 3, "safety": 3, "family_economy": 3}


def _scores(**low):
    return {**GOOD, **low}


@pytest.mark.parametrize(
    ("status", "night_work", "scores", "expected"),
    [
        pytest.param("worst_form", False, _scores(), "urgent", id="worst-form"),
        pytest.param("none", False, _scores(safety=1), "urgent", id="safety-1"),
        pytest.param("worst_form", False, {k: 5 for k in GOOD}, "urgent", id="worst-form-best"),
        pytest.param("hazardous", False, _scores(), "high", id="hazardous"),
        pytest.param("none", True, _scores(), "high", id="night-work"),
        pytest.param("none", False, _scores(health=1), "high", id="domain-1"),
        pytest.param("child_labour", False, _scores(education=1), "high", id="cl-domain-1"),
        pytest.param("hazardous", False, _scores(safety=1), "urgent", id="hazardous-safety-1"),
        pytest.param("child_labour", False, _scores(), "medium", id="child-labour"),
        pytest.param("none", False, _scores(family_economy=2), "medium", id="domain-2"),
        pytest.param("none", False, _scores(safety=2), "medium", id="safety-2"),
        pytest.param("none", False, _scores(), "low", id="none"),
        pytest.param("not_applicable", False, _scores(), "low", id="not-applicable"),
        pytest.param("not_applicable", True, _scores(), "high", id="not-applicable-night"),
        pytest.param("none", False, {}, "low", id="no-scores"),
    ],
)
def test_suggest_risk(status, night_work, scores, expected):
    """The risk suggested to the worker follows the documented table."""
    assert rules.suggest_risk(status=status, night_work=night_work, scores=scores) == expected


@pytest.mark.parametrize(
    ("day", "date_of_birth", "birth_year", "expected"),
    [
        pytest.param(date(2026, 6, 14), date(2010, 6, 15), 2010, 15, id="day-before-birthday"),
        pytest.param(date(2026, 6, 15), date(2010, 6, 15), 2010, 16, id="on-birthday"),
        pytest.param(date(2026, 5, 31), date(2010, 6, 1), 2010, 15, id="month-before"),
        pytest.param(date(2026, 12, 31), date(2010, 1, 1), 2010, 16, id="year-end"),
        pytest.param(date(2027, 2, 28), date(2012, 2, 29), 2012, 14, id="leap-day-feb-28"),
        pytest.param(date(2027, 3, 1), date(2012, 2, 29), 2012, 15, id="leap-day-mar-1"),
        pytest.param(date(2028, 2, 29), date(2012, 2, 29), 2012, 16, id="leap-day-leap-year"),
        pytest.param(date(2026, 1, 1), None, 2013, 13, id="estimated-jan-1"),
        pytest.param(date(2026, 12, 31), None, 2013, 13, id="estimated-dec-31"),
        pytest.param(date(2026, 3, 1), None, 2026, 0, id="estimated-this-year"),
    ],
)
def test_age_on(day, date_of_birth, birth_year, expected):
    """Completed years from the date of birth; a bare birth year counts the year difference."""
    assert rules.age_on(day, date_of_birth=date_of_birth, birth_year=birth_year) == expected


@pytest.mark.parametrize(
    ("age", "values", "bps", "ilo"),
    [
        pytest.param(13, {"hours_per_week": Decimal("15")}, "none", "child_labour", id="13y-15h"),
        pytest.param(13, {"hours_per_week": Decimal("16")}, "child_labour", "child_labour"),
        pytest.param(12, {"hours_per_week": Decimal("5")}, "child_labour", "none", id="12y-5h"),
        pytest.param(16, {"hours_per_week": Decimal("42")}, "child_labour", "none", id="16y-42h"),
        pytest.param(16, {"hours_per_week": Decimal("43")}, "child_labour", "hazardous"),
        pytest.param(17, {"hours_per_week": Decimal("40")}, "none", "none", id="17y-40h"),
        pytest.param(
            16,
            {"hours_per_week": Decimal("10"), "night_work": True},
            "hazardous",
            "hazardous",
            id="night-work-is-hazardous",
        ),
        pytest.param(
            16,
            {"hours_per_week": Decimal("10"), "hazards": ["heavy_loads"]},
            "hazardous",
            "hazardous",
            id="hazard",
        ),
        pytest.param(
            10,
            {"works": False, "hours_per_week": Decimal("30"), "hazards": ["street"]},
            "none",
            "none",
            id="not-working",
        ),
        pytest.param(
            15,
            {"hours_per_week": Decimal("5"), "worst_forms": ["trafficking"]},
            "worst_form",
            "worst_form",
            id="worst-form",
        ),
        pytest.param(5, {"hours_per_week": Decimal("1")}, "child_labour", "child_labour"),
        pytest.param(4, {"hours_per_week": Decimal("20")}, "not_applicable", "not_applicable"),
        pytest.param(
            18,
            {"hours_per_week": Decimal("50"), "night_work": True},
            "not_applicable",
            "not_applicable",
            id="18y",
        ),
    ],
)
def test_assessment_stores_status_for_both_standards(team, age, values, bps, ilo):
    """The BPS and ILO statuses are derived and stored whatever the NGO's standard."""
    case = _register(team["worker"], birth_year=_today().year - age)
    assessment = services.assessment_create(
        actor=team["worker"], case_id=case.pk, **_assessment_values(**values)
    )
    assessment.refresh_from_db()
    assert assessment.age_at_assessment == age
    assert (assessment.status_bps, assessment.status_ilo) == (bps, ilo)


def test_not_working_forces_zero_hours(team):
    """A child recorded as not working has 0 hours whatever was typed."""
    case = _register(team["worker"])
    assessment = services.assessment_create(
        actor=team["worker"],
        case_id=case.pk,
        **_assessment_values(works=False, hours_per_week=Decimal("30")),
    )
    assessment.refresh_from_db()
    assert assessment.hours_per_week == Decimal("0")


def test_age_at_assessment_uses_date_of_birth(team):
    """With a date of birth the age is completed years on the assessment date."""
    today = _today()
    born = date(today.year - 14, 1, 1)
    case = _register(team["worker"], birth_year=None, date_of_birth=born)
    day_before_14th = date(today.year, 1, 1) - timedelta(days=1)
    assessment = services.assessment_create(
        actor=team["worker"], case_id=case.pk, **_assessment_values(assessed_on=day_before_14th)
    )
    assert assessment.age_at_assessment == 13


# --- Prevention cases ----------------------------------------------------------------------------


def test_prevention_case_lifecycle(team):
    """A prevention case (child not working) is assessed as 'none' and closes as prevented."""
    case = _register(team["worker"], case_type="prevention", school_status="in_school")
    assert _fresh(case).case_type == "prevention"
    assessment = _assess(
        case,
        team,
        works=False,
        hours_per_week=Decimal("0"),
        employer_type="none",
        score_education=4,
        score_family_economy=3,
        risk_level="low",
    )
    assert (assessment.status_bps, assessment.status_ilo) == ("none", "none")
    assert assessment.suggested_risk_level == "low"
    services.case_closure_request(
        actor=team["worker"], case_id=case.pk, reason="prevented", outcome="Tetap sekolah"
    )
    _approve_closure(case, team)
    case = _fresh(case)
    assert (case.status, case.closure_reason, case.child_labour_status) == (
        S.CLOSED,
        "prevented",
        "none",
    )


def test_unknown_case_type_is_a_field_error(team):
    """Only child_labour and prevention cases exist."""
    before = Child.objects.count()
    with pytest.raises(ApplicationError) as caught:
        _register(team["worker"], case_type="adoption")
    assert caught.value.fields == {"case_type": ["Choose one of: child_labour, prevention."]}
    assert Child.objects.count() == before


# --- Follow-ups ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "days"), [pytest.param("visit", 30, id="visit"), ("verification", 90)]
)
def test_followup_default_due_date_from_settings(team, kind, days):
    """Without a due date: today + the NGO's follow-up (30) or verification (90) interval."""
    services.ngo_settings_update(
        actor=team["admin"], followup_interval_days=30, verification_interval_days=90
    )
    case = _reach(S.REGISTERED, team)
    followup = services.followup_schedule(actor=team["worker"], case_id=case.pk, kind=kind)
    assert followup.due_on == _today() + timedelta(days=days)
    assert followup.assigned_worker_id == team["worker"].pk
    assert followup.is_overdue is False


def test_followup_interval_follows_changed_settings(team):
    """Changing the NGO's intervals changes the next default due dates."""
    services.ngo_settings_update(
        actor=team["admin"], followup_interval_days=14, verification_interval_days=60
    )
    case = _reach(S.REGISTERED, team)
    visit = services.followup_schedule(actor=team["worker"], case_id=case.pk)
    check = services.followup_schedule(actor=team["worker"], case_id=case.pk, kind="verification")
    assert visit.due_on == _today() + timedelta(days=14)
    assert check.due_on == _today() + timedelta(days=60)


def test_followup_for_another_worker_and_inactive_worker(team):
    """A supervisor may give a follow-up to another active worker; an inactive one is a field
    error; a case worker may not give it to someone else at all."""
    case = _reach(S.REGISTERED, team)
    followup = services.followup_schedule(
        actor=team["supervisor"], case_id=case.pk, assigned_worker_id=team["other_worker"].pk
    )
    assert followup.assigned_worker_id == team["other_worker"].pk
    inactive = get_user_model().objects.create_user(username="pensiun", is_active=False)
    StaffProfile.objects.create(user=inactive, role="case_worker")
    with pytest.raises(ApplicationError) as caught:
        services.followup_schedule(
            actor=team["supervisor"], case_id=case.pk, assigned_worker_id=inactive.pk
        )
    assert caught.value.fields == {"assigned_worker_id": ["Choose an active staff member."]}
    with pytest.raises(PermissionDeniedError) as refused:
        services.followup_schedule(
            actor=team["worker"], case_id=case.pk, assigned_worker_id=team["other_worker"].pk
        )
    assert refused.value.fields == {
        "assigned_worker_id": ["Only a supervisor can give this work to another worker."]
    }


def test_followup_complete(team):
    """Completing sets the date and notes; twice or in the future is a field error."""
    case = _reach(S.REGISTERED, team)
    followup = services.followup_schedule(actor=team["worker"], case_id=case.pk)
    with pytest.raises(ApplicationError) as caught:
        services.followup_complete(
            actor=team["worker"],
            case_id=case.pk,
            followup_id=followup.pk,
            completed_on=_today() + timedelta(days=1),
        )
    assert caught.value.fields == {"completed_on": ["The date cannot be in the future."]}
    done = services.followup_complete(
        actor=team["worker"],
        case_id=case.pk,
        followup_id=followup.pk,
        completed_on=_today(),
        notes="Anak di sekolah",
    )
    assert (done.completed_on, done.notes, done.is_overdue) == (_today(), "Anak di sekolah", False)
    with pytest.raises(ApplicationError) as caught:
        services.followup_complete(
            actor=team["worker"], case_id=case.pk, followup_id=followup.pk, completed_on=_today()
        )
    assert caught.value.fields == {"completed_on": ["This follow-up is already completed."]}


def test_followup_of_another_case_is_not_found(team):
    """A follow-up id is only valid with its own case."""
    first = _reach(S.REGISTERED, team)
    second = _register(team["worker"], name="Budi")
    followup = services.followup_schedule(actor=team["worker"], case_id=first.pk)
    with pytest.raises(NotFoundError):
        services.followup_complete(
            actor=team["worker"], case_id=second.pk, followup_id=followup.pk, completed_on=_today()
        )


def test_next_due_and_overdue_are_maintained(team):
    """next_due_on is the earliest open follow-up; has_overdue is set while one is past due."""
    today = _today()
    case = _reach(S.REGISTERED, team)
    assert (_fresh(case).next_due_on, _fresh(case).has_overdue) == (None, False)
    later = services.followup_schedule(
        actor=team["worker"], case_id=case.pk, due_on=today + timedelta(days=20)
    )
    sooner = services.followup_schedule(
        actor=team["worker"], case_id=case.pk, due_on=today + timedelta(days=5)
    )
    assert (_fresh(case).next_due_on, _fresh(case).has_overdue) == (
        today + timedelta(days=5),
        False,
    )
    # A due date is never set in the past: this one was set five days ago and has passed since;
    # the daily run flags it.
    with clock.as_of(today - timedelta(days=5)):
        late = services.followup_schedule(
            actor=team["worker"], case_id=case.pk, due_on=today - timedelta(days=2)
        )
    services.followups_mark_overdue()
    late.refresh_from_db()
    assert late.is_overdue is True
    assert (_fresh(case).next_due_on, _fresh(case).has_overdue) == (
        today - timedelta(days=2),
        True,
    )
    for followup in (late, sooner):
        services.followup_complete(
            actor=team["worker"], case_id=case.pk, followup_id=followup.pk, completed_on=today
        )
    assert (_fresh(case).next_due_on, _fresh(case).has_overdue) == (later.due_on, False)
    services.followup_complete(
        actor=team["worker"], case_id=case.pk, followup_id=later.pk, completed_on=today
    )
    assert (_fresh(case).next_due_on, _fresh(case).has_overdue) == (None, False)


def test_verification_completes_the_open_verification_followup(team):
    """A verification visit completes the earliest open verification follow-up only."""
    case = _reach(S.IN_SERVICE, team)
    visit = services.followup_schedule(actor=team["worker"], case_id=case.pk)
    check = services.followup_schedule(actor=team["worker"], case_id=case.pk, kind="verification")
    _verify(case, team)
    check.refresh_from_db()
    visit.refresh_from_db()
    assert check.completed_on == _today()
    assert visit.completed_on is None
    assert _fresh(case).next_due_on == visit.due_on


# --- Staff and NGO settings ---------------------------------------------------------------------


def test_staff_create(team, fast_passwords):
    """An admin creates a staff account with a role; the username is lower-cased."""
    profile = services.staff_create(
        actor=team["admin"],
        username=" Dewi.Worker ",
        password=STRONG_PASSWORD,
        role="case_worker",
        email="dewi@example.org",
    )
    user = get_user_model().objects.get(pk=profile.user_id)
    assert (user.username, user.email, user.is_staff) == ("dewi.worker", "dewi@example.org", False)
    assert user.check_password(STRONG_PASSWORD)
    assert StaffProfile.objects.get(user=user).role == "case_worker"


def test_staff_create_weak_password_is_a_field_error(team, fast_passwords):
    """A short, common or numeric password is refused on the password field."""
    with pytest.raises(ApplicationError) as caught:
        services.staff_create(
            actor=team["admin"], username="lemah", password="12345678", role="case_worker"
        )
    assert set(caught.value.fields) == {"password"}
    assert len(caught.value.fields["password"]) == 2  # too common, entirely numeric
    assert not get_user_model().objects.filter(username="lemah").exists()


def test_staff_create_rejects_duplicate_username_and_unknown_role(team, fast_passwords):
    """Duplicate usernames and unknown roles are field errors."""
    with pytest.raises(ApplicationError) as caught:
        services.staff_create(
            actor=team["admin"], username="WORKER-A", password=STRONG_PASSWORD, role="case_worker"
        )
    assert caught.value.fields == {
        "username": ["A staff account with this username already exists."]
    }
    with pytest.raises(ApplicationError) as caught:
        services.staff_create(
            actor=team["admin"], username="baru", password=STRONG_PASSWORD, role="boss"
        )
    assert caught.value.fields == {
        "role": ["Choose one of: admin, supervisor, case_worker, me_officer."]
    }


def test_staff_create_refuses_an_e_mail_address_another_account_uses(team, fast_passwords):
    """A password reset goes to every account with the address: a second account with a
    colleague's address (either case), or a username that is one, is a field error."""
    taken = team["worker"].email
    assert taken
    for username, email, field in (
        ("uji.baru", taken.upper(), "email"),
        (taken.upper(), "", "username"),
    ):
        with pytest.raises(ApplicationError) as caught:
            services.staff_create(
                actor=team["admin"],
                username=username,
                password=STRONG_PASSWORD,
                role="case_worker",
                email=email,
            )
        assert list(caught.value.fields) == [field]
    assert not get_user_model().objects.filter(username="uji.baru").exists()


def test_only_admins_create_staff(team, fast_passwords):
    """A supervisor cannot create staff accounts."""
    with pytest.raises(PermissionDeniedError):
        services.staff_create(
            actor=team["supervisor"], username="baru", password=STRONG_PASSWORD, role="admin"
        )
    assert not get_user_model().objects.filter(username="baru").exists()


def test_staff_update_changes_role_and_deactivates(team, fast_passwords):
    """An admin changes a role and deactivates another account."""
    profile = services.staff_create(
        actor=team["admin"], username="rina", password=STRONG_PASSWORD, role="case_worker"
    )
    services.staff_update(actor=team["admin"], user_id=profile.user_id, role="supervisor")
    assert StaffProfile.objects.get(user_id=profile.user_id).role == "supervisor"
    services.staff_update(actor=team["admin"], user_id=profile.user_id, is_active=False)
    assert get_user_model().objects.get(pk=profile.user_id).is_active is False


def test_staff_update_role_keeps_admin_site_flag_in_step(team, fast_passwords):
    """is_staff follows the admin role on update, as staff_create sets it."""
    profile = services.staff_create(
        actor=team["admin"], username="rina", password=STRONG_PASSWORD, role="admin"
    )
    services.staff_update(actor=team["admin"], user_id=profile.user_id, role="case_worker")
    assert get_user_model().objects.get(pk=profile.user_id).is_staff is False


def test_staff_cannot_deactivate_self(team):
    """An admin deactivating their own account gets a field error and stays active."""
    with pytest.raises(ApplicationError) as caught:
        services.staff_update(actor=team["admin"], user_id=team["admin"].pk, is_active=False)
    assert caught.value.fields == {"is_active": ["You cannot deactivate your own account."]}
    assert get_user_model().objects.get(pk=team["admin"].pk).is_active is True


def test_staff_update_unknown_user_and_role(team):
    """Unknown users are not found; unknown roles are field errors."""
    with pytest.raises(NotFoundError):
        services.staff_update(actor=team["admin"], user_id=999_999, role="supervisor")
    with pytest.raises(ApplicationError) as caught:
        services.staff_update(actor=team["admin"], user_id=team["worker"].pk, role="boss")
    assert caught.value.fields == {
        "role": ["Choose one of: admin, supervisor, case_worker, me_officer."]
    }
    assert StaffProfile.objects.get(user_id=team["worker"].pk).role == "case_worker"


def test_ngo_settings_update_by_admin(team):
    """An admin changes the standard and intervals."""
    row = services.ngo_settings_update(
        actor=team["admin"],
        classification_standard="ilo",
        followup_interval_days=21,
        verification_interval_days=None,
    )
    row = NGOSettings.objects.get(pk=row.pk)
    assert (row.classification_standard, row.followup_interval_days) == ("ilo", 21)
    assert row.verification_interval_days == 90


@pytest.mark.parametrize("role", ["supervisor", "worker", "me"])
def test_ngo_settings_update_is_admin_only(team, role):
    """Non-admins cannot change the NGO's settings; nothing changes."""
    before = NGOSettings.objects.get()
    with pytest.raises(PermissionDeniedError):
        services.ngo_settings_update(actor=team[role], classification_standard="ilo")
    after = NGOSettings.objects.get()
    assert (after.classification_standard, after.updated_at) == (
        before.classification_standard,
        before.updated_at,
    )


def test_ngo_settings_rejects_unknown_standard(team):
    """An unknown standard is a field error."""
    with pytest.raises(ApplicationError) as caught:
        services.ngo_settings_update(actor=team["admin"], classification_standard="un")
    assert list(caught.value.fields) == ["classification_standard"]


@pytest.mark.parametrize("role", ["admin", "me"])
def test_assigning_to_staff_who_cannot_hold_cases_says_why(team, role):
    """An active admin or M&E officer named as the worker: the error names the real reason, on
    the field, and the case keeps its worker."""
    case = _register(team["worker"])
    with pytest.raises(ApplicationError) as caught:
        services.case_assign(actor=team["supervisor"], case_id=case.pk, worker_id=team[role].pk)
    assert caught.value.code == "cannot_hold_cases"
    assert caught.value.fields == {
        "worker_id": ["Only supervisors and case workers can hold cases."]
    }
    case.refresh_from_db()
    assert case.assigned_worker_id == team["worker"].pk


def test_new_staff_form_offers_case_worker_first():
    """The safest role is the default on the new-staff form, never admin."""
    from casework.forms import StaffForm

    assert StaffForm().fields["role"].initial == "case_worker"


def test_assigning_and_sharing_tells_the_people_and_never_shares_with_the_holder(team):
    """The new worker and each newly shared colleague get a notification; the assigned worker
    is never also "shared with"; assigning again unchanged writes no audit event."""
    from casework.models import AuditEvent, Notification

    case = _register(team["worker"])
    other, worker = team["other_worker"], team["worker"]
    services.case_assign(
        actor=team["supervisor"],
        case_id=case.pk,
        worker_id=other.pk,
        shared_with_ids=[other.pk, worker.pk],
    )
    case.refresh_from_db()
    assert list(case.shared_with.values_list("pk", flat=True)) == [worker.pk]
    assert Notification.objects.get(user=other, case_id=case.pk).code == "case_assigned"
    assert Notification.objects.get(user=worker, case_id=case.pk).code == "case_shared"
    with translation.override("id"):
        text = Notification.objects.get(user=other, case_id=case.pk).text
    assert text == f"Kasus {case.reference} sekarang menjadi tanggung jawab Anda."
    events = AuditEvent.objects.filter(case_id=case.pk, object_type="case", action="update")
    before = events.count()
    services.case_assign(
        actor=team["supervisor"], case_id=case.pk, worker_id=other.pk, shared_with_ids=[worker.pk]
    )
    assert events.count() == before
    assert Notification.objects.filter(case_id=case.pk).count() == 2
