"""Issue 9's "done when", in a real browser on a 360x740 phone in Bahasa Indonesia.

A case worker registers a child, corrects a typo in the name the next day, records an assessment
that the supervisor reads and returns with a comment, fixes and resubmits it, drafts a plan,
links a service to a goal, and sees the week's tasks.

"The next day" happens later in the same test: the live server answers from its own threads,
where `core.clock.as_of` (a context variable of the test's thread) cannot move the date.

Each page is saved to test-results/shots/flows/ (or $TERPADU_FLOWS_SHOTS) to look at the layout.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone, translation

from tests.browser.test_casework_pages import case_id_from, check_page, submit, unique_name

pytestmark = pytest.mark.browser


def case_action(page, href: str) -> None:
    """Click a case page's action as a person does: the next step is a button, the others
    sit in the "Other actions" menu, opened first."""
    link = page.locator(f"main nav.case-actions a[href='{href}']")
    if not link.is_visible():
        page.locator("main details.case-more > summary").click()
    link.click()


SHOTS = Path(os.environ.get("TERPADU_FLOWS_SHOTS", "test-results/shots/flows"))


def shot(page, label: str) -> None:
    """The page fits 360 px in Indonesian; a full-page screenshot is kept under SHOTS."""
    check_page(page, "id", label)
    try:
        SHOTS.mkdir(parents=True, exist_ok=True)
    except OSError:  # a machine without /work: the checks above still ran
        return
    page.screenshot(path=str(SHOTS / f"{label}.png"), full_page=True)


def test_a_case_workers_day_on_a_phone(site, new_page, casework_data):
    """Register, correct the name, assess, get it returned, fix and resubmit it, draft a plan
    with two goals, link a delivered service to a goal, and see the week's tasks."""
    from casework.models import Assessment, AuditEvent, Case, Intervention, Notification

    today = timezone.localdate()
    right_name = unique_name("Rahmawati")
    typo_name = right_name.replace("Rahmawati", "Rahmawatti")

    worker = new_page("id-ID", user="worker-a")
    worker.goto("/")
    shot(worker, "01-home")

    # Registration (child, household, consent and assent, review), with a typo in the name.
    worker.goto("/register/?new=1")
    worker.fill("#id_full_name", typo_name)
    worker.check("input[name=sex][value=female]")
    worker.fill("#id_birth_year", "2012")
    worker.select_option("#id_school_status", "dropped_out")
    submit(worker)
    worker.fill("#id_guardian_name", "Ibu Sumiati")
    worker.fill("#id_guardian_relationship", "ibu")
    worker.fill("#id_member_count", "4")
    worker.select_option("#id_monthly_income_band", "lt_1m")
    worker.fill("#id_village", "Tambak Lorok")
    submit(worker)
    worker.check("#id_guardian_consented")
    worker.check("#id_child_assented")
    submit(worker)
    assert worker.url.endswith("/register/review/")
    submit(worker)
    case_id = case_id_from(worker.url)
    case_path = f"/cases/{case_id}/"
    assert worker.url == site.url(case_path)
    assert worker.locator("main h1").inner_text() == typo_name
    age = today.year - 2012
    assert worker.locator("#child-age").inner_text() == f"{age} tahun (dari tahun lahir)"
    shot(worker, "02-case-registered")

    # The next day: the typo in the name is corrected (the duplicate check runs again).
    worker.locator(f"#edit-links a[href='{case_path}child/']").click()
    worker.wait_for_url(f"**{case_path}child/")
    assert worker.input_value("#id_full_name") == typo_name
    assert worker.input_value("#id_birth_year") == "2012"
    shot(worker, "03-child-edit")
    worker.fill("#id_full_name", right_name)
    submit(worker)
    assert worker.url == site.url(case_path)
    assert worker.locator("main h1").inner_text() == right_name
    correction = casework_data(
        lambda: list(
            AuditEvent.objects.filter(object_type="child", action="update", case_id=case_id)
            .order_by("-id")
            .values_list("changed_fields", flat=True)[:1]
        )
    )
    assert correction[0]["full_name"] == [typo_name, right_name]

    # An assessment; the risk field shows the age and the suggested risk, with why.
    case_action(worker, f"{case_path}assessment/")
    worker.wait_for_url(f"**{case_path}assessment/")
    suggestion = worker.locator("#risk-suggestion")
    assert f"Usia pada hari asesmen: {age}" in suggestion.inner_text()
    # The form's parts start closed: the worker opens each one they fill in.
    for field in ("sector", "schooling_notes", "score_education"):
        worker.locator(f"details.form-section:has(#id_{field}) > summary").click()
    worker.fill("#id_sector", "perikanan")
    worker.fill("#id_tasks", "menjemur ikan asin")
    worker.select_option("#id_employer_type", "family")
    worker.fill("#id_hours_per_week", "25")
    worker.check("#id_night_work")  # htmx asks again: night work makes the suggestion high
    worker.locator("#risk-suggestion .risk-high").wait_for()
    assert "kerja malam" in worker.locator("#risk-suggestion").inner_text()
    worker.fill("#id_schooling_notes", "Berhenti sekolah di kelas 5")
    worker.select_option("#id_score_education", "2")
    worker.select_option("#id_risk_level", "high")
    shot(worker, "04-assessment-form")
    submit(worker, "main form[method=post] > button[type=submit]")
    assert worker.url == site.url(case_path)
    assessment_id = casework_data(lambda: Assessment.objects.get(case_id=case_id).pk)
    assessment_path = f"{case_path}assessment/{assessment_id}/"

    # The supervisor opens it from the approvals page, reads every answer, and returns it.
    boss = new_page("id-ID", user="supervisor-a")
    boss.goto("/approvals/")
    shot(boss, "05-approvals")
    assert boss.locator(f"form[action^='{case_path}review/assessment/']").count() == 0
    boss.locator(f"main a[href='{assessment_path}']").click()
    boss.wait_for_url(f"**{assessment_path}")
    assert boss.locator("#status-bps").inner_text() == "pekerja anak di pekerjaan berbahaya"
    assert boss.locator("#suggested-risk").inner_text() == "Tinggi"
    assert "menjemur ikan asin" in boss.locator("main").inner_text()
    shot(boss, "06-assessment-read-by-supervisor")
    boss.fill("#id_comment", "Jam kerja per minggu belum dicek dengan orang tua")
    submit(boss, "#review-form button[value=return]")
    assert boss.url == site.url(assessment_path)
    assert boss.locator("#assessment-status").inner_text() == "Dikembalikan untuk diperbaiki"

    # The worker is told, reads the comment, fixes the hours and sends it again (not retyped).
    worker.goto("/")

    def notification_text() -> str:
        with translation.override("id"):
            return Notification.objects.get(case_id=case_id).text

    notification = casework_data(notification_text)
    reference = casework_data(lambda: Case.objects.get(pk=case_id).reference)
    assert notification == f"Asesmen kasus {reference} dikembalikan: lihat komentarnya."
    assert worker.locator("main").get_by_text(notification).count() == 1
    worker.goto(case_path)
    assert "Jam kerja per minggu belum dicek" in worker.locator("main").inner_text()
    shot(worker, "07-case-returned")
    worker.locator(f"main a[href='{assessment_path}edit/']").first.click()
    worker.wait_for_url(f"**{assessment_path}edit/")
    assert worker.input_value("#id_sector") == "perikanan"
    assert worker.input_value("#id_tasks") == "menjemur ikan asin"
    assert worker.is_checked("#id_night_work")
    shot(worker, "08-assessment-correct")
    worker.locator("details.form-section:has(#id_hours_per_week) > summary").click()
    worker.fill("#id_hours_per_week", "30")
    submit(worker, "main form[method=post] > button[type=submit]")
    assert worker.url == site.url(case_path)
    resubmitted = casework_data(
        lambda: Assessment.objects.values("status", "hours_per_week", "tasks").get(pk=assessment_id)
    )
    assert resubmitted["status"] == "submitted"
    assert str(resubmitted["hours_per_week"]) == "30.0"
    assert resubmitted["tasks"] == "menjemur ikan asin"

    # A draft plan before the assessment is approved; "add a goal" keeps what was typed.
    case_action(worker, f"{case_path}plan/")
    worker.wait_for_url(f"**{case_path}plan/")
    worker.fill("#id_goals-0-description", "Kembali ke sekolah")
    worker.fill("#id_goals-0-target_date", (today + timedelta(days=60)).isoformat())
    worker.select_option("#id_goals-0-service_type", "school_return")
    worker.fill("#id_summary", "Sekolah dulu, lalu ekonomi keluarga")
    submit(worker, "main form button[name=add_goal]")
    assert worker.input_value("#id_goals-0-description") == "Kembali ke sekolah"
    assert worker.input_value("#id_summary") == "Sekolah dulu, lalu ekonomi keluarga"
    worker.fill("#id_goals-1-description", "Ibu ikut kelompok usaha")
    worker.fill("#id_goals-1-target_date", (today + timedelta(days=120)).isoformat())
    shot(worker, "09-plan-draft")
    submit(worker, "main form[method=post] > button[type=submit]:not([name])")
    assert worker.url == site.url(case_path), worker.locator(".errorlist").all_inner_texts()
    goals = worker.locator("#plan-goals > li")
    assert goals.count() == 2

    # A service delivered towards the first goal; the goal shows its progress.
    case_action(worker, f"{case_path}service/")
    worker.wait_for_url(f"**{case_path}service/")
    worker.select_option("#id_type", "school_return")
    worker.fill("#id_provider", "SD Negeri Tambak Lorok")
    worker.locator("#id_goal_id").select_option(label="Kembali ke sekolah")
    shot(worker, "10-service-for-goal")
    submit(worker)
    assert worker.url == site.url(case_path)
    goal_id = casework_data(lambda: Intervention.objects.get(case_id=case_id).goal_id)
    first_goal = worker.locator(f"#goal-{goal_id}")
    assert "1 layanan diberikan" in first_goal.locator(".goal-progress").inner_text()
    shot(worker, "11-case-plan-progress")

    # A visit in three days, then the week's tasks.
    case_action(worker, f"{case_path}followup/")
    worker.fill("#id_due_on", (today + timedelta(days=3)).isoformat())
    worker.fill("#id_purpose", "Cek pendaftaran sekolah")
    submit(worker)
    worker.goto("/")
    worker.locator("main a[href='/tasks/']").click()
    worker.wait_for_url("**/tasks/")
    week = worker.locator("#this-week")
    assert week.locator(f"a[href='{case_path}']").inner_text().startswith(right_name.split()[0])
    assert "Cek pendaftaran sekolah" in week.inner_text()
    shot(worker, "12-tasks")


