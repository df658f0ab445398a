"""The audit page reads as sentences, not columns: field labels, local time, "Case 2026-00014",
action names and values in the reader's language (Bahasa Indonesia or English)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import formats, timezone, translation
from django_tenants.utils import schema_context

from casework import presenters, services
from casework.models import AuditEvent
from tests.support import host_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(ngo_a, team_a):
    """A registration, an assignment, a role change and a reopen reason, by NGO A's staff."""
    with schema_context(ngo_a.ngo.schema_name):
        start = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        worker, other = team_a["worker"].user, team_a["other_worker"].user
        today = timezone.localdate()
        case = services.child_register(
            actor=worker,
            child=services.ChildInput(
                full_name="Dewi Lestari",
                sex="female",
                school_status="in_school",
                birth_year=today.year - 12,
            ),
            household=services.HouseholdInput(
                guardian_name="Pak Lestari", guardian_relationship="ayah"
            ),
            consent=services.ConsentInput(
                guardian_name="Pak Lestari",
                guardian_relationship="ayah",
                guardian_consented=True,
                child_assented=True,
                consented_on=today,
            ),
        )
        services.case_assign(actor=team_a["supervisor"].user, case_id=case.pk, worker_id=other.pk)
        services.staff_update(actor=team_a["admin"].user, user_id=other.pk, role="supervisor")
        services.staff_update(actor=team_a["admin"].user, user_id=other.pk, role="case_worker")
        yield case, start


def _admin_page(ngo_a, team_a, language: str):
    client = host_client(ngo_a.host)
    with schema_context(ngo_a.ngo.schema_name):
        client.force_login(team_a["admin"].user)
    client.cookies["terpadu_language"] = language
    response = client.get("/audit/")
    assert response.status_code == 200
    return response.content.decode()


def _change(label: str, old: str, new: str, before: str, after: str) -> str:
    return (
        f"<strong>{label}</strong>: "
        f'<del><span class="visually-hidden">{before}: </span>{old}</del> → '
        f'<ins><span class="visually-hidden">{after}: </span>{new}</ins>'
    )


def _local_time(event: AuditEvent) -> str:
    local = timezone.localtime(event.at)
    return f"{local:%d/%m/%Y %H:%M} {local.tzname()}"


def test_audit_page_in_indonesian(ngo_a, team_a, trail):
    """Bahasa Indonesia: action names, field labels and choice values translated, the case named
    by its reference, the time in the NGO's zone (WIB)."""
    case, _start = trail
    body = _admin_page(ngo_a, team_a, "id")
    with schema_context(ngo_a.ngo.schema_name):
        transition = AuditEvent.objects.filter(
            action="transition", object_id=str(case.pk), object_type="case"
        ).get()
    assert f"Kasus {case.reference}" in body
    assert "Perubahan status" in body  # the transition's action
    id_change = {"before": "Sebelum", "after": "Sesudah"}
    assert _change("Status", "Teridentifikasi", "Terdaftar", **id_change) in body
    assert _change("Pendamping yang ditugaskan", "worker-a", "worker-a2", **id_change) in body
    assert _change("Peran", "Pendamping", "Supervisor", **id_change) in body
    assert _local_time(transition) in body
    assert "WIB" in body
    # No raw codes: not "case 14", not the column name, not the English label.
    assert f"case {case.pk}" not in body
    assert "assigned_worker_id" not in body
    assert "Status change" not in body


def test_audit_page_in_english(ngo_a, team_a, trail):
    """English: the same rows with English labels and values."""
    case, _start = trail
    body = _admin_page(ngo_a, team_a, "en")
    assert f"Case {case.reference}" in body
    assert "Status change" in body
    en_change = {"before": "Before", "after": "After"}
    assert _change("Status", "Identified", "Registered", **en_change) in body
    assert _change("Assigned worker", "worker-a", "worker-a2", **en_change) in body
    assert _change("Role", "Case worker", "Supervisor", **en_change) in body


def test_presenter_rows_use_a_fixed_number_of_queries(ngo_a, trail):
    """However many events and users a page names: one query for case references, one for
    usernames."""
    _case, start = trail
    with schema_context(ngo_a.ngo.schema_name):
        events = list(AuditEvent.objects.filter(id__gt=start).order_by("id"))
        assert len(events) == 8
        with translation.override("en"), CaptureQueriesContext(connection) as queries:
            rows = presenters.audit_rows(events)
    # django-tenants sets the search path before each query; the SELECTs are what count.
    selects = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert len(selects) == 2
    child, _household, _case_row, consent, transition, assign, role, _role_back = rows
    assert (child.action, child.subject) == (
        "Create",
        f"Child #{_case.child_id} · Case {_case.reference}",
    )
    assert consent.subject == f"Consent #{_case.child.consents.get().pk}"
    assert transition.changes == [presenters.Change("Status", "Identified", "Registered")]
    assert assign.changes == [presenters.Change("Assigned worker", "worker-a", "worker-a2")]
    assert role.subject.startswith("Staff account #")
    assert role.when == _local_time(events[6])
    # A new row shows its values only (no "before"), without bookkeeping or empty fields.
    assert presenters.Change("Full name", None, "Dewi Lestari") in child.changes
    assert {change.label for change in child.changes}.isdisjoint({"Uuid", "Created at", "Nik"})


