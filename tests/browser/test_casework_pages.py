"""The NGO's casework pages in a real browser, on a phone-sized screen (360x740).

Elements are found by name, id, URL and role, not by visible text: the interface is translated
(Bahasa Indonesia by default, English through the header's language button or the browser's
Accept-Language). Only the language checks read text.
"""

from __future__ import annotations

import os
import random
import re
import string
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from tests.support import ADMIN_PASSWORD

pytestmark = pytest.mark.browser

SUBMIT = "main form[method=post] button[type=submit]:not([name])"
PAGE_WEIGHT_BUDGET = 150_000  # bytes of response bodies on a first load: document, CSS, JS
# With TERPADU_BROWSER_SCREENSHOTS=1 every checked page is saved here, to look at the layout.
PAGES_DIR = Path(__file__).resolve().parents[2] / "test-results" / "browser" / "pages"

LAYOUT_JS = """() => {
  const root = document.documentElement;
  const width = root.clientWidth;
  const classes = (el) => typeof el.className === 'string' && el.className.trim()
    ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + classes(el);
  const inScroller = (el) => {
    for (let p = el.parentElement; p && p !== document.body && p !== root; p = p.parentElement) {
      const overflow = getComputedStyle(p).overflowX;
      if (overflow === 'auto' || overflow === 'scroll') return true;
    }
    return false;
  };
  const offenders = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    if (box.right > width + 0.5 && !inScroller(el)) {
      offenders.push(describe(el) + ' right=' + Math.round(box.right));
    }
  }
  return {width, scrollWidth: root.scrollWidth, bodyScrollWidth: document.body.scrollWidth,
          offenders: offenders.slice(0, 8)};
}"""

UNLABELLED_JS = """() => {
  const visible = (el) => {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return box.width > 0 && box.height > 0 && style.visibility !== 'hidden';
  };
  return [...document.querySelectorAll('input, select, textarea')]
    .filter((el) => el.type !== 'hidden' && visible(el))
    .filter((el) => !(el.labels && el.labels.length)
      && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
    .map((el) => el.outerHTML.slice(0, 120));
}"""


# --- Helpers -------------------------------------------------------------------------------------


def unique_name(surname: str) -> str:
    """A full name whose first word no other child shares (the duplicate check matches on it)."""
    tag = "".join(random.choices(string.ascii_lowercase, k=6))
    return f"Uji{tag.capitalize()} {surname}"


def submit(page, selector: str = SUBMIT):
    """Click a submit button and wait for the page it leads to; returns that response."""
    with page.expect_navigation() as navigation:
        page.locator(selector).click()
    return navigation.value


def check_page(page, lang: str, label: str) -> None:
    """The page is in `lang` and fits 360 px: nothing sticks out to the right."""
    assert page.get_attribute("html", "lang") == lang, f"{label}: wrong language"
    layout = page.evaluate(LAYOUT_JS)
    assert layout["scrollWidth"] <= 360, f"{label}: horizontal scrolling {layout}"
    assert layout["bodyScrollWidth"] <= 360, f"{label}: horizontal scrolling {layout}"
    assert not layout["offenders"], f"{label}: content wider than the screen {layout}"
    if os.environ.get("TERPADU_BROWSER_SCREENSHOTS") == "1":
        folder = PAGES_DIR / lang
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{label}.png"), full_page=True)


def login(page, username: str, *, password: str = ADMIN_PASSWORD, switch_to: str | None = None):
    page.goto("/accounts/login/")
    if switch_to:
        submit(page, f"form.lang-switch button[name=language][value={switch_to}]")
        assert page.get_attribute("html", "lang") == switch_to
        assert re.search(r"/accounts/login/", page.url)
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    return submit(page)


def nav_to(page, href: str) -> None:
    """Follow a link of the header's menu (collapsed behind its button until opened)."""
    menu = page.locator("header details.nav-menu")
    if menu.get_attribute("open") is None:
        menu.locator("summary").click()
    page.locator(f"header nav a[href='{href}']").click()
    page.wait_for_url(f"**{href}")


def case_action(page, href: str) -> None:
    """Follow one of the case page's actions: the next step's button, else the other actions'
    menu, opened first."""
    link = page.locator(f"main nav.case-actions a[href='{href}']")
    if not link.is_visible():
        page.locator("main details.case-more > summary").click()
    link.click()
    page.wait_for_url(f"**{href}")


