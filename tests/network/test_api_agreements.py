"""The referral agreements API: an NGO reads its own; the coordinator drafts, activates with
the signed MoU (a multipart upload), lists and revokes them on the public host."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core import clock
from network import services
from network.models import ReferralAgreement
from tests.network.conftest import public_client

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% signed MoU\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"


def _draft(network, first, second, **overrides) -> ReferralAgreement:
    values = {
        "actor": network.coordinator,
        "consortium": network.consortium,
        "first_agency_uuid": first.uuid,
        "second_agency_uuid": second.uuid,
        "service_types": ["counselling"],
        "shared_fields": ["full_name", "age", "reason"],
        "valid_from": clock.today(),
    }
    values.update(overrides)
    return services.agreement_create(**values)


def _ref(agency) -> dict:
    return {"uuid": str(agency.uuid), "name": agency.name, "kind": agency.kind}


def _body(agreement, first, second, **changes) -> dict:
    body = {
        "uuid": str(agreement.uuid),
        "first_agency": _ref(first),
        "second_agency": _ref(second),
        "direction": "both_ways",
        "service_types": ["counselling"],
        "shared_fields": ["age", "full_name", "reason"],
        "response_days": 7,
        "valid_from": clock.today().isoformat(),
        "valid_to": None,
        "status": "draft",
        "status_reason": "",
        "has_mou": False,
    }
    body.update(changes)
    return body


def _without_times(body: dict) -> dict:
    return {key: value for key, value in body.items() if key not in ("created_at", "updated_at")}


def _rows(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return [_without_times(row) for row in response.json()["results"]]


# --- NGO host ------------------------------------------------------------------------------------


def test_an_ngo_reads_only_the_agreements_it_is_party_to(
    network, team_a, team_b, django_assert_max_num_queries
):
    """A sees A-B and A-clinic; B sees A-B only; B cannot retrieve A-clinic (404)."""
    with_b = _draft(network, network.agency_a, network.agency_b)
    with_clinic = _draft(
        network, network.agency_a, network.clinic, service_types=["health"], direction="one_way"
    )
    with django_assert_max_num_queries(10):
        listed = team_a["me"].client().get("/api/v1/agreements/")
    assert sorted(_rows(listed), key=lambda row: row["uuid"]) == sorted(
        [
            _body(with_b, network.agency_a, network.agency_b),
            _body(
                with_clinic,
                network.agency_a,
                network.clinic,
                service_types=["health"],
                direction="one_way",
            ),
        ],
        key=lambda row: row["uuid"],
    )
    assert _rows(team_b["worker"].client().get("/api/v1/agreements/")) == [
        _body(with_b, network.agency_a, network.agency_b)
    ]
    hidden = team_b["worker"].client().get(f"/api/v1/agreements/{with_clinic.uuid}/")
    assert (hidden.status_code, hidden.json()) == (
        404,
        {"code": "not_found", "message": "Agreement not found.", "fields": {}},
    )
    own = team_a["worker"].client().get(f"/api/v1/agreements/{with_clinic.uuid}/")
    assert own.status_code == 200
    assert _without_times(own.json())["first_agency"] == _ref(network.agency_a)


def test_an_ngo_cannot_write_agreements(network, team_a):
    """The NGO host's agreements are read only (405), whatever the role."""
    response = (
        team_a["admin"].client().post("/api/v1/agreements/", {}, content_type="application/json")
    )
    assert (response.status_code, response.json()["code"]) == (405, "method_not_allowed")


# --- Public host ---------------------------------------------------------------------------------


def _create_body(network, **changes) -> dict:
    body = {
        "first_agency": str(network.agency_a.uuid),
        "second_agency": str(network.clinic.uuid),
        "direction": "one_way",
        "service_types": ["health"],
        "shared_fields": ["full_name", "age", "health_notes", "reason"],
        "response_days": 5,
        "valid_from": clock.today().isoformat(),
        "valid_to": (clock.today() + timedelta(days=365)).isoformat(),
    }
    body.update(changes)
    return body


