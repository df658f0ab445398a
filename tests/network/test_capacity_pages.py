"""Capacity building's pages: the coordinator console's (public host) per role and in both
languages, their forms' field errors and writes, and the NGO's own history page (its admin
only, its own rows only)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django_tenants.utils import schema_context

from core import clock
from network.capacity import services
from network.capacity.models import AgreedAction, MentoringVisit, SelfAssessment, Training
from tenants.models import PlatformAuditEvent
from tests.support import ADMIN_PASSWORD, host_client

pytestmark = pytest.mark.django_db

SCORES = {
    "case_management": 3,
    "information_system": 4,
    "referral_network": 2,
    "child_safeguarding": 5,
    "data_protection": 3,
}


@pytest.fixture
def operator():
    return get_user_model().objects.create_superuser(
        username="operator@example.org", email="operator@example.org", password=ADMIN_PASSWORD
    )


def _public(user=None, language: str = "en"):
    client = host_client("localhost", HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def records(network, ngo_a, ngo_b):
    """A training A and B attended, a visit to A with one overdue and one done action, a
    visit to B, and A's self-assessment of this year."""
    today = clock.today()
    coordinator = network.coordinator
    training = services.training_create(
        actor=coordinator,
        consortium=network.consortium,
        data=services.TrainingInput(
            topic="Manajemen kasus dasar",
            held_on=today - timedelta(days=20),
            trainer="Dr. Sari Wulandari",
            location="Semarang",
            participants=[
                services.ParticipationInput("yayasan-a", 3, "Bu Ani (pekerja sosial)"),
                services.ParticipationInput("lembaga-b", 2, "Pak Joko (supervisor)"),
            ],
        ),
    )
    visit_a = services.mentoring_visit_create(
        actor=coordinator,
        consortium=network.consortium,
        data=services.VisitInput(
            ngo="yayasan-a",
            visited_on=today - timedelta(days=30),
            topics="Rencana kasus dan rujukan",
            findings="Temuan rahasia A: rencana kasus belum ditinjau.",
            mentor="Pak Budi",
        ),
        actions=[
            services.ActionInput("Tinjau semua rencana kasus A", today - timedelta(days=2)),
            services.ActionInput("Susun SOP rujukan A", today - timedelta(days=10)),
        ],
    )
    done = visit_a.actions.get(description="Susun SOP rujukan A")
    services.agreed_action_complete(
        actor=coordinator, action_uuid=done.uuid, follow_up_note="SOP disahkan direktur."
    )
    visit_b = services.mentoring_visit_create(
        actor=coordinator,
        consortium=network.consortium,
        data=services.VisitInput(
            ngo="lembaga-b",
            visited_on=today - timedelta(days=5),
            topics="Perlindungan data",
            findings="Temuan B: kata sandi dipakai bersama.",
        ),
        actions=[services.ActionInput("Akun pribadi untuk setiap staf B", today + timedelta(7))],
    )
    services.self_assessment_create(
        actor=coordinator,
        consortium=network.consortium,
        ngo="yayasan-a",
        year=today.year,
        scores=SCORES,
    )
    return {"training": training, "visit_a": visit_a, "visit_b": visit_b}


def _paths(network, records) -> dict[str, str]:
    base = f"/console/{network.consortium.pk}/capacity/"
    visit = records["visit_a"]
    return {
        "overview": base,
        "trainings": base + "trainings/",
        "training-new": base + "trainings/new/",
        "training": base + f"trainings/{records['training'].uuid}/",
        "visits": base + "visits/",
        "visit-new": base + "visits/new/",
        "visit": base + f"visits/{visit.uuid}/",
        "visit-edit": base + f"visits/{visit.uuid}/edit/",
        "ngo": base + "ngos/yayasan-a/",
        "self-assessment": base + f"ngos/yayasan-a/self-assessments/{clock.today().year}/",
    }


def test_every_capacity_page_is_the_coordinators_alone(network, records, operator):
    """Coordinator and operator 200; a funder and another consortium's coordinator 404 (as for
    a missing page); anonymous to the login page."""
    expected = {
        network.coordinator: 200,
        operator: 200,
        network.funder: 404,
        network.outsider: 404,
    }
    for name, path in _paths(network, records).items():
        for user, status in expected.items():
            response = _public(user).get(path)
            assert (name, user.username, response.status_code) == (name, user.username, status)
        anonymous = _public().get(path)
        assert (name, anonymous.status_code, anonymous["Location"]) == (
            name,
            302,
            f"/accounts/login/?next={path}",
        )


