"""Issue 9's pages for a day's work, through the test client in Bahasa Indonesia: correcting the
child and the household, reading an assessment (and deciding there), correcting a returned one,
draft plans, goals' progress, the worker's tasks, and the suggested risk with why."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from django_tenants.utils import schema_context

from casework import rules, services
from casework.models import (
    Assessment,
    AuditEvent,
    Case,
    CasePlan,
    Child,
    Household,
    HouseholdMember,
    Intervention,
    Notification,
    PlanGoal,
)
from core import clock
from core.errors import ApplicationError
from tests.casework.conftest import assessment_payload, registration_payload
from tests.support import host_client

pytestmark = pytest.mark.django_db


def _today():
    return timezone.localdate()


class Env:
    """NGO A's staff, a logged-in client per role, and a case of the worker's."""

    def __init__(self, ngo_a, team_a):
        self.host = ngo_a.host
        self.users = {role: staff.user for role, staff in team_a.items()}
        self.clients = {}
        for role, user in self.users.items():
            client = host_client(ngo_a.host, HTTP_ACCEPT_LANGUAGE="id")
            client.force_login(user)
            self.clients[role] = client
        self.case = self.register("Siti Rahayu")

    def register(self, name: str, *, worker: str = "worker", **child) -> Case:
        payload = registration_payload(name, **child)
        consent = {**payload["consent"], "consented_on": _today()}
        return services.child_register(
            actor=self.users[worker],
            child=services.ChildInput(**payload["child"]),
            household=services.HouseholdInput(**payload["household"]),
            consent=services.ConsentInput(**consent),
        )

    def assess(self, case: Case | None = None, **overrides) -> Assessment:
        values = assessment_payload(**overrides)
        values.update(assessed_on=_today(), hours_per_week=Decimal(str(values["hours_per_week"])))
        return services.assessment_create(
            actor=self.users["worker"], case_id=(case or self.case).pk, **values
        )

    def get(self, role: str, path: str):
        return self.clients[role].get(path)

    def post(self, role: str, path: str, data: dict):
        return self.clients[role].post(path, data)


@pytest.fixture
def env(ngo_a, team_a):
    with schema_context(ngo_a.ngo.schema_name):
        yield Env(ngo_a, team_a)


def _events(case: Case, object_type: str, action: str) -> list[dict]:
    return list(
        AuditEvent.objects.filter(case_id=case.pk, object_type=object_type, action=action)
        .order_by("id")
        .values_list("changed_fields", flat=True)
    )


BIRTH_YEAR_MESSAGE = (
    f"Tahun lahir harus antara {max(1990, timezone.localdate().year - 25)} dan tahun ini."  # noqa: E501
)
CHILD_FORM = {
    "full_name": "Siti Rahayu",
    "known_as": "Siti",
    "sex": "female",
    "birth_year": "2013",
    "birth_year_estimated": "on",
    "school_status": "dropped_out",
    "last_grade": "4",
}


# --- Editing the child -------------------------------------------------------------------------


def test_child_edit_page_shows_the_current_details(env):
    """The form starts from what is on record (the NIK is never shown, only its mask)."""
    response = env.get("worker", f"/cases/{env.case.pk}/child/")
    assert response.status_code == 200
    form = response.context["form"]
    assert form["full_name"].value() == "Siti Rahayu"
    assert form["birth_year"].value() == 2013
    assert "confirm_not_duplicate" not in response.content.decode()


def test_correcting_the_name_saves_and_audits_it(env):
    """A typo fixed the next day: saved, the normalised name follows, one audit event with the
    change."""
    with clock.as_of(_today() + timedelta(days=1)):
        response = env.post(
            "worker", f"/cases/{env.case.pk}/child/", {**CHILD_FORM, "full_name": "Siti Rahayu "}
        )
        response = env.post(
            "worker", f"/cases/{env.case.pk}/child/", {**CHILD_FORM, "full_name": "Sitti Rahayu"}
        )
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{env.case.pk}/"
    child = Child.objects.get(pk=env.case.child_id)
    assert (child.full_name, child.normalized_name) == ("Sitti Rahayu", "sitti rahayu")
    assert _events(env.case, "child", "update")[-1]["full_name"] == ["Siti Rahayu", "Sitti Rahayu"]


def test_child_edit_bad_birth_year_is_a_field_error_and_nothing_changes(env):
    """A birth year out of range is shown on its field (400); the child stays as it was."""
    response = env.post(
        "worker", f"/cases/{env.case.pk}/child/", {**CHILD_FORM, "birth_year": "1900"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["birth_year"] == [BIRTH_YEAR_MESSAGE]
    assert Child.objects.get(pk=env.case.child_id).birth_year == 2013
    assert _events(env.case, "child", "update") == []


def test_a_name_change_that_matches_another_child_asks_for_confirmation(env):
    """Changing the name to one already registered (same guardian and village) lists the
    likely duplicate and saves nothing; ticking the confirmation saves."""
    twin = env.register("Dewi Lestari")
    path = f"/cases/{env.case.pk}/child/"
    response = env.post("worker", path, {**CHILD_FORM, "full_name": "Dewi Lestari"})
    assert response.status_code == 200
    duplicates = response.context["duplicates"]
    assert [(match.pk, reasons) for match, reasons in duplicates] == [
        (twin.child_id, ["name", "birth_year", "guardian", "village"])
    ]
    assert f'href="/cases/{twin.pk}/"' in response.content.decode()
    assert Child.objects.get(pk=env.case.child_id).full_name == "Siti Rahayu"

    response = env.post(
        "worker", path, {**CHILD_FORM, "full_name": "Dewi Lestari", "confirm_not_duplicate": "on"}
    )
    assert response.status_code == 302
    assert Child.objects.get(pk=env.case.child_id).full_name == "Dewi Lestari"


def test_child_edit_denied_for_me_officer_and_another_worker(env):
    """M&E never sees identity (403), another worker's case is not found (404); their POSTs
    change nothing."""
    path = f"/cases/{env.case.pk}/child/"
    assert env.get("me", path).status_code == 403
    assert env.get("other_worker", path).status_code == 404
    assert env.post("me", path, {**CHILD_FORM, "full_name": "X Y"}).status_code == 403
    assert env.post("other_worker", path, {**CHILD_FORM, "full_name": "X Y"}).status_code == 404
    assert Child.objects.get(pk=env.case.child_id).full_name == "Siti Rahayu"


# --- Editing the household -----------------------------------------------------------------------


HOUSEHOLD_FORM = {
    "guardian_name": "Ibu Rahayu",
    "guardian_relationship": "ibu",
    "member_count": "5",
    "monthly_income_band": "lt_1m",
    "province_code": "33",
    "regency_code": "33.74",
    "village": "Bandarharjo",
    "members-TOTAL_FORMS": "1",
    "members-INITIAL_FORMS": "0",
    "members-0-name": "Pak Rahmat",
    "members-0-relationship": "ayah",
    "members-0-birth_year": "1980",
    "members-0-occupation": "nelayan",
}


def test_add_member_adds_a_row_and_keeps_what_was_typed(env):
    """ "Add a member" shows the form again with one more row; nothing is saved."""
    response = env.post(
        "worker", f"/cases/{env.case.pk}/household/", {**HOUSEHOLD_FORM, "add_member": "1"}
    )
    assert response.status_code == 200
    members = response.context["members"]
    assert len(members.forms) == 2
    assert members.forms[0]["name"].value() == "Pak Rahmat"
    assert response.context["form"]["village"].value() == "Bandarharjo"
    assert not response.context["form"].errors
    assert HouseholdMember.objects.count() == 0
    assert Household.objects.get(children__pk=env.case.child_id).village == "Tanjung Mas"


def test_household_edit_saves_address_and_members_and_moves_the_case(env):
    """The address and the member list are saved, the case takes the new regency, audited."""
    response = env.post("worker", f"/cases/{env.case.pk}/household/", HOUSEHOLD_FORM)
    assert response.status_code == 302
    household = Household.objects.get(children__pk=env.case.child_id)
    assert (household.village, household.member_count) == ("Bandarharjo", 5)
    assert list(household.members.values_list("name", "relationship", "birth_year")) == [
        ("Pak Rahmat", "ayah", 1980)
    ]
    case = Case.objects.get(pk=env.case.pk)
    assert (case.province_code, case.regency_code) == ("33", "33.74")
    event = _events(env.case, "household", "update")[-1]
    assert event["village"] == ["Tanjung Mas", "Bandarharjo"]
    assert event["members"] == [0, 1]


def test_case_page_lists_household_members_by_name(env):
    """After the edit the case page names each member with relationship, birth year and
    occupation, in the order they were entered."""
    form = {
        **HOUSEHOLD_FORM,
        "members-TOTAL_FORMS": "2",
        "members-1-name": "Bu Sumiati",
        "members-1-relationship": "ibu",
        "members-1-birth_year": "",
        "members-1-occupation": "buruh pabrik",
    }
    assert env.post("worker", f"/cases/{env.case.pk}/household/", form).status_code == 302
    page = env.get("worker", f"/cases/{env.case.pk}/").content.decode()
    listed = page.split('id="household-members"', 1)[1].split("</ul>", 1)[0]
    assert "Anggota keluarga" in page
    assert listed.index("Pak Rahmat") < listed.index("Bu Sumiati")
    assert "ayah, lahir 1980" in listed
    assert "(ibu, buruh pabrik)" in listed


def test_household_edit_with_an_unknown_regency_is_a_field_error(env):
    """A regency outside the province is refused on its field; nothing changes."""
    response = env.post(
        "worker", f"/cases/{env.case.pk}/household/", {**HOUSEHOLD_FORM, "regency_code": "31.71"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["regency_code"]
    assert Household.objects.get(children__pk=env.case.child_id).village == "Tanjung Mas"
    assert HouseholdMember.objects.count() == 0


# --- Reading and deciding on an assessment -------------------------------------------------------


def test_assessment_page_shows_every_answer_and_what_was_derived(env):
    """Hours, tasks, hazards, worst forms, notes, scores, suggested and chosen risk and the
    status under both standards; reading it is audited."""
    assessment = env.assess(
        hazards=["heavy_loads"],
        night_work=True,
        schooling_notes="Berhenti di kelas 4",
        risk_level="high",
    )
    response = env.get("supervisor", f"/cases/{env.case.pk}/assessment/{assessment.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    for text in (
        "menyortir ikan",
        "perikanan",
        "20,0",
        "Mengangkat beban berat",
        "Berhenti di kelas 4",
        'id="review-form"',
    ):
        assert text in page, text
    assert response.context["scores"] == {
        "education": 2,
        "health": 3,
        "psychosocial": 3,
        "safety": 3,
        "family_economy": 2,
    }
    assert (assessment.suggested_risk_level, assessment.status_bps, assessment.status_ilo) == (
        "high",
        "hazardous",
        "hazardous",
    )
    assert AuditEvent.objects.filter(
        action="view", object_type="assessment", object_id=str(assessment.pk)
    ).exists()
    # The worker reads it too, without the decision form; M&E may not; another worker's 404.
    worker_page = env.get("worker", f"/cases/{env.case.pk}/assessment/{assessment.pk}/")
    assert 'id="review-form"' not in worker_page.content.decode()
    assert env.get("me", f"/cases/{env.case.pk}/assessment/{assessment.pk}/").status_code == 403
    other = env.get("other_worker", f"/cases/{env.case.pk}/assessment/{assessment.pk}/")
    assert other.status_code == 404


def test_approvals_page_links_to_the_assessment_instead_of_approving_blind(env):
    """The queue has no approve button for assessments, only the way to read them."""
    assessment = env.assess()
    page = env.get("supervisor", "/approvals/").content.decode()
    assert f'href="/cases/{env.case.pk}/assessment/{assessment.pk}/"' in page
    assert f"/review/assessment/{assessment.pk}/" not in page


def test_returned_assessment_notifies_shows_the_comment_and_is_corrected(env):
    """Returned with a comment: the assessor is notified (in Indonesian), the case page and
    the form show the comment, the form starts from the answers, and sending it again makes it
    'submitted' with its status derived anew; audited."""
    assessment = env.assess(hours_per_week="10")
    response = env.post(
        "supervisor",
        f"/cases/{env.case.pk}/review/assessment/{assessment.pk}/",
        {"decision": "return", "comment": "Cek jam kerja", "next": "/approvals/"},
    )
    assert response.status_code == 302
    notification = Notification.objects.get(user=env.users["worker"], case=env.case)
    # Stored as a code with its parameters, rendered in the reader's language.
    assert (notification.code, notification.params, notification.message) == (
        "assessment_returned",
        {"reference": env.case.reference},
        "",
    )
    with translation.override("id"):
        assert notification.text == (
            f"Asesmen kasus {env.case.reference} dikembalikan: lihat komentarnya."
        )
    with translation.override("en"):
        assert notification.text == (
            f"Assessment for case {env.case.reference} was returned: see the comment."
        )
    case_page = env.get("worker", f"/cases/{env.case.pk}/").content.decode()
    assert "Cek jam kerja" in case_page
    assert f'href="/cases/{env.case.pk}/assessment/{assessment.pk}/edit/"' in case_page

    path = f"/cases/{env.case.pk}/assessment/{assessment.pk}/edit/"
    form_page = env.get("worker", path)
    assert form_page.status_code == 200
    assert form_page.context["form"]["tasks"].value() == "menyortir ikan"
    assert "Cek jam kerja" in form_page.content.decode()
    body = {
        key: value
        for key, value in assessment_payload(hours_per_week="30").items()
        if value not in (False, [])
    }
    body["works"] = "on"
    response = env.post("worker", path, body)
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert (assessment.status, assessment.hours_per_week, assessment.status_bps) == (
        "submitted",
        Decimal("30.0"),
        "child_labour",
    )
    assert assessment.review_comment == "Cek jam kerja"
    assert _events(env.case, "assessment", "update")[-1]["status"] == ["returned", "submitted"]


def test_correcting_a_submitted_assessment_is_refused_on_the_form(env):
    """Only a returned assessment is corrected: a submitted one answers 400, unchanged."""
    assessment = env.assess()
    body = {key: value for key, value in assessment_payload().items() if value not in (False, [])}
    body["works"] = "on"
    body["hours_per_week"] = "40"
    response = env.post("worker", f"/cases/{env.case.pk}/assessment/{assessment.pk}/edit/", body)
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [
        "Hanya asesmen yang dikembalikan untuk diperbaiki yang bisa dikoreksi."
    ]
    assessment.refresh_from_db()
    assert assessment.hours_per_week == Decimal("20.0")


def test_bad_hours_on_a_correction_are_a_field_error(env):
    """Hours over 168 are shown on their field; the returned assessment is unchanged."""
    assessment = env.assess()
    services.assessment_review(
        actor=env.users["supervisor"],
        case_id=env.case.pk,
        assessment_id=assessment.pk,
        approve=False,
        comment="Cek",
    )
    body = {key: value for key, value in assessment_payload().items() if value not in (False, [])}
    body.update(works="on", hours_per_week="200")
    response = env.post("worker", f"/cases/{env.case.pk}/assessment/{assessment.pk}/edit/", body)
    assert response.status_code == 400
    assert response.context["form"].errors["hours_per_week"] == [
        "Jam kerja per minggu harus antara 0 dan 168."
    ]
    assessment.refresh_from_db()
    assert assessment.status == "returned"


# --- The suggested risk, with why ---------------------------------------------------------------


def test_suggestion_fragment_gives_age_level_and_reasons(env):
    """The fragment the form asks for: the child's age on the day, 'high' because of night work
    and hazardous work, and the status under both standards."""
    response = env.get(
        "worker",
        f"/cases/{env.case.pk}/assessment/suggestion/?works=on&hours_per_week=30&night_work=on"
        f"&assessed_on={_today().isoformat()}",
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert f"Usia pada hari asesmen: {_today().year - 2013}" in page
    assert 'class="badge risk-high">Tinggi' in page
    assert "Alasannya: pekerjaan berbahaya; bekerja malam hari." in page


@pytest.mark.parametrize(
    ("status", "night_work", "scores", "expected"),
    [
        ("worst_form", False, {"safety": 3}, ("urgent", ["worst_form"])),
        ("none", False, {"safety": 1}, ("urgent", ["safety_1"])),
        (
            "hazardous",
            True,
            {"safety": 3, "health": 1},
            ("high", ["hazardous", "night_work", "score_1"]),
        ),  # noqa: E501
        ("child_labour", False, {"health": 2}, ("medium", ["child_labour", "score_2"])),
        ("none", False, {"health": 3}, ("low", [])),
    ],
)
def test_suggest_risk_explained(status, night_work, scores, expected):
    """Each level names the answers that decided it, and agrees with suggest_risk."""
    assert rules.suggest_risk_explained(status=status, night_work=night_work, scores=scores) == (
        expected
    )
    assert rules.suggest_risk(status=status, night_work=night_work, scores=scores) == expected[0]


def test_case_page_shows_the_age(env):
    """The case page gives the child's age (from the birth year when no date is known)."""
    page = env.get("worker", f"/cases/{env.case.pk}/").content.decode()
    assert f"{_today().year - 2013} tahun (dari tahun lahir)" in page


