# ruff: noqa: F811  (pytest fixtures imported from the API matrix are used as parameters)
"""One gate for pages and API: identity on the home page, redirects, the last admin, reopening,
assigning work to others and the worker pickers."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import schema_context

from casework import forms, selectors, services
from casework.access import active_admins
from casework.models import StaffProfile
from core.errors import ApplicationError, PermissionDeniedError
from tests.casework.test_page_matrix import pages  # noqa: F401  (fixture)
from tests.casework.test_role_matrix import (  # noqa: F401  (fixtures used by name)
    GUARDIAN,
    OTHER_NAME,
    OWN_NAME,
    _one_search_path_per_schema_switch,
    _state,
    _today,
    media_root,
    world,
)

pytestmark = pytest.mark.django_db


def _options(html: str, name: str) -> list[str]:
    """The labels of a <select name=...>'s options, empty choice left out."""
    select = re.search(rf'<select name="{re.escape(name)}"[^>]*>(.*?)</select>', html, re.S)
    assert select, name
    labels = re.findall(r'<option value="(\d+)"[^>]*>([^<]*)</option>', select.group(1))
    return [label for _value, label in labels]


# --- Identity on the home page --------------------------------------------------------------


def test_me_home_lists_overdue_visits_without_names(world, pages):
    """The M&E officer's home lists an overdue visit by case reference, never the child's name;
    the supervisor's home names the child."""
    world.prepare(("overdue_followup",), world.own)
    me = pages.clients["me"].get("/")
    supervisor = pages.clients["supervisor"].get("/")
    assert (me.status_code, supervisor.status_code) == (200, 200)
    assert world.own.reference.encode() in me.content
    for secret in (OWN_NAME, "Siti", GUARDIAN):
        assert secret.encode() not in me.content
    assert f"Siti · {world.own.reference}".encode() in supervisor.content


def test_my_cases_is_on_the_home_of_those_who_hold_cases(world, pages):
    """Workers and supervisors hold cases and see "My cases"; the M&E officer and the admin
    hold none, so their home does not offer an always-empty list."""
    for actor, shown in (("worker", True), ("supervisor", True), ("me", False), ("admin", False)):
        home = pages.clients[actor].get("/")
        assert home.status_code == 200
        assert (b'id="cases-title"' in home.content) is shown, actor


def test_lists_carry_the_selectors_label(world):
    """The selector decides what a list shows for a child: the name for roles with identity,
    nothing (the reference only) for the M&E officer; the API masks by the same rows."""
    with schema_context(world.schema):
        rows = {
            actor: sorted(
                (case.reference, case.child_label, case.identity_visible)
                for case in selectors.case_list(actor=world.users[actor])
            )
            for actor in ("supervisor", "me")
        }
    assert rows["supervisor"] == sorted(
        [(world.own.reference, "Siti", True), (world.other.reference, "Budi", True)]
    )
    assert rows["me"] == sorted(
        [(world.own.reference, None, False), (world.other.reference, None, False)]
    )


# --- Open redirect --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target", ["//evil.example/x", "https://evil.example/x", "/\\evil.example", "javascript:x"]
)
def test_review_never_redirects_off_site(world, pages, target):
    """A review's `next` pointing to another host is ignored: back to the case page."""
    world.prepare(("approved_assessment", "submitted_plan"), world.own)
    response = pages.clients["supervisor"].post(
        f"/cases/{world.own.case_id}/review/plan/", {"decision": "approve", "next": target}
    )
    assert (response.status_code, response["Location"]) == (302, f"/cases/{world.own.case_id}/")


def test_review_follows_a_local_next(world, pages):
    """A `next` on this site (the approvals queue) is still followed."""
    world.prepare(("approved_assessment", "submitted_plan"), world.own)
    response = pages.clients["supervisor"].post(
        f"/cases/{world.own.case_id}/review/plan/", {"decision": "approve", "next": "/approvals/"}
    )
    assert (response.status_code, response["Location"]) == (302, "/approvals/")


# --- The last admin -------------------------------------------------------------------------