def test_the_coordinator_drafts_activates_and_revokes(network, team_a):
    client = public_client(network.coordinator)
    created = client.post(
        "/api/v1/agreements/", _create_body(network), content_type="application/json"
    )
    assert created.status_code == 201, created.content
    agreement = ReferralAgreement.objects.get(uuid=created.json()["uuid"])
    expected = _body(
        agreement,
        network.agency_a,
        network.clinic,
        direction="one_way",
        service_types=["health"],
        shared_fields=["age", "full_name", "health_notes", "reason"],
        response_days=5,
        valid_to=(clock.today() + timedelta(days=365)).isoformat(),
        consortium="pusat-test",
    )
    assert _without_times(created.json()) == expected

    not_pdf = client.post(
        f"/api/v1/agreements/{agreement.uuid}/activate/",
        {"mou": SimpleUploadedFile("mou.pdf", b"GIF89a")},
    )
    assert (not_pdf.status_code, not_pdf.json()["fields"]) == (
        400,
        {"mou": ["Upload the signed MoU as a PDF."]},
    )
    no_mou = client.post(f"/api/v1/agreements/{agreement.uuid}/activate/", {})
    assert (no_mou.status_code, no_mou.json()["fields"]) == (
        400,
        {"mou": ["Upload the signed MoU before activating the agreement."]},
    )
    agreement.refresh_from_db()
    assert (agreement.status, bool(agreement.mou)) == ("draft", False)

    activated = client.post(
        f"/api/v1/agreements/{agreement.uuid}/activate/",
        {"mou": SimpleUploadedFile("mou.pdf", PDF, content_type="application/pdf")},
    )
    assert activated.status_code == 200, activated.content
    assert _without_times(activated.json()) == {**expected, "status": "active", "has_mou": True}
    agreement.refresh_from_db()
    assert agreement.mou.read() == PDF
    assert [row["uuid"] for row in _rows(team_a["worker"].client().get("/api/v1/agreements/"))] == [
        str(agreement.uuid)
    ]

    again = client.post(
        f"/api/v1/agreements/{agreement.uuid}/activate/",
        {"mou": SimpleUploadedFile("mou.pdf", PDF, content_type="application/pdf")},
    )
    assert again.json() == {
        "code": "invalid_transition",
        "message": "Cannot change status from 'Active' to 'Active'. Allowed: Expired, Revoked.",
        "fields": {"status": ["Allowed next states: Expired, Revoked."]},
    }
    assert again.status_code == 400

    no_reason = client.post(
        f"/api/v1/agreements/{agreement.uuid}/revoke/", {}, content_type="application/json"
    )
    assert (no_reason.status_code, list(no_reason.json()["fields"])) == (400, ["reason"])
    revoked = client.post(
        f"/api/v1/agreements/{agreement.uuid}/revoke/",
        {"reason": "The clinic closed"},
        content_type="application/json",
    )
    assert revoked.status_code == 200
    assert _without_times(revoked.json()) == {
        **expected,
        "status": "revoked",
        "status_reason": "The clinic closed",
        "has_mou": True,
    }


def test_activation_is_a_multipart_upload_only(network):
    """A JSON body to the activation is refused (415) and the draft stays a draft."""
    agreement = _draft(network, network.agency_a, network.agency_b)
    response = public_client(network.coordinator).post(
        f"/api/v1/agreements/{agreement.uuid}/activate/", {}, content_type="application/json"
    )
    assert (response.status_code, response.json()["code"]) == (415, "unsupported_media_type")
    agreement.refresh_from_db()
    assert agreement.status == "draft"


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"second_agency": None}, {"second_agency": ["This field may not be null."]}),
        ({"service_types": []}, {"service_types": ["Choose at least one."]}),
        ({"shared_fields": ["nik"]}, {"shared_fields": ['0: "nik" is not a valid choice.']}),
        (
            {"valid_to": (clock.today() - timedelta(days=1)).isoformat()},
            {"valid_to": ["The end date cannot be before the start date."]},
        ),
        (
            {"first_agency": "00000000-0000-0000-0000-000000000000"},
            {"first_agency": ["Choose an active agency of this consortium."]},
        ),
        (
            {"response_days": 0},
            {"response_days": ["Ensure this value is greater than or equal to 1."]},
        ),
    ],
)
def test_a_bad_agreement_names_its_field(network, change, fields):
    before = ReferralAgreement.objects.count()
    response = public_client(network.coordinator).post(
        "/api/v1/agreements/", _create_body(network, **change), content_type="application/json"
    )
    assert (response.status_code, response.json()["code"], response.json()["fields"]) == (
        400,
        "invalid",
        fields,
    )
    assert ReferralAgreement.objects.count() == before


