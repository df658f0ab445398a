"""The NGO's own report (/report/) in a real browser at 360x740, in Bahasa Indonesia and in
English: a supervisor reaches it from the menu, reads the headline figures, the bar charts and
their tables, narrows it to girls, and every table wider than the phone scrolls inside its own
box instead of widening the page.

The live server sees only committed rows: the fixture commits NGO A's aggregate rows and its
rollup state (as a rollup would write them) and removes them afterwards.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from django.utils import timezone

from tests.browser.test_casework_pages import UNLABELLED_JS, check_page, nav_to, submit

pytestmark = pytest.mark.browser

# TERPADU_REPORT_SHOTS=<folder> saves each checked page there (full page), to look at.
SHOTS = Path(os.environ["TERPADU_REPORT_SHOTS"]) if os.environ.get("TERPADU_REPORT_SHOTS") else None
MONTHS = [dt.date(2026, month, 1) for month in (6, 7, 8, 9, 10, 11)]
PERIOD = "?period_from=2026-06&period_to=2026-11"
TEXT = {
    "id": {
        "title": "Laporan",
        "trend": "Kasus aktif pada akhir setiap bulan",
        "girls": "Perempuan",
    },
    "en": {
        "title": "Reports",
        "trend": "Active cases at the end of each month",
        "girls": "Female",
    },
}

SCROLLERS_JS = """() => [...document.querySelectorAll('main .table-scroll')].map((box) => ({
  id: box.closest('section').getAttribute('aria-labelledby'),
  client: box.clientWidth, scroll: box.scrollWidth,
  overflow: getComputedStyle(box).overflowX,
}))"""


@pytest.fixture
def report_rows(site, ngo_a):
    """NGO A's aggregate rows for June to November 2026 and an OK rollup, committed."""
    from django.db import connection

    from network.reporting.models import AggregateCell, Rollup

    ngo = ngo_a.ngo
    kept = set(AggregateCell.objects.filter(ngo=ngo).values_list("pk", flat=True))
    rollup_before = Rollup.objects.filter(ngo=ngo).first()
    rows = []
    for index, month in enumerate(MONTHS):
        for sex, age_band, regency, count in (
            ("female", "12_14", "33.74", 20 + index),
            ("male", "15_17", "33.22", 14 + 2 * index),
            ("female", "5_11", "33.74", 6),
        ):
            where = {"sex": sex, "age_band": age_band, "province": "33", "regency": regency}
            rows.append(("active_cases", month, count, where))
            rows.append(("children_identified", month, 2 + index % 3, where))
            rows.append(("new_cases", month, 3 + index % 2, where))
            for standard in ("ilo", "bps"):
                rows.append(
                    ("children_in_child_labour", month, count // 2, {**where, "standard": standard})
                )
        rows.append(("children_withdrawn", month, index, {"sex": "female", "age_band": "12_14"}))
        rows.append(("followups", month, 9, {"timeliness": "on_time"}))
        rows.append(("followups", month, 2, {"timeliness": "overdue"}))
        rows.append(("referrals_sent", month, 1 + index % 2, {"service_type": "counselling"}))
        for service, count in (("counselling", 11), ("school_return", 4), ("health", 3)):
            rows.append(
                ("services_delivered", month, count, {"service_type": service, "sex": "female"})
            )
    rows.append(("closed_cases", MONTHS[-1], 5, {"closure_reason": "withdrawn_child_labour"}))
    rows.append(("closed_cases", MONTHS[-1], 2, {"closure_reason": "moved_away"}))
    AggregateCell.objects.bulk_create(
        AggregateCell(
            consortium_id=ngo.consortium_id,
            ngo=ngo,
            indicator=code,
            month=month,
            value=value,
            **where,
        )
        for code, month, value, where in rows
    )
    now = timezone.now()
    Rollup.objects.update_or_create(
        ngo=ngo,
        defaults={
            "status": Rollup.Status.OK,
            "rolled_up_at": now,
            "attempted_at": now,
            "first_month": MONTHS[0],
            "last_month": MONTHS[-1],
            "rows": len(rows),
        },
    )
    # Under Playwright's event loop this is not the thread's usual connection: nothing else
    # would close it before the test database is dropped (as casework_data does).
    connection.close()
    yield
    AggregateCell.objects.filter(ngo=ngo).exclude(pk__in=kept).delete()
    Rollup.objects.filter(ngo=ngo).delete()
    if rollup_before is not None:
        rollup_before.save(force_insert=True)
    connection.close()


def _check(page, lang: str, label: str) -> None:
    """Fits 360 px in `lang`, every input labelled; every table box scrolls by itself."""
    check_page(page, lang, f"ngo-report-{label}")
    assert page.evaluate(UNLABELLED_JS) == [], f"{label}: unlabelled inputs"
    scrollers = page.evaluate(SCROLLERS_JS)
    assert len(scrollers) == 11, scrollers
    assert all(box["overflow"] == "auto" for box in scrollers), scrollers
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{lang}-{label}.png"), full_page=True)
        height = page.evaluate("() => document.documentElement.scrollHeight")
        for index, top in enumerate(range(0, height, 740)):  # phone screens, one after another
            clip = {"x": 0, "y": top, "width": 360, "height": min(740, height - top)}
            target = SHOTS / f"{lang}-{label}-{index + 1}.png"
            page.screenshot(path=str(target), full_page=True, clip=clip)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_supervisor_reads_the_report_on_a_phone(new_page, site, report_rows, lang):
    page = new_page("id-ID" if lang == "id" else "en-US", user="supervisor-a")
    page.goto(site.url("/"))
    nav_to(page, "/report/")
    assert page.locator("main h1").inner_text() == TEXT[lang]["title"]
    page.goto(site.url("/report/" + PERIOD))
    _check(page, lang, "period")
    figures = page.locator("main dl.figures dd").all_inner_texts()
    # Identified 2+3+4+2+3+4 per row x3 rows; active at November's end 25+24+6; in child
    # labour at November's end 12+12+3; withdrawn 0..5; services 18 a month; referrals 9.
    assert figures == ["54", "55", "27", "15", "108", "9"]
    assert page.locator("main svg.chart").count() == 4
    assert TEXT[lang]["trend"] in page.locator("main").inner_text()

    # The sex x age band table is wider than the phone: it scrolls inside its box.
    boxes = {box["id"]: box for box in page.evaluate(SCROLLERS_JS)}
    wide = boxes["t-identified_by_sex"]
    assert wide["scroll"] > wide["client"], wide
    page.locator("#t-identified_by_sex + .table-scroll").evaluate("(box) => box.scrollBy(400, 0)")
    assert page.locator("#t-identified_by_sex + .table-scroll").evaluate("(b) => b.scrollLeft") > 0

    # A trend's numbers are one tap away, under its chart.
    trend = page.locator("section[aria-labelledby=t-active_by_month] details.chart-table")
    trend.locator("summary").click()
    assert trend.locator("tbody tr").last.inner_text().split("\t")[-1] == "55"

    # Girls only: the filters are in a section at the top (open once a period was chosen).
    filters = page.locator("main details:has(form.report-filters)")
    if filters.get_attribute("open") is None:
        filters.locator("summary").click()
    page.select_option("main form.report-filters #id_sex", "female")
    submit(page, "main form.report-filters button[type=submit]")
    assert "sex=female" in page.url
    _check(page, lang, "girls")
    assert page.locator("main dl.figures dd").nth(1).inner_text() == "31"  # 25 + 6 girls
    assert page.locator("main #id_sex").input_value() == "female"
    assert TEXT[lang]["girls"] in page.locator("main form.report-filters").inner_text()