def open_sections(page) -> None:
    """Open every collapsed part of a long form (the assessment), as a worker filling it does."""
    sections = page.locator("main details.form-section")
    for index in range(sections.count()):
        section = sections.nth(index)
        if section.get_attribute("open") is None:
            section.locator("summary").click()


def case_id_from(url: str) -> int:
    match = re.search(r"/cases/(\d+)/", url)
    assert match, url
    return int(match.group(1))


def register_by_service(casework_data, actor, full_name: str, *, consent: bool = True):
    """A case registered through the service (committed, so the live server sees it)."""
    from casework import services

    def create():
        return services.child_register(
            actor=actor,
            child=services.ChildInput(
                full_name=full_name,
                known_as=full_name.split()[0],
                sex="female",
                school_status="dropped_out",
                birth_year=2013,
                birth_year_estimated=True,
            ),
            household=services.HouseholdInput(
                guardian_name="Ibu Lestari",
                guardian_relationship="ibu",
                member_count=5,
                monthly_income_band="lt_1m",
                province_code="33",
                regency_code="33.74",
                village="Tanjung Mas",
            ),
            consent=services.ConsentInput(
                guardian_name="Ibu Lestari",
                guardian_relationship="ibu",
                guardian_consented=True,
                child_assented=True,
                consented_on=timezone.localdate(),
            )
            if consent
            else None,
        )

    return casework_data(create)


def case_status(casework_data, case_id: int) -> str:
    from casework.models import Case

    return casework_data(lambda: Case.objects.get(pk=case_id).status)


# --- 1. A case from registration to closure ------------------------------------------------------