def test_the_coordinator_lists_and_filters(network, django_assert_max_num_queries):
    draft = _draft(network, network.agency_a, network.agency_b)
    other = _draft(network, network.agency_b, network.clinic, service_types=["health"])
    services.agreement_revoke(actor=network.coordinator, agreement_uuid=other.uuid, reason="x")
    client = public_client(network.coordinator)
    with django_assert_max_num_queries(10):
        every = client.get("/api/v1/agreements/")
    assert sorted(row["uuid"] for row in _rows(every)) == sorted([str(draft.uuid), str(other.uuid)])
    assert [row["uuid"] for row in _rows(client.get("/api/v1/agreements/?status=revoked"))] == [
        str(other.uuid)
    ]
    assert _rows(client.get("/api/v1/agreements/?status=active")) == []
    detail = client.get(f"/api/v1/agreements/{draft.uuid}/")
    assert _without_times(detail.json()) == _body(
        draft, network.agency_a, network.agency_b, consortium="pusat-test"
    )


def test_a_funder_gets_403_and_nothing_changes(network):
    agreement = _draft(network, network.agency_a, network.agency_b)
    client = public_client(network.funder)
    for response in (
        client.get("/api/v1/agreements/"),
        client.get(f"/api/v1/agreements/{agreement.uuid}/"),
        client.post("/api/v1/agreements/", _create_body(network), content_type="application/json"),
        client.post(
            f"/api/v1/agreements/{agreement.uuid}/activate/",
            {"mou": SimpleUploadedFile("mou.pdf", PDF)},
        ),
        client.post(
            f"/api/v1/agreements/{agreement.uuid}/revoke/",
            {"reason": "no"},
            content_type="application/json",
        ),
    ):
        assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    assert list(ReferralAgreement.objects.values_list("uuid", "status", "mou")) == [
        (agreement.uuid, "draft", "")
    ]


def test_another_consortiums_coordinator_sees_and_changes_nothing(network):
    agreement = _draft(network, network.agency_a, network.agency_b)
    client = public_client(network.outsider)
    assert _rows(client.get("/api/v1/agreements/")) == []
    not_found = {"code": "not_found", "message": "Agreement not found.", "fields": {}}
    for response in (
        client.get(f"/api/v1/agreements/{agreement.uuid}/"),
        client.post(
            f"/api/v1/agreements/{agreement.uuid}/activate/",
            {"mou": SimpleUploadedFile("mou.pdf", PDF)},
        ),
        client.post(
            f"/api/v1/agreements/{agreement.uuid}/revoke/",
            {"reason": "mine now"},
            content_type="application/json",
        ),
    ):
        assert (response.status_code, response.json()) == (404, not_found)
    # Its own consortium has none of these agencies: drafting between them names the field.
    created = client.post(
        "/api/v1/agreements/", _create_body(network), content_type="application/json"
    )
    assert (created.status_code, created.json()["fields"]) == (
        400,
        {"first_agency": ["Choose an active agency of this consortium."]},
    )
    assert list(ReferralAgreement.objects.values_list("uuid", "status", "mou")) == [
        (agreement.uuid, "draft", "")
    ]
