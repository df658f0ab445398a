"""The referrals API of an NGO's host: NGO A sends (outgoing/...), NGO B answers
(incoming/...); state changes flow back through the outbox (drained by hand here: the on-commit
task does not run in a test's rolled-back transaction)."""

from datetime import timedelta

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from casework.models import AuditEvent, Case, Child, StaffProfile
from core import clock
from network import services as network_services
from network.models import ReferralEnvelope
from network.referrals.models import OutboxMessage, Referral
from tests.casework.conftest import _staff
from tests.network.conftest import outbox_drain_of

pytestmark = pytest.mark.django_db

REASON = "Needs counselling after leaving work at the harbour"
SHARED = {"full_name": "Dewi Lestari", "age": 13, "sex": "female", "reason": REASON}
NOT_FOUND = {"code": "not_found", "message": "Referral not found.", "fields": {}}
DENIED = {
    "code": "permission_denied",
    "message": "You do not have permission to do this.",
    "fields": {},
}
DETAIL_KEYS = [
    "uuid",
    "direction",
    "case_id",
    "counterpart",
    "agreement_uuid",
    "service_type",
    "urgency",
    "shared_fields",
    "state",
    "state_changed_at",
    "sent_at",
    "response_due_on",
    "is_overdue",
    "allowed_next_states",
    "decline_reason",
    "outcome_note",
    "events",
]


def _send_body(referrable, **changes) -> dict:
    body = {
        "case_id": referrable.case.pk,
        "to_agency": str(referrable.network.agency_b.uuid),
        "service_type": "counselling",
        "reason": REASON,
    }
    body.update(changes)
    return body


def _send(referrable, staff, **changes):
    return staff.client().post(
        "/api/v1/referrals/outgoing/",
        _send_body(referrable, **changes),
        content_type="application/json",
    )


def _sent(referrable, team_a, ngo_a, *, deliver=True) -> str:
    response = _send(referrable, team_a["worker"])
    assert response.status_code == 201, response.content
    if deliver:
        assert outbox_drain_of(ngo_a) == 1
    return response.json()["uuid"]


def _post(staff, path: str, body: dict | None = None):
    return staff.client().post(path, body or {}, content_type="application/json")


def _outgoing(ngo_a, uuid) -> Referral:
    with schema_context(ngo_a.ngo.schema_name):
        return Referral.objects.get(uuid=uuid)


def _snapshot(ngo) -> list:
    with schema_context(ngo.ngo.schema_name):
        return [
            list(Referral.objects.order_by("pk").values_list("uuid", "state", "case_id")),
            OutboxMessage.objects.count(),
            Case.objects.count(),
            AuditEvent.objects.count(),
        ]


