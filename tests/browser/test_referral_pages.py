"""The referral network's pages in a real browser at 360x740, in Bahasa Indonesia and English:
a worker of NGO A refers a consented child from the case page and sees the shared fields
before sending; NGO B's supervisor opens the inbox item and accepts it; a referral to an
outside clinic prints as a letter. Screenshots go to test-results/shots/referrals/ (or
$TERPADU_SHOTS_DIR) for a person to look at.

Elements are found by id, name, URL and role; only the language checks read text.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.utils import timezone

from tests.casework.conftest import team_b  # noqa: F401  (fixture used by name)
from tests.support import ADMIN_PASSWORD

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("TERPADU_SHOTS_DIR", "test-results/shots/referrals"))
VIEWPORT = {"width": 360, "height": 740}
FITS_JS = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.body.querySelectorAll('*')].filter((el) => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.right > width + 0.5;
  }).map((el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : ''));
  return {scrollWidth: document.documentElement.scrollWidth, wide: wide.slice(0, 8)};
}"""


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def check(page, lang: str, name: str) -> None:
    """In `lang`, nothing wider than the 360 px screen; saved as a screenshot."""
    assert page.get_attribute("html", "lang") == lang, name
    layout = page.evaluate(FITS_JS)
    assert layout == {"scrollWidth": 360, "wide": []}, f"{name}: {layout}"
    shot(page, name)


def _in_schema(schema: str, fn: Callable):
    """Run `fn` in `schema`, committed (the live server sees it)."""
    from django.db import connection
    from django_tenants.utils import schema_context

    try:
        with schema_context(schema):
            return fn()
    finally:
        connection.set_schema_to_public()
        connection.close()  # see casework_data: this context's connection is not the thread's


@dataclass
class Network:
    agency_a: object
    agency_b: object
    clinic: object
    case_id: int
    child_name: str
    schema_b: str
    host_b: str


def _tops(models) -> dict:
    from django.db.models import Max

    return {model: model.objects.aggregate(top=Max("pk"))["top"] or 0 for model in models}


