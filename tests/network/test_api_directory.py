"""The agency directory API: NGO staff read it and propose additions on their NGO's host; the
coordinator manages it on the public host (create, correct, deactivate, review proposals)."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from network import services
from network.models import Agency
from tests.network.conftest import public_client

pytestmark = pytest.mark.django_db

CLINIC_BODY_KEYS = [
    "uuid",
    "kind",
    "name",
    "is_partner",
    "service_types",
    "province_codes",
    "regency_codes",
    "contact_name",
    "phone",
    "email",
    "address",
    "status",
]
PROPOSAL = {
    "kind": "legal_aid",
    "name": "LBH Semarang",
    "service_types": ["advocacy_legal"],
    "province_codes": ["33"],
    "regency_codes": [],
    "contact_name": "Bu Rina",
    "phone": "+62 24 555 0101",
    "email": "rina@lbh.example.org",
    "address": "Jl. Pemuda 1, Semarang",
}


def _clinic_body(clinic) -> dict:
    return {
        "uuid": str(clinic.uuid),
        "kind": "puskesmas",
        "name": "Puskesmas Bandarharjo",
        "is_partner": False,
        "service_types": ["health"],
        "province_codes": ["33"],
        "regency_codes": [],
        "contact_name": "dr. Wulan",
        "phone": "+62 24 3541234",
        "email": "",
        "address": "",
        "status": "approved",
    }


def _names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["results"]]


def _other_consortium_agency(network) -> Agency:
    connection.set_schema_to_public()
    return services.agency_create(
        actor=network.outsider,
        consortium=network.outsider.consortium_memberships.get().consortium,
        data=services.AgencyInput(kind="school", name="SD Lain", service_types=["school_return"]),
    )


# --- NGO host ------------------------------------------------------------------------------------


def test_ngo_staff_list_the_directory_alphabetically(
    network, team_a, django_assert_max_num_queries
):
    """Every approved, active agency of the NGO's consortium, by name, in exact form; the list
    costs a fixed number of queries."""
    client = team_a["worker"].client()
    with django_assert_max_num_queries(10):
        response = client.get("/api/v1/directory/")
    assert _names(response) == [
        "Lembaga Peduli Anak",
        "Puskesmas Bandarharjo",
        "Yayasan Anak Sejahtera",
    ]
    body = response.json()
    assert (body["next"], body["previous"]) == (None, None)
    assert body["results"][1] == _clinic_body(network.clinic)
    assert list(body["results"][1]) == CLINIC_BODY_KEYS
    partner = body["results"][0]
    assert (partner["uuid"], partner["kind"], partner["is_partner"]) == (
        str(network.agency_b.uuid),
        "partner_ngo",
        True,
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("service_type=health", ["Puskesmas Bandarharjo"]),
        ("service_type=counselling", ["Lembaga Peduli Anak", "Yayasan Anak Sejahtera"]),
        (
            "region=33.74",
            ["Lembaga Peduli Anak", "Puskesmas Bandarharjo", "Yayasan Anak Sejahtera"],
        ),
        ("region=31", ["Yayasan Anak Sejahtera"]),
        ("region=33.01", ["Puskesmas Bandarharjo", "Yayasan Anak Sejahtera"]),
        ("service_type=vocational&region=33.74", ["Lembaga Peduli Anak"]),
        ("search=puskesmas", ["Puskesmas Bandarharjo"]),
        ("region=99.99", []),
    ],
)
def test_directory_filters(network, team_a, query, expected):
    """service_type and region (a province or regency code; an agency listing no region serves
    everywhere) narrow the directory; a region nobody serves matches nothing."""
    assert _names(team_a["worker"].client().get(f"/api/v1/directory/?{query}")) == expected


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("service_type=magic", "service_type"),
        ("service_type=health,education", "service_type"),
        ("region=Semarang", "region"),
        ("region=33.7", "region"),
        ("search=" + "x" * 101, "search"),
        ("page_size=true", "page_size"),
        ("page_size=0", "page_size"),
        ("page_size=201", "page_size"),
        ("page_size=%C2%B2", "page_size"),
        ("page_size=" + "9" * 5000, "page_size"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(network, team_a, query, field):
    """A filter value the list cannot use is refused with the parameter's name, never
    silently dropped (which would answer a different question with a 200)."""
    response = team_a["worker"].client().get(f"/api/v1/directory/?{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["fields"]) == [field]


def test_another_consortiums_agency_is_invisible(network, team_a):
    """Another consortium's agency is neither listed nor retrievable (404 like a missing one)."""
    school = _other_consortium_agency(network)
    client = team_a["admin"].client()
    assert "SD Lain" not in _names(client.get("/api/v1/directory/"))
    hidden = client.get(f"/api/v1/directory/{school.uuid}/")
    missing = client.get("/api/v1/directory/00000000-0000-0000-0000-000000000000/")
    assert hidden.status_code == missing.status_code == 404
    assert (
        hidden.json()
        == missing.json()
        == {"code": "not_found", "message": "Agency not found.", "fields": {}}
    )


