"""The public-host API that provisions NGOs and changes their status."""

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import schema_exists
from rest_framework.authtoken.models import Token

from tenants.models import NGO
from tests.support import ADMIN_PASSWORD, host_client


def _token_client(username: str, password: str = ADMIN_PASSWORD, host: str = "localhost"):
    response = host_client(host).post(
        "/api/v1/auth/token/", {"username": username, "password": password}
    )
    assert response.status_code == 200, response.content
    return host_client(host, HTTP_AUTHORIZATION=f"Token {response.json()['token']}")


def test_coordinator_provisions_ngo_through_api(consortium, committed_db):
    """A coordinator POSTs an NGO; it is ready at once and its admin can log in on its host."""
    client = _token_client("coordinator@example.org")
    response = client.post(
        "/api/v1/ngos/",
        {
            "consortium": "pusat-test",
            "slug": "api-made",
            "name": "Yayasan Lewat API",
            "admin_email": "Admin@API-made.example.org",
            "region": "Jawa Tengah",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["domain"] == "api-made.localhost"
    assert body["admin_username"] == "admin@api-made.example.org"
    assert len(body["admin_password"]) >= 12
    assert body["ngo"]["status"] == "active"
    assert body["ngo"]["is_ready"] is True
    assert schema_exists("ngo_api_made")
    login = host_client("api-made.localhost").post(
        "/api/v1/auth/token/",
        {"username": body["admin_username"], "password": body["admin_password"]},
    )
    assert login.status_code == 200


@pytest.mark.django_db
def test_bad_input_is_a_400_with_field_messages(consortium):
    """Bad slug and email come back as 400 {"code","message","fields"}; nothing is created."""
    client = _token_client("coordinator@example.org")
    before = NGO.objects.count()
    response = client.post(
        "/api/v1/ngos/",
        {"consortium": "pusat-test", "slug": "Bad Slug", "name": "X", "admin_email": "nope"},
        content_type="application/json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["fields"]) == ["admin_email"]
    response = client.post(
        "/api/v1/ngos/",
        {"consortium": "pusat-test", "slug": "Bad Slug", "name": "X", "admin_email": "a@b.org"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "slug_invalid"
    assert "slug" in response.json()["fields"]
    assert NGO.objects.count() == before


@pytest.mark.django_db
def test_duplicate_slug_via_api_is_409(consortium, ngo_a):
    """A slug in use is a 409 conflict naming the slug field."""
    client = _token_client("coordinator@example.org")
    response = client.post(
        "/api/v1/ngos/",
        {"consortium": "pusat-test", "slug": "yayasan-a", "name": "X", "admin_email": "a@b.org"},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["fields"] == {"slug": ["This slug is already taken."]}


@pytest.mark.django_db
def test_ngo_admin_token_cannot_reach_public_api(ngo_a):
    """An NGO admin has no account on the public host, so the NGO API there is closed."""
    response = host_client("localhost").post(
        "/api/v1/auth/token/",
        {"username": ngo_a.admin_username, "password": ngo_a.admin_password},
    )
    assert response.status_code == 400
    anonymous = host_client("localhost").get("/api/v1/ngos/")
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "not_authenticated"


@pytest.mark.django_db
def test_public_user_without_consortium_is_forbidden(consortium):
    """A public account that coordinates nothing gets 403 and sees no NGO."""
    get_user_model().objects.create_user(username="reader@example.org", password=ADMIN_PASSWORD)
    client = _token_client("reader@example.org")
    response = client.get("/api/v1/ngos/")
    assert response.status_code == 403
    assert set(response.json()) == {"code", "message", "fields"}


@pytest.mark.django_db
def test_coordinator_lists_and_suspends_ngo(consortium, ngo_a, ngo_b):
    """The coordinator sees its NGOs (never the template) and can suspend one."""
    client = _token_client("coordinator@example.org")
    listing = client.get("/api/v1/ngos/")
    assert listing.status_code == 200
    slugs = [row["slug"] for row in listing.json()]
    assert "yayasan-a" in slugs
    assert "lembaga-b" in slugs
    assert "ngo-template" not in slugs
    response = client.post(
        "/api/v1/ngos/yayasan-a/status/", {"status": "suspended"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "suspended"
    blocked = host_client(ngo_a.host).get("/accounts/login/")
    assert blocked.status_code == 403


@pytest.mark.django_db
def test_a_coordinator_cannot_archive_what_only_the_operator_can_restore(consortium, ngo_a):
    """Archiving through the API is the operator's, as in the console (a coordinator could not
    undo it); the refusal speaks the reader's language."""
    client = _token_client("coordinator@example.org")
    refused = client.post(
        "/api/v1/ngos/yayasan-a/status/",
        {"status": "archived"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="id",
    )
    assert refused.status_code == 403
    assert refused.json()["message"].startswith("Hanya operator platform")
    ngo_a.ngo.refresh_from_db()
    assert ngo_a.ngo.status == "active"


@pytest.mark.django_db
def test_unknown_status_is_400_and_tokens_stay_in_their_schema(consortium, ngo_a):
    """An unknown status is a field error; the coordinator's token lives in public only."""
    client = _token_client("coordinator@example.org")
    response = client.post(
        "/api/v1/ngos/yayasan-a/status/", {"status": "deleted"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "status" in response.json()["fields"]
    assert Token.objects.filter(user__username="coordinator@example.org").exists()
