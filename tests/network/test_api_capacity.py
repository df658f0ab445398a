"""The coordinator's capacity-building API on the public host: list and create trainings,
mentoring visits (with agreed actions, added and marked done) and self-assessments; field
errors as 400 with field messages; funders 403, another consortium's records 404; lists in a
fixed number of queries."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import clock
from network.capacity import services
from network.capacity.models import AgreedAction, MentoringVisit, SelfAssessment, Training
from tenants.models import PlatformAuditEvent
from tests.network.conftest import public_client

pytestmark = pytest.mark.django_db

TODAY = clock.today()
SCORES = {
    "case_management": 3,
    "information_system": 4,
    "referral_network": 2,
    "child_safeguarding": 5,
    "data_protection": 3,
}


def _post(user, path: str, body: dict):
    return public_client(user).post(path, body, content_type="application/json")


def _without_times(row: dict) -> dict:
    return {key: value for key, value in row.items() if key not in ("created_at", "updated_at")}


def _training_body(**changes) -> dict:
    body = {
        "topic": "Manajemen kasus",
        "held_on": TODAY.isoformat(),
        "trainer": "Dr. Sari",
        "participants": [
            {"ngo": "yayasan-a", "participant_count": 3, "staff": "Bu Ani (pekerja)"},
            {"ngo": "lembaga-b", "participant_count": 1},
        ],
    }
    body.update(changes)
    return body


def _visit_body(**changes) -> dict:
    body = {
        "ngo": "yayasan-a",
        "visited_on": (TODAY - timedelta(days=10)).isoformat(),
        "topics": "Rujukan",
        "findings": "Belum ada SOP rujukan.",
        "actions": [
            {"description": "Susun SOP", "due_on": (TODAY - timedelta(days=1)).isoformat()}
        ],
    }
    body.update(changes)
    return body


def test_a_coordinator_creates_and_lists_trainings(network, ngo_a, ngo_b):
    created = _post(network.coordinator, "/api/v1/trainings/", _training_body())
    assert created.status_code == 201, created.content
    training = Training.objects.get()
    assert _without_times(created.json()) == {
        "uuid": str(training.uuid),
        "consortium": "pusat-test",
        "topic": "Manajemen kasus",
        "held_on": TODAY.isoformat(),
        "trainer": "Dr. Sari",
        "location": "",
        "notes": "",
        "participants": [
            {
                "ngo": {"slug": "lembaga-b", "name": "Lembaga Peduli Anak"},
                "participant_count": 1,
                "staff": "",
            },
            {
                "ngo": {"slug": "yayasan-a", "name": "Yayasan Anak Sejahtera"},
                "participant_count": 3,
                "staff": "Bu Ani (pekerja)",
            },
        ],
        "total_participants": 4,
    }
    listed = public_client(network.coordinator).get("/api/v1/trainings/?ngo=lembaga-b")
    assert listed.status_code == 200
    assert [_without_times(row) for row in listed.json()["results"]] == [
        _without_times(created.json())
    ]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (
            _training_body(held_on=(TODAY + timedelta(days=1)).isoformat()),
            {"held_on": ["The date cannot be in the future."]},
        ),
        (
            _training_body(participants=[{"ngo": "tidak-ada", "participant_count": 2}]),
            {"participants[0].ngo": ["Choose an NGO of this consortium."]},
        ),
        (
            _training_body(participants=[]),
            {"participants": ["Give the participants of at least one NGO."]},
        ),
    ],
)
def test_a_training_the_rules_refuse_is_a_400_in_the_services_words(
    network, ngo_a, ngo_b, body, fields
):
    response = _post(network.coordinator, "/api/v1/trainings/", body)
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "message": next(iter(fields.values()))[0],
        "fields": fields,
    }
    assert Training.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_training_body(held_on="kemarin"), "held_on"),
        (_training_body(topic=""), "topic"),
        (_training_body(participants="yayasan-a"), "participants"),
    ],
)
def test_a_malformed_training_is_a_400_naming_its_field(network, ngo_a, body, field):
    response = _post(network.coordinator, "/api/v1/trainings/", body)
    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]
    assert Training.objects.count() == 0


def test_a_visit_with_actions_then_an_action_added_and_marked_done(network, ngo_a):
    created = _post(network.coordinator, "/api/v1/mentoring-visits/", _visit_body())
    assert created.status_code == 201, created.content
    visit = MentoringVisit.objects.get()
    body = created.json()
    [action] = body["actions"]
    assert (body["ngo"], body["open_actions"], body["overdue_actions"]) == (
        {"slug": "yayasan-a", "name": "Yayasan Anak Sejahtera"},
        1,
        1,
    )
    assert _without_times(action) == {
        "uuid": str(visit.actions.get().uuid),
        "description": "Susun SOP",
        "due_on": (TODAY - timedelta(days=1)).isoformat(),
        "status": "open",
        "done_on": None,
        "follow_up_note": "",
        "is_overdue": True,
    }
    added = _post(
        network.coordinator,
        f"/api/v1/mentoring-visits/{visit.uuid}/actions/",
        {"description": "Latih staf baru", "due_on": (TODAY + timedelta(days=30)).isoformat()},
    )
    assert (added.status_code, added.json()["is_overdue"]) == (201, False)
    done_path = f"/api/v1/mentoring-visits/{visit.uuid}/actions/{action['uuid']}/done/"
    refused = _post(
        network.coordinator, done_path, {"follow_up_note": "ok", "done_on": "2000-01-01"}
    )
    assert refused.status_code == 400
    assert refused.json()["fields"] == {"done_on": ["The action cannot be done before the visit."]}
    done = _post(network.coordinator, done_path, {"follow_up_note": "SOP disahkan."})
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["done_on"], done.json()["is_overdue"]) == (
        "done",
        TODAY.isoformat(),
        False,
    )
    again = _post(network.coordinator, done_path, {"follow_up_note": "lagi"})
    assert (again.status_code, again.json()["code"]) == (400, "invalid_transition")
    listed = public_client(network.coordinator).get("/api/v1/mentoring-visits/?overdue=true")
    assert listed.json()["results"] == []
    detail = public_client(network.coordinator).get(f"/api/v1/mentoring-visits/{visit.uuid}/")
    assert (detail.json()["open_actions"], detail.json()["overdue_actions"]) == (1, 0)


def test_visit_input_errors_name_the_action_row(network, ngo_a):
    body = _visit_body(
        actions=[
            {"description": "Satu", "due_on": TODAY.isoformat()},
            {"description": "Dua", "due_on": (TODAY - timedelta(days=30)).isoformat()},
        ]
    )
    response = _post(network.coordinator, "/api/v1/mentoring-visits/", body)
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "actions[1].due_on": ["The due date cannot be before the visit."]
    }
    unknown = _post(network.coordinator, "/api/v1/mentoring-visits/", _visit_body(ngo="lain"))
    assert unknown.json()["fields"] == {"ngo": ["Choose an NGO of this consortium."]}
    assert MentoringVisit.objects.count() == AgreedAction.objects.count() == 0


def test_self_assessments_are_one_per_ngo_and_year(network, ngo_a):
    body = {"ngo": "yayasan-a", "year": TODAY.year, **SCORES, "comment": "Tim lengkap."}
    created = _post(network.coordinator, "/api/v1/self-assessments/", body)
    assert created.status_code == 201, created.content
    assessment = SelfAssessment.objects.get()
    assert _without_times(created.json()) == {
        "uuid": str(assessment.uuid),
        "ngo": {"slug": "yayasan-a", "name": "Yayasan Anak Sejahtera"},
        "year": TODAY.year,
        **SCORES,
        "mean_score": 3.4,
        "comment": "Tim lengkap.",
    }
    duplicate = _post(network.coordinator, "/api/v1/self-assessments/", body)
    assert duplicate.status_code == 400
    assert duplicate.json()["fields"] == {
        "year": [
            f"This NGO's self-assessment of {TODAY.year} is already recorded: change it instead."
        ]
    }
    out_of_range = _post(
        network.coordinator, "/api/v1/self-assessments/", {**body, "data_protection": 6}
    )
    assert out_of_range.json()["fields"] == {"data_protection": ["A score from 1 to 5."]}
    future = _post(network.coordinator, "/api/v1/self-assessments/", {**body, "year": 2999})
    assert future.json()["fields"] == {"year": [f"A year from 2000 to {TODAY.year}."]}
    listed = public_client(network.coordinator).get(f"/api/v1/self-assessments/?year={TODAY.year}")
    assert [row["uuid"] for row in listed.json()["results"]] == [str(assessment.uuid)]
    bad_year = public_client(network.coordinator).get("/api/v1/self-assessments/?year=abc")
    assert bad_year.status_code == 400
    assert list(bad_year.json()["fields"]) == ["year"]


def test_an_unknown_ngo_filter_is_a_400(network):
    response = public_client(network.coordinator).get("/api/v1/trainings/?ngo=tidak-ada")
    assert (response.status_code, response.json()["fields"]) == (
        400,
        {"ngo": ["Choose an NGO of this consortium."]},
    )


@pytest.mark.parametrize(
    "path",
    ["/api/v1/trainings/", "/api/v1/mentoring-visits/", "/api/v1/self-assessments/"],
)
def test_funders_are_refused_and_nothing_is_written(network, ngo_a, path):
    """A funder: 403 on lists and creates; anonymous 401; nothing written, nothing audited."""
    connection.set_schema_to_public()
    mark = PlatformAuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    body = {
        "/api/v1/trainings/": _training_body(),
        "/api/v1/mentoring-visits/": _visit_body(),
        "/api/v1/self-assessments/": {"ngo": "yayasan-a", "year": TODAY.year, **SCORES},
    }[path]
    for response in (public_client(network.funder).get(path), _post(network.funder, path, body)):
        assert response.status_code == 403
        assert response.json() == {
            "code": "permission_denied",
            "message": "Only the consortium's coordinators can do this.",
            "fields": {},
        }
    assert public_client(None).get(path).status_code == 401
    assert Training.objects.count() == MentoringVisit.objects.count() == 0
    assert SelfAssessment.objects.count() == 0
    assert not PlatformAuditEvent.objects.filter(id__gt=mark).exists()


def test_another_consortiums_coordinator_sees_none_of_it(network, ngo_a):
    visit = services.mentoring_visit_create(
        actor=network.coordinator,
        consortium=network.consortium,
        data=services.VisitInput("yayasan-a", TODAY, "Data", "Temuan"),
        actions=[services.ActionInput("Satu", TODAY)],
    )
    action = visit.actions.get()
    outsider = public_client(network.outsider)
    assert outsider.get("/api/v1/mentoring-visits/").json()["results"] == []
    assert outsider.get(f"/api/v1/mentoring-visits/{visit.uuid}/").status_code == 404
    for path, body in (
        (
            f"/api/v1/mentoring-visits/{visit.uuid}/actions/",
            {"description": "x", "due_on": TODAY.isoformat()},
        ),
        (
            f"/api/v1/mentoring-visits/{visit.uuid}/actions/{action.uuid}/done/",
            {"follow_up_note": "x"},
        ),
    ):
        assert _post(network.outsider, path, body).status_code == 404
    # Naming the session consortium explicitly does not help either.
    created = _post(
        network.outsider, "/api/v1/trainings/", {**_training_body(), "consortium": "pusat-test"}
    )
    assert created.status_code == 404
    action.refresh_from_db()
    assert (action.status, AgreedAction.objects.count()) == ("open", 1)


def _selects(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len([q for q in captured.captured_queries if not q["sql"].startswith("SET ")])


def test_lists_take_the_same_queries_for_one_row_or_many(network, ngo_a, ngo_b):
    client = public_client(network.coordinator)

    def add(day: date) -> None:
        services.training_create(
            actor=network.coordinator,
            consortium=network.consortium,
            data=services.TrainingInput(
                topic="T",
                held_on=day,
                trainer="X",
                participants=[
                    services.ParticipationInput("yayasan-a", 1),
                    services.ParticipationInput("lembaga-b", 1),
                ],
            ),
        )
        visit = services.mentoring_visit_create(
            actor=network.coordinator,
            consortium=network.consortium,
            data=services.VisitInput("yayasan-a", day, "Data", "Temuan"),
            actions=[services.ActionInput("Satu", day), services.ActionInput("Dua", day)],
        )
        assert visit.pk

    add(TODAY)
    paths = ("/api/v1/trainings/", "/api/v1/mentoring-visits/", "/api/v1/self-assessments/")
    one = {path: _selects(client, path) for path in paths}
    for days in range(1, 6):
        add(TODAY - timedelta(days=days))
    assert {path: _selects(client, path) for path in paths} == one
