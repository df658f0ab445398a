"""The platform audit trail (public schema): every tenancy write names its actor, the trail is
append-only and the operator console shows it read-only."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django_tenants.utils import schema_context
from rest_framework.authtoken.models import Token

from tenants.models import NGO, Consortium, PlatformAuditEvent
from tenants.services import consortium_create, ngo_set_status
from tests.support import ADMIN_PASSWORD, host_client


@pytest.fixture
def mark():
    """The last platform audit id before the test: events after it are the test's own."""
    connection.set_schema_to_public()
    return PlatformAuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _events(mark, **filters):
    return list(PlatformAuditEvent.objects.filter(id__gt=mark, **filters).order_by("id"))


@pytest.fixture
def operator():
    user = get_user_model().objects.create_superuser(
        username="operator@example.org", email="operator@example.org", password=ADMIN_PASSWORD
    )
    client = host_client("localhost")
    client.force_login(user)
    return user, client


@pytest.mark.django_db
def test_suspending_an_ngo_through_the_api_is_audited_with_its_revocations(consortium, ngo_a, mark):
    """The coordinator's suspension is a 'transition' event naming them, the status change and
    how many tokens and sessions of the NGO were revoked."""
    with schema_context(ngo_a.ngo.schema_name):
        admin = get_user_model().objects.get(username=ngo_a.admin_username)
        Token.objects.get_or_create(user=admin)
        tokens = Token.objects.count()
        # Live-server and browser tests commit their logins' sessions: count what is there.
        sessions = Session.objects.count()
    login = host_client("localhost").post(
        "/api/v1/auth/token/", {"username": "coordinator@example.org", "password": ADMIN_PASSWORD}
    )
    client = host_client("localhost", HTTP_AUTHORIZATION=f"Token {login.json()['token']}")
    start = PlatformAuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = client.post(
        "/api/v1/ngos/yayasan-a/status/",
        {"status": "suspended"},
        content_type="application/json",
        REMOTE_ADDR="10.1.2.3",
    )
    assert response.status_code == 200
    [event] = _events(start)
    coordinator = get_user_model().objects.get(username="coordinator@example.org")
    assert (event.actor_id, event.actor_username, event.action) == (
        coordinator.pk,
        "coordinator@example.org",
        "transition",
    )
    assert (event.object_type, event.object_id) == ("ngo", str(ngo_a.ngo.pk))
    assert event.changed_fields["status"] == ["active", "suspended"]
    assert set(event.changed_fields) == {"status", "status_changed_at"}
    assert event.details == {"revoked_tokens": tokens, "revoked_sessions": sessions}
    assert event.ip_address == "10.1.2.3"


@pytest.mark.django_db
def test_reactivation_by_a_command_or_seed_is_recorded_as_system(ngo_a, mark):
    """actor=None (commands, seeding) is recorded as 'system', with no revocation counts."""
    ngo = NGO.objects.get(slug="yayasan-a")
    ngo_set_status(actor=None, ngo=ngo, status=NGO.Status.SUSPENDED)
    ngo_set_status(actor="system", ngo=ngo, status=NGO.Status.ACTIVE)
    suspend, reactivate = _events(mark)
    assert [(e.actor_id, e.actor_username, e.action) for e in (suspend, reactivate)] == [
        (None, "system", "transition"),
        (None, "system", "transition"),
    ]
    assert reactivate.changed_fields["status"] == ["suspended", "active"]
    assert reactivate.details == {}


@pytest.mark.django_db
def test_unchanged_status_writes_no_event(ngo_a, mark):
    """Setting the status an NGO already has changes nothing and records nothing."""
    ngo_set_status(actor=None, ngo=NGO.objects.get(slug="yayasan-a"), status=NGO.Status.ACTIVE)
    assert _events(mark) == []


@pytest.mark.django_db
def test_consortium_create_records_consortium_account_and_membership(operator, mark):
    """Creating a consortium records the consortium, the new coordinator account (never its
    password) and the membership, each by the acting operator."""
    user, _client = operator
    consortium, _password = consortium_create(
        actor=user,
        slug="pusat-audit",
        name="Pusat Audit",
        coordinator_email="koordinator@audit.example.org",
        coordinator_password=ADMIN_PASSWORD,
    )
    events = _events(mark)
    assert [(e.actor_username, e.action, e.object_type) for e in events] == [
        ("operator@example.org", "create", "consortium"),
        ("operator@example.org", "create", "user"),
        ("operator@example.org", "create", "consortiummembership"),
    ]
    assert events[0].object_id == str(consortium.pk)
    assert events[0].changed_fields["slug"] == [None, "pusat-audit"]
    assert events[1].changed_fields == {"username": [None, "koordinator@audit.example.org"]}
    assert events[2].changed_fields["role"] == [None, "coordinator"]
    assert ADMIN_PASSWORD not in str([(e.changed_fields, e.details) for e in events])


@pytest.mark.django_db
def test_create_consortium_command_resets_an_existing_password_as_system(consortium, mark):
    """The command passes no actor: 'system'; an existing coordinator's new password is a
    'password_change' event without the value."""
    call_command(
        "create_consortium",
        "--slug",
        "pusat-dua",
        "--name",
        "Pusat Dua",
        "--coordinator-email",
        "coordinator@example.org",
        "--coordinator-password",
        "Lain-Sekali-2026!",
    )
    events = _events(mark)
    assert [(e.actor_username, e.action, e.object_type) for e in events] == [
        ("system", "create", "consortium"),
        ("system", "password_change", "user"),
        ("system", "create", "consortiummembership"),
    ]
    assert events[1].changed_fields == {"password": ["<redacted>", "<redacted>"]}
    assert Consortium.objects.filter(slug="pusat-dua").exists()


