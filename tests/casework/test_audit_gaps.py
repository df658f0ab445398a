"""What the NGO's audit trail used to miss: changes through the NGO's Django admin, password
changes, logins and failed logins, lists of children and consents, and name searches."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_tenants.utils import schema_context

from casework import services
from casework.models import AuditEvent, Case, StaffProfile
from tests.support import ADMIN_PASSWORD, host_client

pytestmark = pytest.mark.django_db

NIK = "3374015203130004"
NEW_PASSWORD = "Baru-Sekali-2027!"


@pytest.fixture
def schema(ngo_a, team_a):
    """NGO A's schema active for the test."""
    with schema_context(ngo_a.ngo.schema_name):
        yield ngo_a.ngo.schema_name


def _last_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _events(after: int, **filters) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(id__gt=after, **filters).order_by("id"))


def _register(actor, name="Siti Rahayu", nik="") -> Case:
    today = timezone.localdate()
    return services.child_register(
        actor=actor,
        child=services.ChildInput(
            full_name=name,
            sex="female",
            school_status="dropped_out",
            birth_year=today.year - 13,
            nik=nik,
        ),
        household=services.HouseholdInput(guardian_name="Ibu Rahayu", guardian_relationship="ibu"),
        consent=services.ConsentInput(
            guardian_name="Ibu Rahayu",
            guardian_relationship="ibu",
            guardian_consented=True,
            child_assented=True,
            consented_on=today,
        ),
    )


@pytest.fixture
def ngo_admin(ngo_a, schema):
    """The NGO's first admin (staff, superuser) logged in to the NGO host's Django admin."""
    user = get_user_model().objects.get(username=ngo_a.admin_username)
    client = host_client(ngo_a.host)
    client.force_login(user)
    return user, client


# --- The NGO's Django admin ---


