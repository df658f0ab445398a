"""The casework pages' behaviour behind the phone layout (issue 9): pagination links, the audit
and case-list filters, plural forms, the header menu and the case page's actions."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from casework import selectors, services
from casework.models import AuditEvent
from tests.support import host_client

pytestmark = pytest.mark.django_db


def _client(ngo_a, user, language: str = "id"):
    client = host_client(ngo_a.host)
    with schema_context(ngo_a.ngo.schema_name):
        client.force_login(user)
    client.cookies["terpadu_language"] = language
    return client


def _register(worker, name: str, **child):
    today = timezone.localdate()
    return services.child_register(
        actor=worker,
        child=services.ChildInput(
            full_name=name,
            sex="female",
            school_status="in_school",
            birth_year=today.year - 12,
            **child,
        ),
        household=services.HouseholdInput(guardian_name="Ibu Uji", guardian_relationship="ibu"),
        consent=services.ConsentInput(
            guardian_name="Ibu Uji",
            guardian_relationship="ibu",
            guardian_consented=True,
            child_assented=True,
            consented_on=today,
        ),
    )


def _links(html: str, selector_text: str) -> list[str]:
    """The hrefs of the links inside the first <nav aria-label="..."> named `selector_text`."""
    match = re.search(rf'<nav[^>]* aria-label="{selector_text}"[^>]*>(.*?)</nav>', html, re.S)
    assert match, html[-2000:]
    return [href.replace("&amp;", "&") for href in re.findall(r'href="([^"]*)"', match[1])]


# --- Pagination ------------------------------------------------------------------------------


def test_case_list_pages_keep_the_filters_and_name_the_page_once(ngo_a, team_a):
    """Page 2 of a filtered list links to pages 1 and 3 with the filters and one `page`."""
    worker = team_a["worker"].user
    with schema_context(ngo_a.ngo.schema_name):
        for number in range(60):
            _register(worker, f"Halaman{number:02d} Uji")
    client = _client(ngo_a, worker)
    response = client.get("/cases/", {"status": "registered", "page": "2"})
    assert response.status_code == 200
    links = _links(response.content.decode(), "Halaman")
    assert links == ["?status=registered&page=1", "?status=registered&page=3"]


def test_pagination_without_filters_has_no_stray_ampersand(ngo_a, team_a):
    """With no filter the links are plain `?page=N`."""
    worker = team_a["worker"].user
    with schema_context(ngo_a.ngo.schema_name):
        for number in range(30):
            _register(worker, f"Polos{number:02d} Uji")
    html = _client(ngo_a, worker).get("/cases/", {"page": "1"}).content.decode()
    assert _links(html, "Halaman") == ["?page=2"]


def test_audit_pages_name_the_page_once(ngo_a, team_a):
    """The audit trail's page 2 links carry the filter and a single `page`."""
    admin = team_a["admin"].user
    with schema_context(ngo_a.ngo.schema_name):
        AuditEvent.objects.bulk_create(
            AuditEvent(
                actor_username="worker-a",
                action="view",
                object_type="case",
                object_id=str(number),
            )
            for number in range(120)
        )
    html = _client(ngo_a, admin).get("/audit/?actor=worker&page=2").content.decode()
    assert _links(html, "Halaman") == ["?actor=worker&page=1", "?actor=worker&page=3"]


# --- Filters ---------------------------------------------------------------------------------


def test_audit_user_filter_takes_part_of_a_name_and_object_type_ignores_case(ngo_a, team_a):
    """`?actor=ORKER-A` finds worker-a's and worker-a2's events; `?object_type=CASE` finds
    the case events; the API's `actor` stays one account exactly."""
    admin = team_a["admin"].user
    with schema_context(ngo_a.ngo.schema_name):
        start = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        AuditEvent.objects.bulk_create(
            [
                AuditEvent(actor_username="worker-a", action="view", object_type="case"),
                AuditEvent(actor_username="worker-a2", action="view", object_type="child"),
                AuditEvent(actor_username="supervisor-a", action="view", object_type="case"),
            ]
        )

        def found(**filters):
            return sorted(
                selectors.audit_events(actor=admin, **filters)
                .filter(id__gt=start)
                .values_list("actor_username", "object_type")
            )

        assert found(actor_search="ORKER-A") == [("worker-a", "case"), ("worker-a2", "child")]
        assert found(object_type="CASE") == [("supervisor-a", "case"), ("worker-a", "case")]
        assert found(actor_username="worker-a") == [("worker-a", "case")]
    html = _client(ngo_a, admin).get("/audit/", {"actor": "visor"}).content.decode()
    assert "oleh supervisor-a" in html
    # The object type is chosen by its word in the reader's language; the code is sent.
    assert re.search(r'<option value="case"\s*>Kasus</option>', html)
    assert re.search(r'<option value="child"\s*>Anak</option>', html)
    chosen = _client(ngo_a, admin).get("/audit/", {"object_type": "CASE"}).content.decode()
    assert re.search(r'<option value="case" selected>Kasus</option>', chosen)
    assert "oleh worker-a" not in html.split('class="audit-events"')[1]


def test_case_list_filters_are_a_plain_form_not_a_search_group(ngo_a, team_a):
    """Pico styles role=search as one pill-shaped group: the filters form has no such role."""
    html = _client(ngo_a, team_a["worker"].user).get("/cases/").content.decode()
    assert 'role="search"' not in html
    assert 'class="case-filters"' in html


