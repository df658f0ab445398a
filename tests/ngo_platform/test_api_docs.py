"""OpenAPI schema and docs are served on every host and describe that host's endpoints."""

import pytest

from tests.support import host_client

pytestmark = pytest.mark.django_db


def test_public_schema_describes_provisioning(ngo_a):
    """The public host's schema lists the NGO provisioning endpoints and token login."""
    response = host_client("localhost").get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/ngos/" in paths
    assert "/api/v1/auth/token/" in paths
    assert "post" in paths["/api/v1/ngos/"]


def test_ngo_schema_has_no_platform_endpoints(ngo_a):
    """An NGO host's schema describes its own API and not the operator's endpoints."""
    response = host_client(ngo_a.host).get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/auth/token/" in paths
    assert "/api/v1/ngos/" not in paths


def test_docs_page_uses_vendored_assets(ngo_a):
    """The Swagger UI page loads its scripts from our static files, not a CDN."""
    response = host_client(ngo_a.host).get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    assert "cdn." not in html


@pytest.mark.parametrize("urlconf", ["ngo_platform.urls_ngo", "ngo_platform.urls_public"])
def test_openapi_schema_generates_without_warnings(urlconf, tmp_path):
    """Every endpoint is described: schema generation succeeds with warnings treated as errors."""
    from django.core.management import call_command

    target = tmp_path / "schema.yml"
    call_command("spectacular", "--urlconf", urlconf, "--fail-on-warn", "--file", str(target))
    assert "/api/v1/auth/token/" in target.read_text()


def test_ngo_schema_lists_every_casework_resource(ngo_a):
    """The NGO schema documents each resource the casework API serves."""
    response = host_client(ngo_a.host).get("/api/schema/", HTTP_ACCEPT="application/json")
    paths = response.json()["paths"]
    for path in (
        "/api/v1/children/",
        "/api/v1/cases/",
        "/api/v1/cases/{case_id}/assessments/",
        "/api/v1/cases/{case_id}/plan/",
        "/api/v1/cases/{case_id}/interventions/",
        "/api/v1/cases/{case_id}/followups/",
        "/api/v1/cases/{case_id}/notes/",
        "/api/v1/cases/{case_id}/close/",
        "/api/v1/cases/{case_id}/reopen/",
        "/api/v1/consents/",
        "/api/v1/audit/",
    ):
        assert path in paths, path


def test_ngo_schema_lists_every_network_resource(ngo_a):
    """The NGO schema documents the directory, the NGO's agreements and its referrals."""
    response = host_client(ngo_a.host).get("/api/schema/", HTTP_ACCEPT="application/json")
    paths = response.json()["paths"]
    expected = {
        "/api/v1/directory/": {"get", "post"},
        "/api/v1/directory/{agency_uuid}/": {"get"},
        "/api/v1/agreements/": {"get"},
        "/api/v1/agreements/{agreement_uuid}/": {"get"},
        "/api/v1/referrals/outgoing/": {"get", "post"},
        "/api/v1/referrals/outgoing/options/": {"get"},
        "/api/v1/referrals/outgoing/{referral_uuid}/": {"get"},
        "/api/v1/referrals/outgoing/{referral_uuid}/withdraw/": {"post"},
        "/api/v1/referrals/outgoing/{referral_uuid}/letter/": {"get"},
        "/api/v1/referrals/outgoing/{referral_uuid}/response/": {"post"},
        "/api/v1/referrals/incoming/": {"get"},
        "/api/v1/referrals/incoming/{referral_uuid}/": {"get"},
        "/api/v1/referrals/incoming/{referral_uuid}/accept/": {"post"},
        "/api/v1/referrals/incoming/{referral_uuid}/decline/": {"post"},
        "/api/v1/referrals/incoming/{referral_uuid}/progress/": {"post"},
        "/api/v1/referrals/incoming/{referral_uuid}/complete/": {"post"},
    }
    for path, methods in expected.items():
        assert set(paths[path]) == methods, path