def test_role_cannot_be_changed_in_ngo_admin_and_other_edits_are_audited(ngo_admin, team_a):
    """A role changed through /admin/ would bypass the last-admin guard (and once gave a case
    worker every case unaudited): the role is read-only there and stays as it was; the phone,
    which may change, is an 'update' of the staff member by the admin."""
    admin, client = ngo_admin
    worker = team_a["worker"].user
    profile = StaffProfile.objects.get(user=worker)
    start = _last_id()
    response = client.post(
        f"/admin/casework/staffprofile/{profile.pk}/change/",
        {"user": worker.pk, "role": "supervisor", "phone": "0811", "language": profile.language},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    profile.refresh_from_db()
    assert profile.role == "case_worker"
    [event] = _events(start)
    assert (event.actor_id, event.action, event.object_type, event.object_id) == (
        admin.pk,
        "update",
        "staff",
        str(worker.pk),
    )
    assert event.changed_fields == {"phone": ["", "0811"]}
    assert event.details == {"via": "admin"}


def test_group_and_deletion_in_ngo_admin_are_audited(ngo_admin):
    """Creating and deleting a group through the admin each leave an event."""
    admin, client = ngo_admin
    start = _last_id()
    created = client.post("/admin/auth/group/add/", {"name": "Relawan", "permissions": []})
    assert created.status_code == 302
    from django.contrib.auth.models import Group

    group = Group.objects.get(name="Relawan")
    deleted = client.post(f"/admin/auth/group/{group.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    create, delete = _events(start)
    assert (create.action, create.object_type, create.object_id) == (
        "create",
        "group",
        str(group.pk),
    )
    assert create.changed_fields == {"name": [None, "Relawan"], "permissions": [None, []]}
    assert (delete.action, delete.changed_fields) == (
        "delete",
        {"name": ["Relawan", None], "permissions": [[], None]},
    )


def test_access_flags_cannot_be_set_in_ngo_admin_and_name_edits_are_audited(ngo_admin, team_a):
    """Superuser, staff and active flags cannot be set through the user admin (an M&E officer
    made superuser there saw every child; the last admin could deactivate themselves); a name
    change is recorded."""
    admin, client = ngo_admin
    user = team_a["other_worker"].user
    form = client.get(f"/admin/auth/user/{user.pk}/change/")
    assert form.status_code == 200
    start = _last_id()
    response = client.post(
        f"/admin/auth/user/{user.pk}/change/",
        {
            "username": user.username,
            "first_name": "Rina",
            "last_name": "",
            "email": user.email,
            "is_active": "",
            "is_superuser": "on",
            "is_staff": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    user.refresh_from_db()
    assert (user.is_superuser, user.is_staff, user.is_active) == (False, False, True)
    [event] = _events(start)
    assert (event.actor_id, event.action, event.object_type) == (admin.pk, "update", "staff")
    assert event.changed_fields == {"first_name": ["", "Rina"]}


def test_the_last_admin_cannot_deactivate_themselves_in_ngo_admin(ngo_admin):
    """Unticking 'active' on one's own account in /admin/ changes nothing."""
    admin, client = ngo_admin
    response = client.post(
        f"/admin/auth/user/{admin.pk}/change/",
        {"username": admin.username, "email": admin.email, "is_active": ""},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    admin.refresh_from_db()
    assert admin.is_active


def test_staff_cannot_be_added_or_deleted_in_ngo_admin(ngo_admin, team_a):
    """Accounts are created on the Staff page and deactivated, never deleted."""
    _admin, client = ngo_admin
    user = team_a["me"].user
    assert client.get("/admin/auth/user/add/").status_code == 403
    assert client.post(f"/admin/auth/user/{user.pk}/delete/", {"post": "yes"}).status_code == 403
    profile = StaffProfile.objects.get(user=user)
    deleted = client.post(f"/admin/casework/staffprofile/{profile.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 403
    assert StaffProfile.objects.filter(pk=profile.pk).exists()


def test_password_set_in_ngo_admin_is_audited_without_value(ngo_admin, team_a):
    """The admin's 'change password' form for another user is a 'password_change' event."""
    admin, client = ngo_admin
    user = team_a["me"].user
    start = _last_id()
    response = client.post(
        f"/admin/auth/user/{user.pk}/password/",
        {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    [event] = _events(start)
    assert (event.actor_id, event.action, event.object_type, event.object_id) == (
        admin.pk,
        "password_change",
        "staff",
        str(user.pk),
    )
    assert event.changed_fields == {"password": ["<redacted>", "<redacted>"]}
    assert NEW_PASSWORD not in json.dumps([event.changed_fields, event.details])


def test_own_password_change_in_ngo_admin_is_audited(ngo_admin, ngo_a):
    """/admin/password_change/ records the user changing their own password."""
    admin, client = ngo_admin
    start = _last_id()
    response = client.post(
        "/admin/password_change/",
        {
            "old_password": ngo_a.admin_password,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    [event] = _events(start)
    assert (event.actor_id, event.action, event.object_id) == (
        admin.pk,
        "password_change",
        str(admin.pk),
    )
    assert event.details == {"via": "admin"}


def test_refused_admin_password_change_is_not_audited(ngo_admin):
    """A wrong old password changes nothing and records nothing."""
    _admin, client = ngo_admin
    start = _last_id()
    response = client.post(
        "/admin/password_change/",
        {"old_password": "salah", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert _events(start) == []


def test_children_list_and_child_page_in_ngo_admin_are_audited(ngo_admin, team_a):
    """The admin's children list is a 'list' event naming the children shown; a child's page is
    a 'view' of the full record; a case's page a 'view' of its child."""
    admin, client = ngo_admin
    case = _register(team_a["worker"].user)
    start = _last_id()
    listing = client.get("/admin/casework/child/", {"q": "siti"})
    assert listing.status_code == 200
    detail = client.get(f"/admin/casework/child/{case.child_id}/change/")
    assert detail.status_code == 200
    case_page = client.get(f"/admin/casework/case/{case.pk}/change/")
    assert case_page.status_code == 200
    listed, viewed, case_viewed = _events(start)
    assert (listed.action, listed.object_type, listed.object_id) == ("list", "child", "*")
    assert case.child_id in listed.details["ids"]
    assert listed.details["query"] == "siti"
    assert listed.details["via"] == "admin"
    assert listed.details["count"] == len(listed.details["ids"])
    assert (viewed.action, viewed.object_type, viewed.object_id) == (
        "view",
        "child",
        str(case.child_id),
    )
    assert (case_viewed.action, case_viewed.object_id, case_viewed.case_id) == (
        "view",
        str(case.child_id),
        case.pk,
    )


# --- Password changes by the staff services ---


def test_staff_service_password_reset_is_audited(schema, team_a):
    """An admin setting a staff member's password (service and API) records it, not its value."""
    user = team_a["other_worker"].user
    start = _last_id()
    response = (
        team_a["admin"]
        .client()
        .patch(
            f"/api/v1/staff/{user.pk}/", {"password": NEW_PASSWORD}, content_type="application/json"
        )
    )
    assert response.status_code == 200, response.content
    [event] = _events(start)
    assert (event.actor_username, event.action, event.object_type, event.object_id) == (
        "admin-a",
        "password_change",
        "staff",
        str(user.pk),
    )
    assert event.details == {"via": "staff"}
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert NEW_PASSWORD not in json.dumps([event.changed_fields, event.details])


def test_weak_password_from_staff_service_changes_nothing(schema, team_a):
    """A weak password is a 400 with a field error; no event, the old password stays."""
    user = team_a["other_worker"].user
    start = _last_id()
    response = (
        team_a["admin"]
        .client()
        .patch(f"/api/v1/staff/{user.pk}/", {"password": "123"}, content_type="application/json")
    )
    assert response.status_code == 400
    assert "password" in response.json()["fields"]
    assert _events(start) == []
    user.refresh_from_db()
    assert user.check_password(ADMIN_PASSWORD)


# --- Logins ---


def test_session_login_and_failure_are_audited(ngo_a, schema, team_a):
    """The login page records a 'login' with the IP, a wrong password a 'login_failed' naming
    the username typed (never the password)."""
    start = _last_id()
    client = host_client(ngo_a.host)
    ok = client.post(
        "/accounts/login/",
        {"username": "worker-a", "password": ADMIN_PASSWORD},
        REMOTE_ADDR="10.9.8.7",
    )
    assert ok.status_code == 302
    bad = host_client(ngo_a.host).post(
        "/accounts/login/", {"username": "worker-a", "password": "tebakan-salah"}
    )
    assert bad.status_code == 200
    login, failed = _events(start)
    assert (login.actor_id, login.action, login.object_id, login.ip_address) == (
        team_a["worker"].user.pk,
        "login",
        str(team_a["worker"].user.pk),
        "10.9.8.7",
    )
    assert login.details == {"via": "session"}
    assert (failed.actor_id, failed.actor_username, failed.action) == (
        None,
        "anonymous",
        "login_failed",
    )
    assert failed.details == {"via": "session", "username": "worker-a"}
    assert "tebakan-salah" not in json.dumps(failed.details)


def test_token_login_and_failure_are_audited(ngo_a, schema, team_a):
    """The API's token login records 'login' via token, a wrong password 'login_failed'."""
    start = _last_id()
    ok = host_client(ngo_a.host).post(
        "/api/v1/auth/token/", {"username": "supervisor-a", "password": ADMIN_PASSWORD}
    )
    assert ok.status_code == 200
    assert ok.json()["token"] == team_a["supervisor"].token
    bad = host_client(ngo_a.host).post(
        "/api/v1/auth/token/", {"username": "supervisor-a", "password": "salah"}
    )
    assert bad.status_code == 400
    login, failed = _events(start)
    assert (login.actor_username, login.action, login.details) == (
        "supervisor-a",
        "login",
        {"via": "token"},
    )
    assert (failed.action, failed.details) == (
        "login_failed",
        {"via": "token", "username": "supervisor-a"},
    )


def test_public_host_login_writes_no_ngo_event(consortium, ngo_a, schema):
    """A coordinator's login on the public host is not an NGO event (and does not fail)."""
    start = _last_id()
    response = host_client("localhost").post(
        "/accounts/login/", {"username": "coordinator@example.org", "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 302
    with schema_context(ngo_a.ngo.schema_name):
        assert _events(start) == []


# --- Children and consents lists, name searches ---


def test_children_list_api_is_audited(schema, team_a):
    """GET /api/v1/children/ lists full identity records: one 'list' event naming them."""
    first = _register(team_a["worker"].user)
    second = _register(team_a["worker"].user, "Budi Santoso")
    start = _last_id()
    response = team_a["worker"].client().get("/api/v1/children/", {"page_size": 200})
    assert response.status_code == 200
    shown = [row["id"] for row in response.json()["results"]]
    assert {first.child_id, second.child_id} <= set(shown)
    [event] = _events(start)
    assert (event.actor_username, event.action, event.object_type, event.object_id) == (
        "worker-a",
        "list",
        "child",
        "*",
    )
    assert event.details == {"ids": shown, "count": len(shown)}
    assert event.changed_fields == {}


def test_children_name_search_records_the_search_and_the_list(schema, team_a):
    """?search= on the children API: a 'search' event with the query, then the 'list'."""
    case = _register(team_a["worker"].user, "Wulan Sarinah")
    start = _last_id()
    response = team_a["worker"].client().get("/api/v1/children/", {"search": "wulan"})
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [case.child_id]
    search, listed = _events(start)
    assert (search.action, search.object_type, search.details) == (
        "search",
        "child",
        {"query": "wulan"},
    )
    assert listed.details == {"ids": [case.child_id], "count": 1, "query": "wulan"}


def test_consent_list_is_audited(schema, team_a):
    """GET /api/v1/consents/ records a 'list' of the consents shown."""
    case = _register(team_a["worker"].user)
    consent = case.child.consents.get()
    start = _last_id()
    response = team_a["worker"].client().get("/api/v1/consents/", {"child": case.child_id})
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [consent.pk]
    [event] = _events(start)
    assert (event.action, event.object_type) == ("list", "consent")
    assert event.details == {"ids": [consent.pk], "count": 1, "filters": {"child": case.child_id}}


def test_case_list_name_search_is_audited_on_page_and_api(schema, team_a):
    """A name search on the case list page and API is a 'search' event with the query."""
    _register(team_a["worker"].user, "Siti Rahayu")
    browser = host_client(team_a["worker"].host)
    browser.force_login(team_a["worker"].user)
    client = team_a["worker"].client()
    start = _last_id()
    page = browser.get("/cases/", {"search": "Siti Rah"})
    assert page.status_code == 200
    assert "Siti Rahayu" in page.content.decode()
    api = client.get("/api/v1/cases/", {"search": "siti"})
    assert api.status_code == 200
    events = _events(start)
    assert [(e.actor_username, e.action, e.object_type, e.details) for e in events] == [
        ("worker-a", "search", "child", {"query": "Siti Rah"}),
        ("worker-a", "search", "child", {"query": "siti"}),
    ]


def test_search_by_nik_records_the_search_never_the_nik(schema, team_a):
    """Typing a NIK into the search box is recorded as a search with the digits redacted."""
    _register(team_a["worker"].user, nik=NIK)
    start = _last_id()
    response = team_a["worker"].client().get("/api/v1/cases/", {"search": f"siti {NIK}"})
    assert response.status_code == 200
    [event] = _events(start)
    assert event.details == {"query": "siti <redacted>"}
    assert NIK not in json.dumps(event.details)


def test_reference_search_and_plain_list_are_not_name_searches(schema, team_a):
    """A search for a case reference, or no search, records no 'search' event."""
    case = _register(team_a["worker"].user)
    start = _last_id()
    client = team_a["worker"].client()
    assert client.get("/api/v1/cases/", {"search": case.reference}).status_code == 200
    assert client.get("/api/v1/cases/").status_code == 200
    assert _events(start) == []


def test_duplicate_check_is_a_name_search_without_the_nik(schema, team_a):
    """The registration's duplicate check looks children up by name and NIK: a 'search' event
    with the name, the NIK only as '<redacted>'."""
    case = _register(team_a["worker"].user, "Rina Wati", nik=NIK)
    start = _last_id()
    response = (
        team_a["worker"]
        .client()
        .get("/api/v1/children/duplicates/", {"full_name": "Rina Wati", "nik": NIK})
    )
    assert response.status_code == 200
    assert [row["child"]["id"] for row in response.json()] == [case.child_id]
    [event] = _events(start)
    assert (event.action, event.object_type) == ("search", "child")
    assert event.details == {"query": "Rina Wati", "filters": {"nik": "<redacted>"}}
    assert NIK not in json.dumps(event.details)
