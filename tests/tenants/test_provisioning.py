"""Provisioning an NGO: schema, host, first admin; all or nothing; slugs checked."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from core.errors import ApplicationError, ConflictError
from tenants import schemas
from tenants.models import NGO, Domain
from tenants.services import ngo_provision, ngo_set_status, slug_validate
from tests.support import host_client

pytestmark = pytest.mark.django_db


def _login(host: str, username: str, password: str):
    client = host_client(host)
    response = client.post(
        "/accounts/login/", {"username": username, "password": password}, follow=False
    )
    return client, response


def test_provisioned_ngo_has_schema_domain_admin_and_settings(ngo_a):
    """A provisioned NGO is ready, routed at its host, and its schema holds its admin."""
    ngo = NGO.objects.get(slug="yayasan-a")
    assert ngo.is_ready is True
    assert ngo.status == NGO.Status.ACTIVE
    assert schema_exists("ngo_yayasan_a")
    assert list(Domain.objects.filter(tenant=ngo).values_list("domain", flat=True)) == [
        "yayasan-a.localhost"
    ]
    with schema_context("ngo_yayasan_a"):
        admins = list(
            get_user_model()
            .objects.filter(is_superuser=True)
            .values_list("username", "is_superuser")
        )
        from casework.models import NGOSettings

        assert NGOSettings.objects.get().ngo_name == "Yayasan Anak Sejahtera"
    assert admins == [("admin@yayasan-a.example.org", True)]
    # The admin exists only in the NGO's schema, never in the public one.
    assert not get_user_model().objects.filter(username="admin@yayasan-a.example.org").exists()


def test_admin_logs_in_on_own_host(ngo_a):
    """The NGO admin's login succeeds on its own host and reaches the NGO's home page."""
    client, response = _login(ngo_a.host, ngo_a.admin_username, ngo_a.admin_password)
    assert response.status_code == 302
    assert response["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert "Yayasan Anak Sejahtera" in home.content.decode()


def test_login_from_ngo_a_rejected_on_ngo_b_and_public(ngo_a, ngo_b):
    """A's admin cannot log in on B's host nor on the public site."""
    for host in (ngo_b.host, "localhost"):
        client, response = _login(host, ngo_a.admin_username, ngo_a.admin_password)
        assert response.status_code == 200, host  # the form is shown again with an error
        assert "_auth_user_id" not in client.session


def test_session_from_ngo_a_is_anonymous_on_ngo_b(ngo_a, ngo_b):
    """A session cookie issued by A's host means nothing on B's host."""
    client, response = _login(ngo_a.host, ngo_a.admin_username, ngo_a.admin_password)
    assert response.status_code == 302
    other = host_client(ngo_b.host)
    other.cookies = client.cookies
    response = other.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_token_is_valid_only_on_issuing_host(ngo_a, ngo_b):
    """POST /api/v1/auth/token/ returns a token that works on its own host and not on B's."""
    client = host_client(ngo_a.host)
    response = client.post(
        "/api/v1/auth/token/",
        {"username": ngo_a.admin_username, "password": ngo_a.admin_password},
    )
    assert response.status_code == 200
    token = response.json()["token"]
    me = host_client(ngo_a.host).get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}")
    assert me.status_code == 200
    assert me.json() == {
        "username": ngo_a.admin_username,
        "space": "yayasan-a",
        "is_admin": True,
    }
    elsewhere = host_client(ngo_b.host).get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}")
    assert elsewhere.status_code == 401
    assert elsewhere.json()["code"] == "authentication_failed"
    public = host_client("localhost").get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}")
    assert public.status_code == 401


def test_token_endpoint_rejects_wrong_password_with_field_format(ngo_a):
    """A wrong password is a 400 in the one error format, not a token."""
    response = host_client(ngo_a.host).post(
        "/api/v1/auth/token/", {"username": ngo_a.admin_username, "password": "nope"}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body) == {"code", "message", "fields"}
    assert "token" not in body


@pytest.mark.parametrize(
    ("slug", "code"),
    [
        ("Yayasan", "slug_invalid"),
        ("has space", "slug_invalid"),
        ("under_score", "slug_invalid"),
        ("-leading", "slug_invalid"),
        ("trailing-", "slug_invalid"),
        ("", "slug_invalid"),
        ("x" * 41, "slug_invalid"),
        ("www", "slug_reserved"),
        ("public", "slug_reserved"),
        ("api", "slug_reserved"),
        ("admin", "slug_reserved"),
    ],
)
def test_bad_slug_is_rejected_with_field_error(consortium, slug, code):
    """Uppercase, spaces, bad characters and reserved words get a clear slug error."""
    before = NGO.objects.count()
    with pytest.raises(ApplicationError) as caught:
        ngo_provision(
            actor=None, consortium=consortium, slug=slug, name="X", admin_email="a@example.org"
        )
    assert caught.value.code == code
    assert list(caught.value.fields) == ["slug"]
    assert NGO.objects.count() == before


def test_slug_validate_accepts_plain_slug():
    """A lowercase slug with digits and inner hyphens is accepted as is."""
    assert slug_validate("lpa-2") == "lpa-2"


def test_duplicate_slug_is_a_conflict(consortium, ngo_a):
    """Provisioning a slug that exists is a 409 conflict that changes nothing."""
    before = NGO.objects.count()
    with pytest.raises(ConflictError) as caught:
        ngo_provision(
            actor=None,
            consortium=consortium,
            slug="yayasan-a",
            name="Again",
            admin_email="b@example.org",
        )
    assert caught.value.code == "slug_taken"
    assert NGO.objects.count() == before


