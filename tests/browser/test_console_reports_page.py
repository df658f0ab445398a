"""The consortium's reports on the public host in a real browser at 360x740, in Bahasa Indonesia
and in English: the coordinator reads the year's headline figures and tables (a small count as
"< 5", a count hidden to protect it as "—", both explained), narrows them to girls, is told to
choose one filter at a time, and asks for a recount.

The live server sees only committed rows: the fixture commits both NGOs' aggregate rows (as a
rollup writes them) and removes them afterwards.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from tests.browser.conftest import Site
from tests.browser.test_casework_pages import UNLABELLED_JS, check_page, submit
from tests.browser.test_console_pages import _login

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ["TERPADU_REPORT_SHOTS"]) if os.environ.get("TERPADU_REPORT_SHOTS") else None
DECEMBER = dt.date(2026, 12, 1)
TEXT = {
    "id": {
        "title": "Laporan",
        "legend": '"—" menandai jumlah yang disembunyikan',
        "one_filter": "Pilih satu saja dari lembaga, provinsi, jenis kelamin atau kelompok umur",
        "recount": "Hitung ulang sekarang",
        "recounting": "Menghitung ulang",
    },
    "en": {
        "title": "Reports",
        "legend": '"—" marks a count hidden',
        "one_filter": "Choose one of NGO, province, sex or age band at a time",
        "recount": "Recount now",
        "recounting": "Recounting",
    },
}


@pytest.fixture
def console(browser_server) -> Site:
    return Site(host="localhost", port=browser_server.port, schema="public")


@pytest.fixture
def year_rows(ngo_a, ngo_b):
    """Both NGOs' figures at the end of 2026: three girls aged 5-11 in NGO B are the small
    count (active cases, and children identified)."""
    from django.db import connection

    from network.reporting.models import AggregateCell
    from tests.network.conftest import aggregate_cell

    connection.set_schema_to_public()
    kept = set(AggregateCell.objects.values_list("pk", flat=True))
    a, b = ngo_a.ngo, ngo_b.ngo
    rows = [
        (a, 40, "female", "12_14", "33"),
        (a, 10, "male", "5_11", "35"),
        (a, 6, "male", "12_14", "35"),
        (b, 27, "male", "12_14", "33"),
        (b, 3, "female", "5_11", "35"),
        (b, 8, "female", "12_14", "35"),
    ]
    cells = []
    for ngo, count, sex, band, province in rows:
        where = {"sex": sex, "age_band": band, "province": province}
        cells.append(aggregate_cell(ngo, "active_cases", DECEMBER, count, **where))
        cells.append(aggregate_cell(ngo, "children_identified", DECEMBER, count, **where))
    AggregateCell.objects.bulk_create(cells)
    connection.close()
    yield
    connection.set_schema_to_public()
    AggregateCell.objects.exclude(pk__in=kept).delete()
    connection.close()


def _check(page, lang: str, label: str) -> None:
    check_page(page, lang, f"console-reports-{label}")
    assert page.evaluate(UNLABELLED_JS) == [], f"{label}: unlabelled inputs"
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        height = page.evaluate("() => document.documentElement.scrollHeight")
        for index, top in enumerate(range(0, height, 740)):
            clip = {"x": 0, "y": top, "width": 360, "height": min(740, height - top)}
            target = SHOTS / f"console-{lang}-{label}-{index + 1}.png"
            page.screenshot(path=str(target), full_page=True, clip=clip)


def _cells(page, key: str) -> list[list[str]]:
    rows = page.locator(f"section[aria-labelledby=t-{key}] tbody tr")
    return [row.inner_text().split("\t") for row in rows.all()]


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_coordinator_reads_the_year_on_a_phone(new_page, console, year_rows, lang):
    from tenants.models import Consortium

    consortium = Consortium.objects.get(slug="pusat-test")
    page = new_page("id-ID" if lang == "id" else "en-US")
    _login(page, console)
    page.goto(console.url(f"/console/{consortium.pk}/reports/?year=2026"))
    assert page.locator("main h1").inner_text() == TEXT[lang]["title"]
    _check(page, lang, "year")
    main = page.locator("main").inner_text()
    assert TEXT[lang]["legend"] in main
    # Active cases at the year's end: 40 + 10 + 6 + 27 + 3 + 8.
    assert page.locator("main dl.figures dd").nth(1).inner_text() == "94"
    identified = _cells(page, "identified_by_sex")
    girls, boys = identified[0], identified[1]
    assert girls[1] == "< 5"  # the three girls aged 5-11
    assert boys[1] == "—"  # ten boys of that age, hidden to protect them: not "< 5"
    assert "3" not in [cell.strip() for row in identified for cell in row[1:]]

    # Girls only, then two filters at once (refused with the reason, nothing lost).
    filters = page.locator("main details:has(form.report-filters)")
    if filters.get_attribute("open") is None:
        filters.locator("summary").click()
    page.select_option("main form.report-filters #id_sex", "female")
    submit(page, "main form.report-filters button[type=submit]")
    assert "sex=female" in page.url
    _check(page, lang, "girls")
    assert page.locator("main dl.figures dd").nth(1).inner_text() == "51"  # 40 + 3 + 8
    page.select_option("main form.report-filters #id_province", "33")
    submit(page, "main form.report-filters button[type=submit]")
    assert TEXT[lang]["one_filter"] in page.locator("main form.report-filters").inner_text()
    assert page.locator("main #id_sex").input_value() == "female"
    _check(page, lang, "two-filters")

    # A recount is queued, and the page says so.
    page.goto(console.url(f"/console/{consortium.pk}/reports/?year=2026"))
    submit(page, f"main form button:has-text('{TEXT[lang]['recount']}')")
    assert TEXT[lang]["recounting"] in page.locator("main").inner_text()
