"""One set of input rules (casework.validation) for the pages, the API and the services: the same
decision and the same message, on its field, once."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django_tenants.utils import schema_context

from casework import services, validation
from casework.models import Assessment, Case, FollowUp, Intervention, NGOSettings, PlanGoal
from core import clock
from core.errors import ApplicationError
from tests.casework.conftest import assessment_payload, registration_payload
from tests.support import host_client

pytestmark = pytest.mark.django_db

HOURS_MESSAGE = "Hours per week must be between 0 and 168."
NAME_270 = ("Siti Nurhaliza Rahayu Putri " * 10)[:270]


@pytest.fixture
def team(ngo_a, team_a):
    with schema_context(ngo_a.ngo.schema_name):
        yield {role: staff.user for role, staff in team_a.items()}


@pytest.fixture
def page_client(ngo_a, team):
    """The NGO's pages, signed in as the case worker."""
    client = host_client(ngo_a.host)
    client.force_login(team["worker"])
    return client


def _today() -> date:
    return clock.today()


def _register(actor, *, consent: bool = True, **child) -> Case:
    values = {
        "full_name": "Siti Rahayu",
        "sex": "female",
        "school_status": "dropped_out",
        "birth_year": _today().year - 13,
    }
    values.update(child)
    return services.child_register(
        actor=actor,
        child=services.ChildInput(**values),
        household=services.HouseholdInput(guardian_name="Ibu Rahayu", guardian_relationship="ibu"),
        consent=services.ConsentInput(
            guardian_name="Ibu Rahayu",
            guardian_relationship="ibu",
            guardian_consented=True,
            child_assented=True,
            consented_on=_today(),
        )
        if consent
        else None,
    )


def _fields(call, *args, **kwargs) -> dict:
    with pytest.raises(ApplicationError) as caught:
        call(*args, **kwargs)
    return caught.value.fields


def _assessment_form(**overrides) -> dict:
    data = {
        "assessed_on": _today().isoformat(),
        "works": "on",
        "employer_type": "informal",
        "hours_per_week": "20",
        "score_education": "3",
        "score_health": "3",
        "score_psychosocial": "3",
        "score_safety": "3",
        "score_family_economy": "3",
        "risk_level": "medium",
    }
    data.update(overrides)
    return data


def _field_errors(response, name: str) -> list[str]:
    return list(response.context["form"].errors.get(name, []))


# --- Hours per week: the same cap on the page, the API and the service -------------------------


def test_service_refuses_more_than_168_hours_a_week(team):
    """assessment_create decides: 200 hours a week is a field error, nothing saved."""
    case = _register(team["worker"])
    values = {key: value for key, value in assessment_payload().items()}
    values.update(assessed_on=_today(), hours_per_week=Decimal("200"))
    assert _fields(services.assessment_create, actor=team["worker"], case_id=case.pk, **values) == {
        "hours_per_week": [HOURS_MESSAGE]
    }
    assert not Assessment.objects.filter(case=case).exists()


def test_assessment_page_refuses_200_hours_on_the_field_once(team, page_client):
    """The HTML assessment form gives the rule's message on hours_per_week, once, and saves
    nothing (it used to accept 200 hours a week)."""
    case = _register(team["worker"])
    response = page_client.post(
        f"/cases/{case.pk}/assessment/", _assessment_form(hours_per_week="200")
    )
    assert response.status_code == 400
    assert _field_errors(response, "hours_per_week") == [HOURS_MESSAGE]
    assert response.content.decode().count(HOURS_MESSAGE) == 1
    assert not Assessment.objects.filter(case=case).exists()


