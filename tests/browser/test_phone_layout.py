"""A full day's pages at 360x740 in Bahasa Indonesia and English (issue 9, section 3).

Each page is checked the same way: nothing wider than the screen (every element's box, every
button's box within the 360 px viewport), and the header no taller than HEADER_MAX_PX with the
navigation collapsed behind its menu button. Screenshots of every page go to SHOTS_DIR
(`test-results/shots/phone-layout` unless TERPADU_SHOTS_DIR says otherwise).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from tests.browser.test_casework_pages import LAYOUT_JS, register_by_service, unique_name

pytestmark = pytest.mark.browser

SHOTS_DIR = Path(os.environ.get("TERPADU_SHOTS_DIR", "test-results/shots/phone-layout"))
# The collapsed header: one row (brand, NGO name, menu button), 740 px screen.
HEADER_MAX_PX = 64

BUTTONS_JS = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  const controls = 'button, [role=button], input, select, textarea, summary';
  for (const el of document.querySelectorAll(controls)) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    if (box.left < -0.5 || box.right > width + 0.5) {
      const where = Math.round(box.left) + '..' + Math.round(box.right);
      out.push(el.outerHTML.slice(0, 80) + ' ' + where);
    }
  }
  return out;
}"""


def check_layout(page, lang: str, label: str, *, header: bool = True) -> None:
    """In `lang`, nothing sticks out of 360 px, every control is inside the viewport, and the
    header is one short row; a full-page screenshot goes to SHOTS_DIR/<lang>/<label>.png."""
    SHOTS_DIR.joinpath(lang).mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS_DIR / lang / f"{label}.png"), full_page=True)
    if os.environ.get("TERPADU_SHOTS_ONLY") == "1":
        return  # screenshots of a layout known to fail (the "before" pictures)
    assert page.get_attribute("html", "lang") == lang, label
    layout = page.evaluate(LAYOUT_JS)
    assert layout["scrollWidth"] <= 360, f"{label}: {layout}"
    assert not layout["offenders"], f"{label}: {layout}"
    assert page.evaluate(BUTTONS_JS) == [], label
    if header:
        height = page.locator("header.site-header").bounding_box()["height"]
        assert height <= HEADER_MAX_PX, f"{label}: header {height} px"


def busy_case(site, casework_data):
    """A case with an approved assessment and plan, a service, two notes, a document-free
    timeline of several same-day entries and a visit planned in two weeks."""
    from casework import services

    worker = site.team["worker"].user
    boss = site.team["supervisor"].user
    case = register_by_service(casework_data, worker, unique_name("Sibuk"))
    today = timezone.localdate()

    def build():
        assessment = services.assessment_create(
            actor=worker,
            case_id=case.pk,
            assessed_on=today,
            works=True,
            sector="perikanan",
            tasks="menyortir ikan",
            employer_type="informal",
            hours_per_week=20,
            score_education=2,
            score_health=3,
            score_psychosocial=3,
            score_safety=3,
            score_family_economy=2,
            risk_level="high",
        )
        services.assessment_review(
            actor=boss, case_id=case.pk, assessment_id=assessment.pk, approve=True
        )
        services.note_add(actor=worker, case_id=case.pk, body="Catatan pertama")
        services.plan_save(
            actor=worker,
            case_id=case.pk,
            summary="Kembali sekolah",
            goals=[
                {
                    "description": "Kembali ke sekolah",
                    "target_date": today + timedelta(days=60),
                    "services": [
                        {
                            "type": "school_return",
                            "provider_kind": "own",
                            "provider_name": "",
                            "responsible_worker_id": worker.pk,
                            "due_on": today + timedelta(days=30),
                        }
                    ],
                }
            ],
            submit=True,
        )
        services.plan_review(actor=boss, case_id=case.pk, approve=True)
        services.intervention_record(
            actor=worker,
            case_id=case.pk,
            type="school_return",
            provider="SD Negeri 1",
            delivered_on=today,
            outcome="Terdaftar",
        )
        services.followup_schedule(
            actor=worker, case_id=case.pk, due_on=today + timedelta(days=14), purpose="Cek"
        )
        services.note_add(actor=worker, case_id=case.pk, body="Catatan kedua")
        return case.pk

    return casework_data(build)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_days_pages_fit_a_phone(lang, site, new_page, casework_data):
    """Login, home, case list with filters open, the busy case page, the assessment form, the
    staff and audit pages: each fits 360 px in `lang` with a short header."""
    locale = "id-ID" if lang == "id" else "en-US"
    case_id = busy_case(site, casework_data)

    anonymous = new_page(locale)
    anonymous.goto("/accounts/login/")
    check_layout(anonymous, lang, "login")

    page = new_page(locale, user="worker-a")
    page.goto("/")
    check_layout(page, lang, "home")
    page.goto("/cases/?status=&search=")
    check_layout(page, lang, "case-list-filters")
    page.goto(f"/cases/{case_id}/")
    check_layout(page, lang, "case")
    # Before the timeline: the next step and one menu button, nothing else.
    actions = page.locator("main nav.case-actions")
    assert actions.locator("a[role=button]").count() == 1
    assert actions.locator("a[role=button]").get_attribute("href") == f"/cases/{case_id}/followup/"
    assert actions.bounding_box()["height"] <= 120
    page.locator("main details.case-more > summary").click()
    check_layout(page, lang, "case-other-actions")
    page.locator("header details.nav-menu > summary").click()
    assert page.locator("header nav a[href='/cases/']").is_visible()
    check_layout(page, lang, "case-menu-open")
    page.goto(f"/cases/{case_id}/assessment/")
    check_layout(page, lang, "assessment")

    admin = new_page(locale, user="admin-a")
    admin.goto("/staff/")
    check_layout(admin, lang, "staff")
    admin.goto("/audit/?actor=work")
    check_layout(admin, lang, "audit-filters")


def test_first_visit_css_inline_then_from_the_cache(site, new_page, settings):
    """With hashed static files (the make-run and production profile) the first page carries
    its CSS inline and styled; after it loaded, the cookie is set and the next page links the
    stylesheets instead."""
    settings.STATIC_MANIFEST = True
    page = new_page("id-ID")
    page.goto("/accounts/login/", wait_until="load")
    assert page.locator("head style").count() == 1
    header = page.locator("header.site-header")
    assert header.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(11, 92, 74)"
    check_layout(page, "id", "login-inline-css")
    page.wait_for_load_state("networkidle")
    cookies = {cookie["name"] for cookie in page.context.cookies()}
    assert "terpadu_css" in cookies
    page.goto("/accounts/login/", wait_until="load")
    assert page.locator("head style").count() == 0
    assert page.locator("head link[rel=stylesheet]").count() == 2
    assert header.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(11, 92, 74)"