@pytest.fixture
def referral_network(site, casework_data, ngo_b, team_b) -> Iterator[Network]:  # noqa: F811
    """Committed: NGO A and NGO B in the directory with key pairs, an active counselling
    agreement both ways (full name, sex, age, reason), an outside clinic with a health
    agreement from A (full name, reason), and a consented child of worker-a in Kota Semarang.
    Everything written here, by the pages or by delivery, is removed afterwards."""
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection

    from casework import services as casework_services
    from casework.models import (
        AuditEvent,
        Case,
        CaseReferenceCounter,
        Child,
        Household,
        Notification,
    )
    from core import clock
    from network import services
    from network.models import Agency, ReferralAgreement, ReferralEnvelope
    from network.referrals.keys import agency_key_ensure
    from network.referrals.models import AgencyKey, OutboxMessage, Referral

    connection.set_schema_to_public()
    coordinator = get_user_model().objects.get(username="coordinator@example.org")
    ngo_a = site_ngo(site)
    existing = {
        agency.ngo_id: agency for agency in Agency.objects.filter(ngo__in=[ngo_a, ngo_b.ngo])
    }
    saved = {
        ngo_id: (agency.service_types, agency.regency_codes, agency.public_key, agency.key_id)
        for ngo_id, agency in ((agency.ngo_id, agency) for agency in existing)
    }
    public_tops = _tops([Agency, ReferralAgreement, ReferralEnvelope])
    tenant_models = [Referral, OutboxMessage, AgencyKey, Notification, AuditEvent]
    tops_a = _in_schema(site.schema, lambda: _tops(tenant_models))
    tops_b = _in_schema(
        ngo_b.ngo.schema_name, lambda: _tops([*tenant_models, Case, Child, Household])
    )
    counters_b = _in_schema(
        ngo_b.ngo.schema_name,
        lambda: list(CaseReferenceCounter.objects.values_list("year", "last_number")),
    )

    agency_a = services.partner_agency_ensure(ngo=ngo_a)
    agency_b = services.partner_agency_ensure(ngo=ngo_b.ngo)
    agency_a.service_types = ["counselling", "school_return"]
    agency_a.save()
    agency_b.service_types = ["counselling", "vocational"]
    agency_b.regency_codes = ["33.74"]
    agency_b.save()
    clinic = services.agency_create(
        actor=coordinator,
        consortium=agency_a.consortium,
        data=services.AgencyInput(
            kind=Agency.Kind.PUSKESMAS,
            name="Puskesmas Bandarharjo",
            service_types=["health"],
            province_codes=["33"],
            contact_name="dr. Wulan",
            phone="+62 24 3541234",
            address="Jl. Cumi-Cumi Raya No. 2, Semarang Utara",
        ),
    )
    for schema, agency in ((site.schema, agency_a), (ngo_b.ngo.schema_name, agency_b)):
        _in_schema(schema, lambda agency=agency: agency_key_ensure(agency=agency))
    for second, kinds, fields, direction in (
        (agency_b, ["counselling"], ["full_name", "sex", "age", "reason"], "both_ways"),
        (clinic, ["health"], ["full_name", "reason"], "one_way"),
    ):
        agreement = services.agreement_create(
            actor=coordinator,
            consortium=agency_a.consortium,
            first_agency_uuid=agency_a.uuid,
            second_agency_uuid=second.uuid,
            service_types=kinds,
            shared_fields=fields,
            valid_from=clock.today(),
            direction=direction,
        )
        services.agreement_activate(
            actor=coordinator,
            agreement_uuid=agreement.uuid,
            mou=SimpleUploadedFile("mou.pdf", b"%PDF-1.4 signed"),
        )
    worker = site.team["worker"].user
    child_name = "Dewi Lestari"

    def register():
        return casework_services.child_register(
            actor=worker,
            child=casework_services.ChildInput(
                full_name=child_name,
                sex="female",
                school_status="dropped_out",
                birth_year=clock.today().year - 13,
                birth_year_estimated=True,
            ),
            household=casework_services.HouseholdInput(
                guardian_name="Ibu Lestari",
                guardian_relationship="ibu",
                member_count=4,
                monthly_income_band="lt_1m",
                province_code="33",
                regency_code="33.74",
                village="Tanjung Mas",
            ),
            consent=casework_services.ConsentInput(
                guardian_name="Ibu Lestari",
                guardian_relationship="ibu",
                guardian_consented=True,
                child_assented=True,
                consented_on=timezone.localdate(),
                scope_referral_sharing=True,
            ),
        ).pk

    case_id = casework_data(register)
    yield Network(
        agency_a, agency_b, clinic, case_id, child_name, ngo_b.ngo.schema_name, ngo_b.host
    )

    def clean(tops, *, received: bool = False):
        def run():
            Referral.objects.filter(pk__gt=tops[Referral]).delete()
            for model in (OutboxMessage, AgencyKey, Notification):
                model.objects.filter(pk__gt=tops[model]).delete()
            _audit_forget(tops[AuditEvent])
            if received:
                Case.objects.filter(pk__gt=tops[Case]).delete()
                Child.objects.filter(pk__gt=tops[Child]).delete()
                Household.objects.filter(pk__gt=tops[Household]).delete()
                CaseReferenceCounter.objects.all().delete()
                CaseReferenceCounter.objects.bulk_create(
                    CaseReferenceCounter(year=year, last_number=number)
                    for year, number in counters_b
                )

        return run

    _in_schema(site.schema, clean(tops_a))
    _in_schema(ngo_b.ngo.schema_name, clean(tops_b, received=True))
    ReferralEnvelope.objects.filter(pk__gt=public_tops[ReferralEnvelope]).delete()
    ReferralAgreement.objects.filter(pk__gt=public_tops[ReferralAgreement]).delete()
    Agency.objects.filter(pk__gt=public_tops[Agency], ngo__isnull=True).delete()
    for agency in (agency_a, agency_b):
        if agency.ngo_id in saved:
            types, regencies, public_key, key_id = saved[agency.ngo_id]
            Agency.objects.filter(pk=agency.pk).update(
                service_types=types, regency_codes=regencies, public_key=public_key, key_id=key_id
            )
        else:
            Agency.objects.filter(pk=agency.pk).delete()


