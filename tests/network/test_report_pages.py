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
from tests.network.conftest import aggregate_cell
from tests.support import host_client

pytestmark = pytest.mark.django_db

NOV, DEC = dt.date(2026, 11, 1), dt.date(2026, 12, 1)
# Three girls in NGO B: a small cell whose number must appear nowhere.
SECRET = 3


@pytest.fixture
def board(network, ngo_a, ngo_b, settings):
    settings.REPORTING_MONTHS = 24
    a, b = ngo_a.ngo, ngo_b.ngo
    rows = [
        (a, "active_cases", 40, {"sex": "female", "age_band": "12_14", "province": "33"}),
        (a, "active_cases", 10, {"sex": "male", "age_band": "5_11", "province": "35"}),
        (a, "active_cases", 6, {"sex": "male", "age_band": "12_14", "province": "35"}),
        (b, "active_cases", 27, {"sex": "male", "age_band": "12_14", "province": "33"}),
        (b, "active_cases", SECRET, {"sex": "female", "age_band": "5_11", "province": "35"}),
        (b, "active_cases", 8, {"sex": "female", "age_band": "12_14", "province": "35"}),
        (a, "new_cases", 12, {"sex": "female", "case_type": "child_labour"}),
        (b, "new_cases", 9, {"sex": "male", "case_type": "prevention"}),
        (a, "children_identified", 12, {"sex": "female", "age_band": "12_14"}),
        (a, "children_identified", 7, {"sex": "male", "age_band": "5_11"}),
        (b, "children_identified", SECRET, {"sex": "female", "age_band": "5_11"}),
        (b, "children_identified", 9, {"sex": "male", "age_band": "12_14"}),
    ]
    # Stocks at the end of 2026 (the period's last month), flows in November.
    AggregateCell.objects.bulk_create(
        aggregate_cell(ngo, code, DEC if code == "active_cases" else NOV, n, **d)
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


PERIOD = "?year=2026"


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
    assert "&lt; 5" in text  # the three girls aged 5-11
    # No cell shows the small count: every <td> that would be 3 reads "< 5".
    assert f"<td>{SECRET}</td>" not in text
    assert "<td>94</td>" in text  # active cases at the year's end: 40 + 10 + 6 + 27 + 3 + 8
    # Cells hidden only to protect the small one read "—", not "< 5" (they may be large).
    assert '<td class="suppressed">—</td>' in text
    # The coordinator sees when each NGO was counted, and can ask for a recount.
    assert "/reports/refresh/" in text


def test_filters_narrow_and_a_bad_month_is_a_form_error(board):
    client = _client(board.coordinator, "en")
    girls = client.get(_path(board) + PERIOD + "&sex=female").content.decode()
    assert "<td>51</td>" in girls  # 40 + 3 + 8, boys left out
    assert "Not broken down by the filters chosen" in girls  # follow-ups have no sex
    bad = client.get(_path(board) + "?year=1999")
    assert bad.status_code == 400
    assert "Select a valid choice" in bad.content.decode()
    # Two filters at once would be two slices of different tables: one at a time.
    both = client.get(_path(board) + PERIOD + "&sex=female&province=33")
    assert both.status_code == 400
    assert "Choose one of NGO, province, sex or age band at a time" in both.content.decode()


def test_a_filter_given_twice_is_a_form_error_and_a_stray_parameter_changes_nothing(board):
    """`?year=2025&year=2026` would show one of the two years without saying which; a
    parameter that is not a filter (a link's tracking tag) binds no form: no error, no
    "Clear"."""
    client = _client(board.coordinator, "id")
    twice = client.get(_path(board) + "?year=2025&year=2026")
    assert twice.status_code == 400
    assert "Berikan satu nilai saja." in twice.content.decode()
    tables = client.get(_path(board, "export.csv") + "?table=status&table=services")
    assert tables.status_code == 400
    assert "Berikan satu tabel" in tables.content.decode()
    stray = client.get(_path(board) + "?utm_source=surat")
    assert stray.status_code == 200
    assert "Hapus saringan" not in stray.content.decode()
    assert "Hapus saringan" in client.get(_path(board) + PERIOD).content.decode()


def test_csv_and_xlsx_exports_carry_the_header_and_no_suppressed_number(board):
    client = _client(board.funder, "en")
    csv_response = client.get(_path(board, "export.csv") + PERIOD + "&table=identified_by_sex")
    assert csv_response.status_code == 200
    assert csv_response["Content-Type"].startswith("text/csv")
    body = csv_response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == ["Children identified in the period, by sex and age band"]
    assert ["Period", "2026 (2026-01 – 2026-12)"] in rows
    assert ["Child-labour rules", "ILO"] in rows
    assert any(row[:1] == ["Small-cell threshold"] for row in rows)
    assert any(row[:1] == ["Generated"] for row in rows)
    assert ["Sex", "Age band", "Value", "Suppressed"] in rows
    assert ["Female", "5-11 years", "< 5", "yes"] in rows
    assert ["Male", "5-11 years", "—", "yes"] in rows  # hidden to protect the girls: 7
    assert str(SECRET) not in [row[2] for row in rows if len(row) == 4]

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
    identified = workbook.worksheets[2]
    rows = [_trimmed([c.value for c in row]) for row in identified.iter_rows()]
    assert rows[0] == ["Children identified in the period, by sex and age band"]
    assert ["Sex", "Age band", "Value", "Suppressed"] in rows
    # The three girls are suppressed, and so is what would give them away.
    suppressed = {tuple(row[:2]): row[2] for row in rows if len(row) == 4 and row[3] is True}
    assert suppressed == {
        ("Female", "5-11 years"): "< 5",
        ("Female", "12-14 years"): "—",
        ("Male", "5-11 years"): "—",
        ("Male", "12-14 years"): "—",
    }
    assert SECRET not in [row[2] for row in rows if len(row) == 4]

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
            _path(board, "refresh/"), {"query": "sex=female&year=2026"}
        )
    assert response.status_code == 302
    assert response["Location"] == _path(board) + "?sex=female&year=2026"
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


