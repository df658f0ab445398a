"""The coordinator console on the public host: every page and action per role (the consortium's
coordinator, another consortium's coordinator, a funder, the operator, anonymous), exact
content, the audit trail of each action, and no tenant schema opened by a console page."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core import clock
from network import services
from network.models import Agency, NGOSummary, ReferralAgreement, ReferralEnvelope
from tenants.models import NGO, Consortium, PlatformAuditEvent
from tests.support import ADMIN_PASSWORD, host_client

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4 signed MoU"


@pytest.fixture
def operator():
    return get_user_model().objects.create_superuser(
        username="operator@example.org", email="operator@example.org", password=ADMIN_PASSWORD
    )


@pytest.fixture
def clients(network, operator):
    """A logged-in public-host client per role, and an anonymous one."""
    result = {"anonymous": host_client("localhost")}
    for name, user in (
        ("coordinator", network.coordinator),
        ("outsider", network.outsider),
        ("funder", network.funder),
        ("operator", operator),
    ):
        client = host_client("localhost")
        client.force_login(user)
        result[name] = client
    return result


@pytest.fixture
def mark():
    """The last platform audit id before the test: events after it are the test's own."""
    connection.set_schema_to_public()
    return PlatformAuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _events(mark, **filters):
    return list(PlatformAuditEvent.objects.filter(id__gt=mark, **filters).order_by("id"))


def _draft(network, **overrides) -> ReferralAgreement:
    values = {
        "actor": network.coordinator,
        "consortium": network.consortium,
        "first_agency_uuid": network.agency_a.uuid,
        "second_agency_uuid": network.clinic.uuid,
        "service_types": ["health"],
        "shared_fields": ["age", "sex"],
        "valid_from": clock.today(),
    }
    values.update(overrides)
    return services.agreement_create(**values)


def _paths(network, agreement) -> dict[str, str]:
    base = f"/console/{network.consortium.pk}/"
    return {
        "home": base,
        "members": base + "ngos/",
        "onboard": base + "ngos/new/",
        "directory": base + "directory/",
        "agency-new": base + "directory/new/",
        "agency": base + f"directory/{network.clinic.uuid}/",
        "agreements": base + "agreements/",
        "agreement-new": base + "agreements/new/",
        "agreement": base + f"agreements/{agreement.uuid}/",
        "referrals": base + "referrals/",
    }


def test_every_coordinator_page_answers_each_role(network, clients, settings, tmp_path):
    """Coordinator and operator 200; another consortium's coordinator and the funder 404 (alike
    for missing and forbidden); anonymous sent to the login page."""
    settings.MEDIA_ROOT = tmp_path
    agreement = _draft(network)
    expected = {"coordinator": 200, "operator": 200, "outsider": 404, "funder": 404}
    for name, path in _paths(network, agreement).items():
        for role, status in expected.items():
            assert (name, role, clients[role].get(path).status_code) == (name, role, status)
        response = clients["anonymous"].get(path)
        assert (name, response.status_code) == (name, 302)
        assert response["Location"] == f"/accounts/login/?next={path}"


def test_the_onboarding_answer_page_answers_each_role(network, clients):
    """An answer that is not (or no longer) kept sends the coordinator back to the NGOs; the
    page is another consortium's coordinator's and the funder's 404, anonymous gets the login."""
    path = f"/console/{network.consortium.pk}/ngos/new/{uuid.uuid4()}/"
    for role in ("coordinator", "operator"):
        response = clients[role].get(path)
        assert (role, response.status_code, response["Location"]) == (
            role,
            302,
            f"/console/{network.consortium.pk}/ngos/",
        )
    for role in ("outsider", "funder"):
        assert (role, clients[role].get(path).status_code) == (role, 404)
    assert clients["anonymous"].get(path)["Location"] == f"/accounts/login/?next={path}"


def test_a_missing_consortium_is_a_404_even_for_the_operator(clients):
    assert clients["operator"].get("/console/999999/").status_code == 404
    assert clients["coordinator"].get("/console/999999/ngos/").status_code == 404


def test_the_landing_page_sends_a_coordinator_to_their_consortium(network, clients):
    """/ -> /console/ -> the one consortium's overview."""
    assert clients["coordinator"].get("/")["Location"] == "/console/"
    response = clients["coordinator"].get("/console/")
    assert response["Location"] == f"/console/{network.consortium.pk}/"
    assert clients["anonymous"].get("/").status_code == 200


