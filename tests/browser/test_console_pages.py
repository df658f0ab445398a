"""The coordinator console in a real browser at 360x740, in Bahasa Indonesia and in English:
the coordinator onboards an NGO (its first admin's password shown once), adds an outside
agency, drafts an agreement with the signed MoU uploaded and activates it, and reads a
referral's state without any of the child's data.

The console lives on the public host (`localhost` in tests, which Chromium resolves to the
live server's 127.0.0.1). What a test writes is committed (the server thread sees it) and
removed afterwards: the onboarded NGO's schema, rows and directory entry, the agency, the
agreements and the envelopes (audit events are append-only and stay).
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from core import clock
from tests.browser.conftest import Site
from tests.browser.test_casework_pages import UNLABELLED_JS, check_page, submit
from tests.support import ADMIN_PASSWORD

pytestmark = pytest.mark.browser

SHOTS = (
    Path(os.environ.get("TERPADU_CONSOLE_SHOTS", ""))
    if os.environ.get("TERPADU_CONSOLE_SHOTS")
    else None
)
COORDINATOR = "coordinator@example.org"
CHILD = ("Dewi", "Lestari", "Tanjung Mas", "pelabuhan")
PDF = b"%PDF-1.4\n% signed MoU (test)\n"
TEXT = {
    "id": {
        "not_counted": "belum dihitung",
        "shown_once": "Kata sandi hanya ditampilkan sekarang.",
        "draft": "Draf",
        "active": "Aktif",
        "overdue": "Terlambat",
        "accepted": "Diterima",
        "suspended": "Ditangguhkan",
    },
    "en": {
        "not_counted": "not counted yet",
        "shown_once": "The password is shown only now.",
        "draft": "Draft",
        "active": "Active",
        "overdue": "Overdue",
        "accepted": "Accepted",
        "suspended": "Suspended",
    },
}


@pytest.fixture
def console(browser_server) -> Site:
    """The live server as the public host."""
    return Site(host="localhost", port=browser_server.port, schema="public")


def _shot(page, lang: str, label: str) -> None:
    """Fits 360 px in `lang`, every input labelled; saved when TERPADU_CONSOLE_SHOTS is set."""
    check_page(page, lang, f"console-{label}")
    assert page.evaluate(UNLABELLED_JS) == [], f"{label}: unlabelled inputs"
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{lang}-{label}.png"), full_page=True)


def _login(page, console: Site) -> None:
    page.goto(console.url("/accounts/login/"))
    page.fill("#id_username", COORDINATOR)
    page.fill("#id_password", ADMIN_PASSWORD)
    submit(page, "main form button[type=submit]")


@pytest.fixture
def cleanup():
    """Removes, after the test, what it (or the browser) created in the public schema."""
    from django.db import connection

    from network.models import Agency, ReferralAgreement, ReferralEnvelope
    from tenants.models import NGO, Consortium
    from tenants.schemas import schema_drop

    connection.set_schema_to_public()
    before = {
        "ngos": set(NGO.objects.values_list("pk", flat=True)),
        "agencies": set(Agency.objects.values_list("pk", flat=True)),
        "agreements": set(ReferralAgreement.objects.values_list("pk", flat=True)),
        "envelopes": set(ReferralEnvelope.objects.values_list("pk", flat=True)),
    }
    yield
    connection.set_schema_to_public()
    ReferralEnvelope.objects.exclude(pk__in=before["envelopes"]).delete()
    ReferralAgreement.objects.exclude(pk__in=before["agreements"]).delete()
    Agency.objects.exclude(pk__in=before["agencies"]).delete()
    for ngo in NGO.objects.exclude(pk__in=before["ngos"]):
        schema_drop(ngo.schema_name)
        ngo.domains.all().delete()
        ngo.delete()
    assert Consortium.objects.exists()
    connection.close()


def _referrals(ngo_a, ngo_b) -> None:
    """Two committed envelopes between NGO A and NGO B: one accepted, one overdue; each
    sealed payload holds a child's data (ciphertext only)."""
    from network import sealing, services
    from network.models import ReferralEnvelope
    from tenants.models import Consortium

    consortium = Consortium.objects.get(slug="pusat-test")
    coordinator = consortium.members.get(user__username=COORDINATOR).user
    sender = services.partner_agency_ensure(ngo=ngo_a.ngo)
    receiver = services.partner_agency_ensure(ngo=ngo_b.ngo)
    agreement = services.agreement_create(
        actor=coordinator,
        consortium=consortium,
        first_agency_uuid=sender.uuid,
        second_agency_uuid=receiver.uuid,
        service_types=["counselling"],
        shared_fields=["full_name", "village", "reason"],
        valid_from=clock.today(),
    )
    keys = sealing.keypair_generate()
    payload = {"full_name": "Dewi Lestari", "village": "Tanjung Mas", "reason": "pelabuhan"}
    now = timezone.now()
    import uuid

    for state, days_ago in (("accepted", 1), ("sent", 10)):
        ReferralEnvelope.objects.create(
            referral_uuid=uuid.uuid4(),
            consortium=consortium,
            from_agency=sender,
            to_agency=receiver,
            agreement=agreement,
            service_type="counselling",
            urgency="normal",
            sent_at=now - timedelta(days=days_ago),
            due_on=clock.today() - timedelta(days=days_ago - 7),
            state=state,
            state_changed_at=now - timedelta(days=days_ago),
            key_id=keys.key_id,
            sealed_payload=sealing.seal(keys.public_key, payload),
        )


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_coordinator_onboards_adds_an_agency_and_an_agreement(
    new_page, console, cleanup, ngo_a, ngo_b, lang, tmp_path
):
    words = TEXT[lang]
    page = new_page("id-ID" if lang == "id" else "en-US")
    _login(page, console)
    assert re.fullmatch(console.url(r"/console/\d+/"), page.url), page.url
    consortium_path = page.url.removeprefix(console.base_url)
    _shot(page, lang, "home")

    # Onboard an NGO: the password is on the answer to the POST, once.
    page.goto(console.url(consortium_path + "ngos/"))
    _shot(page, lang, "members")
    page.goto(console.url(consortium_path + "ngos/new/"))
    _shot(page, lang, "onboard-form")
    slug = f"yayasan-peramban-{lang}"
    page.fill("#id_name", f"Yayasan Peramban {lang.upper()}")
    page.fill("#id_slug", slug)
    page.fill("#id_admin_email", f"admin@{slug}.example.org")
    page.fill("#id_contact_name", "Bu Ani")
    submit(page, "main form.console-form button[type=submit]")
    _shot(page, lang, "onboarded")
    main = page.locator("main").inner_text()
    assert words["shown_once"] in main
    password = page.locator("code.secret").inner_text()
    assert len(password) == 16
    assert f"{slug}.localhost" in main
    page.goto(console.url(consortium_path + "ngos/"))
    card = page.locator(f"li:has(h2:text-is('Yayasan Peramban {lang.upper()}'))")
    assert words["not_counted"] in card.inner_text()
    assert password not in page.content()
    # Suspending asks first (a <details> step), then reactivating is one button.
    card.locator("details.confirm-step summary").click()
    _shot(page, lang, "members-suspend-confirm")
    submit(page, f"li:has(h2:text-is('Yayasan Peramban {lang.upper()}')) form button")
    card = page.locator(f"li:has(h2:text-is('Yayasan Peramban {lang.upper()}'))")
    assert words["suspended"] in card.locator(".badge").inner_text()
    submit(page, f"li:has(h2:text-is('Yayasan Peramban {lang.upper()}')) form button")
    card = page.locator(f"li:has(h2:text-is('Yayasan Peramban {lang.upper()}'))")
    assert words["active"] in card.locator(".badge").inner_text()

    # An outside agency.
    page.goto(console.url(consortium_path + "directory/new/"))
    page.select_option("#id_kind", "legal_aid")
    name = f"LBH Semarang {lang.upper()}"
    page.fill("#id_name", name)
    page.check("input[name=service_types][value=advocacy_legal]")
    page.select_option("#id_province_codes", ["33"])
    page.fill("#id_contact_name", "Pak Budi")
    page.fill("#id_phone", "024 7654321")
    _shot(page, lang, "agency-form")
    submit(page, "main form.console-form button[type=submit]")
    assert page.url == console.url(consortium_path + "directory/")
    _shot(page, lang, "directory")
    assert name in page.locator("main").inner_text()

    # An agreement between the new NGO and the agency, with the signed MoU.
    page.goto(console.url(consortium_path + "agreements/new/"))
    for select, agency in (
        ("#id_first_agency", f"Yayasan Peramban {lang.upper()}"),
        ("#id_second_agency", name),
    ):
        option = page.locator(f"{select} option", has_text=agency).first
        page.select_option(select, option.get_attribute("value"))
    page.check("input[name=service_types][value=advocacy_legal]")
    for field in ("age", "sex", "reason"):
        page.check(f"input[name=shared_fields][value={field}]")
    assert page.input_value("#id_response_days") == "7"
    page.fill("#id_valid_from", clock.today().isoformat())
    page.fill("#id_valid_to", (clock.today() + timedelta(days=365)).isoformat())
    mou = tmp_path / "mou.pdf"
    mou.write_bytes(PDF)
    page.set_input_files("#id_mou", str(mou))
    _shot(page, lang, "agreement-form")
    submit(page, "main form.console-form button[type=submit]")
    assert "/agreements/" in page.url
    assert words["draft"] in page.locator("main .badge").first.inner_text()
    _shot(page, lang, "agreement-draft")
    submit(page, "main form[action$='/activate/'] button[type=submit]")
    assert words["active"] in page.locator("main .badge").first.inner_text()
    _shot(page, lang, "agreement-active")
    href = page.locator("main a[href$='/mou/']").get_attribute("href")
    pdf = page.request.get(console.url(href))
    assert (pdf.status, pdf.body()) == (200, PDF)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_coordinator_sees_referral_states_but_no_child(
    new_page, console, cleanup, ngo_a, ngo_b, lang
):
    _referrals(ngo_a, ngo_b)
    words = TEXT[lang]
    page = new_page("id-ID" if lang == "id" else "en-US")
    _login(page, console)
    consortium_path = page.url.removeprefix(console.base_url)
    overview = page.locator("main").inner_text()
    assert words["overdue"].lower() in overview.lower()
    page.goto(console.url(consortium_path + "referrals/"))
    _shot(page, lang, "referrals")
    cards = page.locator("main ul.referral-list > li")
    assert cards.count() == 2
    overdue = page.locator("main ul.referral-list > li.overdue")
    assert overdue.count() == 1
    assert words["overdue"] in overdue.inner_text()
    assert words["accepted"] in cards.nth(0).inner_text()
    content = page.content()
    for secret in CHILD:
        assert secret not in content
