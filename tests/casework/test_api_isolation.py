"""Tenant isolation of the NGO API: NGO B's staff never reach NGO A's data, whatever the id."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context
from rest_framework.authtoken.models import Token

from casework import services
from casework.models import Attachment, Case, Child
from tests.casework.conftest import registration_payload
from tests.support import host_client

pytestmark = pytest.mark.django_db

A_NAME = "Siti Rahayu"
B_NAME = "Rina Wulandari"
A_NIK = "3374015204130001"
INVALID_TOKEN = {"code": "authentication_failed", "message": "Invalid token.", "fields": {}}


def _png() -> bytes:
    """A valid 1x1 grayscale PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )


def _register(schema: str, actor, name: str, *, nik: str = "", consent: bool = True) -> Case:
    """Register a child and open a case through the service, inside `schema`."""
    payload = registration_payload(name, nik=nik, consent=consent)
    consent_input = None
    if consent:
        consent_input = services.ConsentInput(
            **{**payload["consent"], "consented_on": timezone.localdate()}
        )
    with schema_context(schema):
        return services.child_register(
            actor=actor,
            child=services.ChildInput(**payload["child"]),
            household=services.HouseholdInput(**payload["household"]),
            consent=consent_input,
        )


def _align_case_ids(*schemas: str) -> None:
    """Move the case id sequences of `schemas` to the same value: the next cases share an id."""
    with connection.cursor() as cursor:
        sequences = []
        for schema in schemas:
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [f'"{schema}".casework_case'])
            sequences.append(cursor.fetchone()[0])
        current = []
        for sequence in sequences:
            cursor.execute("SELECT nextval(%s)", [sequence])
            current.append(cursor.fetchone()[0])
        for sequence in sequences:
            cursor.execute("SELECT setval(%s, %s)", [sequence, max(current)])


@pytest.fixture
def media_root(settings, tmp_path) -> Path:
    """Uploaded files go to a temporary MEDIA_ROOT (still one folder per schema)."""
    settings.MEDIA_ROOT = str(tmp_path)
    # Re-setting this drops the storage's cached per-tenant root (django-tenants caches it).
    settings.MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"
    return tmp_path


@pytest.fixture
def admin_b_client(ngo_b):
    """A client for NGO B's first admin (the schema's superuser), with a fresh token."""
    with schema_context(ngo_b.ngo.schema_name):
        user = get_user_model().objects.get(username=ngo_b.admin_username)
        token = Token.objects.create(user=user)
    return host_client(ngo_b.host, HTTP_AUTHORIZATION=f"Token {token.key}")


@pytest.fixture
def admin_a_client(ngo_a, team_a):
    """A client for NGO A's admin."""
    return team_a["admin"].client()


def test_b_token_is_rejected_on_a_host(ngo_a, team_a, team_b):
    """B's supervisor token is no credential on A's host: 401 on reads and writes, A unchanged."""
    case = _register(ngo_a.ngo.schema_name, team_a["worker"].user, A_NAME)
    client = host_client(ngo_a.host, HTTP_AUTHORIZATION=f"Token {team_b['supervisor'].token}")
    for path in (
        "/api/v1/cases/",
        f"/api/v1/cases/{case.pk}/",
        "/api/v1/children/",
        "/api/v1/settings/",
    ):
        response = client.get(path)
        assert (response.status_code, response.json()) == (401, INVALID_TOKEN), path
    for path, body in (
        ("/api/v1/children/", registration_payload("Anak Lain")),
        (f"/api/v1/cases/{case.pk}/notes/", {"body": "Catatan dari B"}),
    ):
        response = client.post(path, body, content_type="application/json")
        assert (response.status_code, response.json()) == (401, INVALID_TOKEN), path
    with schema_context(ngo_a.ngo.schema_name):
        assert list(Child.objects.values_list("full_name", flat=True)) == [A_NAME]
        assert Case.objects.get(pk=case.pk).notes.count() == 0


def test_a_token_is_rejected_on_b_host(ngo_b, team_a):
    """A's worker token is no credential on B's host either."""
    client = host_client(ngo_b.host, HTTP_AUTHORIZATION=f"Token {team_a['worker'].token}")
    response = client.get("/api/v1/cases/")
    assert (response.status_code, response.json()) == (401, INVALID_TOKEN)


