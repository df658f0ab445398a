"""The services and selectors behind issue 9's pages, called directly: corrections after
registration, resubmitting a returned assessment, plan goals kept across saves, goals achieved,
services linked to goals, and the worker's task list."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from casework import selectors, services
from casework.models import Assessment, AuditEvent, Case, Child, Notification, PlanGoal
from core.errors import ApplicationError, NotFoundError, PermissionDeniedError
from tests.casework.conftest import assessment_payload, registration_payload

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(ngo_a, team_a):
    with schema_context(ngo_a.ngo.schema_name):
        yield {role: staff.user for role, staff in team_a.items()}


def _today() -> date:
    return timezone.localdate()


def _register(actor, name: str = "Siti Rahayu") -> Case:
    payload = registration_payload(name)
    return services.child_register(
        actor=actor,
        child=services.ChildInput(**payload["child"]),
        household=services.HouseholdInput(**payload["household"]),
        consent=services.ConsentInput(**{**payload["consent"], "consented_on": _today()}),
    )


def _assessment_values(**overrides) -> dict:
    values = assessment_payload(**overrides)
    values.update(assessed_on=_today(), hours_per_week=Decimal(str(values["hours_per_week"])))
    return values


def _returned(case: Case, team) -> Assessment:
    assessment = services.assessment_create(
        actor=team["worker"], case_id=case.pk, **_assessment_values()
    )
    return services.assessment_review(
        actor=team["supervisor"],
        case_id=case.pk,
        assessment_id=assessment.pk,
        approve=False,
        comment="Cek jam kerja",
    )


def test_child_update_sets_a_date_of_birth_and_derives_the_year(team):
    """A date of birth found later replaces the estimated year; audited with both fields."""
    case = _register(team["worker"])
    child = services.child_update(
        actor=team["worker"], case_id=case.pk, date_of_birth=date(2012, 5, 17), birth_year=None
    )
    assert (child.date_of_birth, child.birth_year, child.birth_year_estimated) == (
        date(2012, 5, 17),
        2012,
        False,
    )
    event = AuditEvent.objects.filter(object_type="child", action="update").latest("id")
    assert event.changed_fields["birth_year"] == [2013, 2012]
    assert event.changed_fields["birth_year_estimated"] == [True, False]


def test_child_update_refuses_a_too_long_name_and_changes_nothing(team):
    """The registration's rules apply to a correction too."""
    case = _register(team["worker"])
    with pytest.raises(ApplicationError) as caught:
        services.child_update(actor=team["worker"], case_id=case.pk, full_name="x" * 201)
    assert caught.value.fields == {"full_name": ["At most 200 characters (this has 201)."]}
    assert Child.objects.get(pk=case.child_id).full_name == "Siti Rahayu"


def test_child_duplicates_leaves_out_the_child_being_corrected(team):
    """A correction does not list the child itself as its own duplicate."""
    case = _register(team["worker"])
    found = selectors.child_duplicates(
        actor=team["worker"],
        full_name="Siti Rahayu",
        birth_year=2013,
        guardian_name="Ibu Rahayu",
        exclude_child_id=case.child_id,
    )
    assert found == []


def test_household_update_is_refused_to_another_worker(team):
    """Another worker's case is not found; the household is unchanged."""
    case = _register(team["worker"])
    with pytest.raises(NotFoundError):
        services.household_update(
            actor=team["other_worker"],
            case_id=case.pk,
            data=services.HouseholdInput(guardian_name="X", guardian_relationship="Y"),
        )
    assert case.child.household.guardian_name == "Ibu Rahayu"


def test_household_member_with_a_bad_birth_year_names_the_row(team):
    """A member's invalid field is reported as members[i].field; nothing is saved."""
    case = _register(team["worker"])
    with pytest.raises(ApplicationError) as caught:
        services.household_update(
            actor=team["worker"],
            case_id=case.pk,
            data=services.HouseholdInput(guardian_name="Ibu Rahayu", guardian_relationship="ibu"),
            members=[{"name": "", "relationship": "ayah"}],
        )
    assert caught.value.fields == {"members[0].name": ["This field cannot be blank."]}
    assert case.child.household.members.count() == 0