# --- Plans: drafts, goals, progress ------------------------------------------------------------


def _plan_body(*goals: dict, submit: bool = False, **extra) -> dict:
    body = {
        "summary": "Kembali ke sekolah",
        "goals-TOTAL_FORMS": str(len(goals)),
        "goals-INITIAL_FORMS": "0",
        "goals-MIN_NUM_FORMS": "1",
        "goals-MAX_NUM_FORMS": "1000",
        **extra,
    }
    for index, goal in enumerate(goals):
        body.update({f"goals-{index}-{key}": value for key, value in goal.items()})
    if submit:
        body["submit"] = "on"
    return body


def _goal(description: str, days: int = 30, **extra) -> dict:
    return {
        "description": description,
        "target_date": (_today() + timedelta(days=days)).isoformat(),
        **extra,
    }


def test_a_draft_plan_is_saved_before_the_assessment_is_approved(env):
    """Drafting needs no approved assessment; sending for approval does (a form error)."""
    env.assess()
    path = f"/cases/{env.case.pk}/plan/"
    assert env.post("worker", path, _plan_body(_goal("Kembali ke SD"))).status_code == 302
    plan = CasePlan.objects.get(case=env.case)
    assert plan.status == "draft"
    assert list(plan.goals.values_list("description", flat=True)) == ["Kembali ke SD"]

    response = env.post("worker", path, _plan_body(_goal("Kembali ke SD"), submit=True))
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == ["Belum ada asesmen yang disahkan."]
    assert CasePlan.objects.get(case=env.case).status == "draft"