def test_share_a_case_and_renew_consent_on_a_phone(site, new_page, casework_data):
    """The supervisor shares a case and the case page says with whom; the worker withdraws the
    consent with a reason and records a new one from the case page; registration's consent step
    explains each scope."""
    from tests.browser.test_casework_pages import register_by_service

    full_name = unique_name("Purnamasari")
    case = register_by_service(casework_data, site.team["worker"].user, full_name)
    case_path = f"/cases/{case.pk}/"
    today = timezone.localdate()

    boss = new_page("id-ID", user="supervisor-a")
    boss.goto(case_path)
    boss.locator(f"main a[href='{case_path}assign/']").click()  # beside the worker's name
    boss.wait_for_url(f"**{case_path}assign/")
    other_id = str(site.team["other_worker"].user.pk)
    boss.check(f"input[name=shared_with][value='{other_id}']")
    shot(boss, "13-assign-and-share")
    submit(boss)
    assert boss.url == site.url(case_path)
    assert boss.locator("#shared-with").inner_text() == "worker-a2"

    worker = new_page("id-ID", user="worker-a")
    worker.goto(case_path)
    worker.locator(f"#consents a[href^='{case_path}consent/']").click()
    worker.wait_for_url(f"**{case_path}consent/*/withdraw/")
    assert worker.input_value("#id_withdrawn_on") == today.isoformat()
    submit(worker)  # no reason: shown on the field
    assert worker.locator("#id_reason_errors").is_visible()
    worker.fill("#id_reason", "Keluarga pindah ke Kendal")
    shot(worker, "14-consent-withdraw")
    submit(worker)
    assert worker.url == site.url(case_path)
    assert "Keluarga pindah ke Kendal" in worker.locator("#consents").inner_text()
    shot(worker, "15-case-consent-withdrawn")
    worker.locator(f"#consent-title ~ p a[href='{case_path}consent/']").click()
    worker.wait_for_url(f"**{case_path}consent/")
    worker.check("#id_guardian_consented")
    worker.check("#id_child_assented")
    submit(worker)
    assert worker.url == site.url(case_path)
    assert worker.locator("#consents li").count() == 2

    worker.goto("/register/?new=1")
    worker.fill("#id_full_name", unique_name("Lestari"))
    worker.check("input[name=sex][value=female]")
    worker.fill("#id_birth_year", "2013")
    submit(worker)
    worker.fill("#id_guardian_name", "Ibu Lestari")
    worker.fill("#id_guardian_relationship", "ibu")
    worker.fill("#id_member_count", "3")
    worker.select_option("#id_monthly_income_band", "unknown")  # no band is chosen ahead
    submit(worker)
    assert worker.url.endswith("/register/consent/")
    assert (
        "hanya berdasarkan perjanjian"
        in worker.locator("#id_scope_referral_sharing_helptext").inner_text()
    )
    shot(worker, "16-register-consent-scopes")