@pytest.mark.parametrize("lang", ["id", "en"])
def test_case_lifecycle_on_a_phone(lang, site, new_page, casework_data):
    """A worker registers a child and works the case to closure; a supervisor approves the
    assessment, the plan and the closure. In English the worker switches with the header's
    button and the choice holds on every page; the supervisor's browser asks for English."""
    worker = site.team["worker"].user
    today = timezone.localdate()
    full_name = unique_name("Lestari")
    twin = register_by_service(casework_data, worker, full_name)

    page = new_page("id-ID")
    login(page, "worker-a", switch_to="en" if lang == "en" else None)
    assert page.url == site.url("/")
    check_page(page, lang, "home")
    if lang == "en":
        assert page.locator("form.lang-switch button[name=language][value=id]").count() == 1
    else:
        assert page.locator("form.lang-switch button[name=language][value=en]").count() == 1

    # Registration wizard: child -> household -> consent and assent -> review -> save.
    nav_to(page, "/register/?new=1")
    check_page(page, lang, "register-child")
    page.fill("#id_full_name", full_name)
    page.fill("#id_known_as", full_name.split()[0])
    page.check("input[name=sex][value=female]")
    page.fill("#id_birth_year", "2013")
    page.check("#id_birth_year_estimated")
    page.select_option("#id_school_status", "dropped_out")
    page.fill("#id_last_grade", "4")
    page.select_option("#id_case_type", "child_labour")
    submit(page)
    assert page.url.endswith("/register/household/")
    check_page(page, lang, "register-household")
    page.fill("#id_guardian_name", "Ibu Lestari")
    page.fill("#id_guardian_relationship", "ibu")
    page.fill("#id_guardian_phone", "081234567890")
    page.fill("#id_member_count", "5")
    page.fill("#id_income_source", "buruh tani")
    page.select_option("#id_monthly_income_band", "lt_1m")
    page.select_option("#id_province_code", "33")
    page.fill("#id_district", "Semarang Utara")
    page.fill("#id_village", "Tanjung Mas")
    submit(page)
    assert page.url.endswith("/register/consent/")
    check_page(page, lang, "register-consent")
    assert page.input_value("#id_guardian_name") == "Ibu Lestari"  # carried over
    assert page.input_value("#id_consented_on") == today.isoformat()
    page.check("#id_guardian_consented")
    page.check("#id_child_assented")
    page.check("#id_scope_referral_sharing")
    submit(page)
    assert page.url.endswith("/register/review/")
    check_page(page, lang, "register-review")
    duplicates = page.locator("section[aria-labelledby=dup-title]")
    assert duplicates.locator(f"a[href='/cases/{twin.pk}/']").count() == 1
    submit(page)
    case_id = case_id_from(page.url)
    assert case_id != twin.pk
    case_path = f"/cases/{case_id}/"
    assert page.url == site.url(case_path)
    check_page(page, lang, "case-registered")
    assert page.locator("main h1").inner_text().startswith(full_name)
    assert case_status(casework_data, case_id) == "registered"

    # The case list finds both children by name; htmx swaps the results without a reload.
    nav_to(page, "/cases/")
    check_page(page, lang, "case-list")
    page.evaluate("window.sameDocument = true")
    page.locator("form.case-filters summary").click()
    page.locator("#id_search").press_sequentially(full_name.split()[0])
    page.wait_for_url("**/cases/?*search=*")
    results = page.locator("#results")
    results.locator(f"a[href='{case_path}']").wait_for()
    assert results.locator(f"a[href='/cases/{twin.pk}/']").count() == 1
    assert page.evaluate("window.sameDocument") is True
    check_page(page, lang, "case-list-search")

    # Assessment.
    page.goto(case_path)
    case_action(page, f"{case_path}assessment/")
    check_page(page, lang, "assessment")
    assert page.input_value("#id_assessed_on") == today.isoformat()
    open_sections(page)
    page.fill("#id_sector", "perikanan")
    page.fill("#id_tasks", "menyortir ikan")
    page.select_option("#id_employer_type", "informal")
    page.fill("#id_hours_per_week", "20")
    page.select_option("#id_score_education", "2")
    page.select_option("#id_risk_level", "high")
    submit(page)
    assert page.url == site.url(case_path)

    # The supervisor opens the assessment from the approvals page, reads it and approves it
    # there, never blind (browser in English when the test is: Accept-Language, no switching).
    boss = new_page("en-US" if lang == "en" else "id-ID")
    login(boss, "supervisor-a")
    check_page(boss, lang, "supervisor-home")
    nav_to(boss, "/approvals/")
    check_page(boss, lang, "approvals")
    boss.locator(f"main a[href^='{case_path}assessment/']").click()
    boss.wait_for_url(f"**{case_path}assessment/*/")
    assessment_url = boss.url
    check_page(boss, lang, "assessment-read")
    submit(boss, "#review-form button[value=approve]")
    assert boss.url == assessment_url
    assert case_status(casework_data, case_id) == "assessed"

    # Plan: one goal with a planned service, sent for approval.
    page.goto(case_path)
    case_action(page, f"{case_path}plan/")
    check_page(page, lang, "plan")
    page.fill("#id_goals-0-description", "Kembali ke sekolah dan berhenti bekerja")
    page.fill("#id_goals-0-target_date", (today + timedelta(days=90)).isoformat())
    page.select_option("#id_goals-0-service_type", "school_return")
    page.select_option("#id_goals-0-provider_kind", "own")
    assert page.input_value("#id_goals-0-responsible_worker") == str(worker.pk)
    page.fill("#id_goals-0-due_on", (today + timedelta(days=30)).isoformat())
    page.fill("#id_summary", "Sekolah dan dukungan ekonomi keluarga")
    page.check("#id_submit")
    submit(page)
    assert page.url == site.url(case_path), page.locator(".errorlist").all_inner_texts()

    boss.goto(case_path)
    check_page(boss, lang, "case-plan-submitted")
    submit(boss, f"form[action='{case_path}review/plan/'] button[value=approve]")
    assert boss.url == site.url(case_path)
    assert case_status(casework_data, case_id) == "planned"

    # Service delivered.
    page.goto(case_path)
    case_action(page, f"{case_path}service/")
    check_page(page, lang, "service")
    page.select_option("#id_type", "school_return")
    page.fill("#id_provider", "SD Negeri 1 Tanjung Mas")
    page.fill("#id_outcome", "Terdaftar kembali di kelas 5")
    submit(page)
    assert page.url == site.url(case_path)
    assert case_status(casework_data, case_id) == "in_service"

    # Follow-up visit scheduled.
    case_action(page, f"{case_path}followup/")
    check_page(page, lang, "followup")
    page.select_option("#id_kind", "visit")
    page.fill("#id_due_on", (today + timedelta(days=14)).isoformat())
    page.fill("#id_purpose", "Cek kehadiran sekolah")
    submit(page)
    assert page.url == site.url(case_path)
    assert page.locator("section[aria-labelledby=open-title] li").count() == 1

    # Verification: left work and in school.
    case_action(page, f"{case_path}verification/")
    check_page(page, lang, "verification")
    assert page.input_value("#id_visited_on") == today.isoformat()
    page.check("#id_left_work")
    page.check("#id_in_school_or_training")
    submit(page)
    assert page.url == site.url(case_path)
    assert case_status(casework_data, case_id) == "monitoring"

    # Closure request.
    case_action(page, f"{case_path}close/")
    check_page(page, lang, "closure-request")
    page.select_option("#id_reason", "withdrawn_child_labour")
    page.fill("#id_outcome", "Berhenti bekerja, bersekolah lagi")
    submit(page)
    assert page.url == site.url(case_path)
    assert case_status(casework_data, case_id) == "closure_requested"

    boss.goto(case_path)
    check_page(boss, lang, "case-closure-requested")
    submit(boss, f"form[action='{case_path}review/closure/'] button[value=approve]")
    assert case_status(casework_data, case_id) == "closed"

    # The case page shows it closed: no action is left for the worker; reopening, like
    # closing, is the supervisor's.
    page.goto(case_path)
    check_page(page, lang, "case-closed")
    assert page.locator("main nav.case-actions a").count() == 0
    boss.goto(case_path)
    actions = boss.locator("main nav.case-actions a")
    assert actions.count() == 1
    assert actions.first.get_attribute("href") == f"{case_path}reopen/"
    assert page.locator("section[aria-labelledby=open-title]").count() == 0  # visits dropped
    if lang == "en":
        assert "Closed" in page.locator("main h1 + p strong").inner_text()
    # The worker's home no longer lists the case among open cases.
    page.goto("/")
    check_page(page, lang, "home-after-closure")
    assert page.locator(f"main a[href='{case_path}']").count() == 0