def test_public_schema_lists_the_coordinators_network_resources(ngo_a):
    """The public schema documents the coordinator's directory, agreements and referral
    metadata; the MoU upload is the one multipart body, and no NGO referral route is there."""
    response = host_client("localhost").get("/api/schema/", HTTP_ACCEPT="application/json")
    paths = response.json()["paths"]
    expected = {
        "/api/v1/directory/": {"get", "post"},
        "/api/v1/directory/{agency_uuid}/": {"get", "put"},
        "/api/v1/directory/{agency_uuid}/review/": {"post"},
        "/api/v1/agreements/": {"get", "post"},
        "/api/v1/agreements/{agreement_uuid}/": {"get"},
        "/api/v1/agreements/{agreement_uuid}/activate/": {"post"},
        "/api/v1/agreements/{agreement_uuid}/revoke/": {"post"},
        "/api/v1/referrals/": {"get"},
        "/api/v1/referrals/{referral_uuid}/": {"get"},
    }
    for path, methods in expected.items():
        assert set(paths[path]) == methods, path
    assert not [path for path in paths if "/incoming/" in path or "/outgoing/" in path]
    for path, operations in paths.items():
        if not path.startswith(tuple(p.split("{")[0] for p in expected)):
            continue
        for method, operation in operations.items():
            if "requestBody" in operation:
                formats = sorted(operation["requestBody"]["content"])
                multipart = path == "/api/v1/agreements/{agreement_uuid}/activate/"
                expected_formats = ["multipart/form-data"] if multipart else ["application/json"]
                assert formats == expected_formats, (method, path)


def _ngo_schema(ngo_a) -> dict:
    response = host_client(ngo_a.host).get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return response.json()


def _json_schema(operation: dict, status: str) -> dict:
    return operation["responses"][status]["content"]["application/json"]["schema"]


@pytest.mark.parametrize(
    ("resource", "output", "request_body"),
    [
        ("assessments", "AssessmentOutput", "AssessmentInputRequest"),
        ("interventions", "InterventionOutput", "InterventionInputRequest"),
        ("followups", "FollowUpOutput", "FollowUpInputRequest"),
        ("verifications", "VerificationOutput", "VerificationInputRequest"),
        ("notes", "NoteOutput", "NoteInputRequest"),
    ],
)
def test_nested_case_resources_document_their_own_serializers(
    ngo_a, resource, output, request_body
):
    """Each record list on a case is documented with its own input and output schemas."""
    path = _ngo_schema(ngo_a)["paths"][f"/api/v1/cases/{{case_id}}/{resource}/"]
    assert _json_schema(path["get"], "200") == {
        "type": "array",
        "items": {"$ref": f"#/components/schemas/{output}"},
    }
    assert _json_schema(path["post"], "201") == {"$ref": f"#/components/schemas/{output}"}
    body = path["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": f"#/components/schemas/{request_body}"}


@pytest.mark.parametrize(
    ("path", "item"),
    [
        ("/api/v1/cases/", "CaseList"),
        ("/api/v1/children/", "ChildOutput"),
        ("/api/v1/consents/", "ConsentOutput"),
        ("/api/v1/audit/", "AuditEvent"),
        ("/api/v1/directory/", "AgencyOutput"),
        ("/api/v1/agreements/", "AgreementOutput"),
        ("/api/v1/referrals/outgoing/", "ReferralOutput"),
        ("/api/v1/referrals/incoming/", "ReferralOutput"),
    ],
)
def test_paginated_lists_document_the_cursor_envelope(ngo_a, path, item):
    """Cursor-paginated lists are documented as {next, previous, results} with cursor params."""
    schema = _ngo_schema(ngo_a)
    operation = schema["paths"][path]["get"]
    reference = _json_schema(operation, "200")["$ref"].rsplit("/", 1)[-1]
    envelope = schema["components"]["schemas"][reference]
    assert envelope["required"] == ["next", "previous", "results"]
    assert envelope["properties"]["results"] == {
        "type": "array",
        "items": {"$ref": f"#/components/schemas/{item}"},
    }
    assert envelope["properties"]["next"]["nullable"] is True
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert {"cursor", "page_size"} <= names


def test_every_operation_documents_the_error_body(ngo_a):
    """Every operation's other statuses are documented as {"code", "message", "fields"}."""
    schema = _ngo_schema(ngo_a)
    assert schema["components"]["schemas"]["Error"]["required"] == ["code", "message", "fields"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert _json_schema(operation, "default") == {"$ref": "#/components/schemas/Error"}, (
                method,
                path,
            )


def test_request_bodies_are_documented_in_the_formats_parsed(ngo_a):
    """JSON everywhere; multipart for uploads; token login also takes the HTML form encodings."""
    schema = _ngo_schema(ngo_a)
    form_types = ["application/json", "application/x-www-form-urlencoded", "multipart/form-data"]
    expected = {
        ("post", "/api/v1/auth/token/"): sorted(form_types),
        ("post", "/api/v1/cases/{case_id}/attachments/"): ["multipart/form-data"],
    }
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if "requestBody" in operation:
                formats = sorted(operation["requestBody"]["content"])
                assert formats == expected.get((method, path), ["application/json"]), (method, path)
    download = schema["paths"]["/api/v1/attachments/{attachment_uuid}/"]["get"]
    assert sorted(download["responses"]["200"]["content"]) == [
        "application/pdf",
        "image/jpeg",
        "image/png",
        "image/webp",
    ]