def test_ngo_provisioning_is_audited(consortium, committed_db):
    """Provisioning through the API records the new NGO by the coordinator, with its host."""
    start = PlatformAuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    login = host_client("localhost").post(
        "/api/v1/auth/token/", {"username": "coordinator@example.org", "password": ADMIN_PASSWORD}
    )
    client = host_client("localhost", HTTP_AUTHORIZATION=f"Token {login.json()['token']}")
    response = client.post(
        "/api/v1/ngos/",
        {
            "consortium": "pusat-test",
            "slug": "audit-made",
            "name": "Yayasan Diaudit",
            "admin_email": "admin@audit-made.example.org",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    [event] = _events(start)
    ngo = NGO.objects.get(slug="audit-made")
    assert (event.actor_username, event.action, event.object_type, event.object_id) == (
        "coordinator@example.org",
        "create",
        "ngo",
        str(ngo.pk),
    )
    assert event.changed_fields["schema_name"] == [None, "ngo_audit_made"]
    assert event.changed_fields["status"] == [None, "active"]
    assert event.details == {
        "domain": "audit-made.localhost",
        "admin_username": "admin@audit-made.example.org",
        "method": "replay",
    }


@pytest.mark.django_db
def test_failed_provisioning_leaves_no_event(consortium, mark):
    """A refused provisioning (duplicate slug) records nothing: the event commits with the NGO."""
    from core.errors import ConflictError
    from tenants.services import ngo_provision

    with pytest.raises(ConflictError):
        ngo_provision(
            actor=None,
            consortium=consortium,
            slug="yayasan-a",
            name="Again",
            admin_email="a@example.org",
        )
    assert _events(mark) == []


@pytest.mark.django_db
def test_operator_console_changes_are_audited(operator, ngo_a, mark):
    """Editing an NGO in the operator console is an 'update' event by the operator."""
    user, client = operator
    ngo = NGO.objects.get(slug="yayasan-a")
    response = client.post(
        f"/admin/tenants/ngo/{ngo.pk}/change/",
        {
            "name": ngo.name,
            "consortium": ngo.consortium_id,
            "contact_name": "Bu Ratna",
            "contact_email": ngo.contact_email,
            "contact_phone": "",
            "region": "Jawa Tengah",
            "domains-TOTAL_FORMS": "0",
            "domains-INITIAL_FORMS": "0",
            "domains-MIN_NUM_FORMS": "0",
            "domains-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    [event] = _events(mark)
    assert (event.actor_id, event.action, event.object_type) == (user.pk, "update", "ngo")
    assert event.changed_fields == {
        "contact_name": [ngo.contact_name, "Bu Ratna"],
        "region": [ngo.region, "Jawa Tengah"],
    }
    assert event.details == {"via": "admin"}


@pytest.mark.django_db
def test_operator_trail_is_read_only_in_the_console(operator, ngo_a, mark):
    """The operator sees the platform trail and cannot add, change or delete an event."""
    _user, client = operator
    ngo_set_status(actor=None, ngo=NGO.objects.get(slug="yayasan-a"), status="suspended")
    [event] = _events(mark)
    listing = client.get("/admin/tenants/platformauditevent/")
    assert listing.status_code == 200
    assert "transition" in listing.content.decode()
    assert client.get("/admin/tenants/platformauditevent/add/").status_code == 403
    detail = client.get(f"/admin/tenants/platformauditevent/{event.pk}/change/")
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()
    delete = client.post(f"/admin/tenants/platformauditevent/{event.pk}/delete/", {"post": "yes"})
    assert delete.status_code == 403
    assert PlatformAuditEvent.objects.filter(pk=event.pk).exists()


REFUSED = "audit events cannot be changed or deleted"


@pytest.mark.django_db
@pytest.mark.parametrize("statement", ["UPDATE", "DELETE"])
def test_platform_audit_rows_cannot_be_changed_or_deleted(ngo_a, mark, statement):
    """The database trigger refuses UPDATE and DELETE on the platform trail."""
    ngo_set_status(actor=None, ngo=NGO.objects.get(slug="yayasan-a"), status="suspended")
    [event] = _events(mark)
    sql = {
        "UPDATE": "UPDATE tenants_platformauditevent SET actor_username = 'x' WHERE id = %s",
        "DELETE": "DELETE FROM tenants_platformauditevent WHERE id = %s",
    }[statement]
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])
    assert PlatformAuditEvent.objects.get(pk=event.pk).actor_username == "system"


@pytest.mark.django_db
def test_operator_password_changes_are_audited(operator, mark):
    """The operator's own password change and a password set for another account are
    'password_change' events, without the value."""
    user, client = operator
    coordinator = get_user_model().objects.create_user(username="c2@example.org")
    own = client.post(
        "/admin/password_change/",
        {
            "old_password": ADMIN_PASSWORD,
            "new_password1": "Baru-Sekali-2027!",
            "new_password2": "Baru-Sekali-2027!",
        },
    )
    assert own.status_code == 302
    other = client.post(
        f"/admin/auth/user/{coordinator.pk}/password/",
        {
            "usable_password": "true",
            "password1": "Lain-Sekali-2027!",
            "password2": "Lain-Sekali-2027!",
        },
    )
    assert other.status_code == 302
    events = _events(mark)
    assert [(e.actor_id, e.action, e.object_type, e.object_id) for e in events] == [
        (user.pk, "password_change", "user", str(user.pk)),
        (user.pk, "password_change", "user", str(coordinator.pk)),
    ]
    assert all(e.changed_fields == {"password": ["<redacted>", "<redacted>"]} for e in events)
    assert "Sekali-2027" not in str([(e.changed_fields, e.details) for e in events])