# --- 2. Another worker's case ------------------------------------------------------------------


def test_worker_cannot_open_another_workers_case_by_url(site, new_page, casework_data):
    full_name = unique_name("Rahasia")
    case = register_by_service(casework_data, site.team["worker"].user, full_name)
    page = new_page(user="worker-a2")

    response = page.goto(f"/cases/{case.pk}/")
    assert response.status == 404
    content = page.content()
    assert full_name not in content
    assert full_name.split()[0] not in content
    assert case.reference not in content
    assert page.locator("h1").count() == 1  # the site's own 404 page, not a stack trace

    response = page.goto(f"/cases/{case.pk}/assessment/")
    assert response.status == 404
    assert full_name.split()[0] not in page.content()


# --- 3. Wrong password -------------------------------------------------------------------------


def test_wrong_password_shows_an_error_and_does_not_log_in(site, page):
    response = login(page, "worker-a", password="salah-sekali-123")
    assert response.status == 200
    assert page.url == site.url("/accounts/login/")
    error = page.locator("main .errorlist[role=alert]")
    assert error.is_visible()
    assert error.inner_text().strip()
    assert page.input_value("#id_username") == "worker-a"  # kept
    assert page.input_value("#id_password") == ""  # not echoed back
    check_page(page, "id", "login-error")

    page.goto("/")
    assert "/accounts/login/" in page.url  # still anonymous


# --- 4. A bad date keeps the other fields ------------------------------------------------------


def test_future_assessment_date_is_shown_on_the_field_and_keeps_the_rest(
    site, new_page, casework_data
):
    case = register_by_service(casework_data, site.team["worker"].user, unique_name("Tanggal"))
    page = new_page(user="worker-a")
    page.goto(f"/cases/{case.pk}/assessment/")
    open_sections(page)
    tomorrow = timezone.localdate() + timedelta(days=1)
    page.fill("#id_assessed_on", tomorrow.isoformat())
    page.fill("#id_sector", "pertanian")
    page.fill("#id_tasks", "memetik daun teh")
    page.select_option("#id_employer_type", "family")
    page.fill("#id_hours_per_week", "12.5")
    page.check("#id_night_work")
    page.check("input[name=hazards][value=chemicals]")
    page.fill("#id_health_notes", "batuk")
    page.select_option("#id_score_health", "2")
    page.select_option("#id_risk_level", "urgent")
    response = submit(page)

    assert response.status == 400
    date_field = page.locator(".field:has(#id_assessed_on)")
    assert date_field.locator(".errorlist[role=alert]").is_visible()
    assert page.locator(".field-error").count() == 1  # only the date is wrong
    assert page.input_value("#id_assessed_on") == tomorrow.isoformat()
    assert page.input_value("#id_sector") == "pertanian"
    assert page.input_value("#id_tasks") == "memetik daun teh"
    assert page.input_value("#id_employer_type") == "family"
    assert page.input_value("#id_hours_per_week") == "12.5"
    assert page.is_checked("#id_night_work")
    assert page.is_checked("input[name=hazards][value=chemicals]")
    assert not page.is_checked("input[name=hazards][value=heights]")
    assert page.input_value("#id_health_notes") == "batuk"
    assert page.input_value("#id_score_health") == "2"
    assert page.input_value("#id_risk_level") == "urgent"
    assert page.get_attribute("#id_assessed_on", "aria-invalid") == "true"
    check_page(page, "id", "assessment-error")
    assert casework_data(lambda: case.assessments.count()) == 0


