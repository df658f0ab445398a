"""Referral metadata for the coordinator on the public host: who referred to whom, for what,
when, and where it stands; never a payload field, and no API of any host hands the coordinator
a payload."""

from datetime import timedelta

import pytest

from core import clock
from tests.network.conftest import outbox_drain_of, public_client
from tests.support import host_client

pytestmark = pytest.mark.django_db

REASON = "Needs counselling after leaving work at the harbour"
METADATA_KEYS = {
    "uuid",
    "from_agency",
    "to_agency",
    "service_type",
    "urgency",
    "sent_at",
    "due_on",
    "state",
    "state_changed_at",
    "is_overdue",
}
SECRETS = (b"Dewi", b"Lestari", b"harbour", b"Tanjung", b"3374015203130099", b"Ibu")


def _sent(referrable, team_a, ngo_a, urgency="normal") -> str:
    response = (
        team_a["worker"]
        .client()
        .post(
            "/api/v1/referrals/outgoing/",
            {
                "case_id": referrable.case.pk,
                "to_agency": str(referrable.network.agency_b.uuid),
                "service_type": "counselling",
                "reason": REASON,
                "urgency": urgency,
            },
            content_type="application/json",
        )
    )
    assert response.status_code == 201, response.content
    assert outbox_drain_of(ngo_a) == 1
    return response.json()["uuid"]


def _assert_no_child_data(response) -> None:
    for secret in SECRETS:
        assert secret not in response.content, secret


def test_the_coordinator_lists_metadata_only(
    referrable, team_a, ngo_a, django_assert_max_num_queries
):
    """Exactly the metadata keys, the exact values, no child field; a fixed number of queries."""
    uuid = _sent(referrable, team_a, ngo_a, urgency="urgent")
    network = referrable.network
    client = public_client(network.coordinator)
    with django_assert_max_num_queries(8):
        response = client.get("/api/v1/referrals/")
    assert response.status_code == 200, response.content
    rows = response.json()["results"]
    assert [set(row) for row in rows] == [METADATA_KEYS]
    row = rows[0]
    assert row == {
        "uuid": uuid,
        "from_agency": {
            "uuid": str(network.agency_a.uuid),
            "name": "Yayasan Anak Sejahtera",
            "kind": "partner_ngo",
        },
        "to_agency": {
            "uuid": str(network.agency_b.uuid),
            "name": "Lembaga Peduli Anak",
            "kind": "partner_ngo",
        },
        "service_type": "counselling",
        "urgency": "urgent",
        "sent_at": row["sent_at"],
        "due_on": (clock.today() + timedelta(days=7)).isoformat(),
        "state": "sent",
        "state_changed_at": row["sent_at"],
        "is_overdue": False,
    }
    _assert_no_child_data(response)
    detail = client.get(f"/api/v1/referrals/{uuid}/")
    assert (detail.status_code, detail.json()) == (200, row)
    _assert_no_child_data(detail)


def test_state_and_overdue_filters(referrable, team_a, team_b, ngo_a):
    uuid = _sent(referrable, team_a, ngo_a)
    client = public_client(referrable.network.coordinator)
    assert [r["uuid"] for r in client.get("/api/v1/referrals/?state=sent").json()["results"]] == [
        uuid
    ]
    assert client.get("/api/v1/referrals/?state=accepted").json()["results"] == []
    assert client.get("/api/v1/referrals/?overdue=1").json()["results"] == []
    with clock.as_of(clock.today() + timedelta(days=8)):
        overdue = client.get("/api/v1/referrals/?overdue=1").json()["results"]
    assert [(r["uuid"], r["is_overdue"]) for r in overdue] == [(uuid, True)]
    accepted = (
        team_b["worker"]
        .client()
        .post(f"/api/v1/referrals/incoming/{uuid}/accept/", {}, content_type="application/json")
    )
    assert accepted.status_code == 200, accepted.content
    rows = client.get("/api/v1/referrals/?state=accepted,declined").json()["results"]
    assert [(r["uuid"], r["state"]) for r in rows] == [(uuid, "accepted")]


def test_the_coordinator_cannot_reach_a_payload_by_any_api(referrable, team_a, ngo_a, ngo_b):
    """The public host has no payload route (the NGO routes answer 404 there), and the
    coordinator's public-schema token means nothing on the receiving NGO's host (401)."""
    uuid = _sent(referrable, team_a, ngo_a)
    coordinator = referrable.network.coordinator
    client = public_client(coordinator)
    for path in (
        f"/api/v1/referrals/incoming/{uuid}/",
        f"/api/v1/referrals/outgoing/{uuid}/",
        f"/api/v1/referrals/outgoing/{uuid}/letter/",
        f"/api/v1/referrals/{uuid}/payload/",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        _assert_no_child_data(response)
    token = client.defaults["HTTP_AUTHORIZATION"]
    on_ngo = host_client(ngo_b.host, HTTP_AUTHORIZATION=token)
    for path in ("/api/v1/referrals/incoming/", f"/api/v1/referrals/incoming/{uuid}/"):
        response = on_ngo.get(path)
        assert (response.status_code, response.json()["code"]) == (401, "authentication_failed")
        _assert_no_child_data(response)


def test_the_public_schema_documents_no_payload_field():
    """The coordinator's referral schema in the public host's OpenAPI document is exactly the
    metadata, and no public operation names a payload."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator(urlconf="ngo_platform.urls_public").get_schema(public=True)
    envelope = schema["components"]["schemas"]["EnvelopeMetadata"]
    assert set(envelope["properties"]) == METADATA_KEYS
    # Agreements name the fields that may be shared (SharedFieldEnum); no operation returns one.
    text = str(schema)
    for word in ("shared_data", "sealed_payload", "opened_fields"):
        assert word not in text


def test_a_funder_gets_403(referrable, team_a, ngo_a):
    uuid = _sent(referrable, team_a, ngo_a)
    client = public_client(referrable.network.funder)
    for path in ("/api/v1/referrals/", f"/api/v1/referrals/{uuid}/"):
        response = client.get(path)
        assert (response.status_code, response.json()) == (
            403,
            {
                "code": "permission_denied",
                "message": "Only the consortium's coordinators can do this.",
                "fields": {},
            },
        )


def test_another_consortiums_coordinator_sees_nothing(referrable, team_a, ngo_a):
    uuid = _sent(referrable, team_a, ngo_a)
    client = public_client(referrable.network.outsider)
    listed = client.get("/api/v1/referrals/")
    assert (listed.status_code, listed.json()["results"]) == (200, [])
    detail = client.get(f"/api/v1/referrals/{uuid}/")
    assert (detail.status_code, detail.json()) == (
        404,
        {"code": "not_found", "message": "Referral not found.", "fields": {}},
    )
    named = client.get("/api/v1/referrals/?consortium=pusat-test")
    assert (named.status_code, named.json()["message"]) == (404, "Consortium not found.")