def test_the_funder_sees_only_the_reports(network, clients):
    """A funder lands on the reports page: published figures (the per-NGO comparison names the
    NGOs), but no member list, directory or referral links, and no rollup controls."""
    response = clients["funder"].get("/console/")
    reports = f"/console/{network.consortium.pk}/reports/"
    assert response["Location"] == reports
    page = clients["funder"].get(reports)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Active cases at the end of each month" in text
    for hidden in ("Puskesmas", "/ngos/", "/directory/", "/referrals/", "/reports/refresh/"):
        assert hidden not in text
    assert "When each NGO was counted" not in text
    # Another consortium's funder-less reader: 404.
    assert clients["outsider"].get(reports).status_code == 404
    assert clients["coordinator"].get(reports).status_code == 200


def test_the_operator_picks_among_every_consortium(network, clients):
    response = clients["operator"].get("/console/")
    assert response.status_code == 200
    text = response.content.decode()
    for consortium in Consortium.objects.all():
        assert f'href="/console/{consortium.pk}/"' in text
    assert network.consortium.name in text


def test_an_account_without_a_role_is_refused(db):
    """A public account that is neither operator nor member: 403 on the console; NGO staff do
    not exist on this host at all."""
    user = get_user_model().objects.create_user(username="nobody@example.org", password="x")
    client = host_client("localhost")
    client.force_login(user)
    response = client.get("/console/")
    assert response.status_code == 403
    assert "Your account has no role in any consortium." in response.content.decode()
    assert client.get("/").status_code == 200
    staff = host_client("localhost")
    assert not staff.login(username="admin-a", password=ADMIN_PASSWORD)


# --- Members -------------------------------------------------------------------------------------


def _tenant_search_paths(queries) -> list[str]:
    return [
        query["sql"]
        for query in queries
        if "search_path" in query["sql"].lower() and "ngo_" in query["sql"].lower()
    ]


def test_members_show_not_counted_yet_then_the_summary_without_entering_a_schema(
    network, clients, ngo_a
):
    """Before a summary row: "—" and "not counted yet"; after the task's refresh the counts and
    when they were taken. Neither request opens a tenant schema."""
    path = f"/console/{network.consortium.pk}/ngos/"
    NGOSummary.objects.filter(ngo__consortium=network.consortium).delete()
    with CaptureQueriesContext(connection) as queries:
        response = clients["coordinator"].get(path)
    text = response.content.decode()
    members = NGO.objects.filter(consortium=network.consortium).count()
    assert text.count("not counted yet") == members
    assert "<dt>Staff</dt><dd>—</dd>" in text
    assert _tenant_search_paths(queries.captured_queries) == []

    summary = services.ngo_summary_refresh(ngo_id=ngo_a.ngo.pk)
    NGOSummary.objects.filter(pk=summary.pk).update(staff_count=6, case_count=41)
    with CaptureQueriesContext(connection) as queries:
        response = clients["coordinator"].get(path)
    text = response.content.decode()
    assert "<dt>Staff</dt><dd>6</dd>" in text
    assert "<dt>Cases</dt><dd>41</dd>" in text
    computed_at = timezone.localtime(summary.computed_at)
    assert f'datetime="{computed_at.isoformat()}">{computed_at:%-d %b %Y %H:%M}</time>' in text
    assert _tenant_search_paths(queries.captured_queries) == []