@pytest.fixture
def clinic_agreement(referrable):
    """An active one-way agreement from A to the outside clinic, for health."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    network = referrable.network
    connection.set_schema_to_public()
    agreement = network_services.agreement_create(
        actor=network.coordinator,
        consortium=network.consortium,
        first_agency_uuid=network.agency_a.uuid,
        second_agency_uuid=network.clinic.uuid,
        direction="one_way",
        service_types=["health"],
        shared_fields=["full_name", "reason"],
        valid_from=clock.today(),
    )
    network_services.agreement_activate(
        actor=network.coordinator,
        agreement_uuid=agreement.uuid,
        mou=SimpleUploadedFile("mou.pdf", b"%PDF-1.4 signed"),
    )
    return agreement


# --- Sending ---------------------------------------------------------------------------------


def test_a_worker_sends_a_referral(referrable, team_a, ngo_a):
    """201 with the referral's metadata and history (no child field), an outbox row for the
    delivery, and an audit event of the creation."""
    response = _send(referrable, team_a["worker"], urgency="urgent")
    assert response.status_code == 201, response.content
    body = response.json()
    assert list(body) == DETAIL_KEYS
    sent_at = body["sent_at"]
    assert body == {
        "uuid": body["uuid"],
        "direction": "outgoing",
        "case_id": referrable.case.pk,
        "counterpart": {
            "uuid": str(referrable.network.agency_b.uuid),
            "name": "Lembaga Peduli Anak",
            "is_partner": True,
        },
        "agreement_uuid": str(referrable.agreement.uuid),
        "service_type": "counselling",
        "urgency": "urgent",
        "shared_fields": ["age", "full_name", "reason", "sex"],
        "state": "sent",
        "state_changed_at": sent_at,
        "sent_at": sent_at,
        "response_due_on": (clock.today() + timedelta(days=7)).isoformat(),
        "is_overdue": False,
        "allowed_next_states": ["accepted", "declined", "withdrawn"],
        "decline_reason": "",
        "outcome_note": "",
        "events": [
            {
                "event_uuid": body["events"][0]["event_uuid"],
                "state": "sent",
                "note": "",
                "by_agency_uuid": str(referrable.network.agency_a.uuid),
                "actor_name": "worker-a",
                "at": body["events"][0]["at"],
            }
        ],
    }
    assert b"Dewi" not in response.content
    with schema_context(ngo_a.ngo.schema_name):
        assert list(OutboxMessage.objects.values_list("kind", "referral_uuid")) == [
            ("referral", Referral.objects.get().uuid)
        ]
        event = AuditEvent.objects.filter(object_type="referral").get()
        assert (event.action, event.actor_username, event.case_id) == (
            "create",
            "worker-a",
            referrable.case.pk,
        )


@pytest.mark.parametrize(
    ("changes", "status", "code", "fields"),
    [
        (
            {"service_type": "health"},
            400,
            "no_agreement",
            {
                "to_agency": [
                    "There is no referral agreement in force with this agency for this service."
                ]
            },
        ),
        ({"reason": " "}, 400, "invalid", {"reason": ["This field may not be blank."]}),
        (
            {"service_type": "magic"},
            400,
            "invalid",
            {"service_type": ['"magic" is not a valid choice.']},
        ),
        ({"to_agency": "nope"}, 400, "invalid", {"to_agency": ["Must be a valid UUID."]}),
        (
            {"to_agency": "00000000-0000-0000-0000-000000000000"},
            400,
            "invalid",
            {"to_agency": ["Choose an agency of the consortium."]},
        ),
        ({"case_id": 2**31 - 1}, 404, "not_found", {}),
    ],
)
def test_a_refused_referral_names_its_field_and_writes_nothing(
    referrable, team_a, ngo_a, changes, status, code, fields
):
    before = _snapshot(ngo_a)
    response = _send(referrable, team_a["worker"], **changes)
    assert (response.status_code, response.json()["code"], response.json()["fields"]) == (
        status,
        code,
        fields,
    )
    assert _snapshot(ngo_a) == before


def test_no_consent_to_sharing_is_a_field_error(referrable, team_a, ngo_a):
    from casework.models import Consent

    with schema_context(ngo_a.ngo.schema_name):
        Consent.objects.filter(child_id=referrable.case.child_id).update(
            scope_referral_sharing=False
        )
    response = _send(referrable, team_a["worker"])
    assert (response.status_code, response.json()["code"], list(response.json()["fields"])) == (
        400,
        "consent_required",
        ["consent"],
    )


def test_a_second_open_referral_is_a_conflict(referrable, team_a, ngo_a):
    _sent(referrable, team_a, ngo_a, deliver=False)
    before = _snapshot(ngo_a)
    response = _send(referrable, team_a["worker"])
    assert response.status_code == 409
    assert response.json() == {
        "code": "already_referred",
        "message": "This child is already referred to this agency for this service.",
        "fields": {"to_agency": ["Already referred; wait for the answer."]},
    }
    assert _snapshot(ngo_a) == before


def test_another_workers_case_cannot_be_referred(referrable, team_a, ngo_a):
    """The case is not the other worker's: 404 like a missing case, nothing written."""
    before = _snapshot(ngo_a)
    response = _send(referrable, team_a["other_worker"])
    assert (response.status_code, response.json()) == (
        404,
        {"code": "not_found", "message": "Case not found.", "fields": {}},
    )
    assert _snapshot(ngo_a) == before


