"""Capacity building in a real browser at 360x740, in Bahasa Indonesia: the coordinator finds
the overdue action on the overview, records a training with its participants, marks the
overdue action done and adds another, and records an NGO's self-assessment; NGO A's admin then
reads the NGO's history on its own host, with none of NGO B's. Screenshots go to
test-results/shots/capacity/ (or $TERPADU_SHOTS_DIR) for a person to look at.

The records are committed (the live server's threads see them) and deleted afterwards.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest

from core import clock
from tests.browser.conftest import Site
from tests.browser.test_casework_pages import UNLABELLED_JS, check_page, nav_to, submit
from tests.support import ADMIN_PASSWORD

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("TERPADU_SHOTS_DIR", "test-results/shots/capacity"))
COORDINATOR = "coordinator@example.org"
SCORES = {
    "case_management": 3,
    "information_system": 4,
    "referral_network": 2,
    "child_safeguarding": 5,
    "data_protection": 1,
}


def shot(page, lang: str, name: str) -> None:
    """In `lang`, within 360 px, every input labelled; saved for a person to look at."""
    check_page(page, lang, f"capacity-{name}")
    assert page.evaluate(UNLABELLED_JS) == [], f"{name}: unlabelled inputs"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{lang}-{name}.png"), full_page=True)


@pytest.fixture
def console(browser_server) -> Site:
    """The live server as the public host."""
    return Site(host="localhost", port=browser_server.port, schema="public")


@pytest.fixture
def records(ngo_a, ngo_b):
    """Committed: a training A and B attended, a visit to A with an overdue action, a visit to
    B with its own finding and action. Everything capacity building holds after the test that
    was not there before it is deleted (the browser's writes included)."""
    from django.db import connection

    from network.capacity import services
    from network.capacity.models import MentoringVisit, SelfAssessment, Training
    from tenants.models import Consortium

    connection.set_schema_to_public()
    tops = {
        model: model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        for model in (Training, MentoringVisit, SelfAssessment)
    }
    consortium = Consortium.objects.get(slug="pusat-test")
    coordinator = consortium.members.get(user__username=COORDINATOR).user
    today = clock.today()
    services.training_create(
        actor=coordinator,
        consortium=consortium,
        data=services.TrainingInput(
            topic="Manajemen kasus dasar",
            held_on=today - timedelta(days=40),
            trainer="Dr. Sari Wulandari",
            location="Semarang",
            participants=[
                services.ParticipationInput("yayasan-a", 3, "Bu Ani (pekerja sosial)"),
                services.ParticipationInput("lembaga-b", 2, "Pak Joko (supervisor B)"),
            ],
        ),
    )
    visit = services.mentoring_visit_create(
        actor=coordinator,
        consortium=consortium,
        data=services.VisitInput(
            ngo="yayasan-a",
            visited_on=today - timedelta(days=30),
            topics="Rencana kasus dan rujukan",
            findings="Rencana kasus belum ditinjau supervisor.",
            mentor="Pak Budi",
        ),
        actions=[services.ActionInput("Tinjau semua rencana kasus", today - timedelta(days=3))],
    )
    services.mentoring_visit_create(
        actor=coordinator,
        consortium=consortium,
        data=services.VisitInput(
            ngo="lembaga-b",
            visited_on=today - timedelta(days=5),
            topics="Perlindungan data",
            findings="Temuan B: kata sandi dipakai bersama.",
        ),
        actions=[services.ActionInput("Akun pribadi untuk staf B", today + timedelta(days=7))],
    )
    connection.close()
    yield visit
    connection.set_schema_to_public()
    for model, top in tops.items():
        model.objects.filter(pk__gt=top).delete()
    connection.close()


def _login(page, console: Site) -> None:
    page.goto(console.url("/accounts/login/"))
    page.fill("#id_username", COORDINATOR)
    page.fill("#id_password", ADMIN_PASSWORD)
    submit(page, "main form button[type=submit]")


def test_a_coordinator_works_through_the_capacity_pages(new_page, console, records, ngo_a):
    lang = "id"
    page = new_page("id-ID")
    _login(page, console)
    consortium_path = page.url.removeprefix(console.base_url)
    page.locator("nav.console-nav a", has_text="Penguatan kapasitas").click()
    page.wait_for_url(f"**{consortium_path}capacity/")
    main = page.locator("main")
    assert "1 tindak lanjut yang disepakati terlambat." in main.inner_text()
    card = page.locator("ul.capacity-list > li.overdue")
    assert card.count() == 1
    assert "Yayasan Anak Sejahtera" in card.inner_text()
    assert "1 terlambat" in card.inner_text()
    shot(page, lang, "overview")

    # A training: the date, the trainer, and who came from NGO A.
    page.get_by_role("button", name="Catat pelatihan").first.click()
    page.wait_for_url("**/capacity/trainings/new/")
    page.fill("#id_topic", "Perlindungan data pribadi anak")
    page.fill("#id_held_on", clock.today().isoformat())
    page.fill("#id_trainer", "Tim Pusat Kajian")
    page.fill("#id_count_yayasan-a", "2")
    page.locator("details:has(#id_staff_yayasan-a) summary").click()
    page.fill("#id_staff_yayasan-a", "Bu Ani (pekerja sosial)\nPak Eko (monev)")
    shot(page, lang, "training-form")
    submit(page, "main form.console-form button[type=submit]")
    assert page.url.endswith("/capacity/trainings/")
    assert "Pelatihan sudah dicatat." in page.locator(".messages").inner_text()
    first = page.locator("main ul.card-list > li").first
    assert "Perlindungan data pribadi anak" in first.inner_text()
    assert "Yayasan Anak Sejahtera: 2" in first.inner_text()
    shot(page, lang, "trainings")

    # The overdue action: found through the filter, marked done with its follow-up.
    page.goto(console.url(consortium_path + "capacity/visits/?overdue=1"))
    assert page.locator("main ul.visit-list > li").count() == 1
    shot(page, lang, "visits-overdue")
    page.locator("main ul.visit-list > li a").first.click()
    page.wait_for_url(f"**/capacity/visits/{records.uuid}/")
    overdue = page.locator("main ul.action-list > li.overdue")
    assert "Terlambat" in overdue.inner_text()
    shot(page, lang, "visit")
    overdue.locator("details.confirm-step summary").click()
    overdue.locator("textarea").fill("Semua rencana sudah ditinjau pada rapat staf.")
    shot(page, lang, "visit-mark-done")
    submit(page, "main ul.action-list > li.overdue form button[type=submit]")
    assert page.locator("main ul.action-list > li.overdue").count() == 0
    assert "Semua rencana sudah ditinjau" in page.locator("main ul.action-list").inner_text()
    page.fill("#id_action-description", "Jadwalkan tinjauan rencana setiap minggu")
    page.fill("#id_action-due_on", (clock.today() + timedelta(days=14)).isoformat())
    submit(page, "main form[action$='/actions/'] button[type=submit]")
    assert page.locator("main ul.action-list > li").count() == 2
    shot(page, lang, "visit-after")

    # NGO A's self-assessment of this year, then its history as the NGO's admin reads it.
    page.goto(console.url(consortium_path + "capacity/ngos/yayasan-a/"))
    year = clock.today().year
    page.get_by_role("link", name=f"Catat {year}").click()
    page.wait_for_url(f"**/self-assessments/{year}/")
    for field, score in SCORES.items():
        page.check(f"input[name={field}][value='{score}']")
    shot(page, lang, "self-assessment-form")
    submit(page, "main form.score-form button[type=submit]")
    assert page.url.endswith("/capacity/ngos/yayasan-a/")
    table = page.locator("main table.score-table")
    assert table.locator("thead th").nth(1).inner_text() == str(year)
    assert table.locator("td.score-weak").count() == 2  # referral network 2, data protection 1
    assert "Ubah " + str(year) in page.locator("main").inner_text()
    shot(page, lang, "ngo")


def test_an_ngo_admin_reads_its_history_and_nothing_of_another_ngo(new_page, site, records):
    lang = "id"
    page = new_page("id-ID", user="admin-a")
    page.goto(site.url("/"))
    nav_to(page, "/capacity/")
    main = page.locator("main")
    text = main.inner_text()
    assert page.locator("h1").inner_text() == "Penguatan kapasitas"
    for expected in (
        "Tinjau semua rencana kasus",
        "Terlambat",
        "Manajemen kasus dasar",
        "Bu Ani (pekerja sosial)",
        "Belum ada penilaian mandiri yang dicatat.",
    ):
        assert expected in text, expected
    for hidden in ("Temuan B", "Akun pribadi untuk staf B", "Pak Joko", "Lembaga Peduli Anak"):
        assert hidden not in page.content(), hidden
    assert main.locator("ul.visit-list > li.overdue").count() == 1
    # Read only: no form, no button on the page's content.
    assert main.locator("form").count() == 0
    shot(page, lang, "ngo-history")
    assert re.search(r"/capacity/$", page.url)
