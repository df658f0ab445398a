"""The pages changed by the one access gate, in a real browser at 360x740 in Bahasa Indonesia:
the M&E officer's home without names, the worker picker, the self-demotion confirmation."""

from __future__ import annotations

from datetime import timedelta

from core import clock
from tests.browser.test_casework_pages import check_page, register_by_service


def _users(casework_data) -> dict:
    from django.contrib.auth import get_user_model

    names = ["admin-a", "supervisor-a", "worker-a", "worker-a2", "me-a"]
    return casework_data(
        lambda: {
            user.username: user for user in get_user_model().objects.filter(username__in=names)
        }
    )


def test_me_home_shows_references_not_names(new_page, casework_data):
    """An overdue visit on the M&E officer's home shows the case reference, not the child."""
    from casework import services

    users = _users(casework_data)
    case = register_by_service(casework_data, users["worker-a"], "Puput Siregar")

    def overdue_visit():
        # Scheduled a week ago (a due date cannot be set in the past), now overdue.
        today = clock.today()
        with clock.as_of(today - timedelta(days=7)):
            services.followup_schedule(
                actor=users["worker-a"], case_id=case.pk, due_on=today - timedelta(days=2)
            )

    casework_data(overdue_visit)
    page = new_page(user="me-a")
    page.goto("/")
    check_page(page, "id", "access-me-home")
    overdue = page.locator("section[aria-labelledby=overdue-title]").inner_text()
    assert case.reference in overdue
    assert "Puput" not in page.content()

    boss = new_page(user="supervisor-a")
    boss.goto("/")
    check_page(boss, "id", "access-supervisor-home")
    assert f"Puput · {case.reference}" in boss.locator("main").inner_text()


def test_followup_picker_lists_case_holders(new_page, casework_data):
    """The supervisor's follow-up form offers supervisors and case workers only."""
    users = _users(casework_data)
    case = register_by_service(casework_data, users["worker-a"], "Rina Marpaung")
    page = new_page(user="supervisor-a")
    page.goto(f"/cases/{case.pk}/followup/")
    check_page(page, "id", "access-followup-picker")
    options = page.locator("select[name=assigned_worker] option").all_inner_texts()
    assert "me-a" not in options
    assert "admin-a" not in options
    assert {"supervisor-a", "worker-a", "worker-a2"} <= set(options)


def test_own_role_change_asks_for_confirmation(new_page):
    """Changing one's own role on the staff page stops at a confirmation step (cancelled)."""
    page = new_page(user="admin-a")
    page.goto("/staff/")
    check_page(page, "id", "access-staff")
    own_row = page.locator("li[data-username='admin-a']")
    own_row.locator("select").select_option("supervisor")  # nothing happens until the button
    with page.expect_navigation():
        own_row.locator("form.staff-role button[type=submit]").click()
    check_page(page, "id", "access-staff-confirm")
    assert page.locator("main input[name=confirm][type=checkbox]").count() == 1
    with page.expect_navigation():
        page.locator("main a[role=button]").click()  # cancel
    assert page.locator("li[data-username='admin-a'] select").input_value() == "admin"