def test_a_funder_cannot_write_anything(network, records):
    """POSTs of every capacity form by a funder: 404, nothing written, nothing audited."""
    connection.set_schema_to_public()
    mark = PlatformAuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    counts = (
        Training.objects.count(),
        MentoringVisit.objects.count(),
        AgreedAction.objects.count(),
    )
    base = f"/console/{network.consortium.pk}/capacity/"
    visit = records["visit_a"]
    action = visit.actions.get(status="open")
    client = _public(network.funder)
    for path, body in (
        (base + "trainings/new/", {"topic": "x", "held_on": "2026-01-01", "trainer": "y"}),
        (base + "visits/new/", {"ngo": "yayasan-a", "visited_on": "2026-01-01"}),
        (base + f"visits/{visit.uuid}/actions/", {"action-description": "z"}),
        (base + f"visits/{visit.uuid}/actions/{action.uuid}/done/", {}),
        (base + f"ngos/yayasan-a/self-assessments/{clock.today().year}/", SCORES),
    ):
        assert (path, client.post(path, body).status_code) == (path, 404)
    assert (
        Training.objects.count(),
        MentoringVisit.objects.count(),
        AgreedAction.objects.count(),
    ) == counts
    assert not PlatformAuditEvent.objects.filter(id__gt=mark).exists()


def test_the_console_menu_links_capacity_for_coordinators_only(network, records):
    link = f'href="/console/{network.consortium.pk}/capacity/"'
    assert link in _public(network.coordinator).get(f"/console/{network.consortium.pk}/").text
    assert (
        link not in _public(network.funder).get(f"/console/{network.consortium.pk}/reports/").text
    )


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "en",
            [
                "Capacity building",
                "1 agreed action is overdue.",
                "Last training",
                "Manajemen kasus dasar",
                "1 overdue",
                "none yet: record one",
                "Case management practice",
            ],
        ),
        (
            "id",
            [
                "Penguatan kapasitas",
                "1 tindak lanjut yang disepakati terlambat.",
                "Pelatihan terakhir",
                "Manajemen kasus dasar",
                "1 terlambat",
                "belum ada: catat sekarang",
                "Praktik manajemen kasus",
            ],
        ),
    ],
)
def test_the_overview_in_both_languages_marks_overdue_actions(network, records, language, words):
    """Per NGO the last training, the last visit, open and overdue actions (A's card marked
    overdue), the latest self-assessment's scores (or a link to record one)."""
    response = _public(network.coordinator, language).get(
        f"/console/{network.consortium.pk}/capacity/"
    )
    assert response.status_code == 200
    text = response.text
    assert f'<html lang="{language}"' in text
    for word in words:
        assert word in text, word
    assert text.count('<li class="overdue">') == 1
    overdue_card = text.split('<li class="overdue">')[1].split("</li>")[0]
    assert "Yayasan Anak Sejahtera" in overdue_card


def test_a_coordinator_records_a_training_through_the_form(network, ngo_a, ngo_b):
    client = _public(network.coordinator)
    path = f"/console/{network.consortium.pk}/capacity/trainings/new/"
    form = client.get(path)
    assert 'name="count_yayasan-a"' in form.text
    assert 'name="count_lembaga-b"' in form.text
    missing = client.post(path, {"topic": "", "held_on": "2026-01-01", "trainer": "Dr. Sari"})
    assert missing.status_code == 400
    assert missing.context["form"].errors == {"topic": ["This field is required."]}
    future = client.post(path, {"topic": "Data", "held_on": "2999-01-01", "trainer": "Dr. Sari"})
    assert future.status_code == 400
    assert future.context["form"].errors == {
        "held_on": ["The date cannot be in the future."],
        "__all__": ["Give the participants of at least one NGO."],
    }
    assert Training.objects.count() == 0
    good = client.post(
        path,
        {
            "topic": "Perlindungan anak",
            "held_on": clock.today().isoformat(),
            "trainer": "Dr. Sari",
            "count_yayasan-a": "4",
            "staff_yayasan-a": "Bu Ani\nPak Eko",
            "count_lembaga-b": "",
        },
    )
    assert (good.status_code, good["Location"]) == (
        302,
        f"/console/{network.consortium.pk}/capacity/trainings/",
    )
    training = Training.objects.get()
    assert [(p.ngo.slug, p.participant_count, p.staff) for p in training.participations.all()] == [
        ("yayasan-a", 4, "Bu Ani\nPak Eko")
    ]
    listed = client.get(good["Location"]).text
    assert "Perlindungan anak" in listed
    assert "Yayasan Anak Sejahtera: 4" in listed