def test_resubmit_derives_again_and_keeps_the_comment(team):
    """Hours changed on a returned assessment: status and suggested risk are derived anew; the
    supervisor's comment stays for the record; the assessor was notified once."""
    case = _register(team["worker"])
    assessment = _returned(case, team)
    assert Notification.objects.filter(user=team["worker"], case=case).count() == 1
    resubmitted = services.assessment_resubmit(
        actor=team["worker"],
        case_id=case.pk,
        assessment_id=assessment.pk,
        **_assessment_values(hours_per_week="2", score_education=4, score_family_economy=4),
    )
    assert (resubmitted.status, resubmitted.status_bps, resubmitted.suggested_risk_level) == (
        "submitted",
        "none",
        "low",
    )
    assert resubmitted.review_comment == "Cek jam kerja"


def test_resubmit_by_an_m_and_e_officer_is_denied(team):
    """M&E never edits a case; the returned assessment stays as it was."""
    case = _register(team["worker"])
    assessment = _returned(case, team)
    with pytest.raises(PermissionDeniedError):
        services.assessment_resubmit(
            actor=team["me"], case_id=case.pk, assessment_id=assessment.pk, **_assessment_values()
        )
    assessment.refresh_from_db()
    assert assessment.status == "returned"


def test_plan_save_keeps_goal_rows_by_id_and_drops_the_others(team):
    """Goals given with their id keep their row (and achievement); one left out is removed;
    its linked service stays on record, unlinked."""
    case = _register(team["worker"])
    target = _today() + timedelta(days=20)
    plan = services.plan_save(
        actor=team["worker"],
        case_id=case.pk,
        summary="",
        goals=[
            {"description": "Sekolah", "target_date": target},
            {"description": "Usaha", "target_date": target},
        ],
        submit=False,
    )
    school, business = plan.goals.order_by("id")
    services.goal_mark_achieved(
        actor=team["worker"], case_id=case.pk, goal_id=school.pk, achieved_on=_today()
    )
    service = services.intervention_record(
        actor=team["worker"],
        case_id=case.pk,
        goal_id=business.pk,
        delivered_on=_today(),
        type="family_economic",
        provider="Koperasi",
    )
    services.plan_save(
        actor=team["worker"],
        case_id=case.pk,
        summary="",
        goals=[{"id": school.pk, "description": "Sekolah lagi", "target_date": target}],
        submit=False,
    )
    assert list(PlanGoal.objects.filter(plan=plan).values_list("pk", "description")) == [
        (school.pk, "Sekolah lagi")
    ]
    assert PlanGoal.objects.get(pk=school.pk).achieved_on == _today()
    service.refresh_from_db()
    assert service.goal_id is None


def test_goal_of_another_ngo_or_case_is_not_found(team):
    """Marking a goal that is not the case's is 'not found'."""
    case = _register(team["worker"])
    other = _register(team["worker"], "Dewi Lestari")
    plan = services.plan_save(
        actor=team["worker"],
        case_id=other.pk,
        summary="",
        goals=[{"description": "Lain", "target_date": _today() + timedelta(days=5)}],
        submit=False,
    )
    with pytest.raises(NotFoundError):
        services.goal_mark_achieved(
            actor=team["worker"],
            case_id=case.pk,
            goal_id=plan.goals.get().pk,
            achieved_on=_today(),
        )


def test_tasks_page_queries_do_not_grow_with_rows(team, ngo_a):
    """The task list loads its rows with their cases: as many queries for four cases' tasks as
    for one's."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.support import host_client

    client = host_client(ngo_a.host)
    client.force_login(team["worker"])

    def add(index: int) -> None:
        case = _register(team["worker"], f"Anak Nomor{index} Uji")
        services.followup_schedule(
            actor=team["worker"], case_id=case.pk, due_on=_today() + timedelta(days=2)
        )
        _returned(case, team)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/tasks/")
        assert response.status_code == 200
        return len(queries)

    add(0)
    one = count()
    for index in range(1, 4):
        add(index)
    assert count() == one
    tasks = client.get("/tasks/").context["tasks"]
    assert (len(tasks["due_this_week"]), len(tasks["returned_assessments"])) == (4, 4)