def test_no_console_page_opens_a_tenant_schema(network, clients, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    agreement = _draft(network)
    for name, path in _paths(network, agreement).items():
        with CaptureQueriesContext(connection) as queries:
            assert clients["coordinator"].get(path).status_code == 200
        assert (name, _tenant_search_paths(queries.captured_queries)) == (name, [])


def test_the_summary_task_counts_a_new_ngo(network, mark):
    """A freshly onboarded NGO: its first admin and no case."""
    from network.tasks import ngo_summary_refresh

    result = services.ngo_onboard(
        actor=network.coordinator,
        consortium=network.consortium,
        slug="yayasan-hitung",
        name="Yayasan Hitung",
        admin_email="admin@hitung.example.org",
    )
    assert ngo_summary_refresh.run(ngo_id=result.ngo.pk) is True
    summary = NGOSummary.objects.get(ngo=result.ngo)
    assert (summary.staff_count, summary.case_count) == (1, 0)


def test_the_summary_task_runs_in_the_daily_fan_out(settings):
    assert "network.tasks.ngo_summary_refresh" in settings.TENANT_DAILY_TASKS


def test_onboarding_creates_the_ngo_shows_the_password_once_and_queues_the_count(
    network, clients, mark, django_capture_on_commit_callbacks
):
    path = f"/console/{network.consortium.pk}/ngos/new/"
    form = clients["coordinator"].get(path)
    assert form.status_code == 200
    assert 'name="slug"' in form.content.decode()
    token = form.context["form_token"]
    body = {
        "form_token": token,
        "name": "Yayasan Baru",
        "slug": "yayasan-baru",
        "admin_email": "Admin@Baru.example.org",
        "contact_name": "Bu Ani",
    }
    with django_capture_on_commit_callbacks() as callbacks:
        created = clients["coordinator"].post(path, body)
    result_path = f"{path}{token}/"
    assert (created.status_code, created["Location"]) == (302, result_path)
    # The same form sent again (a double tap whose first answer the browser dropped) goes to
    # the same answer instead of failing on the slug now taken, and creates nothing more.
    repeat = clients["coordinator"].post(path, body)
    assert (repeat.status_code, repeat["Location"]) == (302, result_path)
    assert NGO.objects.filter(slug="yayasan-baru").count() == 1
    response = clients["coordinator"].get(result_path)
    assert response.status_code == 200
    text = response.content.decode()
    password = re.search(r'<code class="secret">([^<]+)</code>', text).group(1)
    assert len(password) == 16
    assert "admin@baru.example.org" in text
    assert "http://yayasan-baru.localhost/accounts/login/" in text
    assert "The password is shown only now." in text
    ngo = NGO.objects.get(slug="yayasan-baru")
    assert (ngo.consortium_id, ngo.status, ngo.is_ready) == (network.consortium.pk, "active", True)
    agency = Agency.objects.get(ngo=ngo)
    assert (agency.kind, agency.name, agency.status) == ("partner_ngo", "Yayasan Baru", "approved")
    # Referable from the first day: its key's public half is in the directory, the key pair in
    # its own schema.
    from django_tenants.utils import schema_context

    from network.referrals.models import AgencyKey

    with schema_context(ngo.schema_name):
        key = AgencyKey.objects.get(status="current")
    assert (agency.key_id, agency.public_key) == (key.key_id, key.public_key)
    assert len(callbacks) == 1
    [event] = _events(mark, object_type="ngo", action="create")
    assert (event.actor_id, event.object_id) == (network.coordinator.pk, str(ngo.pk))
    # Not retrievable afterwards: neither the answer again, the members page nor the form.
    again = clients["coordinator"].get(result_path)
    assert (again.status_code, again["Location"]) == (
        302,
        f"/console/{network.consortium.pk}/ngos/",
    )
    for page in (f"/console/{network.consortium.pk}/ngos/", path):
        assert password not in clients["coordinator"].get(page).content.decode()


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"slug": "yayasan-a"}, "slug", "This slug is already taken."),
        ({"slug": "Bad Slug"}, "slug", "Use lowercase letters, digits and hyphens only"),
        ({"slug": "admin"}, "slug", "&#x27;admin&#x27; is reserved; choose another."),
        ({"admin_email": "not-an-email"}, "admin_email", "Enter a valid email address."),
        ({"name": ""}, "name", "This field is required."),
        ({"admin_password": "123"}, "admin_password", "This password is too short."),
    ],
)
def test_onboarding_bad_input_is_a_field_error(network, clients, values, field, message):
    before = NGO.objects.count()
    body = {"name": "Yayasan Baru", "slug": "yayasan-baru", "admin_email": "a@baru.example.org"}
    body.update(values)
    response = clients["coordinator"].post(f"/console/{network.consortium.pk}/ngos/new/", body)
    assert response.status_code == 400
    text = response.content.decode()
    errors = re.search(rf'id="id_{field}_errors"[^>]*>(.*?)</ul>', text, re.S)
    assert errors is not None, text
    assert message in errors.group(1)
    assert NGO.objects.count() == before