def test_the_me_officer_gets_the_casework_refusals(referrable, team_a, ngo_a):
    """The M&E officer (figures only, no identity) gets 403 on every referral endpoint, as on
    children and case details in the casework matrix; nothing changes."""
    uuid = _sent(referrable, team_a, ngo_a, deliver=False)
    before = _snapshot(ngo_a)
    client = team_a["me"].client()
    for response in (
        client.get("/api/v1/referrals/outgoing/"),
        client.get(f"/api/v1/referrals/outgoing/{uuid}/"),
        client.get(f"/api/v1/referrals/outgoing/{uuid}/letter/"),
        client.get(f"/api/v1/referrals/outgoing/options/?case_id={referrable.case.pk}"),
        client.post(
            "/api/v1/referrals/outgoing/", _send_body(referrable), content_type="application/json"
        ),
        client.post(
            f"/api/v1/referrals/outgoing/{uuid}/withdraw/", {}, content_type="application/json"
        ),
        client.get("/api/v1/referrals/incoming/"),
        client.get(f"/api/v1/referrals/incoming/{uuid}/"),
        client.post(
            f"/api/v1/referrals/incoming/{uuid}/accept/", {}, content_type="application/json"
        ),
    ):
        assert (response.status_code, response.json()) == (403, DENIED)
        assert b"Dewi" not in response.content
    assert _snapshot(ngo_a) == before


# --- Reading what was sent -------------------------------------------------------------------


def test_outgoing_list_filters_and_costs_fixed_queries(
    referrable, clinic_agreement, team_a, ngo_a, django_assert_max_num_queries
):
    to_b = _sent(referrable, team_a, ngo_a)
    to_clinic = _send(
        referrable,
        team_a["worker"],
        to_agency=str(referrable.network.clinic.uuid),
        service_type="health",
    ).json()["uuid"]
    client = team_a["worker"].client()
    with django_assert_max_num_queries(12):
        listed = client.get("/api/v1/referrals/outgoing/")
    assert listed.status_code == 200
    rows = listed.json()["results"]
    assert [(row["uuid"], row["counterpart"]["name"]) for row in rows] == [
        (to_clinic, "Puskesmas Bandarharjo"),
        (to_b, "Lembaga Peduli Anak"),
    ]
    assert "events" not in rows[0]
    assert b"Dewi" not in listed.content
    client.post(
        f"/api/v1/referrals/outgoing/{to_clinic}/withdraw/", {}, content_type="application/json"
    )
    states = client.get("/api/v1/referrals/outgoing/?state=withdrawn").json()["results"]
    assert [row["uuid"] for row in states] == [to_clinic]
    assert client.get("/api/v1/referrals/outgoing/?state=accepted,declined").json()["results"] == []
    assert client.get("/api/v1/referrals/outgoing/?overdue=1").json()["results"] == []
    with clock.as_of(clock.today() + timedelta(days=8)):
        overdue = client.get("/api/v1/referrals/outgoing/?overdue=true").json()["results"]
    assert [(row["uuid"], row["is_overdue"]) for row in overdue] == [(to_b, True)]
    # The other worker sees neither (not their case), the supervisor both.
    assert (
        team_a["other_worker"].client().get("/api/v1/referrals/outgoing/").json()["results"] == []
    )
    supervisor_rows = team_a["supervisor"].client().get("/api/v1/referrals/outgoing/").json()
    assert len(supervisor_rows["results"]) == 2