def _only_admin(world):
    """Make admin-a the NGO's only active admin (the provisioning admin is switched off)."""
    with schema_context(world.schema):
        get_user_model().objects.filter(pk__in=active_admins().values("pk")).exclude(
            pk=world.users["admin"].pk
        ).update(is_active=False)
        assert list(active_admins().values_list("username", flat=True)) == ["admin-a"]


def test_last_admin_cannot_demote_themselves_through_the_api(world):
    """Even confirmed, the last active admin's self-demotion is a 400 on `role`; the role stays."""
    _only_admin(world)
    admin = world.users["admin"]
    before = _state(world.schema)
    response = world.clients["admin"].patch(
        f"/api/v1/staff/{admin.pk}/",
        {"role": "case_worker", "confirm": True},
        content_type="application/json",
    )
    assert (response.status_code, response.json()) == (
        400,
        {
            "code": "invalid",
            "message": "This is the last active admin: make someone else admin first.",
            "fields": {"role": ["This is the last active admin: make someone else admin first."]},
        },
    )
    assert _state(world.schema) == before


def test_self_demotion_needs_confirm_through_the_api(world):
    """With another admin present, changing one's own role without `confirm: true` is a 400;
    with it, the role changes."""
    admin = world.users["admin"]
    with schema_context(world.schema):
        assert active_admins().exclude(pk=admin.pk).exists()
    before = _state(world.schema)
    refused = world.clients["admin"].patch(
        f"/api/v1/staff/{admin.pk}/", {"role": "supervisor"}, content_type="application/json"
    )
    assert (refused.status_code, refused.json()["code"], list(refused.json()["fields"])) == (
        400,
        "confirmation_required",
        ["confirm"],
    )
    assert _state(world.schema) == before
    done = world.clients["admin"].patch(
        f"/api/v1/staff/{admin.pk}/",
        {"role": "supervisor", "confirm": True},
        content_type="application/json",
    )
    assert (done.status_code, done.json()["role"]) == (200, "supervisor")


def test_last_admin_cannot_demote_themselves_on_the_staff_page(world, pages):
    """The last admin's self-demotion is refused at once (confirmed or not): the page says why
    and the account stays admin."""
    _only_admin(world)
    admin = world.users["admin"]
    client = pages.clients["admin"]
    before = _state(world.schema)
    change = {"action": "update", "user_id": admin.pk, "role": "case_worker"}
    for confirm in ({}, {"confirm": "1"}):
        refused = client.post("/staff/", {**change, **confirm}, follow=True)
        assert refused.redirect_chain == [("/staff/", 302)]
        assert "This is the last active admin" in refused.content.decode()
        assert _state(world.schema) == before
    with schema_context(world.schema):
        assert StaffProfile.objects.get(user=admin).role == "admin"


def test_self_demotion_on_the_staff_page_asks_first(world, pages):
    """With another admin, changing one's own role shows a confirmation step (nothing changes);
    confirmed, it goes through."""
    admin = world.users["admin"]
    client = pages.clients["admin"]
    before = _state(world.schema)
    change = {"action": "update", "user_id": admin.pk, "role": "supervisor"}
    asked = client.post("/staff/", change)
    assert asked.status_code == 200
    assert b'type="checkbox" id="confirm" name="confirm" value="1"' in asked.content
    assert _state(world.schema) == before
    done = client.post("/staff/", {**change, "confirm": "1"})
    assert (done.status_code, done["Location"]) == (302, "/staff/")
    with schema_context(world.schema):
        assert StaffProfile.objects.get(user=admin).role == "supervisor"


def test_last_admin_cannot_be_deactivated(world):
    """Deactivating the last active admin is refused on `is_active` (here by a superuser
    without a role row, who counts as admin only while active)."""
    _only_admin(world)
    with schema_context(world.schema):
        operator = get_user_model().objects.create_user(username="root-a", is_superuser=True)
        operator.is_active = False
        operator.save()
        with pytest.raises(ApplicationError) as caught:
            services.staff_update(
                actor=world.users["admin"], user_id=world.users["admin"].pk, is_active=False
            )
        assert caught.value.fields == {
            "is_active": ["This is the last active admin: make someone else admin first."]
        }