def test_unparsable_followup_date_is_shown_on_the_field_and_keeps_the_rest(
    site, new_page, casework_data
):
    case = register_by_service(casework_data, site.team["worker"].user, unique_name("Kunjungan"))
    page = new_page(user="worker-a")
    page.goto(f"/cases/{case.pk}/followup/")
    page.select_option("#id_kind", "verification")
    page.select_option("#id_assigned_worker", str(site.team["worker"].user.pk))
    page.fill("#id_purpose", "Pastikan anak di sekolah")
    # A phone's date picker cannot produce this; an old browser's text box can.
    page.eval_on_selector("#id_due_on", "el => { el.type = 'text'; el.value = '2025-02-31'; }")
    response = submit(page)

    assert response.status == 400
    assert page.locator(".field:has(#id_due_on) .errorlist[role=alert]").is_visible()
    assert page.locator(".field-error").count() == 1
    assert page.input_value("#id_kind") == "verification"
    assert page.input_value("#id_assigned_worker") == str(site.team["worker"].user.pk)
    assert page.input_value("#id_purpose") == "Pastikan anak di sekolah"
    check_page(page, "id", "followup-error")
    assert casework_data(lambda: case.followups.count()) == 0


# --- 5. Page weight ----------------------------------------------------------------------------


def _first_load_weight(page, path: str) -> tuple[int, int, dict[str, int]]:
    """Bytes of every response body on a first load, and the Performance API's transfer size."""
    bodies: dict[str, int] = {}

    def on_response(response):
        try:
            bodies[response.url] = len(response.body())
        except Exception:  # redirects have no body
            bodies[response.url] = 0

    page.on("response", on_response)
    page.goto(path, wait_until="load")
    page.wait_for_load_state("networkidle")
    page.remove_listener("response", on_response)
    for url, size in sorted(bodies.items(), key=lambda item: -item[1]):
        print(f"{size:>9} B  {url}")
    transfer = page.evaluate(
        """() => performance.getEntriesByType('navigation')
              .concat(performance.getEntriesByType('resource'))
              .reduce((sum, entry) => sum + (entry.transferSize || 0), 0)"""
    )
    return sum(bodies.values()), transfer, bodies


def test_first_load_page_weight(site, new_page, record_page_weight):
    page = new_page("id-ID")
    total, transfer, bodies = _first_load_weight(page, "/accounts/login/")
    record_page_weight("login page", total, transfer)
    assert any(url.endswith(".css") for url in bodies), bodies
    # htmx is loaded only by the pages that use it (case list, registration).
    assert not any(url.endswith(".js") for url in bodies), bodies
    assert total < PAGE_WEIGHT_BUDGET, bodies

    page.fill("#id_username", "worker-a")
    page.fill("#id_password", ADMIN_PASSWORD)
    submit(page)
    assert page.url == site.url("/")

    # The home page in a new context with only the session cookie: nothing cached.
    home = new_page("id-ID", storage_state=page.context.storage_state())
    total, transfer, bodies = _first_load_weight(home, "/")
    record_page_weight("worker's home page", total, transfer)
    assert home.url == site.url("/")
    assert total < PAGE_WEIGHT_BUDGET, bodies


# --- 6. Labels, landmarks, focus ---------------------------------------------------------------