def test_add_goal_keeps_what_was_typed(env):
    """ "Add a goal" shows the plan again with one more goal row; nothing is saved."""
    response = env.post(
        "worker",
        f"/cases/{env.case.pk}/plan/",
        _plan_body(_goal("Kembali ke SD", service_type="school_return"), add_goal="1"),
    )
    assert response.status_code == 200
    formset = response.context["formset"]
    assert len(formset.forms) == 2
    assert formset.forms[0]["description"].value() == "Kembali ke SD"
    assert formset.forms[0]["service_type"].value() == "school_return"
    assert response.context["form"]["summary"].value() == "Kembali ke sekolah"
    assert not CasePlan.objects.filter(case=env.case).exists()


def test_goals_keep_their_services_and_achievement_when_the_plan_is_saved_again(env):
    """A delivered service linked to a goal and the goal's achieved date survive a new save of
    the plan; the case page shows the goal's progress."""
    path = f"/cases/{env.case.pk}/plan/"
    env.post("worker", path, _plan_body(_goal("Kembali ke SD"), _goal("Usaha ibu", 60)))
    goal = PlanGoal.objects.get(description="Kembali ke SD")
    response = env.post(
        "worker",
        f"/cases/{env.case.pk}/service/",
        {
            "delivered_on": _today().isoformat(),
            "type": "school_return",
            "provider": "SD 1",
            "goal_id": str(goal.pk),
        },
    )
    assert response.status_code == 302
    assert Intervention.objects.get(case=env.case).goal_id == goal.pk
    response = env.post(
        "worker",
        f"/cases/{env.case.pk}/plan/goals/{goal.pk}/achieved/",
        {"achieved_on": _today().isoformat()},
    )
    assert response.status_code == 302
    assert _events(env.case, "plangoal", "update")[-1] == {
        "achieved_on": [None, _today().isoformat()]
    }

    edit_page = env.get("worker", path)
    rows = [form.initial for form in edit_page.context["formset"].forms]
    assert [row["goal_id"] for row in rows] == [goal.pk, rows[1]["goal_id"]]
    body = _plan_body(
        _goal("Kembali ke SD negeri", goal_id=str(goal.pk)),
        _goal("Usaha ibu", 60, goal_id=str(rows[1]["goal_id"])),
    )
    assert env.post("worker", path, body).status_code == 302
    goal.refresh_from_db()
    assert (goal.description, goal.achieved_on) == ("Kembali ke SD negeri", _today())
    assert Intervention.objects.get(case=env.case).goal_id == goal.pk

    page = env.get("worker", f"/cases/{env.case.pk}/").content.decode()
    assert "1 layanan diberikan: Pendidikan: kembali ke sekolah" in page
    assert "0 layanan diberikan" in page
    assert f"tercapai pada {_today():%d/%m/%Y}" in page