# --- Reopening and assigning ----------------------------------------------------------------


def test_case_worker_cannot_reopen_on_the_page(world, pages):
    """A case worker's reopen POST is a 403 and the case stays closed; the case page offers
    no reopen button to them."""
    world.prepare(("closed",), world.own)
    before = _state(world.schema)
    client = pages.clients["worker"]
    response = client.post(f"/cases/{world.own.case_id}/reopen/", {"reason": "Bekerja lagi"})
    assert response.status_code == 403
    assert _state(world.schema) == before
    page = client.get(f"/cases/{world.own.case_id}/")
    assert f"/cases/{world.own.case_id}/reopen/".encode() not in page.content


def test_case_worker_cannot_give_a_followup_to_another_worker(world):
    """Through the API: 403 naming the field; nothing is written."""
    before = _state(world.schema)
    response = world.clients["worker"].post(
        f"/api/v1/cases/{world.own.case_id}/followups/",
        {"kind": "visit", "assigned_worker_id": world.users["other_worker"].pk},
        content_type="application/json",
    )
    message = "Only a supervisor can give this work to another worker."
    assert (response.status_code, response.json()) == (
        403,
        {
            "code": "permission_denied",
            "message": message,
            "fields": {"assigned_worker_id": [message]},
        },
    )
    assert _state(world.schema) == before


