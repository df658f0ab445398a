"""A case walked through its whole lifecycle over the real HTTP stack."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.casework.conftest import assessment_payload, registration_payload

pytestmark = pytest.mark.django_db


def _post(client, url, data, status=200):
    response = client.post(url, data, content_type="application/json")
    assert response.status_code == status, response.content
    return response.json()


def test_full_lifecycle(team_a):
    """register -> assess -> approve -> plan -> approve -> service -> follow-up -> verify ->
    closure request -> approval -> reopen."""
    worker = team_a["worker"].client()
    supervisor = team_a["supervisor"].client()
    case = _post(worker, "/api/v1/children/", registration_payload(), status=201)
    case_id = case["id"]
    assert case["status"] == "registered"
    assert case["assigned_worker"]["username"] == "worker-a"

    assessment = _post(
        worker, f"/api/v1/cases/{case_id}/assessments/", assessment_payload(), status=201
    )
    # Born 2013 (estimated): age 13 this year under BPS is > 15 h/week -> child labour.
    assert assessment["status_bps"] == "child_labour"
    assert assessment["suggested_risk_level"] == "medium"
    _post(
        supervisor,
        f"/api/v1/cases/{case_id}/assessments/{assessment['id']}/review/",
        {"approve": True},
    )
    detail = supervisor.get(f"/api/v1/cases/{case_id}/").json()
    assert detail["status"] == "assessed"
    assert detail["risk_level"] == "medium"

    due = (timezone.localdate() + timedelta(days=30)).isoformat()
    plan = {
        "summary": "Kembali ke sekolah",
        "goals": [
            {
                "description": "Kembali ke sekolah",
                "target_date": due,
                "services": [
                    {
                        "type": "school_return",
                        "responsible_worker_id": team_a["worker"].user.pk,
                        "due_on": due,
                    }
                ],
            }
        ],
        "submit": True,
    }
    response = worker.put(f"/api/v1/cases/{case_id}/plan/", plan, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "submitted"
    _post(supervisor, f"/api/v1/cases/{case_id}/plan/review/", {"approve": True})
    assert supervisor.get(f"/api/v1/cases/{case_id}/").json()["status"] == "planned"

    _post(
        worker,
        f"/api/v1/cases/{case_id}/interventions/",
        {
            "delivered_on": timezone.localdate().isoformat(),
            "type": "school_return",
            "provider": "SD 1",
        },
        status=201,
    )
    assert worker.get(f"/api/v1/cases/{case_id}/").json()["status"] == "in_service"
    followup = _post(
        worker, f"/api/v1/cases/{case_id}/followups/", {"kind": "verification"}, status=201
    )
    assert followup["due_on"] == (timezone.localdate() + timedelta(days=90)).isoformat()
    _post(
        worker,
        f"/api/v1/cases/{case_id}/verifications/",
        {
            "visited_on": timezone.localdate().isoformat(),
            "left_work": True,
            "in_school_or_training": True,
        },
        status=201,
    )
    detail = worker.get(f"/api/v1/cases/{case_id}/").json()
    assert detail["status"] == "monitoring"
    assert detail["followups"][0]["completed_on"] == timezone.localdate().isoformat()

    _post(
        worker,
        f"/api/v1/cases/{case_id}/close/",
        {"reason": "withdrawn_child_labour", "outcome": "Back in school"},
    )
    denied = worker.post(
        f"/api/v1/cases/{case_id}/close/review/", {"approve": True}, content_type="application/json"
    )
    assert denied.status_code == 403
    closed = _post(supervisor, f"/api/v1/cases/{case_id}/close/review/", {"approve": True})
    assert closed["status"] == "closed"
    read_only = worker.post(
        f"/api/v1/cases/{case_id}/notes/", {"body": "x"}, content_type="application/json"
    )
    assert read_only.status_code == 400
    assert read_only.json()["code"] == "case_closed"
    refused = worker.post(
        f"/api/v1/cases/{case_id}/reopen/",
        {"reason": "seen at market"},
        content_type="application/json",
    )
    assert refused.status_code == 403  # reopening, like closing, needs a supervisor
    reopened = _post(supervisor, f"/api/v1/cases/{case_id}/reopen/", {"reason": "seen at market"})
    assert reopened["status"] == "in_service"


def test_illegal_transition_is_400_with_allowed_states(team_a):
    """Approving a closure that nobody requested is a 400 naming the allowed next states."""
    worker = team_a["worker"].client()
    supervisor = team_a["supervisor"].client()
    case = _post(worker, "/api/v1/children/", registration_payload("Budi"), status=201)
    response = supervisor.post(
        f"/api/v1/cases/{case['id']}/close/review/",
        {"approve": True},
        content_type="application/json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_transition"
    assert body["fields"] == {"status": ["Allowed next states: Assessed, Closure requested."]}


def test_search_by_reference_and_by_name(team_a):
    """Searching a case reference finds that case; searching a name finds the child's case."""
    worker = team_a["worker"].client()
    case = _post(worker, "/api/v1/children/", registration_payload("Rahmat Hidayat"), status=201)
    by_reference = worker.get("/api/v1/cases/", {"search": case["reference"].lower()}).json()
    assert [row["id"] for row in by_reference["results"]] == [case["id"]]
    by_name = worker.get("/api/v1/cases/", {"search": "rahmat"}).json()
    assert case["id"] in [row["id"] for row in by_name["results"]]
    # Every word matches the start of a word of the name, in any order, any case.
    by_words = worker.get("/api/v1/cases/", {"search": "HIDA rah"}).json()
    assert [row["id"] for row in by_words["results"]] == [case["id"]]
    by_known_as = worker.get("/api/v1/cases/", {"search": "Rahm"}).json()
    assert case["id"] in [row["id"] for row in by_known_as["results"]]
    wrong_order_inside_word = worker.get("/api/v1/cases/", {"search": "ahmat"}).json()
    assert case["id"] not in [row["id"] for row in wrong_order_inside_word["results"]]
    nothing = worker.get("/api/v1/cases/", {"search": "1999-99999"}).json()
    assert nothing["results"] == []