def test_the_per_ngo_table_is_published_with_the_totals_and_read_from_the_cache(
    board, ngo_a, ngo_b
):
    """The NGO is a dimension of the publication: the per-NGO table and the NGO filter are
    tables of the same linked set as the totals (audited together), and a second page between
    two rollups reads the cached publication, not the aggregate table."""
    from network.reporting import publication
    from network.reporting.audit import audit_tables

    client = _client(board.coordinator, "en")
    assert client.get(_path(board) + PERIOD).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get(_path(board) + PERIOD + "&ngo=" + ngo_a.ngo.slug).status_code == 200
    read = [q["sql"] for q in queries.captured_queries if "reporting_aggregatecell" in q["sql"]]
    assert read == []
    published = publication.publication(
        consortium=board.consortium, indicator="active_cases", period=publication.Period(2026)
    )
    by_ngo = published.tables[("ngo",)]
    values = {cell["ngo"]: cell["value"] for cell in by_ngo["cells"]}
    assert values == {None: 94, ngo_a.ngo.slug: 56, ngo_b.ngo.slug: 38}
    assert audit_tables(published.all()).ok


def test_children_served_by_several_ngos_are_counted_never_named(board, ngo_a, ngo_b):
    """Six children have a case in both NGOs in December (matched by their keyed hashes): the
    dashboard says six, and nothing on the page is a hash."""
    from network.reporting.models import LinkageHash

    hashes = [f"{index:064x}" for index in range(6)]
    LinkageHash.objects.bulk_create(
        LinkageHash(consortium_id=ngo.ngo.consortium_id, ngo=ngo.ngo, hash=h, months=[DEC])
        for ngo in (ngo_a, ngo_b)
        for h in hashes
    )
    from network.reporting import dashboard

    board_ = dashboard.dashboard(consortium=board.consortium, filters=dashboard.Filters(year=2026))
    assert board_.tables["several_ngos"].cell(month="2026-12")["value"] == 6
    text = _client(board.coordinator, "en").get(_path(board) + PERIOD).content.decode()
    assert "Children with a case in two or more partner NGOs" in text
    assert not any(h in text for h in hashes)


def test_the_dashboard_shows_capacity_building_status(board, ngo_a):
    """Each NGO's open and overdue agreed actions (the centre's own work: no child, nothing
    to hide), on the dashboard and the funder report."""
    from core import clock
    from network.capacity.models import AgreedAction, MentoringVisit

    today = clock.today()
    visit = MentoringVisit.objects.create(
        consortium=board.consortium,
        ngo=ngo_a.ngo,
        visited_on=today - dt.timedelta(days=40),
        topics="Case files",
        findings="Files incomplete",
    )
    for days in (-10, 30):  # one overdue, one due next month
        AgreedAction.objects.create(
            visit=visit, description="Complete the files", due_on=today + dt.timedelta(days=days)
        )
    for path in (_path(board) + PERIOD, _path(board, "print/") + PERIOD):
        text = _client(board.funder, "en").get(path).content.decode()
        assert 'id="t-capacity">Capacity building</h2>' in text
        row = text.split(f'<th scope="row">{ngo_a.ngo.name}</th>')[-1].split("</tr>")[0]
        assert "<td>2</td>" in row  # open actions
        assert '<strong class="overdue">1</strong>' in row