# --- Plurals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "1 assessment, 0 plans, 0 closures"),
        ("id", "1 asesmen, 0 rencana, 0 penutupan"),
    ],
)
def test_approval_queue_sizes_use_plural_forms(ngo_a, team_a, language, expected):
    """One assessment waiting reads "1 assessment", not "1 assessments"."""
    worker, boss = team_a["worker"].user, team_a["supervisor"].user
    with schema_context(ngo_a.ngo.schema_name):
        for case_id in selectors.approval_queues(actor=boss)["assessments"].values_list(
            "case_id", "pk"
        ):
            services.assessment_review(
                actor=boss, case_id=case_id[0], assessment_id=case_id[1], approve=True
            )
        case = _register(worker, "Jamak Uji")
        services.assessment_create(
            actor=worker,
            case_id=case.pk,
            assessed_on=timezone.localdate(),
            works=False,
            score_education=3,
            score_health=3,
            score_psychosocial=3,
            score_safety=3,
            score_family_economy=3,
            risk_level="low",
        )
    html = _client(ngo_a, boss, language).get("/").content.decode()
    assert expected in html


# --- Header menu and case actions -----------------------------------------------------------


def test_header_menu_lists_the_roles_pages_in_a_details(ngo_a, team_a):
    """The header's navigation sits in a <details> menu; the admin's holds staff and audit,
    the worker's does not; the network's Referrals link (and the admin's Capacity building)
    come through CASEWORK_NAV_ITEMS."""
    admin_html = _client(ngo_a, team_a["admin"].user).get("/").content.decode()
    worker_html = _client(ngo_a, team_a["worker"].user).get("/").content.decode()
    assert '<details class="nav-menu"><summary>Menu</summary>' in admin_html
    assert _links(admin_html, "Menu utama") == [
        "/",
        "/cases/",
        "/register/?new=1",
        "/referrals/",
        "/approvals/",
        "/report/",  # the NGO's own report (network), not the worker's
        "/staff/",
        "/capacity/",
        "/settings/",
        "/audit/",
        "/account/",
    ]
    assert _links(worker_html, "Menu utama") == [
        "/",
        "/cases/",
        "/register/?new=1",
        "/referrals/",
        "/account/",
    ]
    assert 'aria-current="page">Beranda</a>' in worker_html


def test_case_page_offers_the_next_step_first_and_the_rest_in_a_menu(ngo_a, team_a):
    """A registered case: Assessment is the one button, the other steps are in the menu."""
    worker = team_a["worker"].user
    with schema_context(ngo_a.ngo.schema_name):
        case = _register(worker, "Langkah Uji")
    html = _client(ngo_a, worker).get(f"/cases/{case.pk}/").content.decode()
    path = f"/cases/{case.pk}/"
    assert re.findall(r'<a role="button" href="([^"]+)"', html) == [f"{path}assessment/"]
    links = _links(html, "Tindakan kasus")
    assert links == [
        f"{path}assessment/",
        f"{path}plan/",
        f"{path}service/",
        f"{path}followup/",
        f"{path}verification/",
        f"{path}note/",
        f"{path}attachment/",
        f"{path}consent/",
        f"{path}close/",
    ]


def test_timeline_orders_same_day_entries_by_time_and_leaves_out_planned_visits(ngo_a, team_a):
    """Two notes written the same day come newest first, whatever their table; a visit
    planned for next week is under upcoming visits, not in the history."""
    worker = team_a["worker"].user
    with schema_context(ngo_a.ngo.schema_name):
        case = _register(worker, "Urutan Uji")
        services.note_add(actor=worker, case_id=case.pk, body="Catatan pertama")
        services.note_add(actor=worker, case_id=case.pk, body="Catatan kedua")
        services.followup_schedule(
            actor=worker, case_id=case.pk, due_on=timezone.localdate() + timedelta(days=7)
        )
    html = _client(ngo_a, worker).get(f"/cases/{case.pk}/").content.decode()
    timeline = html.split('id="timeline-title"')[1]
    assert timeline.index("Catatan kedua") < timeline.index("Catatan pertama")
    assert "Kunjungan tindak lanjut" not in timeline  # the planned visit
    assert timeline.index("Catatan pertama") < timeline.index("Izin wali")  # consent came first
    upcoming = html.split('id="open-title"')[1].split("</section>")[0]
    assert "Kunjungan tindak lanjut" in upcoming


def test_empty_select_choice_reads_as_a_word(ngo_a, team_a):
    """A select's empty choice says "— pilih —" (English "— choose —"), not "---------"."""
    worker = team_a["worker"].user
    with schema_context(ngo_a.ngo.schema_name):
        case = _register(worker, "Pilih Uji")
    for language, word in (("id", "— pilih —"), ("en", "— choose —")):
        html = _client(ngo_a, worker, language).get(f"/cases/{case.pk}/assessment/")
        html = html.content.decode()
        assert "---------" not in html
        assert re.search(f'<option value=""( selected)?>{word}</option>', html)


def test_attachment_input_declares_types_and_the_size_limit(ngo_a, team_a):
    """The file input names the accepted types and the 5 MB limit the page checks before
    sending."""
    worker = team_a["worker"].user
    with schema_context(ngo_a.ngo.schema_name):
        case = _register(worker, "Berkas Uji")
    html = _client(ngo_a, worker).get(f"/cases/{case.pk}/attachment/").content.decode()
    assert 'accept="application/pdf,image/jpeg,image/png,image/webp,.pdf,.jpg,.jpeg,.png,' in html
    assert 'data-max-bytes="5242880"' in html
    assert 'id="id_file_too_large"' in html