def test_onboarding_is_refused_to_others_and_changes_nothing(network, clients):
    before = NGO.objects.count()
    body = {"name": "Yayasan Lain", "slug": "yayasan-lain", "admin_email": "a@lain.example.org"}
    path = f"/console/{network.consortium.pk}/ngos/new/"
    for role, status in (("outsider", 404), ("funder", 404), ("anonymous", 302)):
        assert (role, clients[role].post(path, body).status_code) == (role, status)
    assert NGO.objects.count() == before


def test_suspend_and_reactivate_are_audited(network, clients, ngo_b, mark):
    path = f"/console/{network.consortium.pk}/ngos/{ngo_b.ngo.slug}/status/"
    response = clients["coordinator"].post(path, {"status": "suspended"})
    assert response.status_code == 302
    ngo_b.ngo.refresh_from_db()
    assert ngo_b.ngo.status == "suspended"
    members = clients["coordinator"].get(response["Location"]).content.decode()
    assert "Lembaga Peduli Anak is suspended." in members
    assert "Reactivate Lembaga Peduli Anak" in members
    assert clients["coordinator"].post(path, {"status": "active"}).status_code == 302
    ngo_b.ngo.refresh_from_db()
    assert ngo_b.ngo.status == "active"
    events = _events(mark, object_type="ngo", action="transition")
    assert [(e.actor_id, e.changed_fields["status"]) for e in events] == [
        (network.coordinator.pk, ["active", "suspended"]),
        (network.coordinator.pk, ["suspended", "active"]),
    ]


def test_status_changes_denied_change_nothing(network, clients, ngo_b, mark):
    """Others get 404; the coordinator may not archive (403); a GET is 405; an unknown status
    is a 400 page with the message."""
    path = f"/console/{network.consortium.pk}/ngos/{ngo_b.ngo.slug}/status/"
    for role, status in (("outsider", 404), ("funder", 404), ("anonymous", 302)):
        assert (role, clients[role].post(path, {"status": "suspended"}).status_code) == (
            role,
            status,
        )
    assert clients["coordinator"].post(path, {"status": "archived"}).status_code == 403
    assert clients["coordinator"].get(path).status_code == 405
    response = clients["coordinator"].post(path, {"status": "sleeping"})
    assert response.status_code == 400
    assert "Unknown status &#x27;sleeping&#x27;." in response.content.decode()
    missing = f"/console/{network.consortium.pk}/ngos/no-such-ngo/status/"
    assert clients["coordinator"].post(missing, {"status": "suspended"}).status_code == 404
    ngo_b.ngo.refresh_from_db()
    assert ngo_b.ngo.status == "active"
    assert _events(mark) == []


# --- Directory -----------------------------------------------------------------------------------


def test_the_directory_searches_by_service_and_region(network, clients):
    path = f"/console/{network.consortium.pk}/directory/"
    everything = clients["coordinator"].get(path).content.decode()
    for name in ("Puskesmas Bandarharjo", "Yayasan Anak Sejahtera", "Lembaga Peduli Anak"):
        assert name in everything
    health = clients["coordinator"].get(path, {"service_type": "health"}).content.decode()
    assert "Puskesmas Bandarharjo" in health
    assert "Lembaga Peduli Anak" not in health
    # Kota Semarang (33.74): NGO B lists it, the clinic serves its province, NGO A anywhere.
    semarang = clients["coordinator"].get(path, {"region": "33.74"}).content.decode()
    assert all(n in semarang for n in ("Puskesmas", "Lembaga Peduli Anak", "Yayasan Anak"))
    # Aceh (11): neither the clinic (Jawa Tengah) nor NGO B (Semarang).
    aceh = clients["coordinator"].get(path, {"region": "11"}).content.decode()
    assert "Puskesmas Bandarharjo" not in aceh
    assert "Lembaga Peduli Anak" not in aceh
    assert "Yayasan Anak Sejahtera" in aceh
    assert "Jawa Tengah" in everything  # the clinic's region by name
    bad = clients["coordinator"].get(path, {"service_type": "magic"})
    assert bad.status_code == 400


AGENCY_BODY = {
    "kind": "legal_aid",
    "name": "LBH Semarang",
    "service_types": ["advocacy_legal"],
    "regency_codes": ["33.74"],
    "contact_name": "Pak Budi",
    "phone": "024 7654321",
    "address": "Jl. Pemuda 1",
}