def test_a_service_cannot_be_linked_to_another_cases_goal(env):
    """A goal of another case's plan is refused on the goal field; nothing is recorded."""
    other = env.register("Budi Santoso", worker="other_worker")
    services.plan_save(
        actor=env.users["other_worker"],
        case_id=other.pk,
        summary="",
        goals=[{"description": "Lain", "target_date": _today() + timedelta(days=9)}],
        submit=False,
    )
    foreign = PlanGoal.objects.get(plan__case=other)
    services.plan_save(
        actor=env.users["worker"],
        case_id=env.case.pk,
        summary="",
        goals=[{"description": "Sendiri", "target_date": _today() + timedelta(days=9)}],
        submit=False,
    )
    response = env.post(
        "worker",
        f"/cases/{env.case.pk}/service/",
        {
            "delivered_on": _today().isoformat(),
            "type": "counselling",
            "provider": "Puskesmas",
            "goal_id": str(foreign.pk),
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["goal_id"]
    assert not Intervention.objects.filter(case=env.case).exists()


def test_goal_achieved_in_the_future_is_a_field_error(env):
    """A goal cannot be achieved tomorrow; nothing changes."""
    services.plan_save(
        actor=env.users["worker"],
        case_id=env.case.pk,
        summary="",
        goals=[{"description": "Sendiri", "target_date": _today() + timedelta(days=9)}],
        submit=False,
    )
    goal = PlanGoal.objects.get(plan__case=env.case)
    response = env.post(
        "worker",
        f"/cases/{env.case.pk}/plan/goals/{goal.pk}/achieved/",
        {"achieved_on": (_today() + timedelta(days=1)).isoformat()},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["achieved_on"] == ["Tanggal tidak boleh di masa depan."]
    goal.refresh_from_db()
    assert goal.achieved_on is None


def test_returned_plan_keeps_the_comment_and_notifies_the_worker(env):
    """A plan returned with a comment: stored on the plan, shown on its form, and the case's
    worker is notified."""
    env.assess()
    services.assessment_review(
        actor=env.users["supervisor"],
        case_id=env.case.pk,
        assessment_id=Assessment.objects.get(case=env.case).pk,
        approve=True,
    )
    services.plan_save(
        actor=env.users["worker"],
        case_id=env.case.pk,
        summary="",
        goals=[{"description": "Sendiri", "target_date": _today() + timedelta(days=9)}],
        submit=True,
    )
    response = env.post(
        "supervisor",
        f"/cases/{env.case.pk}/review/plan/",
        {"decision": "return", "comment": "Tambah konseling"},
    )
    assert response.status_code == 302
    plan = CasePlan.objects.get(case=env.case)
    assert (plan.status, plan.review_comment) == ("revision_needed", "Tambah konseling")
    notification = Notification.objects.get(user=env.users["worker"], case=env.case)
    assert (notification.code, notification.params) == (
        "plan_returned",
        {"reference": env.case.reference},
    )
    with translation.override("id"):
        assert notification.text == (
            f"Rencana penanganan kasus {env.case.reference} dikembalikan: lihat komentarnya."
        )
    assert "Tambah konseling" in env.get("worker", f"/cases/{env.case.pk}/plan/").content.decode()


# --- The worker's tasks --------------------------------------------------------------------------


def test_tasks_list_this_weeks_visits_overdue_ones_and_returned_work(env):
    """Due in the next seven days, overdue, and returned assessments and plans, for the
    worker's own cases only; a visit eight days out is not this week's."""
    worker = env.users["worker"]
    soon = services.followup_schedule(
        actor=worker, case_id=env.case.pk, due_on=_today() + timedelta(days=6), purpose="Cek"
    )
    services.followup_schedule(
        actor=worker, case_id=env.case.pk, due_on=_today() + timedelta(days=7), purpose="Nanti"
    )
    with clock.as_of(_today() - timedelta(days=5)):
        late = services.followup_schedule(
            actor=worker, case_id=env.case.pk, due_on=_today() - timedelta(days=2)
        )
    assessment = env.assess()
    services.assessment_review(
        actor=env.users["supervisor"],
        case_id=env.case.pk,
        assessment_id=assessment.pk,
        approve=False,
        comment="Cek jam",
    )
    other = env.register("Budi Santoso", worker="other_worker")
    services.followup_schedule(
        actor=env.users["other_worker"], case_id=other.pk, due_on=_today() + timedelta(days=1)
    )

    response = env.get("worker", "/tasks/")
    assert response.status_code == 200
    tasks = response.context["tasks"]
    assert [followup.pk for followup in tasks["due_this_week"]] == [soon.pk]
    assert [followup.pk for followup in tasks["overdue"]] == [late.pk]
    assert [item.pk for item in tasks["returned_assessments"]] == [assessment.pk]
    assert tasks["returned_plans"] == []
    page = response.content.decode()
    assert "Siti" in page
    assert "Budi" not in page
    assert "Cek jam" in page

    other_tasks = env.get("other_worker", "/tasks/").context["tasks"]
    assert [followup.case_id for followup in other_tasks["due_this_week"]] == [other.pk]
    assert other_tasks["returned_assessments"] == []
    assert env.get("me", "/tasks/").status_code == 403


def test_another_ngo_sees_none_of_these_pages(env, ngo_b, team_b):
    """NGO B's worker gets 404 for NGO A's case pages and an empty task list."""
    assessment = env.assess()
    with schema_context(ngo_b.ngo.schema_name):
        client = host_client(ngo_b.host, HTTP_ACCEPT_LANGUAGE="id")
        client.force_login(team_b["worker"].user)
        for path in (
            f"/cases/{env.case.pk}/child/",
            f"/cases/{env.case.pk}/household/",
            f"/cases/{env.case.pk}/assessment/{assessment.pk}/",
        ):
            response = client.get(path)
            assert response.status_code == 404, path
            assert b"Siti" not in response.content
        tasks = client.get("/tasks/").context["tasks"]
        assert tasks["due_this_week"] == tasks["overdue"] == tasks["returned_assessments"] == []


# --- Assigning and sharing; consent withdrawn and recorded anew ---------------------------------


def test_supervisor_assigns_and_shares_and_the_case_page_says_with_whom(env):
    """The supervisor gives the case to another worker and shares it with the first; the case
    page names both; audited. A case worker may not open the page (403) and changes nothing."""
    worker, other = env.users["worker"], env.users["other_worker"]
    path = f"/cases/{env.case.pk}/assign/"
    assert env.get("worker", path).status_code == 403
    assert env.post("worker", path, {"worker": other.pk}).status_code == 403
    assert Case.objects.get(pk=env.case.pk).assigned_worker_id == worker.pk

    assert env.get("supervisor", path).status_code == 200
    response = env.post("supervisor", path, {"worker": other.pk, "shared_with": [worker.pk]})
    assert response.status_code == 302
    case = Case.objects.get(pk=env.case.pk)
    assert case.assigned_worker_id == other.pk
    assert list(case.shared_with.values_list("pk", flat=True)) == [worker.pk]
    assert _events(env.case, "case", "update")[-1] == {
        "assigned_worker_id": [worker.pk, other.pk],
        "shared_with": [[], [worker.pk]],
    }
    page = env.get("supervisor", f"/cases/{env.case.pk}/").content.decode()
    assert '<dd id="shared-with">worker-a</dd>' in page


def test_assigning_to_the_me_officer_is_a_form_error(env):
    """An account that cannot hold cases is refused on the worker field; nothing changes."""
    response = env.post(
        "supervisor", f"/cases/{env.case.pk}/assign/", {"worker": env.users["me"].pk}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["worker"]
    assert Case.objects.get(pk=env.case.pk).assigned_worker_id == env.users["worker"].pk


def test_consent_is_withdrawn_with_reason_and_day_then_recorded_anew(env):
    """Withdrawing needs a reason (a field error without); once withdrawn the case page says
    so, and a new consent can be recorded from the case page."""
    consent = env.case.child.consents.get()
    path = f"/cases/{env.case.pk}/consent/{consent.pk}/withdraw/"
    response = env.post("worker", path, {"withdrawn_on": _today().isoformat(), "reason": ""})
    assert response.status_code == 400
    assert response.context["form"].errors["reason"] == ["Kolom ini wajib diisi."]
    consent.refresh_from_db()
    assert consent.withdrawn_on is None

    response = env.post(
        "worker", path, {"withdrawn_on": _today().isoformat(), "reason": "Keluarga menolak"}
    )
    assert response.status_code == 302
    consent.refresh_from_db()
    assert (consent.withdrawn_on, consent.withdrawal_reason) == (_today(), "Keluarga menolak")
    page = env.get("worker", f"/cases/{env.case.pk}/").content.decode()
    assert f"ditarik pada {_today():%d/%m/%Y}" in page
    assert "Keluarga menolak" in page
    assert f'href="/cases/{env.case.pk}/consent/"' in page
    assert f'href="{path}"' not in page  # a withdrawn consent has no withdraw link

    response = env.post(
        "worker",
        f"/cases/{env.case.pk}/consent/",
        {
            "guardian_name": "Ibu Rahayu",
            "guardian_relationship": "ibu",
            "guardian_consented": "on",
            "child_assented": "on",
            "consented_on": _today().isoformat(),
            "scope_record_keeping": "on",
        },
    )
    assert response.status_code == 302
    assert [c.is_active for c in env.case.child.consents.order_by("id")] == [False, True]


def test_a_consent_of_another_child_is_not_found_from_this_case(env):
    """The withdraw page only takes the case's own child's consents (404 otherwise)."""
    other = env.register("Budi Santoso")
    foreign = other.child.consents.get()
    response = env.get("worker", f"/cases/{env.case.pk}/consent/{foreign.pk}/withdraw/")
    assert response.status_code == 404


def test_registration_consent_step_explains_each_scope(env):
    """Step 3 says in plain words what each scope allows."""
    env.post(
        "worker",
        "/register/child/",
        {
            "full_name": "Dewi Lestari",
            "sex": "female",
            "birth_year": "2013",
            "school_status": "dropped_out",
            "case_type": "child_labour",
        },
    )
    page = env.get("worker", "/register/consent/").content.decode()
    for text in (
        "Kami mencatat apa yang kami ketahui tentang anak",
        "hanya berdasarkan perjanjian yang sudah ditandatangani",
        "Kami boleh memotret anak dan menyimpan fotonya",
    ):
        assert text in page


# --- Two people editing the same record ----------------------------------------------------------

CONFLICT = "Someone else saved changes to this record after you opened it"


def _opened_version(env, role: str, path: str, form: str = "form") -> str:
    response = env.get(role, path)
    context_form = response.context[form]
    return context_form["version"].value()


def test_a_child_edit_opened_before_another_save_does_not_overwrite_it(env):
    """Two workers open the child's page; the first saves a new known-as name, the second
    (still on the old page) a new grade: the second save is refused with a message, and the
    first change stays."""
    translation.activate("en")
    env.clients["supervisor"].defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    path = f"/cases/{env.case.pk}/child/"
    first = _opened_version(env, "worker", path)
    second = _opened_version(env, "supervisor", path)
    assert first == second
    saved = env.post("worker", path, {**CHILD_FORM, "known_as": "Rin", "version": first})
    assert saved.status_code == 302
    stale = env.post("supervisor", path, {**CHILD_FORM, "last_grade": "6", "version": second})
    assert stale.status_code == 400
    assert CONFLICT in stale.content.decode()
    child = Child.objects.get(pk=env.case.child_id)
    assert (child.known_as, child.last_grade) == ("Rin", 4)
    # Opened again, the page carries the new version and saves.
    fresh = _opened_version(env, "supervisor", path)
    assert (
        env.post(
            "supervisor",
            path,
            {**CHILD_FORM, "known_as": "Rin", "last_grade": "6", "version": fresh},
        ).status_code
        == 302
    )
    assert Child.objects.get(pk=env.case.child_id).last_grade == 6


def test_a_household_edit_opened_before_another_save_does_not_overwrite_it(env):
    path = f"/cases/{env.case.pk}/household/"
    first = env.get("worker", path).context["version"]["version"].value()
    second = env.get("supervisor", path).context["version"]["version"].value()
    assert env.post("worker", path, {**HOUSEHOLD_FORM, "version": first}).status_code == 302
    changed = {**HOUSEHOLD_FORM, "members-0-occupation": "petani", "version": second}
    stale = env.post("supervisor", path, changed)
    assert stale.status_code == 400
    assert stale.context["form"].non_field_errors()
    assert list(HouseholdMember.objects.values_list("occupation", flat=True)) == ["nelayan"]
    # "Add a member" keeps the version it was opened with.
    again = env.post("supervisor", path, {**changed, "add_member": "1"})
    assert again.context["version"]["version"].value() == second


def test_a_plan_opened_before_another_save_does_not_replace_it(env):
    path = f"/cases/{env.case.pk}/plan/"
    first = _opened_version(env, "worker", path)
    second = _opened_version(env, "supervisor", path)
    body = _plan_body(_goal("Kembali ke SD"))
    assert env.post("worker", path, {**body, "version": first}).status_code == 302
    stale = env.post(
        "supervisor", path, {**_plan_body(_goal("Belajar menjahit")), "version": second}
    )
    assert stale.status_code == 400
    assert list(PlanGoal.objects.values_list("description", flat=True)) == ["Kembali ke SD"]


def test_a_huge_goal_count_in_the_address_is_capped(env):
    response = env.get("worker", f"/cases/{env.case.pk}/plan/?goals=99999999999")
    assert response.status_code == 200
    assert len(response.context["formset"].forms) == 1
    assert (
        len(env.get("worker", f"/cases/{env.case.pk}/plan/?goals=50").context["formset"].forms)
        == 20
    )


# --- A registration in progress ------------------------------------------------------------------

WIZARD_CHILD = {
    "full_name": "Dewi Lestari",
    "sex": "female",
    "birth_year": "2013",
    "school_status": "dropped_out",
    "case_type": "child_labour",
}


def test_the_menu_link_does_not_wipe_a_registration_in_progress(env):
    """Steps 1-2 filled, the worker goes elsewhere and taps "Register a child" again: step 1
    offers to continue (at the household step) or to start again; only the POST discards."""
    assert env.post("worker", "/register/child/", WIZARD_CHILD).status_code == 302
    page = env.get("worker", "/register/?new=1")
    text = page.content.decode()
    assert 'id="draft-notice"' in text
    assert "Dewi Lestari" in text
    assert page.context["continue_step"] == "household"
    assert page.context["form"]["full_name"].value() == "Dewi Lestari"
    assert env.get("worker", "/register/household/").status_code == 200  # still there
    assert env.post("worker", "/register/child/", {"start_over": "1"}).status_code == 302
    fresh = env.get("worker", "/register/?new=1")
    assert 'id="draft-notice"' not in fresh.content.decode()
    assert fresh.context["form"]["full_name"].value() in (None, "")


def test_back_keeps_what_was_typed_on_the_step(env):
    env.post("worker", "/register/child/", WIZARD_CHILD)
    env.post("worker", "/register/household/", {**HOUSEHOLD_FORM, "members-TOTAL_FORMS": "0"})
    typed = {
        "guardian_name": "Ibu Lestari",
        "guardian_relationship": "ibu",
        "guardian_consented": "on",
        "scope_referral_sharing": "on",
        "back": "1",
    }
    response = env.post("worker", "/register/consent/", typed)
    assert response.status_code == 302
    assert response["Location"].endswith("/register/household/")
    again = env.get("worker", "/register/consent/").context["form"]
    assert again["guardian_name"].value() == "Ibu Lestari"
    assert again["guardian_consented"].value() is True


def test_saving_a_registration_started_again_elsewhere_says_so(env):
    """Tab 1 is on the review step; tab 2 starts again; tab 1's save explains, saves nothing."""
    translation.activate("en")
    env.clients["worker"].defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    env.post("worker", "/register/child/", WIZARD_CHILD)
    env.post("worker", "/register/household/", {**HOUSEHOLD_FORM, "members-TOTAL_FORMS": "0"})
    review = env.get("worker", "/register/review/")
    token = review.context["form_token"]
    env.post("worker", "/register/child/", {"start_over": "1"})
    before = Case.objects.count()
    response = env.clients["worker"].post("/register/review/", {"form_token": token}, follow=True)
    assert Case.objects.count() == before
    assert "started again in another window" in response.content.decode()


# --- Trial findings: inputs that looked chosen, checks that were missing --------------------------


def test_the_household_asks_for_an_income_band_and_a_real_phone_number(env):
    path = f"/cases/{env.case.pk}/household/"
    page = env.get("worker", path).content.decode()
    assert re.search(r'<option value=""( selected)?>— pilih —</option>', page)
    response = env.post(
        "worker",
        path,
        {
            **HOUSEHOLD_FORM,
            "monthly_income_band": "",
            "guardian_phone": "abc-123",
            "members-0-birth_year": str(_today().year + 4),
        },
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) >= {"monthly_income_band", "guardian_phone"}
    assert response.context["members"].forms[0].errors["birth_year"]
    for phone in ("0812 3456 7890", "+62 24 354-1234", "(024) 3541234"):
        assert (
            env.post("worker", path, {**HOUSEHOLD_FORM, "guardian_phone": phone}).status_code == 302
        )
    with pytest.raises(ApplicationError) as caught:
        services.household_update(
            actor=env.users["worker"],
            case_id=env.case.pk,
            data=services.HouseholdInput(guardian_name="Ibu", guardian_relationship="ibu"),
            members=[{"name": "Adik", "relationship": "adik", "birth_year": 2999}],
        )
    assert list(caught.value.fields) == ["members[0].birth_year"]


def test_a_new_assessment_has_no_risk_chosen_ahead(env):
    form = env.get("worker", f"/cases/{env.case.pk}/assessment/").context["form"]
    assert not form["risk_level"].value()


def test_a_goal_that_is_not_this_cases_is_not_found(env):
    assert (
        env.get("worker", f"/cases/{env.case.pk}/plan/goals/99999999999/achieved/").status_code
        == 404
    )


def test_the_me_officer_searches_case_numbers(env, team_a):
    client = host_client(env.host, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(team_a["me"].user)
    form = client.get("/cases/").context["form"]
    assert form["search"].label == "Case number"


def test_the_staff_page_asks_before_deactivating_and_never_for_oneself(env):
    page = env.get("admin", "/staff/").content.decode()
    assert 'onchange="this.form.submit()"' not in page
    own = page.split(f'data-username="{env.users["admin"].username}"')[1].split("</li>")[0]
    assert 'name="is_active"' not in own
    other = page.split(f'data-username="{env.users["worker"].username}"')[1].split("</li>")[0]
    assert 'class="confirm-step staff-active"' in other