def test_weak_admin_password_is_a_field_error(consortium):
    """A too-weak admin password is reported on its field before anything is created."""
    with pytest.raises(ApplicationError) as caught:
        ngo_provision(
            actor=None,
            consortium=consortium,
            slug="weak-pw",
            name="Weak",
            admin_email="a@example.org",
            admin_password="123",
        )
    assert "admin_password" in caught.value.fields
    assert not NGO.objects.filter(slug="weak-pw").exists()


def test_suspended_ngo_blocks_logins_and_api_at_once(ngo_a):
    """Suspending blocks the login page, token login and token use; reactivating restores it."""
    token_response = host_client(ngo_a.host).post(
        "/api/v1/auth/token/",
        {"username": ngo_a.admin_username, "password": ngo_a.admin_password},
    )
    token = token_response.json()["token"]
    ngo_set_status(actor=None, ngo=NGO.objects.get(slug="yayasan-a"), status=NGO.Status.SUSPENDED)

    client, login = _login(ngo_a.host, ngo_a.admin_username, ngo_a.admin_password)
    assert login.status_code == 403
    assert "suspended" in login.content.decode()
    api = host_client(ngo_a.host).get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}")
    assert api.status_code == 403
    assert api.json()["code"] == "tenant_inactive"
    with schema_context("ngo_yayasan_a"):
        from rest_framework.authtoken.models import Token

        assert not Token.objects.exists()

    ngo_set_status(actor=None, ngo=NGO.objects.get(slug="yayasan-a"), status=NGO.Status.ACTIVE)
    client, login = _login(ngo_a.host, ngo_a.admin_username, ngo_a.admin_password)
    assert login.status_code == 302


def test_archived_ngo_keeps_its_data_and_blocks_staff(ngo_b):
    """Archiving blocks staff but keeps the schema and its rows; only allowed transitions pass."""
    ngo = NGO.objects.get(slug="lembaga-b")
    ngo_set_status(actor=None, ngo=ngo, status=NGO.Status.ARCHIVED)
    response = host_client(ngo_b.host).get("/accounts/login/")
    assert response.status_code == 403
    with schema_context("ngo_lembaga_b"):
        assert get_user_model().objects.filter(username=ngo_b.admin_username).exists()
    with pytest.raises(ApplicationError) as caught:
        ngo_set_status(actor=None, ngo=ngo, status=NGO.Status.SUSPENDED)
    assert caught.value.code == "invalid_transition"
    assert caught.value.allowed == ["active"]
    assert "Allowed: Active." in caught.value.message


def test_unknown_host_is_a_clean_404():
    """A host with no NGO gets the 404 page (HTML) or the JSON error (API), no traceback."""
    response = host_client("nobody.localhost").get("/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "There is no Terpadu space at this address." in body or "Tidak" in body
    assert "Traceback" not in body
    api = host_client("nobody.localhost").get("/api/v1/me/")
    assert api.status_code == 404
    assert api.json()["code"] == "not_found"


def test_template_schema_is_registered_but_never_routed(ngo_a):
    """The template is a registered tenant (so migrate_schemas keeps it current), never ready."""
    template = NGO.objects.get(schema_name="ngo_template")
    assert template.is_template is True
    assert template.is_ready is False
    assert not template.domains.exists()
    assert schema_exists("ngo_template")


def test_unready_tenant_is_not_routed(ngo_a):
    """A tenant whose provisioning has not finished answers 404."""
    NGO.objects.filter(slug="yayasan-a").update(is_ready=False)
    response = host_client(ngo_a.host).get("/accounts/login/")
    assert response.status_code == 404


def test_public_host_serves_landing_page():
    """The base domain is the consortium's landing page with a pointer for NGO staff."""
    response = host_client("localhost").get("/")
    assert response.status_code == 200
    assert ".localhost/" in response.content.decode()


def test_connection_is_back_on_public_after_provisioning(consortium):
    """Provisioning leaves the connection on the public schema."""
    slug_validate("abc")
    assert connection.schema_name == "public"
    assert schemas.quote("ngo_abc") == '"ngo_abc"'


def test_replayed_schema_sequences_continue_where_the_templates_are(consortium):
    """A replayed NGO's sequences start where the template's are (its bookkeeping rows are
    copied with their ids), so the next content type gets a fresh id, not a duplicate."""
    ngo = ngo_provision(
        actor=None,
        consortium=consortium,
        slug="urutan-baru",
        name="Yayasan Urutan",
        admin_email="admin@urutan.example.org",
        method="replay",
    ).ngo
    query = (
        "SELECT c.relname, pg_sequence_last_value(c.oid) FROM pg_class c "
        "WHERE c.relnamespace = %s::regnamespace AND c.relkind = 'S' ORDER BY 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, ["ngo_template"])
        template = {name: value for name, value in cursor.fetchall() if value is not None}
        cursor.execute(query, [ngo.schema_name])
        replayed = dict(cursor.fetchall())
    assert template["django_content_type_id_seq"] > 1
    assert {name: replayed[name] for name in template} == template
    with schema_context(ngo.schema_name):
        from django.contrib.contenttypes.models import ContentType

        created = ContentType.objects.create(app_label="urutan", model="baru")
    assert created.pk == template["django_content_type_id_seq"] + 1