def test_retrieve_an_agency(network, team_a):
    response = team_a["me"].client().get(f"/api/v1/directory/{network.clinic.uuid}/")
    assert (response.status_code, response.json()) == (200, _clinic_body(network.clinic))


def test_a_worker_proposes_an_agency(network, team_a, team_b):
    """A proposal is stored as proposed, named after its NGO and proposer, kept out of the
    directory until approved, and readable by its own NGO only."""
    response = (
        team_a["worker"]
        .client()
        .post("/api/v1/directory/", PROPOSAL, content_type="application/json")
    )
    assert response.status_code == 201, response.content
    body = response.json()
    agency = Agency.objects.get(uuid=body["uuid"])
    assert body == {
        **PROPOSAL,
        "uuid": str(agency.uuid),
        "is_partner": False,
        "status": "proposed",
    }
    assert (agency.status, agency.proposed_by_id, agency.proposed_by_name) == (
        "proposed",
        network.agency_a.pk,
        "worker-a",
    )
    assert "LBH Semarang" not in _names(team_a["worker"].client().get("/api/v1/directory/"))
    assert team_a["worker"].client().get(f"/api/v1/directory/{agency.uuid}/").status_code == 200
    other = team_b["worker"].client().get(f"/api/v1/directory/{agency.uuid}/")
    assert (other.status_code, other.json()["code"]) == (404, "not_found")


def test_the_me_officer_cannot_propose(network, team_a):
    """The M&E officer reads the directory but proposes nothing (403, nothing stored)."""
    before = Agency.objects.count()
    response = (
        team_a["me"].client().post("/api/v1/directory/", PROPOSAL, content_type="application/json")
    )
    assert (response.status_code, response.json()) == (
        403,
        {
            "code": "permission_denied",
            "message": "You do not have permission to do this.",
            "fields": {},
        },
    )
    assert Agency.objects.count() == before


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            {"kind": "partner_ngo"},
            "kind",
            "Choose the kind of agency (partner NGOs join through onboarding).",
        ),
        ({"service_types": []}, "service_types", "Choose at least one."),
        ({"province_codes": ["77"]}, "province_codes", "Unknown province code: 77."),
        (
            {"phone": "call me"},
            "phone",
            "Digits, spaces, brackets and dashes only, e.g. +62 24 123456.",
        ),
        ({"name": "x" * 201}, "name", "At most 200 characters."),
    ],
)
def test_a_bad_proposal_names_its_field(network, team_a, change, field, message):
    before = Agency.objects.count()
    response = (
        team_a["worker"]
        .client()
        .post("/api/v1/directory/", {**PROPOSAL, **change}, content_type="application/json")
    )
    assert response.status_code == 400, response.content
    body = response.json()
    assert (body["code"], body["fields"]) == ("invalid", {field: [message]})
    assert Agency.objects.count() == before


def test_an_invalid_email_is_a_field_error(network, team_a):
    response = (
        team_a["worker"]
        .client()
        .post(
            "/api/v1/directory/",
            {**PROPOSAL, "email": "not-an-address"},
            content_type="application/json",
        )
    )
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["email"]


# --- Public host (coordinator) -------------------------------------------------------------------


def test_the_coordinator_lists_with_review_details(network, django_assert_max_num_queries):
    client = public_client(network.coordinator)
    with django_assert_max_num_queries(10):
        response = client.get("/api/v1/directory/")
    assert _names(response) == [
        "Lembaga Peduli Anak",
        "Puskesmas Bandarharjo",
        "Yayasan Anak Sejahtera",
    ]
    clinic = response.json()["results"][1]
    assert clinic == {
        **_clinic_body(network.clinic),
        "is_active": True,
        "consortium": "pusat-test",
        "ngo": None,
        "proposed_by": None,
        "proposed_by_name": "",
        "review_comment": "",
        "created_at": clinic["created_at"],
        "updated_at": clinic["updated_at"],
    }
    assert response.json()["results"][0]["ngo"] == "lembaga-b"


def test_the_coordinator_creates_corrects_and_deactivates(network, team_a):
    client = public_client(network.coordinator)
    created = client.post("/api/v1/directory/", PROPOSAL, content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["status"], body["consortium"], body["is_active"], body["proposed_by"]) == (
        "approved",
        "pusat-test",
        True,
        None,
    )
    uuid = body["uuid"]
    assert "LBH Semarang" in _names(team_a["worker"].client().get("/api/v1/directory/"))

    changed = client.put(
        f"/api/v1/directory/{uuid}/",
        {**PROPOSAL, "phone": "+62 24 555 0199", "is_active": False},
        content_type="application/json",
    )
    assert changed.status_code == 200, changed.content
    assert (changed.json()["phone"], changed.json()["is_active"]) == ("+62 24 555 0199", False)
    assert "LBH Semarang" not in _names(team_a["worker"].client().get("/api/v1/directory/"))
    assert _names(client.get("/api/v1/directory/?search=LBH")) == []
    assert _names(client.get("/api/v1/directory/?search=LBH&include_inactive=1")) == [
        "LBH Semarang"
    ]