def test_public_schema_token_is_rejected_on_a_host(consortium, ngo_a):
    """The consortium coordinator's token (public schema) is no credential on an NGO's host."""
    connection.set_schema_to_public()
    coordinator = get_user_model().objects.get(username="coordinator@example.org")
    token = Token.objects.create(user=coordinator)
    client = host_client(ngo_a.host, HTTP_AUTHORIZATION=f"Token {token.key}")
    response = client.get("/api/v1/cases/")
    assert (response.status_code, response.json()) == (401, INVALID_TOKEN)


def test_b_lists_never_contain_a_cases(ngo_a, ngo_b, team_a, team_b):
    """B's supervisor lists only B's cases, children and consents: none of A's."""
    a_case = _register(ngo_a.ngo.schema_name, team_a["worker"].user, A_NAME)
    b_case = _register(ngo_b.ngo.schema_name, team_b["worker"].user, B_NAME)
    client = team_b["supervisor"].client()

    cases = client.get("/api/v1/cases/").json()["results"]
    assert [(row["uuid"], row["child"]["full_name"]) for row in cases] == [
        (str(b_case.uuid), B_NAME)
    ]
    children = client.get("/api/v1/children/").json()["results"]
    assert [(row["uuid"], row["full_name"]) for row in children] == [
        (str(b_case.child.uuid), B_NAME)
    ]
    consents = client.get("/api/v1/consents/").json()["results"]
    assert [row["child"] for row in consents] == [b_case.child_id]
    searched = client.get("/api/v1/cases/", {"search": "Siti"}).json()["results"]
    assert searched == []
    with schema_context(ngo_a.ngo.schema_name):
        assert Case.objects.filter(uuid=a_case.uuid).exists()


def test_same_case_id_shows_each_ngo_its_own_child(ngo_a, ngo_b, team_a, team_b):
    """With the same case id in A and B, B's host answers with B's child; A's other ids are 404."""
    a_schema, b_schema = ngo_a.ngo.schema_name, ngo_b.ngo.schema_name
    _align_case_ids(a_schema, b_schema)
    a_case = _register(a_schema, team_a["worker"].user, A_NAME)
    b_case = _register(b_schema, team_b["worker"].user, B_NAME)
    a_only = _register(a_schema, team_a["worker"].user, "Ahmad Fauzi")
    assert a_case.pk == b_case.pk

    b_client = team_b["supervisor"].client()
    response = b_client.get(f"/api/v1/cases/{a_case.pk}/")
    body = response.json()
    assert response.status_code == 200
    assert (body["uuid"], body["reference"], body["child"]["full_name"]) == (
        str(b_case.uuid),
        b_case.reference,
        B_NAME,
    )
    assert A_NAME.encode() not in response.content
    a_response = team_a["supervisor"].client().get(f"/api/v1/cases/{a_case.pk}/")
    assert (a_response.json()["uuid"], a_response.json()["child"]["full_name"]) == (
        str(a_case.uuid),
        A_NAME,
    )

    for path in (f"/api/v1/cases/{a_only.pk}/", f"/api/v1/cases/{a_only.pk}/notes/"):
        hidden = b_client.get(path)
        assert (hidden.status_code, hidden.json()) == (
            404,
            {"code": "not_found", "message": "Case not found.", "fields": {}},
        )
    hidden_child = b_client.get(f"/api/v1/children/{a_only.child_id}/")
    assert (hidden_child.status_code, hidden_child.json()["message"]) == (404, "Child not found.")


def test_duplicate_check_in_b_does_not_find_a_children(ngo_a, team_a, team_b):
    """The duplicate check in B never matches A's children, even on the same name and NIK."""
    _register(ngo_a.ngo.schema_name, team_a["worker"].user, A_NAME, nik=A_NIK)
    query = {"full_name": A_NAME, "birth_year": 2013, "nik": A_NIK, "village": "Tanjung Mas"}

    in_b = team_b["worker"].client().get("/api/v1/children/duplicates/", query)
    in_a = team_a["worker"].client().get("/api/v1/children/duplicates/", query)

    assert (in_b.status_code, in_b.json()) == (200, [])
    assert [(row["child"]["full_name"], row["reasons"]) for row in in_a.json()] == [
        (A_NAME, ["nik", "name", "birth_year", "village"])
    ]