def test_a_coordinator_adds_an_agency_audited(network, clients, mark):
    path = f"/console/{network.consortium.pk}/directory/new/"
    response = clients["coordinator"].post(path, AGENCY_BODY)
    assert response.status_code == 302
    agency = Agency.objects.get(name="LBH Semarang")
    assert (agency.kind, agency.regency_codes, agency.status) == (
        "legal_aid",
        ["33.74"],
        "approved",
    )
    [event] = _events(mark, object_type="agency")
    assert (event.actor_id, event.action, event.object_id) == (
        network.coordinator.pk,
        "create",
        str(agency.pk),
    )
    assert event.changed_fields["name"] == [None, "LBH Semarang"]


def test_bad_agency_input_is_a_field_error_and_others_are_refused(network, clients):
    path = f"/console/{network.consortium.pk}/directory/new/"
    response = clients["coordinator"].post(path, {**AGENCY_BODY, "phone": "call me"})
    assert response.status_code == 400
    assert 'id="id_phone_errors"' in response.content.decode()
    response = clients["coordinator"].post(path, {**AGENCY_BODY, "service_types": []})
    assert response.status_code == 400
    assert 'id="id_service_types_errors"' in response.content.decode()
    for role, status in (("outsider", 404), ("funder", 404), ("anonymous", 302)):
        assert clients[role].post(path, AGENCY_BODY).status_code == status
    assert not Agency.objects.filter(name="LBH Semarang").exists()


def test_a_coordinator_edits_and_deactivates_an_agency(network, clients, mark):
    path = f"/console/{network.consortium.pk}/directory/{network.clinic.uuid}/"
    page = clients["coordinator"].get(path).content.decode()
    assert 'value="Puskesmas Bandarharjo"' in page
    body = {
        "kind": "puskesmas",
        "name": "Puskesmas Bandarharjo",
        "service_types": ["health", "counselling"],
        "province_codes": ["33"],
        "phone": "+62 24 3541234",
    }
    assert clients["coordinator"].post(path, body).status_code == 302
    network.clinic.refresh_from_db()
    assert (network.clinic.service_types, network.clinic.is_active) == (
        ["counselling", "health"],
        False,
    )
    [event] = _events(mark, object_type="agency")
    assert event.action == "update"
    assert event.changed_fields["is_active"] == [True, False]
    # Another consortium's coordinator: 404, unchanged.
    assert clients["outsider"].post(path, {**body, "is_active": "on"}).status_code == 404
    network.clinic.refresh_from_db()
    assert network.clinic.is_active is False


def _proposal(network) -> Agency:
    return services.agency_propose(
        consortium=network.consortium,
        proposer=network.agency_a,
        proposer_name="supervisor-a",
        data=services.AgencyInput(kind="school", name="SD Negeri 3", service_types=["tutoring"]),
    )


def test_proposals_are_approved_or_rejected_audited(network, clients, mark):
    proposal = _proposal(network)
    directory = clients["coordinator"].get(f"/console/{network.consortium.pk}/directory/")
    text = directory.content.decode()
    assert "Proposals to review" in text
    assert "supervisor-a · Yayasan Anak Sejahtera" in text
    review = f"/console/{network.consortium.pk}/directory/{proposal.uuid}/review/"
    response = clients["coordinator"].post(review, {"decision": "reject"})
    assert response.status_code == 400
    assert "Say why the proposal is rejected." in response.content.decode()
    assert clients["outsider"].post(review, {"decision": "approve"}).status_code == 404
    assert clients["funder"].post(review, {"decision": "approve"}).status_code == 404
    proposal.refresh_from_db()
    assert proposal.status == "proposed"
    assert clients["coordinator"].post(review, {"decision": "approve"}).status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == "approved"
    other = _proposal(network)
    other_review = f"/console/{network.consortium.pk}/directory/{other.uuid}/review/"
    body = {"decision": "reject", "comment": "Sudah terdaftar"}
    assert clients["coordinator"].post(other_review, body).status_code == 302
    other.refresh_from_db()
    assert (other.status, other.review_comment) == ("rejected", "Sudah terdaftar")
    events = _events(mark, object_type="agency")
    assert [(e.actor_username, e.action) for e in events] == [
        ("supervisor-a", "create"),
        ("coordinator@example.org", "transition"),
        ("supervisor-a", "create"),
        ("coordinator@example.org", "transition"),
    ]
    assert events[3].changed_fields["status"] == ["proposed", "rejected"]
    assert events[3].details == {"comment": "Sudah terdaftar"}