def test_a_training_form_puts_a_row_error_on_that_ngos_field(network, ngo_a, ngo_b):
    client = _public(network.coordinator)
    response = client.post(
        f"/console/{network.consortium.pk}/capacity/trainings/new/",
        {
            "topic": "Data",
            "held_on": clock.today().isoformat(),
            "trainer": "Tim",
            "count_lembaga-b": "0",
            "staff_lembaga-b": "Pak Joko",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "count_lembaga-b": ["Between 1 and 500 participants."]
    }


def test_a_visit_its_actions_and_marking_one_done(network, ngo_a):
    client = _public(network.coordinator)
    base = f"/console/{network.consortium.pk}/capacity/"
    today = clock.today()
    created = client.post(
        base + "visits/new/",
        {
            "ngo": "yayasan-a",
            "visited_on": (today - timedelta(days=7)).isoformat(),
            "mentor": "Pak Budi",
            "topics": "Rujukan",
            "findings": "Belum ada perjanjian dengan puskesmas.",
        },
    )
    visit = MentoringVisit.objects.get()
    assert created["Location"] == base + f"visits/{visit.uuid}/"
    bad = client.post(
        base + f"visits/{visit.uuid}/actions/",
        {"action-description": "Hubungi puskesmas", "action-due_on": "2000-01-01"},
    )
    assert bad.status_code == 400
    assert bad.context["add"].errors == {"due_on": ["The due date cannot be before the visit."]}
    client.post(
        base + f"visits/{visit.uuid}/actions/",
        {"action-description": "Hubungi puskesmas", "action-due_on": (today - timedelta(1))},
    )
    action = AgreedAction.objects.get()
    page = client.get(base + f"visits/{visit.uuid}/").text
    assert '<li class="overdue">' in page
    assert "Hubungi puskesmas" in page
    prefix = f"done-{action.uuid}"
    refused = client.post(
        base + f"visits/{visit.uuid}/actions/{action.uuid}/done/",
        {f"{prefix}-done_on": today.isoformat(), f"{prefix}-follow_up_note": ""},
    )
    assert refused.status_code == 400
    assert '<details class="confirm-step" open>' in refused.text
    done = client.post(
        base + f"visits/{visit.uuid}/actions/{action.uuid}/done/",
        {f"{prefix}-done_on": today.isoformat(), f"{prefix}-follow_up_note": "MoU ditandatangani."},
    )
    assert done.status_code == 302
    action.refresh_from_db()
    assert (action.status, action.done_on, action.follow_up_note) == (
        "done",
        today,
        "MoU ditandatangani.",
    )
    assert '<li class="overdue">' not in client.get(base + f"visits/{visit.uuid}/").text


def test_an_action_of_another_visit_is_not_found(network, records):
    """The mark-done address needs the action's own visit."""
    action = records["visit_a"].actions.get(status="open")
    path = (
        f"/console/{network.consortium.pk}/capacity/visits/{records['visit_b'].uuid}"
        f"/actions/{action.uuid}/done/"
    )
    response = _public(network.coordinator).post(path, {})
    assert response.status_code == 404


def test_the_self_assessment_form_records_then_changes_a_year(network, ngo_b):
    client = _public(network.coordinator, "id")
    year = clock.today().year
    path = f"/console/{network.consortium.pk}/capacity/ngos/lembaga-b/self-assessments/{year}/"
    page = client.get(path)
    assert page.status_code == 200
    assert "Praktik manajemen kasus" in page.text
    assert "1 · belum ada" in page.text
    bad = client.post(path, {**SCORES, "data_protection": "6"})
    assert bad.status_code == 400
    assert list(bad.context["form"].errors) == ["data_protection"]
    assert client.post(path, SCORES).status_code == 302
    assessment = SelfAssessment.objects.get(ngo__slug="lembaga-b")
    assert (assessment.year, assessment.referral_network) == (year, 2)
    again = client.get(path)
    assert re.search(r'name="referral_network" value="2"[^>]* checked>', again.text)
    assert client.post(path, {**SCORES, "referral_network": "4"}).status_code == 302
    assessment.refresh_from_db()
    assert assessment.referral_network == 4
    assert SelfAssessment.objects.filter(ngo__slug="lembaga-b").count() == 1
    for wrong in (year + 1, 1999):
        wrong_path = path.replace(f"/{year}/", f"/{wrong}/")
        assert client.get(wrong_path).status_code == 404


def test_the_coordinators_ngo_page_shows_that_ngos_history(network, records):
    text = (
        _public(network.coordinator)
        .get(f"/console/{network.consortium.pk}/capacity/ngos/yayasan-a/")
        .text
    )
    for word in ("Tinjau semua rencana kasus A", "SOP disahkan direktur.", "Manajemen kasus"):
        assert word in text
    assert "Temuan B" not in text
    assert "Pak Joko" not in text  # B's participant in the shared training


# --- The NGO's own host ------------------------------------------------------------------------


def _staff_session(provisioned, user, language: str = "en"):
    """A browser-like session of `user` on the NGO's host (stored in the NGO's schema)."""
    client = host_client(provisioned.host, HTTP_ACCEPT_LANGUAGE=language)
    with schema_context(provisioned.ngo.schema_name):
        client.force_login(user)
    return client


def _ngo_admin(provisioned, language: str = "en"):
    """A session of the NGO's first admin (the schema's superuser) on its own host."""
    with schema_context(provisioned.ngo.schema_name):
        admin = get_user_model().objects.get(username=provisioned.admin_username)
    return _staff_session(provisioned, admin, language)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "en",
            ["Capacity building", "Overdue", "Self-assessment by year", "Bu Ani (pekerja sosial)"],
        ),
        ("id", ["Penguatan kapasitas", "Terlambat", "Penilaian mandiri per tahun", "Bu Ani"]),
    ],
)
def test_an_ngo_admin_reads_its_own_history_only(network, records, ngo_a, language, words):
    response = _ngo_admin(ngo_a, language).get("/capacity/")
    assert response.status_code == 200
    text = response.text
    for word in (*words, "Tinjau semua rencana kasus A", "SOP disahkan direktur."):
        assert word in text, word
    for other in ("Temuan B", "Akun pribadi untuk setiap staf B", "Pak Joko", "Lembaga Peduli"):
        assert other not in text, other