def _audit_forget(top: int) -> None:
    """Remove the audit events this test's pages wrote (the trail is append-only: its trigger
    is switched off for this one delete, in one transaction), so that tests of the audit trail
    that run later in the session find only their own events."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE casework_auditevent DISABLE TRIGGER casework_auditevent_append_only"
        )
        cursor.execute("DELETE FROM casework_auditevent WHERE id > %s", [top])
        cursor.execute(
            "ALTER TABLE casework_auditevent ENABLE TRIGGER casework_auditevent_append_only"
        )


def site_ngo(site):
    from tenants.models import NGO

    return NGO.objects.get(schema_name=site.schema)


def login(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", ADMIN_PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()


def drain(schema: str) -> int:
    from network.referrals.delivery import outbox_drain

    return _in_schema(schema, outbox_drain)


def refer_from_case_page(page, network: Network, *, service: str, agency, lang: str, tag: str):
    """On the case page, open the refer form, choose the service (htmx brings the agencies
    with their fields), check what will be shared, send; returns the referral page's URL."""
    page.goto(f"/cases/{network.case_id}/")
    check(page, lang, f"{tag}-1-case-page")
    with page.expect_navigation():
        page.locator(f'main a[href="/cases/{network.case_id}/refer/"]').click()
    check(page, lang, f"{tag}-2-refer-form")
    with page.expect_response(re.compile(r"/refer/\?service_type=")):
        page.select_option("#id_service_type", service)
    radio = page.locator(f"#agency-{agency.uuid}")
    radio.wait_for()
    page.locator("#refer-send:not([disabled])").wait_for()
    assert radio.is_checked()  # the only agency offered is chosen for the worker
    preview = page.locator(f".agency-option:has(#agency-{agency.uuid}) dl.shared-fields")
    shared = [item.strip() for item in preview.locator("dd").all_inner_texts()]
    assert shared[0] == network.child_name
    assert page.locator("#refer-send").is_enabled()
    page.fill("#id_reason", "Perlu layanan setelah berhenti bekerja di pelabuhan")
    check(page, lang, f"{tag}-3-refer-preview")
    with page.expect_navigation():
        page.locator("#refer-form #refer-send").click()
    assert re.search(r"/referrals/[0-9a-f-]{36}/$", page.url), page.url
    check(page, lang, f"{tag}-4-referral-sent")
    return shared, page.url


def test_refer_and_accept_in_indonesian(browser, site, new_page, referral_network):
    """NGO A's worker refers Dewi for counselling from her case page and sees exactly her name,
    sex, age and the reason before sending; NGO B's case worker opens the inbox item and
    accepts it (the new case is theirs); A's worker sees it accepted."""
    network = referral_network
    page = new_page("id-ID", user="worker-a")
    shared, referral_url = refer_from_case_page(
        page, network, service="counselling", agency=network.agency_b, lang="id", tag="id"
    )
    assert shared[1:3] == ["Perempuan", "13 tahun"]
    assert drain(site.schema) == 1

    context = browser.new_context(
        viewport=VIEWPORT, locale="id-ID", base_url=f"http://{network.host_b}:{site.port}"
    )
    try:
        inbox = context.new_page()
        login(inbox, "worker-b")
        check(inbox, "id", "id-5-home-receiver")
        inbox.goto("/referrals/")
        check(inbox, "id", "id-6-inbox")
        path = referral_url.split(str(site.port))[1]
        with inbox.expect_navigation():
            inbox.locator(f'main a[href="{path}"]').click()
        check(inbox, "id", "id-7-incoming-referral")
        fields = inbox.locator("dl.shared-fields dd").all_inner_texts()
        assert fields[0] == network.child_name
        assert inbox.locator("#action-accept select[name=assign_to] option").all_inner_texts() == [
            "Saya"
        ]
        with inbox.expect_navigation():
            inbox.locator("#action-accept button[type=submit]").click()
        assert inbox.url.endswith(path)
        assert inbox.locator("main .badge.state-accepted").is_visible()
        check(inbox, "id", "id-8-accepted")
        case_link = inbox.locator('main a[href^="/cases/"]')
        with inbox.expect_navigation():
            case_link.click()
        check(inbox, "id", "id-8b-received-case")
        assert inbox.locator("main h1").inner_text() == network.child_name
    finally:
        context.close()
    assert drain(network.schema_b) == 1
    page.goto(referral_url)
    assert page.locator("main .badge.state-accepted").is_visible()
    check(page, "id", "id-9-sender-sees-accepted")