# --- Agreements ----------------------------------------------------------------------------------


def _agreement_body(network, **overrides) -> dict:
    body = {
        "first_agency": str(network.agency_a.uuid),
        "second_agency": str(network.clinic.uuid),
        "direction": "both_ways",
        "service_types": ["health"],
        "shared_fields": ["age", "sex", "reason"],
        "response_days": "7",
        "valid_from": clock.today().isoformat(),
        "valid_to": (clock.today() + timedelta(days=365)).isoformat(),
    }
    body.update(overrides)
    return body


def test_the_agreement_form_explains_each_shared_field(network, clients):
    page = clients["coordinator"].get(f"/console/{network.consortium.pk}/agreements/new/")
    text = page.content.decode()
    assert "Age (years)" in text
    assert "Age in whole years on the day of the referral, without the birth date." in text
    assert 'name="response_days" value="7"' in text


def test_a_coordinator_creates_activates_and_revokes_an_agreement(
    network, clients, mark, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    settings.MULTITENANT_RELATIVE_MEDIA_ROOT = ""
    base = f"/console/{network.consortium.pk}/agreements/"
    body = _agreement_body(network, mou=SimpleUploadedFile("mou.pdf", PDF, "application/pdf"))
    response = clients["coordinator"].post(base + "new/", body)
    assert response.status_code == 302
    agreement = ReferralAgreement.objects.get(consortium=network.consortium)
    assert response["Location"] == f"{base}{agreement.uuid}/"
    assert (agreement.status, agreement.shared_fields, agreement.response_days) == (
        "draft",
        ["age", "reason", "sex"],
        7,
    )
    mou = clients["coordinator"].get(f"{base}{agreement.uuid}/mou/")
    assert (mou.status_code, mou["Content-Type"]) == (200, "application/pdf")
    assert b"".join(mou.streaming_content) == PDF
    assert clients["outsider"].get(f"{base}{agreement.uuid}/mou/").status_code == 404
    assert clients["funder"].get(f"{base}{agreement.uuid}/mou/").status_code == 404

    activate = f"{base}{agreement.uuid}/activate/"
    for role, status in (("outsider", 404), ("funder", 404), ("anonymous", 302)):
        assert clients[role].post(activate).status_code == status
    agreement.refresh_from_db()
    assert agreement.status == "draft"
    assert clients["coordinator"].post(activate).status_code == 302
    agreement.refresh_from_db()
    assert agreement.status == "active"

    revoke = f"{base}{agreement.uuid}/revoke/"
    response = clients["coordinator"].post(revoke, {"reason": ""})
    assert response.status_code == 400
    assert 'id="id_reason_errors"' in response.content.decode()
    assert clients["outsider"].post(revoke, {"reason": "x"}).status_code == 404
    assert clients["coordinator"].post(revoke, {"reason": "MoU berakhir"}).status_code == 302
    agreement.refresh_from_db()
    assert (agreement.status, agreement.status_reason) == ("revoked", "MoU berakhir")

    events = _events(mark, object_type="referralagreement")
    assert [(e.actor_id, e.action) for e in events] == [
        (network.coordinator.pk, "create"),
        (network.coordinator.pk, "transition"),
        (network.coordinator.pk, "transition"),
    ]
    assert events[0].changed_fields["mou"] == [None, agreement.mou.name]
    assert events[1].changed_fields == {"status": ["draft", "active"]}
    assert events[2].changed_fields == {
        "status": ["active", "revoked"],
        "status_reason": ["", "MoU berakhir"],
    }
    assert events[2].details == {"reason": "MoU berakhir"}
    detail = clients["coordinator"].get(f"{base}{agreement.uuid}/").content.decode()
    assert "Revoked" in detail
    assert "Activate the agreement" not in detail


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"mou": "not-a-pdf"}, "mou", "Upload the signed MoU as a PDF."),
        (
            {"valid_to": (clock.today() - timedelta(days=1)).isoformat()},
            "valid_to",
            "The end date cannot be before the start date.",
        ),
        ({"second_agency": "partner-a"}, "second_agency", "Choose two different agencies."),
        ({"shared_fields": []}, "shared_fields", "This field is required."),
        ({"response_days": "0"}, "response_days", "Ensure this value is greater than"),
        ({"valid_from": "kemarin"}, "valid_from", "Enter a valid date."),
    ],
)
def test_bad_agreement_input_is_a_field_error(
    network, clients, settings, tmp_path, overrides, field, message
):
    settings.MEDIA_ROOT = tmp_path
    if overrides.get("mou") == "not-a-pdf":
        overrides["mou"] = SimpleUploadedFile("mou.pdf", b"hello", "application/pdf")
    if overrides.get("second_agency") == "partner-a":
        overrides["second_agency"] = str(network.agency_a.uuid)
    body = _agreement_body(network, **overrides)
    response = clients["coordinator"].post(
        f"/console/{network.consortium.pk}/agreements/new/", body
    )
    assert response.status_code == 400
    errors = re.search(rf'id="id_{field}_errors"[^>]*>(.*?)</ul>', response.content.decode(), re.S)
    assert errors is not None
    assert message in errors.group(1)
    assert not ReferralAgreement.objects.filter(consortium=network.consortium).exists()