def test_case_worker_cannot_make_another_worker_responsible_in_a_plan(world):
    """A planned service's responsible worker: the worker, or the case's worker; not others."""
    world.prepare(("approved_assessment",), world.own)
    before = _state(world.schema)
    due = (_today() + timedelta(days=30)).isoformat()
    goal = {
        "description": "Kembali ke sekolah",
        "target_date": due,
        "services": [
            {
                "type": "school_return",
                "responsible_worker_id": world.users["other_worker"].pk,
                "due_on": due,
            }
        ],
    }
    response = world.clients["worker"].put(
        f"/api/v1/cases/{world.own.case_id}/plan/",
        {"summary": "", "goals": [goal], "submit": False},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert list(response.json()["fields"]) == ["goals[0].services[0].responsible_worker_id"]
    assert _state(world.schema) == before


def test_supervisor_can_give_a_followup_to_another_worker(world):
    """The assign capability allows it."""
    response = world.clients["supervisor"].post(
        f"/api/v1/cases/{world.own.case_id}/followups/",
        {"kind": "visit", "assigned_worker_id": world.users["other_worker"].pk},
        content_type="application/json",
    )
    assert (response.status_code, response.json()["assigned_worker"]["username"]) == (
        201,
        "worker-a2",
    )


def test_shared_worker_may_name_the_cases_own_worker(world):
    """A worker the case is shared with may schedule a visit for the case's own worker."""
    with schema_context(world.schema):
        followup = services.followup_schedule(
            actor=world.users["shared"],
            case_id=world.own.case_id,
            assigned_worker_id=world.users["worker"].pk,
        )
        assert followup.assigned_worker_id == world.users["worker"].pk


# --- Worker pickers -------------------------------------------------------------------------

HOLDERS = ["shared-worker-a", "supervisor-a", "worker-a", "worker-a2"]


def test_pickers_offer_only_staff_who_can_hold_cases(world, pages):
    """Follow-up, plan and case-list pickers list supervisors and case workers only: not the
    admin, the M&E officer, an account without a role or an inactive one."""
    world.prepare(("approved_assessment",), world.own)
    client = pages.clients["supervisor"]
    case = world.own.case_id
    followup = client.get(f"/cases/{case}/followup/").content.decode()
    plan = client.get(f"/cases/{case}/plan/").content.decode()
    case_list = client.get("/cases/").content.decode()
    assert sorted(_options(followup, "assigned_worker")) == HOLDERS
    assert sorted(_options(plan, "goals-0-responsible_worker")) == HOLDERS
    assert sorted(_options(case_list, "worker")) == HOLDERS


def test_case_workers_picker_offers_themselves_and_the_cases_worker(world, pages):
    """Without the assign capability the follow-up picker offers only who the worker may name."""
    client = pages.clients["shared"]
    followup = client.get(f"/cases/{world.own.case_id}/followup/").content.decode()
    assert sorted(_options(followup, "assigned_worker")) == ["shared-worker-a", "worker-a"]


def test_me_officer_cannot_hold_a_followup(world):
    """Naming the M&E officer is a 400 on the field (API) that says why: the role, not that
    the (active) account is unknown."""
    before = _state(world.schema)
    response = world.clients["supervisor"].post(
        f"/api/v1/cases/{world.own.case_id}/followups/",
        {"kind": "visit", "assigned_worker_id": world.users["me"].pk},
        content_type="application/json",
    )
    assert (response.status_code, response.json()["fields"]) == (
        400,
        {"assigned_worker_id": ["Only supervisors and case workers can hold cases."]},
    )
    assert _state(world.schema) == before


def test_service_worker_errors_land_on_their_field():
    """A service error naming `assigned_worker_id` goes on the form's `assigned_worker`."""
    form = forms.FollowUpForm({"kind": "visit"}, worker_choices=[(1, "worker")])
    assert form.is_valid()
    forms.apply_error(
        form,
        ApplicationError(
            "Unknown worker.", fields={"assigned_worker_id": ["Choose an active staff member."]}
        ),
    )
    assert (form.non_field_errors(), form.errors["assigned_worker"]) == (
        [],
        ["Choose an active staff member."],
    )


def test_plan_worker_errors_land_on_the_goals_field(world, pages):
    """On the plan page, a refused responsible worker is shown on that goal's worker field."""
    world.prepare(("approved_assessment",), world.own)
    due = (_today() + timedelta(days=30)).isoformat()
    response = pages.clients["supervisor"].post(
        f"/cases/{world.own.case_id}/plan/",
        {
            "summary": "",
            "goals-TOTAL_FORMS": "1",
            "goals-INITIAL_FORMS": "0",
            "goals-MIN_NUM_FORMS": "1",
            "goals-MAX_NUM_FORMS": "1000",
            "goals-0-description": "Sekolah",
            "goals-0-target_date": due,
            "goals-0-service_type": "school_return",
            "goals-0-responsible_worker": "",
            "goals-0-due_on": due,
        },
    )
    assert response.status_code == 400
    goal_form = response.context["formset"].forms[0]
    assert goal_form.errors == {"responsible_worker": ["Choose an active staff member."]}
    assert response.context["form"].non_field_errors() == []


# --- Registration review: duplicates of cases the worker cannot see -------------------------


def test_registration_review_hides_other_workers_duplicates(world, pages):
    """A worker registering a child like one in another worker's case is told a likely
    duplicate exists, not who or where the child is, nor the case's reference."""
    client = pages.clients["other_worker"]
    assert (
        client.post(
            "/register/child/",
            {
                "full_name": "Siti Rahayu",
                "sex": "female",
                "birth_year": "2013",
                "school_status": "dropped_out",
                "case_type": "child_labour",
            },
        ).status_code
        == 302
    )
    assert (
        client.post(
            "/register/household/",
            {
                "guardian_name": "Bapak Hasan",
                "guardian_relationship": "father",
                "member_count": "4",
                "monthly_income_band": "lt_1m",
                "village": "Kampung Baru",
            },
        ).status_code
        == 302
    )
    review = client.get("/register/review/")
    assert review.status_code == 200
    body = review.content.decode()
    assert "A child in a case you cannot see; ask your supervisor." in body
    for secret in (GUARDIAN, "Tanjung Mas", world.own.reference, f"/cases/{world.own.case_id}/"):
        assert secret not in body


def test_duplicates_selector_masks_hidden_children(world):
    """The selector itself returns None for a child whose case the actor cannot see."""
    with schema_context(world.schema):
        matches = selectors.child_duplicates(
            actor=world.users["other_worker"], full_name="Siti Rahayu", birth_year=2013
        )
        own = selectors.child_duplicates(
            actor=world.users["worker"], full_name="Siti Rahayu", birth_year=2013
        )
    assert [(child, reasons) for child, reasons in matches] == [(None, ["name", "birth_year"])]
    assert [child.pk for child, _reasons in own] == [world.own.child_id]


def test_pages_and_api_share_the_case_gate(world):
    """The case selector refuses the M&E officer (403) for the page and the API alike."""
    with schema_context(world.schema), pytest.raises(PermissionDeniedError):
        selectors.case_detail(actor=world.users["me"], case_id=world.own.case_id)


def test_the_case_list_downloads_as_csv_and_xlsx_with_its_filters(world, pages):
    """The download links carry the list's filters; both files hold the same identity-free
    rows (no name, guardian or village), and each download is audited with its row count."""
    import csv
    import io

    from openpyxl import load_workbook

    from casework.models import AuditEvent

    client = pages.clients["me"]
    listing = client.get("/cases/?search=" + world.own.reference)
    assert listing.status_code == 200
    html = listing.content.decode()
    assert f'href="/cases/export.csv?search={world.own.reference}"' in html
    assert f'href="/cases/export.xlsx?search={world.own.reference}"' in html
    with schema_context(world.schema):
        before = AuditEvent.objects.filter(action="export").count()
    as_csv = client.get(f"/cases/export.csv?search={world.own.reference}")
    as_xlsx = client.get(f"/cases/export.xlsx?search={world.own.reference}")
    assert (as_csv.status_code, as_xlsx.status_code) == (200, 200)
    assert as_csv["Content-Disposition"].startswith('attachment; filename="cases-')
    text = as_csv.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    sheet = load_workbook(io.BytesIO(as_xlsx.content), read_only=True)["cases"]
    cells = [["" if cell is None else str(cell) for cell in row] for row in sheet.values]
    assert rows[0] == cells[0]
    # Headings and values for people, in the reader's language (the API keeps the codes).
    assert rows[0][0] in ("Case number", "Nomor kasus")
    assert "child_labour" not in text.split("\n", 2)[1]
    assert [row[0] for row in rows[1:]] == [row[0] for row in cells[1:]] == [world.own.reference]
    for secret in (OWN_NAME, "Siti", GUARDIAN, "Tanjung Mas"):
        assert secret not in text
    with schema_context(world.schema):
        events = AuditEvent.objects.filter(action="export").order_by("id")[before:]
        assert [event.details["rows"] for event in events] == [1, 1]
    assert pages.clients["worker"].get("/cases/export.csv").status_code == 403
    assert client.get("/cases/export.pdf").status_code == 404
    # A worker has no download links (no export capability).
    assert "/cases/export.csv" not in pages.clients["worker"].get("/cases/").content.decode()


def test_the_printable_summary_is_full_for_identity_roles_and_masked_for_m_and_e(world, pages):
    """The supervisor's summary names the child and shows notes; the M&E officer's shows the
    reference, statuses and dates but no name, guardian, village or note text; both audited."""
    from casework.models import AuditEvent

    world.prepare(("note",), world.own)
    path = f"/cases/{world.own.case_id}/summary/"
    with schema_context(world.schema):
        before = AuditEvent.objects.filter(action="view", case_id=world.own.case_id).count()
    full = pages.clients["supervisor"].get(path)
    masked = pages.clients["me"].get(path)
    assert (full.status_code, masked.status_code) == (200, 200)
    full_text, masked_text = full.content.decode(), masked.content.decode()
    assert OWN_NAME in full_text
    assert "Kunjungan pertama" in full_text
    assert world.own.reference in masked_text
    for secret in (OWN_NAME, "Siti", GUARDIAN, "Tanjung Mas", "Kunjungan pertama"):
        assert secret not in masked_text
    assert "window.print()" in masked_text
    with schema_context(world.schema):
        views = AuditEvent.objects.filter(action="view", case_id=world.own.case_id).count()
    assert views == before + 2
    # The M&E officer's case list links each reference to its summary.
    listing = pages.clients["me"].get("/cases/").content.decode()
    assert f'href="{path}"' in listing