def test_another_ngos_admin_never_sees_ngo_as_visits(network, records, ngo_b):
    text = _ngo_admin(ngo_b).get("/capacity/").text
    assert "Akun pribadi untuk setiap staf B" in text
    assert "Pak Joko (supervisor)" in text
    for secret in ("Temuan rahasia A", "Tinjau semua rencana kasus A", "SOP disahkan", "Bu Ani"):
        assert secret not in text, secret
    assert "Self-assessment by year" in text
    assert "No self-assessment recorded yet." in text


def test_other_ngo_roles_get_the_forbidden_page_and_no_menu_link(network, records, team_a, ngo_a):
    """Supervisor, case workers and the M&E officer: 403 without a record's word; only the
    admin's menu links the page."""
    for role in ("supervisor", "worker", "me"):
        client = _staff_session(ngo_a, team_a[role].user)
        response = client.get("/capacity/")
        assert (role, response.status_code) == (role, 403)
        assert "Tinjau semua" not in response.text
        assert 'href="/capacity/"' not in client.get("/").text
    admin = _staff_session(ngo_a, team_a["admin"].user)
    assert admin.get("/capacity/").status_code == 200
    assert 'href="/capacity/"' in admin.get("/").text
    assert (
        host_client(ngo_a.host).get("/capacity/")["Location"] == "/accounts/login/?next=/capacity/"
    )


def test_a_training_date_in_the_past_counts_in_its_window(network, ngo_a):
    """The overview's 12-month count leaves out a training held a year and a day ago."""
    today = clock.today()
    for held_on in (today - timedelta(days=366), today):
        services.training_create(
            actor=network.coordinator,
            consortium=network.consortium,
            data=services.TrainingInput(
                topic=f"Pelatihan {held_on}",
                held_on=held_on,
                trainer="Tim",
                participants=[services.ParticipationInput("yayasan-a", 1)],
            ),
        )
    text = _public(network.coordinator).get(f"/console/{network.consortium.pk}/capacity/").text
    card = text.split("Yayasan Anak Sejahtera")[1].split("</li>")[0]
    assert "<dt>Trainings, last 12 months</dt><dd>1</dd>" in card
    assert f"Pelatihan {today}" in card