def test_assessment_api_refuses_200_hours_with_the_same_message(team, team_a):
    """The API names the same field with the same message as the page."""
    case = _register(team["worker"])
    response = (
        team_a["worker"]
        .client()
        .post(
            f"/api/v1/cases/{case.pk}/assessments/",
            assessment_payload(hours_per_week="200"),
            content_type="application/json",
        )
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {"hours_per_week": [HOURS_MESSAGE]}
    assert not Assessment.objects.filter(case=case).exists()


def test_168_hours_is_accepted(team):
    """The bound itself is allowed."""
    case = _register(team["worker"])
    values = dict(assessment_payload(), assessed_on=_today(), hours_per_week=Decimal("168"))
    assessment = services.assessment_create(actor=team["worker"], case_id=case.pk, **values)
    assert assessment.hours_per_week == Decimal("168")


# --- Birth year and date of birth ---------------------------------------------------------------


def _child_step(**overrides) -> dict:
    data = {
        "full_name": "Dewi Lestari",
        "sex": "female",
        "school_status": "dropped_out",
        "case_type": "child_labour",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    "offset", [pytest.param(26, id="26-years-ago"), pytest.param(-1, id="next-year")]
)
def test_registration_step_one_uses_the_birth_year_rule(team, page_client, offset):
    """Step 1 refuses a birth year the save would refuse, on its field, with the save's message
    (it used to accept 1990-2100 and fail later with a second, different error)."""
    birth_year = _today().year - offset
    response = page_client.post("/register/", _child_step(birth_year=str(birth_year)))
    expected = f"The birth year must be between {_today().year - 25} and now."
    assert response.status_code == 200  # the step again, not the next one
    assert _field_errors(response, "birth_year") == [expected]
    assert page_client.session.get("registration_wizard", {}).get("child") is None
    assert _fields(_register, team["worker"], birth_year=birth_year) == {"birth_year": [expected]}


def test_a_birth_year_step_one_accepts_is_saved(team, page_client):
    """What step 1 accepts the save accepts: the earliest year goes through the whole wizard."""
    earliest = _today().year - 25
    response = page_client.post("/register/", _child_step(birth_year=str(earliest)))
    assert (response.status_code, response["Location"]) == (302, "/register/household/")
    response = page_client.post(
        "/register/household/",
        {
            "guardian_name": "Ibu Lestari",
            "guardian_relationship": "ibu",
            "member_count": "3",
            "monthly_income_band": "lt_1m",
        },
    )
    assert response.status_code == 302
    response = page_client.post("/register/consent/", {"skip": "1"})
    assert response.status_code == 302
    response = page_client.post("/register/review/", {})
    assert response.status_code == 302, response.content.decode()[:2000]
    case = Case.objects.get(child__full_name="Dewi Lestari")
    assert (case.child.birth_year, response["Location"]) == (earliest, f"/cases/{case.pk}/")


def test_date_of_birth_bounds(team, page_client):
    """No date of birth in the future or earlier than the birth-year rule allows (25 years):
    the service and step 1 alike, with the same message."""
    earliest = _today().year - 25
    cases = [
        (_today() + timedelta(days=1), "The date of birth cannot be in the future."),
        (date(earliest - 1, 12, 31), f"The date of birth cannot be before {earliest}."),
    ]
    for born, message in cases:
        assert _fields(_register, team["worker"], birth_year=None, date_of_birth=born) == {
            "date_of_birth": [message]
        }
        response = page_client.post("/register/", _child_step(date_of_birth=born.isoformat()))
        assert _field_errors(response, "date_of_birth") == [message]
    case = _register(team["worker"], birth_year=None, date_of_birth=date(earliest, 1, 1))
    assert case.child.birth_year == earliest


def test_no_date_of_birth_before_1990_whatever_the_day(team):
    """Run as of 2010 (demo history), 25 years back would be 1985: 1990 is the floor."""
    with clock.as_of(date(2010, 6, 1)):
        assert _fields(
            _register, team["worker"], birth_year=None, date_of_birth=date(1989, 12, 31)
        ) == {"date_of_birth": ["The date of birth cannot be before 1990."]}
        assert _fields(_register, team["worker"], birth_year=1989) == {
            "birth_year": ["The birth year must be between 1990 and now."]
        }
        case = _register(team["worker"], birth_year=None, date_of_birth=date(1990, 1, 1))
    assert case.child.birth_year == 1990


# --- Names: refused when too long, never cut -----------------------------------------------------


def test_long_name_is_a_field_error_not_cut(team, page_client, team_a):
    """A 270-character name: the page's input has no maxlength (the browser would cut it to 200
    without a word); step 1, the service and the API give the same field error."""
    message = "At most 200 characters (this has 270)."
    page = page_client.get("/register/?new=1").content.decode()
    name_input = page[page.index('name="full_name"') - 200 : page.index('name="full_name"') + 200]
    assert "maxlength" not in name_input
    response = page_client.post("/register/", _child_step(full_name=NAME_270, birth_year="2014"))
    assert _field_errors(response, "full_name") == [message]
    assert _fields(_register, team["worker"], full_name=NAME_270) == {"full_name": [message]}
    payload = registration_payload(NAME_270)
    api = (
        team_a["worker"]
        .client()
        .post("/api/v1/children/", payload, content_type="application/json")
    )
    assert api.status_code == 400
    assert api.json()["fields"] == {"full_name": [message]}
    assert not Case.objects.filter(child__full_name__startswith=NAME_270[:200]).exists()


# --- Dates of follow-ups, plans and services ------------------------------------------------------


def test_followup_due_in_the_past_is_refused(team, page_client):
    """A follow-up cannot be scheduled with a due date already past (service and page)."""
    case = _register(team["worker"])
    yesterday = _today() - timedelta(days=1)
    assert _fields(
        services.followup_schedule, actor=team["worker"], case_id=case.pk, due_on=yesterday
    ) == {"due_on": ["The due date cannot be in the past."]}
    response = page_client.post(
        f"/cases/{case.pk}/followup/", {"kind": "visit", "due_on": yesterday.isoformat()}
    )
    assert response.status_code == 400
    assert _field_errors(response, "due_on") == ["The due date cannot be in the past."]
    assert not FollowUp.objects.filter(case=case).exists()
    today = services.followup_schedule(actor=team["worker"], case_id=case.pk, due_on=_today())
    assert today.due_on == _today()


def test_service_in_the_future_is_refused_on_the_page(team, page_client):
    """A service (intervention) dated tomorrow: the rule's message on delivered_on, once."""
    case = _register(team["worker"])
    tomorrow = (_today() + timedelta(days=1)).isoformat()
    response = page_client.post(
        f"/cases/{case.pk}/service/",
        {"delivered_on": tomorrow, "type": "counselling", "provider": "LPA"},
    )
    assert response.status_code == 400
    assert _field_errors(response, "delivered_on") == ["The date cannot be in the future."]
    assert response.content.decode().count("The date cannot be in the future.") == 1
    assert not Intervention.objects.filter(case=case).exists()


def _approved_assessment(case, team) -> None:
    values = dict(assessment_payload(), assessed_on=_today())
    assessment = services.assessment_create(actor=team["worker"], case_id=case.pk, **values)
    services.assessment_review(
        actor=team["supervisor"], case_id=case.pk, assessment_id=assessment.pk, approve=True
    )


def _goal(target: date, worker) -> dict:
    return {
        "description": "Kembali ke sekolah",
        "target_date": target,
        "services": [
            {"type": "school_return", "responsible_worker_id": worker.pk, "due_on": target}
        ],
    }


def test_new_plan_goal_target_in_the_past_is_refused(team):
    """A goal created with a target already past is refused on that goal's field."""
    case = _register(team["worker"])
    _approved_assessment(case, team)
    goals = [_goal(_today() + timedelta(days=30), team["worker"])]
    goals.append(_goal(_today() - timedelta(days=1), team["worker"]))
    assert _fields(
        services.plan_save,
        actor=team["worker"],
        case_id=case.pk,
        summary="",
        goals=goals,
        submit=False,
    ) == {"goals[1].target_date": ["The target date cannot be in the past."]}
    assert not PlanGoal.objects.filter(plan__case=case).exists()


def test_plan_saved_again_keeps_a_target_that_has_passed(team):
    """A goal whose target passed since it was set does not block saving the plan again."""
    case = _register(team["worker"])
    _approved_assessment(case, team)
    target = _today() + timedelta(days=10)
    services.plan_save(
        actor=team["worker"],
        case_id=case.pk,
        summary="",
        goals=[_goal(target, team["worker"])],
        submit=False,
    )
    with clock.as_of(target + timedelta(days=5)):
        plan = services.plan_save(
            actor=team["worker"],
            case_id=case.pk,
            summary="Direvisi",
            goals=[_goal(target, team["worker"])],
            submit=False,
        )
    assert list(plan.goals.values_list("target_date", flat=True)) == [target]


def test_plan_page_puts_a_past_target_on_the_goal_field(team, page_client):
    """On the plan page the message sits on the goal's target date, not on top of the page."""
    case = _register(team["worker"])
    _approved_assessment(case, team)
    yesterday = (_today() - timedelta(days=1)).isoformat()
    response = page_client.post(
        f"/cases/{case.pk}/plan/",
        {
            "summary": "",
            "goals-TOTAL_FORMS": "1",
            "goals-INITIAL_FORMS": "0",
            "goals-MIN_NUM_FORMS": "1",
            "goals-MAX_NUM_FORMS": "1000",
            "goals-0-description": "Kembali ke sekolah",
            "goals-0-target_date": yesterday,
        },
    )
    assert response.status_code == 400
    formset = response.context["formset"]
    assert formset.forms[0].errors == {"target_date": ["The target date cannot be in the past."]}
    assert response.context["form"].errors == {}


# --- The NGO's intervals ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["followup_interval_days", "verification_interval_days"])
def test_interval_of_zero_days_is_refused(team, team_a, ngo_a, name):
    """A follow-up interval is at least one day: service, API and settings page alike."""
    message = "The interval must be between 1 and 3650 days."
    assert _fields(services.ngo_settings_update, actor=team["admin"], **{name: 0}) == {
        name: [message]
    }
    api = (
        team_a["admin"]
        .client()
        .patch("/api/v1/settings/", {name: 0}, content_type="application/json")
    )
    assert (api.status_code, api.json()["fields"]) == (400, {name: [message]})
    client = host_client(ngo_a.host)
    client.force_login(team["admin"])
    values = {
        "classification_standard": "bps",
        "followup_interval_days": "30",
        "verification_interval_days": "90",
        name: "0",
    }
    response = client.post("/settings/", values)
    assert list(response.context["form"].errors.get(name, [])) == [message]
    row = NGOSettings.objects.get()
    assert (row.followup_interval_days, row.verification_interval_days) == (30, 90)


def test_rules_check_only_what_is_given():
    """Absent or empty values are not the rules' business (required-ness is the form's)."""
    assert validation.errors(validation.CHILD, {"full_name": "", "birth_year": None}) == {}


def test_a_long_form_lists_its_fields_in_error_at_the_top_and_each_message_once(team, page_client):
    """Step 1 with a future date of birth and a 15-digit NIK: the summary at the top links to
    both fields; each message appears once, next to its field."""
    tomorrow = (_today() + timedelta(days=1)).isoformat()
    response = page_client.post(
        "/register/", _child_step(date_of_birth=tomorrow, nik="3374012345678901"[:15])
    )
    assert response.status_code == 200
    html = response.content.decode()
    summary = html[
        html.index('class="error-summary"') : html.index("</div>", html.index("error-summary"))
    ]
    assert 'href="#id_date_of_birth"' in summary
    assert 'href="#id_nik"' in summary
    assert html.count("The date of birth cannot be in the future.") == 1
    assert page_client.session.get("registration_wizard", {}).get("child") is None