def test_activating_without_a_mou_is_a_field_error(network, clients, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    agreement = _draft(network)
    base = f"/console/{network.consortium.pk}/agreements/{agreement.uuid}/"
    response = clients["coordinator"].post(base + "activate/")
    assert response.status_code == 400
    assert "Upload the signed MoU before activating the agreement." in response.content.decode()
    agreement.refresh_from_db()
    assert agreement.status == "draft"
    bad = SimpleUploadedFile("mou.pdf", b"<html>", "application/pdf")
    response = clients["coordinator"].post(base + "activate/", {"mou": bad})
    assert response.status_code == 400
    assert "Upload the signed MoU as a PDF." in response.content.decode()
    agreement.refresh_from_db()
    assert (agreement.status, agreement.mou.name) == ("draft", "")
    assert clients["coordinator"].get(base + "mou/").status_code == 404


# --- Referrals -----------------------------------------------------------------------------------


def test_referrals_show_metadata_and_state_never_the_child(referrable, clients, team_a, ngo_a):
    """The coordinator reads from/to, service, urgency, dates and state; the child's name,
    sex, age and the reason (sealed in the envelope) never appear. Overdue is marked and
    counted on the overview."""
    from django_tenants.utils import schema_context

    from network.referrals import services as referral_services
    from network.referrals.delivery import outbox_drain

    with schema_context(ngo_a.ngo.schema_name):
        referral_services.referral_send(
            actor=team_a["worker"].user,
            case_id=referrable.case.pk,
            to_agency_uuid=referrable.network.agency_b.uuid,
            service_type="counselling",
            reason="Butuh konseling setelah berhenti bekerja di pelabuhan",
            urgency="urgent",
        )
        assert outbox_drain() == 1
    envelope = ReferralEnvelope.objects.get()
    consortium = referrable.network.consortium
    with CaptureQueriesContext(connection) as queries:
        page = clients["coordinator"].get(f"/console/{consortium.pk}/referrals/")
    # The ciphertext is not even read.
    assert [q["sql"] for q in queries.captured_queries if "sealed_payload" in q["sql"]] == []
    text = page.content.decode()
    assert "Yayasan Anak Sejahtera → Lembaga Peduli Anak" in text
    assert "Counselling" in text
    assert "Urgent" in text
    assert "<dt>Answer due</dt><dd>" + envelope.due_on.strftime("%-d %b %Y") in text
    for secret in ("Dewi", "Lestari", "pelabuhan", "3374015203130099", "female", "Tanjung Mas"):
        assert secret not in text
    assert 'class="overdue"' not in text
    home = clients["coordinator"].get(f"/console/{consortium.pk}/").content.decode()
    assert "overdue: not answered" not in home

    ReferralEnvelope.objects.filter(pk=envelope.pk).update(due_on=clock.today() - timedelta(days=1))
    overdue = clients["coordinator"].get(f"/console/{consortium.pk}/referrals/?overdue=1")
    text = overdue.content.decode()
    assert text.count('<li class="overdue">') == 1
    assert "Dewi" not in text
    home = clients["coordinator"].get(f"/console/{consortium.pk}/").content.decode()
    assert "1 referral is overdue: not answered by its due date." in home
    for role, status in (("outsider", 404), ("funder", 404)):
        assert clients[role].get(f"/console/{consortium.pk}/referrals/").status_code == status
