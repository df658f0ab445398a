"""The audit page on a phone, in Bahasa Indonesia: readable rows that fit 360 px."""

from tests.browser.test_casework_pages import check_page, register_by_service, unique_name


def test_audit_page_on_a_phone_in_indonesian(site, new_page, casework_data):
    """An admin reads the trail at 360x740: actions, the case's reference, field labels and
    values in Indonesian, local time; nothing wider than the screen. (Events committed here stay:
    the trail is append-only; nothing but an assignment is added to the registration's.)"""
    worker, other = site.team["worker"].user, site.team["other_worker"].user
    case = register_by_service(casework_data, worker, unique_name("Audit"))

    def assign():
        from casework import services

        services.case_assign(
            actor=site.team["supervisor"].user, case_id=case.pk, worker_id=other.pk
        )

    casework_data(assign)
    page = new_page("id-ID", user="admin-a")
    response = page.goto("/audit/")
    assert response.status == 200
    assigned = page.locator("li.audit-event", has_text="Pendamping yang ditugaskan").first
    assert f"Ubah — Kasus {case.reference}" in assigned.inner_text()
    assert "worker-a2" in assigned.inner_text()
    assert "WIB" in page.locator("li.audit-event time").first.inner_text()
    check_page(page, "id", "audit")