def test_outgoing_detail_is_hidden_from_who_cannot_see_the_case(referrable, team_a, team_b, ngo_a):
    uuid = _sent(referrable, team_a, ngo_a)
    assert (
        team_a["supervisor"].client().get(f"/api/v1/referrals/outgoing/{uuid}/").status_code == 200
    )
    for staff in (team_a["other_worker"], team_b["supervisor"]):
        response = staff.client().get(f"/api/v1/referrals/outgoing/{uuid}/")
        assert (response.status_code, response.json()) == (404, NOT_FOUND)
    # The receiver's copy is incoming: not reachable through the outgoing routes.
    response = (
        team_b["supervisor"]
        .client()
        .post(f"/api/v1/referrals/outgoing/{uuid}/withdraw/", {}, content_type="application/json")
    )
    assert (response.status_code, response.json()) == (404, NOT_FOUND)


def test_the_letter_shows_the_agreed_fields_and_is_audited(referrable, team_a, ngo_a):
    uuid = _sent(referrable, team_a, ngo_a, deliver=False)
    response = team_a["worker"].client().get(f"/api/v1/referrals/outgoing/{uuid}/letter/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body == {
        "referral_uuid": uuid,
        "to_agency": {
            "name": "Lembaga Peduli Anak",
            "kind": "Partner NGO",
            "contact_name": "",
            "phone": "",
            "address": "",
        },
        "sender_name": "Yayasan Anak Sejahtera",
        "sent_on": clock.today().isoformat(),
        "service": "Counselling",
        "urgency": "Normal",
        "due_on": (clock.today() + timedelta(days=7)).isoformat(),
        "shared_fields": [
            {"label": "Full name", "value": "Dewi Lestari"},
            {"label": "Sex", "value": "Female"},
            {"label": "Age (years)", "value": "13 years"},
        ],
        "reason": REASON,
    }
    with schema_context(ngo_a.ngo.schema_name):
        event = AuditEvent.objects.filter(object_type="referral", action="view").get()
    assert (event.actor_username, event.object_id, event.details["via"]) == (
        "worker-a",
        uuid,
        "letter",
    )


def test_refer_options_list_the_agencies_and_fields(referrable, clinic_agreement, team_a):
    response = (
        team_a["worker"]
        .client()
        .get(f"/api/v1/referrals/outgoing/options/?case_id={referrable.case.pk}")
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["case_id"], body["service_type"], body["blocked_reason"]) == (
        referrable.case.pk,
        None,
        None,
    )
    assert [
        (
            row["agency"]["name"],
            row["service_type"],
            [f["code"] for f in row["shared_fields"]],
            row["response_days"],
            row["already_referred"],
        )
        for row in body["options"]
    ] == [
        ("Lembaga Peduli Anak", "counselling", ["full_name", "sex", "age", "reason"], 7, False),
        ("Puskesmas Bandarharjo", "health", ["full_name", "reason"], 7, False),
    ]
    only_health = (
        team_a["worker"]
        .client()
        .get(
            f"/api/v1/referrals/outgoing/options/?case_id={referrable.case.pk}&service_type=health"
        )
    )
    assert [row["agency"]["name"] for row in only_health.json()["options"]] == [
        "Puskesmas Bandarharjo"
    ]
    bad = team_a["worker"].client().get("/api/v1/referrals/outgoing/options/?case_id=x")
    assert (bad.status_code, list(bad.json()["fields"])) == (400, ["case_id"])
    hidden = (
        team_a["other_worker"]
        .client()
        .get(f"/api/v1/referrals/outgoing/options/?case_id={referrable.case.pk}")
    )
    assert (hidden.status_code, hidden.json()["message"]) == (404, "Case not found.")


# --- Withdrawing, and an outside agency's answer ------------------------------------------------