def test_details_and_hidden_values_read_as_words(ngo_a, team_a, trail):
    """A search shows what was searched for, a password change shows '(hidden)', a reason is
    labelled; the ids of a list are summed up by their count."""
    case, start = trail
    with schema_context(ngo_a.ngo.schema_name):
        services.note_add(actor=team_a["other_worker"].user, case_id=case.pk, body="Kunjungan ke-1")
        services.case_closure_request(
            actor=team_a["other_worker"].user,
            case_id=case.pk,
            reason="moved_away",
            outcome="Pindah",
        )
        services.case_closure_review(
            actor=team_a["supervisor"].user, case_id=case.pk, approve=True, comment="Sudah pindah"
        )
        services.staff_update(
            actor=team_a["admin"].user,
            user_id=team_a["me"].user.pk,
            password="Baru-Sekali-2027!",
        )
        from casework.audit import audit_listed, audit_searched

        audit_searched(actor=team_a["worker"].user, object_type="child", query="dewi")
        audit_listed(actor=team_a["worker"].user, object_type="child", rows=[case.child])
        events = list(AuditEvent.objects.filter(id__gt=start).order_by("id"))
        with translation.override("id"):
            rows = presenters.audit_rows(events)
    note, closed, password, searched, listed = rows[-6], *rows[-4:]
    assert note.changes == [presenters.Change("Catatan", None, "14 karakter")]
    assert closed.details == [("Alasan", "Sudah pindah")]
    assert password.action == "Ganti kata sandi"
    assert password.changes == [
        presenters.Change("Kata sandi", "(disembunyikan)", "(disembunyikan)")
    ]
    assert password.details == [("Melalui", "pengelolaan staf")]
    assert (searched.action, searched.details) == ("Pencarian nama", [("Yang dicari", "dewi")])
    assert listed.details == [("Data yang ditampilkan", formats.localize(1))]


def test_events_written_before_the_one_shape_still_show(ngo_a, team_a):
    """A row stored with the old shape (a bare reason in changed_fields) is shown, its reason
    as a detail, instead of breaking the page."""
    with schema_context(ngo_a.ngo.schema_name):
        event = AuditEvent.objects.create(
            actor_username="worker-a",
            action="transition",
            object_type="case",
            object_id="999999",
            changed_fields={"status": ["closed", "in_service"], "reason": "Kembali bekerja"},
        )
        with translation.override("en"):
            [row] = presenters.audit_rows([event])
    assert row.subject == "Case 999999"
    assert row.changes == [presenters.Change("Status", "Closed", "Receiving services")]
    assert row.details == [("Reason", "Kembali bekerja")]


def test_a_household_edit_with_members_shows_on_the_audit_page(ngo_a, team_a, trail):
    """The household service records the member count as `members`: a reverse relation, not a
    column; the page (and every page after it) still renders, with a label."""
    case, _start = trail
    worker = team_a["other_worker"].user  # the trail assigned the case to them
    with schema_context(ngo_a.ngo.schema_name):
        household = case.child.household
        services.household_update(
            actor=worker,
            case_id=case.pk,
            data=services.HouseholdInput(
                guardian_name="Pak Lestari", guardian_relationship="ayah", village="Bandarharjo"
            ),
            members=[{"name": "Bu Lestari", "relationship": "ibu"}],
        )
        assert household.members.count() == 1
    client = host_client(ngo_a.host)
    with schema_context(ngo_a.ngo.schema_name):
        client.force_login(team_a["admin"].user)
    client.cookies["terpadu_language"] = "en"
    for query in ("", "?object_type=household", "?action=update", f"?case={case.pk}"):
        response = client.get("/audit/" + query)
        assert response.status_code == 200, query
    assert (
        "Household members (number)" in client.get("/audit/?object_type=household").content.decode()
    )


def test_the_case_filter_takes_the_reference_people_know(ngo_a, team_a, trail):
    case, _start = trail
    client = host_client(ngo_a.host)
    with schema_context(ngo_a.ngo.schema_name):
        client.force_login(team_a["admin"].user)
    for value in (case.reference, case.reference.lower(), f" {case.reference} ", str(case.pk)):
        response = client.get("/audit/", {"case": value})
        rows = response.context["page"].object_list
        assert rows, value
        assert {row.case_id for row in rows} == {case.pk}, value
    nothing = client.get("/audit/", {"case": "2099-99999"})
    assert nothing.status_code == 200
    assert list(nothing.context["page"].object_list) == []