def test_audit_events_of_a_never_appear_in_b(ngo_a, team_a, admin_a_client, admin_b_client):
    """Events written in A (registration, a view) are listed in A's audit and never in B's."""
    case = _register(ngo_a.ngo.schema_name, team_a["worker"].user, A_NAME)
    assert team_a["supervisor"].client().get(f"/api/v1/cases/{case.pk}/").status_code == 200

    in_a = admin_a_client.get("/api/v1/audit/", {"case": case.pk}).json()["results"]
    assert [(row["actor_username"], row["action"], row["object_type"]) for row in in_a] == [
        ("supervisor-a", "view", "child"),
        ("worker-a", "transition", "case"),
        ("worker-a", "create", "case"),
        ("worker-a", "create", "household"),
        ("worker-a", "create", "child"),
    ]

    for params in ({}, {"actor": "worker-a"}, {"actor": "supervisor-a"}):
        response = admin_b_client.get("/api/v1/audit/", params)
        assert response.status_code == 200
        assert not any(
            row["actor_username"] in ("worker-a", "supervisor-a")
            for row in response.json()["results"]
        )
        assert A_NAME.encode() not in response.content
    filtered = admin_b_client.get("/api/v1/audit/", {"actor": "worker-a"}).json()
    assert filtered["results"] == []


def test_attachment_stays_in_a_schema_folder_and_b_cannot_download_it(
    ngo_a, ngo_b, team_a, team_b, admin_b_client, media_root
):
    """A's upload is stored under A's schema folder; B's staff get 404 for its uuid."""
    png = _png()
    case = _register(ngo_a.ngo.schema_name, team_a["worker"].user, A_NAME)
    worker = team_a["worker"].client()
    upload = worker.post(
        f"/api/v1/cases/{case.pk}/attachments/",
        {"kind": "document", "file": SimpleUploadedFile("kartu.png", png)},
    )
    assert upload.status_code == 201, upload.content
    attachment_uuid = upload.json()["uuid"]
    assert (upload.json()["content_type"], upload.json()["size"]) == ("image/png", len(png))
    with schema_context(ngo_a.ngo.schema_name):
        stored = Path(Attachment.objects.get(uuid=attachment_uuid).file.path)
    assert stored == media_root / ngo_a.ngo.schema_name / "attachments" / attachment_uuid / (
        "kartu.png"
    )
    assert stored.read_bytes() == png

    own = worker.get(f"/api/v1/attachments/{attachment_uuid}/")
    assert (own.status_code, b"".join(own.streaming_content)) == (200, png)
    for client in (team_b["supervisor"].client(), team_b["worker"].client(), admin_b_client):
        response = client.get(f"/api/v1/attachments/{attachment_uuid}/")
        assert (response.status_code, response.json()) == (
            404,
            {"code": "not_found", "message": "File not found.", "fields": {}},
        )
    with schema_context(ngo_b.ngo.schema_name):
        assert not Attachment.objects.filter(uuid=attachment_uuid).exists()
    assert not (media_root / ngo_b.ngo.schema_name).exists()


def test_case_list_queries_do_not_grow_with_page_size(ngo_a, team_a, django_assert_max_num_queries):
    """The case list makes the same, bounded number of queries for 5 or 50 cases a page."""
    schema = ngo_a.ngo.schema_name
    supervisor = team_a["supervisor"].user
    worker = team_a["worker"].user
    with schema_context(schema):
        for number in range(60):
            services.child_register(
                actor=supervisor,
                child=services.ChildInput(
                    full_name=f"Anak {number:02d}",
                    sex="male",
                    school_status="in_school",
                    birth_year=2012,
                ),
                household=services.HouseholdInput(
                    guardian_name="Ibu", guardian_relationship="mother"
                ),
                assigned_worker=worker,
            )

    for actor in ("supervisor", "worker", "me"):
        client = team_a[actor].client()
        statements = {}
        for page_size in (5, 50):
            with CaptureQueriesContext(connection) as queries:
                response = client.get("/api/v1/cases/", {"page_size": page_size})
            assert len(response.json()["results"]) == page_size
            # Domain lookup, token with its account and staff profile, one page of cases with
            # child and worker joined; the search path is set once per schema (public, NGO).
            statements[page_size] = [
                query["sql"].split(" FROM ")[1].split(" ")[0]
                for query in queries.captured_queries
                if not query["sql"].startswith("SET search_path")
            ]
        assert (
            statements[5]
            == statements[50]
            == [
                '"tenants_domain"',
                '"authtoken_token"',
                '"casework_case"',
            ]
        ), actor
        with django_assert_max_num_queries(5):
            client.get("/api/v1/cases/", {"page_size": 50})