def test_withdraw_then_no_further_transition(referrable, team_a, ngo_a):
    uuid = _sent(referrable, team_a, ngo_a)
    client = team_a["worker"].client()
    response = _post(
        team_a["worker"], f"/api/v1/referrals/outgoing/{uuid}/withdraw/", {"reason": "Family moved"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["state"], body["allowed_next_states"], [e["state"] for e in body["events"]]) == (
        "withdrawn",
        [],
        ["sent", "withdrawn"],
    )
    assert body["events"][1]["note"] == "Family moved"
    assert ReferralEnvelope.objects.get(referral_uuid=uuid).purged_at is not None
    again = client.post(
        f"/api/v1/referrals/outgoing/{uuid}/withdraw/", {}, content_type="application/json"
    )
    assert (again.status_code, again.json()) == (
        400,
        {
            "code": "invalid_transition",
            "message": "Cannot change status from 'Withdrawn' to 'Withdrawn'. Allowed: none.",
            "fields": {"status": ["Allowed next states: none."]},
        },
    )


def test_the_sender_records_an_outside_agencys_answers(referrable, clinic_agreement, team_a, ngo_a):
    response = _send(
        referrable,
        team_a["worker"],
        to_agency=str(referrable.network.clinic.uuid),
        service_type="health",
    )
    uuid = response.json()["uuid"]
    path = f"/api/v1/referrals/outgoing/{uuid}/response/"
    too_early = _post(team_a["worker"], path, {"state": "completed", "note": "done"})
    assert (too_early.status_code, too_early.json()) == (
        400,
        {
            "code": "invalid_transition",
            "message": (
                "Cannot change status from 'Sent' to 'Completed'. "
                "Allowed: Accepted, Declined, Withdrawn."
            ),
            "fields": {"status": ["Allowed next states: Accepted, Declined, Withdrawn."]},
        },
    )
    assert _outgoing(ngo_a, uuid).state == "sent"
    bad_state = _post(team_a["worker"], path, {"state": "withdrawn"})
    assert (bad_state.status_code, list(bad_state.json()["fields"])) == (400, ["state"])
    for state, note in (("accepted", "By phone"), ("in_progress", ""), ("completed", "Treated")):
        answered = _post(team_a["worker"], path, {"state": state, "note": note})
        assert (answered.status_code, answered.json()["state"]) == (200, state)
    body = answered.json()
    assert (body["outcome_note"], [e["state"] for e in body["events"]]) == (
        "Treated",
        ["sent", "accepted", "in_progress", "completed"],
    )


def test_a_partner_answers_for_itself(referrable, team_a, ngo_a):
    uuid = _sent(referrable, team_a, ngo_a)
    response = _post(
        team_a["worker"], f"/api/v1/referrals/outgoing/{uuid}/response/", {"state": "accepted"}
    )
    assert (response.status_code, response.json()["code"], list(response.json()["fields"])) == (
        400,
        "partner_answers",
        ["state"],
    )
    assert _outgoing(ngo_a, uuid).state == "sent"


# --- The receiver ----------------------------------------------------------------------------


def test_the_receiver_lists_and_opens_the_referral(referrable, team_a, team_b, ngo_a, ngo_b):
    """The inbox lists metadata only; opening decrypts exactly the agreed fields and is
    audited in the receiver's schema."""
    uuid = _sent(referrable, team_a, ngo_a)
    client = team_b["worker"].client()
    listed = client.get("/api/v1/referrals/incoming/")
    assert listed.status_code == 200
    rows = listed.json()["results"]
    assert [
        (row["uuid"], row["direction"], row["counterpart"]["name"], row["case_id"]) for row in rows
    ] == [(uuid, "incoming", "Yayasan Anak Sejahtera", None)]
    assert b"Dewi" not in listed.content
    opened = client.get(f"/api/v1/referrals/incoming/{uuid}/")
    assert opened.status_code == 200, opened.content
    body = opened.json()
    assert list(body) == [*DETAIL_KEYS, "shared_data"]
    assert body["shared_data"] == SHARED
    assert (body["state"], body["counterpart"]["uuid"]) == (
        "sent",
        str(referrable.network.agency_a.uuid),
    )
    with schema_context(ngo_b.ngo.schema_name):
        event = AuditEvent.objects.filter(object_type="referral", action="view").get()
    assert (event.actor_username, event.object_id) == ("worker-b", uuid)


def test_accept_opens_a_case_and_flows_back(referrable, team_a, team_b, ngo_a, ngo_b):
    uuid = _sent(referrable, team_a, ngo_a)
    response = _post(team_b["worker"], f"/api/v1/referrals/incoming/{uuid}/accept/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["state"], body["allowed_next_states"]) == ("accepted", ["in_progress"])
    with schema_context(ngo_b.ngo.schema_name):
        case = Case.objects.get(pk=body["case_id"])
        assert (case.child.full_name, case.child.sex, case.assigned_worker.username) == (
            "Dewi Lestari",
            "female",
            "worker-b",
        )
    envelope = ReferralEnvelope.objects.get(referral_uuid=uuid)
    assert (envelope.state, envelope.sealed_payload) == ("accepted", None)
    reopened = team_b["worker"].client().get(f"/api/v1/referrals/incoming/{uuid}/")
    assert (reopened.json()["shared_data"], reopened.json()["case_id"]) == (None, case.pk)
    again = _post(team_b["supervisor"], f"/api/v1/referrals/incoming/{uuid}/accept/")
    assert (again.status_code, again.json()["code"]) == (409, "already_accepted")
    assert outbox_drain_of(ngo_b) == 1
    mine = team_a["worker"].client().get(f"/api/v1/referrals/outgoing/{uuid}/").json()
    assert (mine["state"], [e["state"] for e in mine["events"]]) == (
        "accepted",
        ["sent", "accepted"],
    )


def test_progress_and_completion_flow_back(referrable, team_a, team_b, ngo_a, ngo_b):
    uuid = _sent(referrable, team_a, ngo_a)
    too_early = _post(
        team_b["worker"], f"/api/v1/referrals/incoming/{uuid}/complete/", {"outcome_note": "x"}
    )
    assert (too_early.status_code, too_early.json()["fields"]) == (
        400,
        {"status": ["Allowed next states: Accepted, Declined, Withdrawn."]},
    )
    _post(team_b["worker"], f"/api/v1/referrals/incoming/{uuid}/accept/")
    progress = _post(
        team_b["worker"], f"/api/v1/referrals/incoming/{uuid}/progress/", {"note": "First session"}
    )
    assert (progress.status_code, progress.json()["state"]) == (200, "in_progress")
    no_outcome = _post(
        team_b["worker"], f"/api/v1/referrals/incoming/{uuid}/complete/", {"outcome_note": ""}
    )
    assert (no_outcome.status_code, list(no_outcome.json()["fields"])) == (400, ["outcome_note"])
    done = _post(
        team_b["worker"],
        f"/api/v1/referrals/incoming/{uuid}/complete/",
        {"outcome_note": "Six sessions"},
    )
    assert (done.status_code, done.json()["state"], done.json()["outcome_note"]) == (
        200,
        "completed",
        "Six sessions",
    )
    assert outbox_drain_of(ngo_b) == 3
    mine = _outgoing(ngo_a, uuid)
    assert (mine.state, mine.outcome_note) == ("completed", "Six sessions")


def test_decline_needs_a_reason_and_flows_back(referrable, team_a, team_b, ngo_a, ngo_b):
    uuid = _sent(referrable, team_a, ngo_a)
    before = _snapshot(ngo_b)
    no_reason = _post(
        team_b["worker"], f"/api/v1/referrals/incoming/{uuid}/decline/", {"reason": ""}
    )
    assert (no_reason.status_code, list(no_reason.json()["fields"])) == (400, ["reason"])
    assert _snapshot(ngo_b) == before
    declined = _post(
        team_b["worker"], f"/api/v1/referrals/incoming/{uuid}/decline/", {"reason": "No places"}
    )
    assert (declined.status_code, declined.json()["state"], declined.json()["decline_reason"]) == (
        200,
        "declined",
        "No places",
    )
    accept_now = _post(team_b["worker"], f"/api/v1/referrals/incoming/{uuid}/accept/")
    assert (accept_now.status_code, accept_now.json()["code"]) == (400, "invalid_transition")
    assert outbox_drain_of(ngo_b) == 1
    assert _outgoing(ngo_a, uuid).decline_reason == "No places"


def test_the_sender_cannot_act_on_the_receivers_side(referrable, team_a, team_b, ngo_a, ngo_b):
    """NGO A's staff reach NGO B's inbox by no route: the incoming routes on A's host answer
    404 for the referral A sent (its copy is outgoing), and nothing changes on either side."""
    uuid = _sent(referrable, team_a, ngo_a)
    before_a, before_b = _snapshot(ngo_a), _snapshot(ngo_b)
    for staff in (team_a["admin"], team_a["worker"]):
        client = staff.client()
        assert client.get("/api/v1/referrals/incoming/").json()["results"] == []
        for response in (
            client.get(f"/api/v1/referrals/incoming/{uuid}/"),
            client.post(
                f"/api/v1/referrals/incoming/{uuid}/accept/", {}, content_type="application/json"
            ),
            client.post(
                f"/api/v1/referrals/incoming/{uuid}/decline/",
                {"reason": "x"},
                content_type="application/json",
            ),
            client.post(
                f"/api/v1/referrals/incoming/{uuid}/progress/", {}, content_type="application/json"
            ),
            client.post(
                f"/api/v1/referrals/incoming/{uuid}/complete/",
                {"outcome_note": "x"},
                content_type="application/json",
            ),
        ):
            assert (response.status_code, response.json()) == (404, NOT_FOUND)
    assert (_snapshot(ngo_a), _snapshot(ngo_b)) == (before_a, before_b)


def test_an_m_and_e_officer_of_the_receiver_cannot_open(referrable, team_a, ngo_a, ngo_b):
    uuid = _sent(referrable, team_a, ngo_a)
    me_b = _staff(ngo_b.ngo.schema_name, ngo_b.host, "me-b", StaffProfile.Role.ME_OFFICER)
    before = _snapshot(ngo_b)
    for response in (
        me_b.client().get("/api/v1/referrals/incoming/"),
        me_b.client().get(f"/api/v1/referrals/incoming/{uuid}/"),
        me_b.client().post(
            f"/api/v1/referrals/incoming/{uuid}/accept/", {}, content_type="application/json"
        ),
    ):
        assert (response.status_code, response.json()) == (403, DENIED)
    assert _snapshot(ngo_b) == before
    with schema_context(ngo_b.ngo.schema_name):
        assert not Child.objects.filter(full_name="Dewi Lestari").exists()


def test_a_hidden_referral_answers_like_a_missing_one(referrable, team_a, ngo_a):
    """Withdrawing (service and API) a referral of a case the worker cannot see says "Referral
    not found.", exactly as for a missing one, never "Case not found." (which would tell that
    it exists); nothing changes."""
    from core.errors import NotFoundError
    from network.referrals import services as referral_services

    uuid = _sent(referrable, team_a, ngo_a)
    before = _snapshot(ngo_a)
    missing = "00000000-0000-0000-0000-000000000000"
    with schema_context(ngo_a.ngo.schema_name):
        for referral_uuid in (uuid, missing):
            with pytest.raises(NotFoundError) as caught:
                referral_services.referral_withdraw(
                    actor=team_a["other_worker"].user, referral_uuid=referral_uuid
                )
            assert caught.value.message == "Referral not found."
    for path, body in (("withdraw", {}), ("response", {"state": "accepted"})):
        hidden = _post(team_a["other_worker"], f"/api/v1/referrals/outgoing/{uuid}/{path}/", body)
        absent = _post(
            team_a["other_worker"], f"/api/v1/referrals/outgoing/{missing}/{path}/", body
        )
        assert (hidden.status_code, hidden.json()) == (absent.status_code, absent.json())
        assert (hidden.status_code, hidden.json()) == (404, NOT_FOUND)
    assert _snapshot(ngo_a) == before