def test_after_a_rollup_readers_get_the_last_publication_until_the_new_one_is_counted(
    board, ngo_a, monkeypatch
):
    """Counting a publication of 200 NGOs takes minutes: the rollup task asks for it once a
    minute at most (reporting_publish), and meanwhile readers get the last one, whole."""
    from network import tasks
    from network.reporting import dashboard

    filters = dashboard.Filters(year=2026)

    def active_total() -> int | None:
        board_ = dashboard.dashboard(consortium=board.consortium, filters=filters)
        cell = board_.tables["active_by_month"].cell(month="2026-12")
        return cell["value"] if cell else None

    assert active_total() == 94
    AggregateCell.objects.bulk_create(
        [aggregate_cell(ngo_a.ngo, "active_cases", DEC, 20, sex="male", province="33")]
    )
    assert active_total() == 94  # the last publication, not a wait for the new one
    queued = []
    monkeypatch.setattr(
        tasks.reporting_publish, "apply_async", lambda args, countdown: queued.append(args)
    )
    tasks.publish_soon(board.consortium.pk)
    tasks.publish_soon(board.consortium.pk)  # a second rollup within the minute
    assert queued == [(board.consortium.pk,)]
    assert tasks.reporting_publish.run(board.consortium.pk) > 100  # every indicator's tables
    assert active_total() == 114


def test_the_referral_flow_is_a_table_of_referrals_sent_suppressed_with_it(board):
    """Referrals sent by each NGO (rows) to each agency (columns), outside services included:
    the referrals_sent table by NGO and receiving agency, suppressed with the table by NGO,
    so that the flow's row of an NGO and the NGO's referrals are hidden or shown together."""
    from network.reporting import dashboard
    from network.reporting.audit import audit_tables
    from network.reporting.publication import Period, publication

    a, b = board.agency_a.ngo, board.agency_b.ngo
    clinic, partner = str(board.clinic.uuid), str(board.agency_b.uuid)
    AggregateCell.objects.bulk_create(
        [
            aggregate_cell(a, "referrals_sent", NOV, 2, to_agency=clinic),  # small
            aggregate_cell(a, "referrals_sent", NOV, 10, to_agency=partner),
            aggregate_cell(b, "referrals_sent", NOV, 9, to_agency=clinic),
            aggregate_cell(b, "referrals_sent", NOV, 7, to_agency=str(board.agency_a.uuid)),
        ]
    )
    board_page = dashboard.dashboard(
        consortium=board.consortium, filters=dashboard.default_filters()
    )
    flow = board_page.tables["referral_flow"].table
    assert flow["group_by"] == ["ngo", "to_agency"]
    cell = {(c["ngo"], c["to_agency"]): c for c in flow["cells"]}
    assert cell[(a.slug, clinic)]["suppressed"]
    by_ngo = publication(
        consortium=board.consortium, indicator="referrals_sent", period=Period(2026)
    ).tables[("ngo",)]
    row = {c["ngo"]: c for c in by_ngo["cells"]}
    for ngo in (a.slug, b.slug, None):
        assert row[ngo]["suppressed"] == cell[(ngo, None)]["suppressed"], ngo
    assert audit_tables([flow, by_ngo]).ok
    text = _client(board.coordinator, "en").get(_path(board) + PERIOD).content.decode()
    assert board.clinic.name in text
    assert "Receiving agency" in text or "Referrals sent in the period, from" in text


def test_the_flow_leaves_out_ngos_and_agencies_with_no_referral():
    """A matrix of every member NGO would be rows of zeros for those that sent none."""
    from network.reporting.dashboard import without_empty_lines
    from network.reporting.suppression import suppress

    table = suppress(
        {("a", "x"): 12, ("a", "y"): 9, ("b", "x"): 0, ("b", "y"): 0, ("c", "x"): 7},
        indicator="referrals_sent",
        group_by=["ngo", "to_agency"],
        categories=[["a", "b", "c"], ["x", "y", "z"]],
    )
    shown = without_empty_lines(table)
    assert {cell["ngo"] for cell in shown["cells"]} == {"a", "c", None}
    assert {cell["to_agency"] for cell in shown["cells"]} == {"x", "y", None}
    assert {(c["ngo"], c["to_agency"]): c["value"] for c in shown["cells"]}[(None, None)] == 28
    assert without_empty_lines(shown) == shown


def test_a_table_whose_every_figure_is_hidden_says_why(board, monkeypatch):
    """A funder who sees only "—" is told the figures protect small counts elsewhere."""
    from network.reporting import dashboard
    from network.reporting.shown import Table

    hidden = {"group_by": ["ngo"], "cells": [{"ngo": None, "value": None, "suppressed": True}]}
    assert Table("t", "T", hidden).all_hidden
    assert not Table("t", "T", {"group_by": ["ngo"], "cells": []}).all_hidden
    shown = {"group_by": ["ngo"], "cells": [{"ngo": None, "value": 0, "suppressed": False}]}
    assert not Table("t", "T", shown).all_hidden

    real = dashboard.dashboard

    def with_one_hidden(**kwargs):
        board_page = real(**kwargs)
        board_page.tables["ngo_new"].table = hidden
        return board_page

    monkeypatch.setattr(dashboard, "dashboard", with_one_hidden)
    for suffix in ("", "print/"):
        text = _client(board.coordinator, "id").get(_path(board, suffix) + PERIOD).content.decode()
        assert "Semua angka tabel ini disembunyikan" in text, suffix