def test_registration_pages_have_labels_landmarks_and_visible_focus(site, new_page):
    page = new_page(user="worker-a")
    page.goto("/register/?new=1")

    def check_accessible(label: str) -> None:
        assert page.evaluate(UNLABELLED_JS) == [], f"{label}: inputs without a label"
        assert page.locator("main").count() == 1
        assert page.locator("header nav").count() == 1
        assert page.locator("ol.steps [aria-current=step]").count() == 1

    check_accessible("child")
    # Keyboard: the first Tab reaches the skip link, which then shows on screen.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#main"
    box = page.locator("a.skip-link").bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["y"] >= 0
    # A focused input shows its focus ring.
    page.focus("#id_full_name")
    outline = page.eval_on_selector(
        "#id_full_name",
        "el => { const s = getComputedStyle(el); return [s.outlineStyle, s.outlineWidth]; }",
    )
    assert outline[0] != "none", outline
    assert outline[1] != "0px", outline
    # Radio buttons are reachable and labelled one by one.
    assert page.locator("input[name=sex]").count() == 2

    page.fill("#id_full_name", unique_name("Label"))
    page.check("input[name=sex][value=male]")
    page.fill("#id_birth_year", "2012")
    page.select_option("#id_school_status", "in_school")
    submit(page)
    assert page.url.endswith("/register/household/")
    check_accessible("household")
    page.fill("#id_guardian_name", "Pak Label")
    page.fill("#id_guardian_relationship", "ayah")
    page.fill("#id_member_count", "4")
    page.select_option("#id_monthly_income_band", "1m_2m")  # no band is chosen ahead
    submit(page)
    assert page.url.endswith("/register/consent/")
    check_accessible("consent")
    page.focus("#id_guardian_consented")
    style = page.eval_on_selector(
        "#id_guardian_consented", "el => getComputedStyle(el).outlineStyle"
    )
    assert style != "none"


# --- Known problems ------------------------------------------------------------------------------


def test_regency_choices_follow_the_province(site, new_page):
    page = new_page(user="worker-a")
    page.goto("/register/?new=1")
    page.fill("#id_full_name", unique_name("Wilayah"))
    page.check("input[name=sex][value=female]")
    page.fill("#id_birth_year", "2014")
    submit(page)
    assert page.url.endswith("/register/household/")
    page.select_option("#id_province_code", "33")
    page.wait_for_function(
        "document.querySelectorAll('#id_regency_code option').length > 1", timeout=2_000
    )
    page.select_option("#id_regency_code", "33.74")


# --- My account, the printable summary, the list's downloads --------------------------------


@pytest.mark.parametrize("lang", ["id", "en"])
def test_account_summary_and_downloads_on_a_phone(lang, site, new_page, casework_data):
    """A supervisor finds the list's downloads and a case's printable summary; the M&E officer
    opens a masked summary from the list; a worker stores the language on "My account"."""
    full_name = unique_name("Cetak")
    case = register_by_service(casework_data, site.team["worker"].user, full_name)
    locale = "id-ID" if lang == "id" else "en-US"

    supervisor = new_page(locale, user="supervisor-a")
    supervisor.goto("/cases/")
    check_page(supervisor, lang, "case-list-downloads")
    assert supervisor.locator("main a[href^='/cases/export.csv']").is_visible()
    assert supervisor.locator("main a[href^='/cases/export.xlsx']").is_visible()
    supervisor.goto(f"/cases/{case.pk}/")
    supervisor.locator(f"main a[href='/cases/{case.pk}/summary/']").click()
    supervisor.wait_for_url(f"**/cases/{case.pk}/summary/")
    check_page(supervisor, lang, "case-summary")
    assert full_name in supervisor.content()

    officer = new_page(locale, user="me-a")
    officer.goto("/cases/?search=" + case.reference)
    officer.locator(f"main a[href='/cases/{case.pk}/summary/']").click()
    officer.wait_for_url(f"**/cases/{case.pk}/summary/")
    check_page(officer, lang, "case-summary-masked")
    content = officer.content()
    assert case.reference in content
    assert full_name.split()[0] not in content

    worker = new_page(locale, user="worker-a")
    worker.goto("/")
    nav_to(worker, "/account/")
    check_page(worker, lang, "account")
    other = "en" if lang == "id" else "id"
    worker.select_option("#id_language", other)
    submit(worker)
    assert worker.get_attribute("html", "lang") == other
    worker.select_option("#id_language", lang)
    submit(worker)
    assert worker.get_attribute("html", "lang") == lang
