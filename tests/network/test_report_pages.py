"""The consortium's report pages on the public host: the dashboard (coordinator, funder), its
filters, exports (CSV, XLSX) and the printable funder report, all suppressed and none opening a
tenant schema."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from network.reporting.models import AggregateCell
from tests.support import host_client

pytestmark = pytest.mark.django_db

NOV = dt.date(2026, 11, 1)
# Three girls in NGO B: a small cell whose number must appear nowhere.
SECRET = 3


@pytest.fixture
def board(network, ngo_a, ngo_b, settings):
    settings.REPORTING_MONTHS = 24
    rows = [
        (ngo_a.ngo, "active_cases", 40, {"sex": "female", "age_band": "12_14", "province": "33"}),
        (ngo_b.ngo, "active_cases", 27, {"sex": "male", "age_band": "12_14", "province": "33"}),
        (
            ngo_b.ngo,
            "active_cases",
            SECRET,
            {"sex": "female", "age_band": "5_11", "province": "35"},
        ),
        (ngo_a.ngo, "new_cases", 12, {"sex": "female", "case_type": "child_labour"}),
        (ngo_b.ngo, "new_cases", 9, {"sex": "male", "case_type": "prevention"}),
    ]
    AggregateCell.objects.bulk_create(
        AggregateCell(
            consortium_id=ngo.consortium_id, ngo=ngo, indicator=code, month=NOV, value=n, **d
        )
        for ngo, code, n, d in rows
    )
    return network


def _client(user, language="id"):
    connection.set_schema_to_public()
    client = host_client("localhost", HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def _path(network, suffix=""):
    return f"/console/{network.consortium.pk}/reports/{suffix}"


PERIOD = "?period_from=2026-06&period_to=2026-11"


@pytest.mark.parametrize("language", ["id", "en"])
def test_the_dashboard_shows_figures_charts_and_tables_never_a_small_count(board, language):
    response = _client(board.coordinator, language).get(_path(board) + PERIOD)
    assert response.status_code == 200
    text = response.content.decode()
    heading = {
        "id": "Kasus aktif pada akhir setiap bulan",
        "en": "Active cases at the end of each month",
    }
    assert heading[language] in text
    assert '<svg class="chart"' in text
    assert "&lt; 5" in text  # the province with three girls
    # No cell shows the small count: every <td> that would be 3 reads "< 5".
    assert f"<td>{SECRET}</td>" not in text
    assert "<td>70</td>" in text  # active cases at November's end: 40 + 27 + 3
    # The coordinator sees when each NGO was counted, and can ask for a recount.
    assert "/reports/refresh/" in text


def test_filters_narrow_and_a_bad_month_is_a_form_error(board):
    client = _client(board.coordinator, "en")
    girls = client.get(_path(board) + PERIOD + "&sex=female").content.decode()
    assert "<td>43</td>" in girls  # 40 + 3, boys left out
    assert "Not broken down by the filters chosen" in girls  # follow-ups have no sex
    bad = client.get(_path(board) + "?period_from=2026-13")
    assert bad.status_code == 400
    assert "Enter a month as YYYY-MM" in bad.content.decode()
    backwards = client.get(_path(board) + "?period_from=2026-11&period_to=2026-01")
    assert backwards.status_code == 400
    assert "The period ends before it starts." in backwards.content.decode()


def test_csv_and_xlsx_exports_carry_the_header_and_no_suppressed_number(board):
    client = _client(board.funder, "en")
    csv_response = client.get(_path(board, "export.csv") + PERIOD + "&table=active_by_region")
    assert csv_response.status_code == 200
    assert csv_response["Content-Type"].startswith("text/csv")
    body = csv_response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == ["Active cases at the end of the period, by province"]
    assert ["Period", "2026-06 – 2026-11"] in rows
    assert ["Child-labour rules", "ILO"] in rows
    assert any(row[:1] == ["Small-cell threshold"] for row in rows)
    assert any(row[:1] == ["Generated"] for row in rows)
    assert ["Province", "Value", "Suppressed"] in rows
    assert any(row[1:] == ["< 5", "True"] for row in rows)
    assert str(SECRET) not in [row[1] for row in rows if len(row) == 3]

    xlsx = client.get(_path(board, "export.xlsx") + PERIOD + "&table=all")
    assert xlsx.status_code == 200
    workbook = load_workbook(io.BytesIO(xlsx.content))
    assert len(workbook.sheetnames) >= 10
    values = [
        cell.value
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    ]
    assert "< 5" in values
    region = workbook.worksheets[3]
    rows = [_trimmed([c.value for c in row]) for row in region.iter_rows()]
    assert rows[0] == ["Active cases at the end of the period, by province"]
    assert ["Province", "Value", "Suppressed"] in rows
    # The three girls' province is suppressed, and so is what would give it away.
    suppressed = [row for row in rows if len(row) == 3 and row[2] is True]
    assert suppressed
    assert all(row[1] == "< 5" for row in suppressed)
    assert SECRET not in [row[1] for row in rows if len(row) == 3]

    assert client.get(_path(board, "export.pdf")).status_code == 404
    assert client.get(_path(board, "export.csv") + "?table=nothing").status_code == 400


def _trimmed(row: list) -> list:
    while row and row[-1] is None:
        row = row[:-1]
    return row


def test_the_funder_report_prints_with_its_header(board):
    response = _client(board.funder, "id").get(_path(board, "print/") + PERIOD)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Laporan konsorsium" in text
    assert "Ambang sel kecil" in text
    assert "window.print()" in text
    assert "/reports/refresh/" not in text


def test_who_reaches_the_reports(board, django_capture_on_commit_callbacks):
    outsider = _client(board.outsider)
    assert outsider.get(_path(board)).status_code == 404
    assert outsider.get(_path(board, "export.csv")).status_code == 404
    funder = _client(board.funder)
    assert funder.post(_path(board, "refresh/")).status_code == 404  # not a coordinator
    with django_capture_on_commit_callbacks() as callbacks:
        response = _client(board.coordinator).post(
            _path(board, "refresh/"), {"query": "sex=female&period_to=2026-11"}
        )
    assert response.status_code == 302
    assert response["Location"] == _path(board) + "?sex=female&period_to=2026-11"
    assert len(callbacks) == 1


def test_no_report_page_opens_a_tenant_schema(board):
    client = _client(board.coordinator, "en")
    with CaptureQueriesContext(connection) as queries:
        for suffix in ("", "print/", "export.csv?table=all", "export.xlsx?table=ngo_active"):
            joiner = "&" if "?" in suffix else "?"
            path = _path(board, suffix) + (joiner + PERIOD[1:])
            assert client.get(path).status_code == 200, path
    tenant = [
        q["sql"]
        for q in queries.captured_queries
        if "search_path" in q["sql"].lower() and "ngo_" in q["sql"].lower()
    ]
    assert tenant == []


def test_the_per_ngo_table_counts_each_ngo_in_one_query(board, ngo_a, ngo_b):
    from network.reporting import dashboard

    filters = dashboard.Filters(first=dt.date(2026, 6, 1), last=NOV)
    with CaptureQueriesContext(connection) as queries:
        table = dashboard._by_ngo(board.consortium, "active_cases", filters, [ngo_a.ngo, ngo_b.ngo])
    selects = [q for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert len(selects) == 1
    values = {cell["ngo"]: cell["value"] for cell in table["cells"]}
    assert values == {ngo_a.ngo.slug: 40, ngo_b.ngo.slug: 30, None: 70}