def test_refer_to_an_outside_clinic_and_print_the_letter_in_english(
    site, new_page, referral_network
):
    """In English: the worker refers Dewi to the clinic (not a tenant) for health, sees that
    only her name and the reason are shared, records the clinic's answer and prints the letter
    (print styles hide the page's tools; the PDF is saved)."""
    network = referral_network
    page = new_page("en-US", user="worker-a")
    page.goto(f"/cases/{network.case_id}/refer/")
    with page.expect_response(re.compile(r"/refer/\?service_type=")):
        page.select_option("#id_service_type", "vocational")
    page.locator("#refer-none").wait_for()  # htmx swaps it in after the response
    page.locator("#refer-send[disabled]").wait_for()
    check(page, "en", "en-1-no-agency")
    shared, referral_url = refer_from_case_page(
        page, network, service="health", agency=network.clinic, lang="en", tag="en"
    )
    assert shared[1:] == ["(what you write under Reason below)"]
    page.select_option("#id_record-state", "accepted")
    page.fill("#id_record-note", "By phone with dr. Wulan")
    with page.expect_navigation():
        page.locator("#action-record button[type=submit]").click()
    assert page.locator("main .badge.state-accepted").is_visible()
    check(page, "en", "en-5-answer-recorded")
    with page.expect_navigation():
        page.locator('main a[href$="/letter/"]').click()
    check(page, "en", "en-6-letter")
    assert page.locator(".letter-tools").is_visible()
    page.emulate_media(media="print")
    assert not page.locator(".letter-tools").is_visible()
    assert page.locator(".signature-line").first.is_visible()
    shot(page, "en-7-letter-print")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.pdf(path=str(SHOTS / "en-letter.pdf"), format="A4")
    assert (SHOTS / "en-letter.pdf").stat().st_size > 1000


@pytest.mark.parametrize("lang", ["id", "en"])
def test_lists_directory_and_agreements_fit_a_phone(lang, site, new_page, referral_network):
    """The sent list (one overdue-free referral), the directory searched by service, the
    proposal form and the NGO's agreements, in both languages, nothing wider than 360 px."""
    from network.referrals import services

    network = referral_network

    def send():
        return services.referral_send(
            actor=site.team["worker"].user,
            case_id=network.case_id,
            to_agency_uuid=network.clinic.uuid,
            service_type="health",
            reason="Batuk lama",
        )

    _in_schema(site.schema, send)
    page = new_page("id-ID" if lang == "id" else "en-US", user="worker-a")
    page.goto("/")
    assert page.locator('main a[href^="/referrals/sent/"]').is_visible()
    check(page, lang, f"{lang}-lists-1-home")
    page.goto("/referrals/sent/")
    assert page.locator("main ul.referral-list li a").count() == 1
    check(page, lang, f"{lang}-lists-2-sent")
    page.goto("/directory/?service_type=health&province_code=33")
    assert page.locator("main ul.agency-list li").count() == 1
    check(page, lang, f"{lang}-lists-3-directory")
    page.goto("/directory/propose/")
    check(page, lang, f"{lang}-lists-4-propose")
    page.goto("/agreements/")
    assert page.locator("main ul.card-list > li").count() == 2
    check(page, lang, f"{lang}-lists-5-agreements")