def test_a_partner_ngo_keeps_its_name(network):
    """Correcting a partner NGO's entry changes its services, not the name its tenant gives it."""
    response = public_client(network.coordinator).put(
        f"/api/v1/directory/{network.agency_b.uuid}/",
        {**PROPOSAL, "name": "Renamed", "service_types": ["counselling"]},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["name"], body["kind"], body["service_types"]) == (
        "Lembaga Peduli Anak",
        "partner_ngo",
        ["counselling"],
    )


def test_the_coordinator_reviews_proposals(network, team_a):
    """status=proposed lists proposals; approving puts one in the directory; a rejection needs
    a reason; a reviewed entry cannot be reviewed again (400 naming no allowed state)."""
    proposed = (
        team_a["worker"]
        .client()
        .post("/api/v1/directory/", PROPOSAL, content_type="application/json")
    )
    uuid = proposed.json()["uuid"]
    client = public_client(network.coordinator)
    listed = client.get("/api/v1/directory/?status=proposed").json()["results"]
    assert [
        (row["name"], row["proposed_by"]["name"], row["proposed_by_name"]) for row in listed
    ] == [("LBH Semarang", "Yayasan Anak Sejahtera", "worker-a")]
    refused = client.post(
        f"/api/v1/directory/{uuid}/review/", {"approve": False}, content_type="application/json"
    )
    assert refused.status_code == 400
    assert refused.json()["fields"] == {"comment": ["Say why the proposal is rejected."]}
    approved = client.post(
        f"/api/v1/directory/{uuid}/review/", {"approve": True}, content_type="application/json"
    )
    assert (approved.status_code, approved.json()["status"]) == (200, "approved")
    assert "LBH Semarang" in _names(team_a["worker"].client().get("/api/v1/directory/"))
    again = client.post(
        f"/api/v1/directory/{uuid}/review/", {"approve": True}, content_type="application/json"
    )
    assert again.status_code == 400
    assert again.json() == {
        "code": "invalid_transition",
        "message": "Cannot change status from 'Approved' to 'Approved'. Allowed: none.",
        "fields": {"status": ["Allowed next states: none."]},
    }


def test_a_funder_gets_403_and_nothing_changes(network):
    client = public_client(network.funder)
    before = list(Agency.objects.order_by("pk").values_list("pk", "phone", "status", "is_active"))
    denied = {
        "code": "permission_denied",
        "message": "Only the consortium's coordinators can do this.",
        "fields": {},
    }
    for response in (
        client.get("/api/v1/directory/"),
        client.get(f"/api/v1/directory/{network.clinic.uuid}/"),
        client.post("/api/v1/directory/", PROPOSAL, content_type="application/json"),
        client.put(
            f"/api/v1/directory/{network.clinic.uuid}/", PROPOSAL, content_type="application/json"
        ),
        client.post(
            f"/api/v1/directory/{network.clinic.uuid}/review/",
            {"approve": True},
            content_type="application/json",
        ),
    ):
        assert (response.status_code, response.json()) == (403, denied)
    assert (
        list(Agency.objects.order_by("pk").values_list("pk", "phone", "status", "is_active"))
        == before
    )


def test_anonymous_gets_401(network):
    response = public_client(None).get("/api/v1/directory/")
    assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")


def test_another_consortiums_coordinator_sees_and_changes_nothing(network):
    """The outsider lists their own consortium only; this consortium's entries answer 404."""
    client = public_client(network.outsider)
    assert _names(client.get("/api/v1/directory/")) == []
    before = list(Agency.objects.order_by("pk").values_list("pk", "phone", "status", "is_active"))
    not_found = {"code": "not_found", "message": "Agency not found.", "fields": {}}
    for response in (
        client.get(f"/api/v1/directory/{network.clinic.uuid}/"),
        client.put(
            f"/api/v1/directory/{network.clinic.uuid}/", PROPOSAL, content_type="application/json"
        ),
        client.post(
            f"/api/v1/directory/{network.clinic.uuid}/review/",
            {"approve": True},
            content_type="application/json",
        ),
    ):
        assert (response.status_code, response.json()) == (404, not_found)
    named = client.get("/api/v1/directory/?consortium=pusat-test")
    assert (named.status_code, named.json()) == (
        404,
        {"code": "not_found", "message": "Consortium not found.", "fields": {}},
    )
    assert (
        list(Agency.objects.order_by("pk").values_list("pk", "phone", "status", "is_active"))
        == before
    )


def test_the_operator_names_the_consortium(network):
    """The operator coordinates every consortium: without a slug the request names its field."""
    operator = get_user_model().objects.create_superuser(
        username="operator-net@example.org", password="x-Operator-1!"
    )
    client = public_client(operator)
    response = client.get("/api/v1/directory/")
    assert (response.status_code, response.json()) == (
        400,
        {
            "code": "invalid",
            "message": "Choose the consortium (its slug).",
            "fields": {"consortium": ["Choose the consortium (its slug)."]},
        },
    )
    assert _names(client.get("/api/v1/directory/?consortium=pusat-test")) == [
        "Lembaga Peduli Anak",
        "Puskesmas Bandarharjo",
        "Yayasan Anak Sejahtera",
    ]
