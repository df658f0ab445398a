"""An NGO's own report on its host (/report/): the consortium's indicators for that NGO alone,
unsuppressed, against the hand-counted fixture of test_rollup (three children of NGO A,
September to November 2026); its filters, CSV and XLSX exports, the recount, who reaches it,
and that it reads no other NGO's rows.

Hand count of NGO A for September–November 2026 (see test_rollup's docstring for the cases):
active cases at each month's end 2, 3, 2 (Budi's case ran October to 15 November); new cases 1
(Ani, September), 1 (Budi, October), 0; children identified 2 (Ani: girl 12-14, Budi: boy
15-17; Citra's case opened in August); active at the end of November in Kota Semarang 2; in
child labour at November's end 2 girls under both rules; in hazardous work at November's end 0
under ILO, 1 girl (Citra) under BPS; closed 1 (Budi, prevented); withdrawn 1 (Ani, November);
services 3 (counselling, school return, health); follow-ups due 2 (one on time, one overdue);
referrals sent 1 (October).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context
from openpyxl import load_workbook

from network.reporting import ngo_report, rollup
from network.reporting.models import AggregateCell, Rollup
from tests.network.test_rollup import MONTHS, NOV, OCT, SEP, fixture_a  # noqa: F401
from tests.support import host_client

pytestmark = pytest.mark.django_db

PERIOD = "?period_from=2026-09&period_to=2026-11"
# NGO B's own figures: numbers that appear nowhere in NGO A's.
B_ACTIVE, B_SERVICES = 777, 555


def _client(staff, language="en"):
    """A browser-like session of `staff` on its NGO's host."""
    client = host_client(staff.host, HTTP_ACCEPT_LANGUAGE=language)
    from tenants.models import Domain

    connection.set_schema_to_public()
    schema = Domain.objects.select_related("tenant").get(domain=staff.host).tenant.schema_name
    with schema_context(schema):
        client.force_login(staff.user)
    return client


@pytest.fixture
def counted(fixture_a, ngo_b, settings):  # noqa: F811
    """NGO A rolled up from its cases; NGO B's rows written directly (it has no cases)."""
    settings.REPORTING_MONTHS = 24
    rollup.ngo_rollup(ngo=fixture_a, months=MONTHS)
    rows = [
        ("active_cases", B_ACTIVE, {"sex": "female", "age_band": "12_14", "regency": "35.78"}),
        ("services_delivered", B_SERVICES, {"sex": "male", "service_type": "counselling"}),
    ]
    AggregateCell.objects.bulk_create(
        AggregateCell(
            consortium_id=ngo_b.ngo.consortium_id,
            ngo=ngo_b.ngo,
            indicator=code,
            month=NOV,
            value=value,
            **dimensions,
        )
        for code, value, dimensions in rows
    )
    return fixture_a


def _values(table, *dimensions) -> dict:
    """{cell's values of `dimensions` (one value: unpacked): value} of a report table."""
    result = {}
    for cell in table.table["cells"]:
        key = tuple(cell[name] for name in dimensions)
        result[key[0] if len(key) == 1 else key] = cell["value"]
    return result


def _filters(**chosen) -> ngo_report.Filters:
    return ngo_report.Filters(first=SEP, last=NOV, **chosen)


def test_the_report_matches_the_hand_count(counted):
    """Every table and headline of NGO A's report, cell by cell, for September–November."""
    report = ngo_report.ngo_report(ngo=counted, filters=_filters())
    tables = report.tables
    # A stock: each month's end, and no "all months" row (a quarter is not a sum of months).
    assert _values(tables["active_by_month"], "month") == {
        "2026-09": 2,
        "2026-10": 3,
        "2026-11": 2,
    }
    assert _values(tables["new_by_month"], "month") == {
        "2026-09": 1,
        "2026-10": 1,
        "2026-11": 0,
        None: 2,
    }
    identified = _values(tables["identified_by_sex"], "sex", "age_band")
    assert {key: value for key, value in identified.items() if value} == {
        ("female", "12_14"): 1,
        ("female", None): 1,
        ("male", "15_17"): 1,
        ("male", None): 1,
        (None, "12_14"): 1,
        (None, "15_17"): 1,
        (None, None): 2,
    }
    assert len(identified) == 3 * 6  # female, male, all x five age bands and all
    assert _values(tables["active_by_regency"], "regency") == {"33.74": 2, None: 2}
    assert tables["active_by_regency"].label("regency", "33.74") == "Kota Semarang"
    assert _values(tables["status"], "sex") == {"female": 2, "male": 0, None: 2}
    assert _values(tables["hazardous"], "sex") == {"female": 0, "male": 0, None: 0}
    outcomes = _values(tables["outcomes"], "closure_reason")
    assert {key: value for key, value in outcomes.items() if value} == {"prevented": 1, None: 1}
    assert len(outcomes) == 9  # eight reasons and all
    assert _values(tables["monitoring"], "month") == {
        "2026-09": 0,
        "2026-10": 0,
        "2026-11": 1,
        None: 1,
    }
    services = _values(tables["services"], "service_type")
    assert {key: value for key, value in services.items() if value} == {
        "counselling": 1,
        "school_return": 1,
        "health": 1,
        None: 3,
    }
    assert _values(tables["followups"], "timeliness") == {
        "on_time": 1,
        "late": 0,
        "overdue": 1,
        None: 2,
    }
    assert _values(tables["referrals_by_month"], "month") == {
        "2026-09": 0,
        "2026-10": 1,
        "2026-11": 0,
        None: 1,
    }
    assert [(code, cell["value"]) for code, _name, cell in report.headlines] == [
        ("children_identified", 2),
        ("active_cases", 2),
        ("children_in_child_labour", 2),
        ("children_withdrawn", 1),
        ("services_delivered", 3),
        ("referrals_sent", 1),
    ]
    assert all(not cell["suppressed"] for t in tables.values() for cell in t.table["cells"])
    assert report.rollup == Rollup.objects.get(ngo=counted)
    assert report.figures_as_of == report.rollup.rolled_up_at
    assert report.not_filtered == []


def test_filters_narrow_the_tables_and_switch_the_rules(counted):
    girls = ngo_report.ngo_report(ngo=counted, filters=_filters(sex="female"))
    assert _values(girls.tables["active_by_month"], "month") == {
        "2026-09": 2,
        "2026-10": 2,
        "2026-11": 2,
    }
    # Filtered by sex, the table by sex and age band is by age band.
    assert girls.tables["identified_by_sex"].group_by == ["age_band"]
    assert _values(girls.tables["identified_by_sex"], "age_band")["12_14"] == 1
    assert girls.tables["identified_by_sex"].total()["value"] == 1
    assert _values(girls.tables["status"], "age_band") == {
        "5_11": 1,
        "12_14": 1,
        "15_17": 0,
        "other": 0,
        "unknown": 0,
        None: 2,
    }
    # Follow-ups and referrals have no sex: shown for everyone, and the page says so.
    assert girls.tables["followups"].total()["value"] == 2
    assert girls.not_filtered == [
        girls.tables["followups"].title,
        girls.tables["referrals_by_month"].title,
    ]
    older = ngo_report.ngo_report(ngo=counted, filters=_filters(age_band="15_17"))
    assert older.tables["new_by_month"].total()["value"] == 1  # Budi
    assert older.tables["status"].total()["value"] == 0
    bps = ngo_report.ngo_report(ngo=counted, filters=_filters(standard="bps"))
    assert _values(bps.tables["hazardous"], "sex") == {"female": 1, "male": 0, None: 1}
    assert "(BPS rules)" in bps.tables["status"].title


@pytest.mark.parametrize("language", ["id", "en"])
def test_the_page_shows_charts_tables_and_when_it_was_counted(counted, team_a, language):
    response = _client(team_a["supervisor"], language).get("/report/" + PERIOD)
    assert response.status_code == 200
    text = response.content.decode()
    heading = {
        "id": "Kasus aktif pada akhir setiap bulan",
        "en": "Active cases at the end of each month",
    }
    assert heading[language] in text
    assert text.count('<svg class="chart"') == 4  # the four tables by month
    assert text.count('<div class="table-scroll">') == 11
    figures = re.findall(r"<dd>(\d+)</dd>", text.split('<dl class="figures">')[1].split("</dl>")[0])
    assert figures == ["2", "2", "2", "1", "3", "1"]
    assert "Kota Semarang" in text
    assert "&lt;" not in text.split('<dl class="figures">')[1]  # nothing suppressed
    assert 'action="/report/recount/"' in text
    assert "/report/export.csv?period_from=2026-09&amp;period_to=2026-11&amp;table=services" in text
    as_of = {"id": "angka per", "en": "figures as of"}
    assert as_of[language] in text
    assert str(B_ACTIVE) not in text
    assert str(B_SERVICES) not in text
    # A period starting before the rollup's first month (September) says those months are 0.
    earlier = _client(team_a["supervisor"], language).get("/report/?period_from=2026-06")
    note = {
        "id": "Bulan sebelum September 2026 tidak dihitung",
        "en": "Months before September 2026 are not counted",
    }
    assert note[language] in earlier.content.decode()
    assert note[language] not in text


def test_bad_filters_are_form_errors_not_failures(counted, team_a):
    client = _client(team_a["me"])
    cases = {
        "?period_from=2026-13": "Enter a month as YYYY-MM",
        "?period_from=2026-11&period_to=2026-01": "The period ends before it starts.",
        "?period_from=2020-01&period_to=2026-11": "A period is at most 24 months.",
        "?period_from=1999-01&period_to=1999-02": "Figures are counted from 2000 to",
        "?period_from=9999-12": "Figures are counted from 2000 to",  # the range, not the format
        "?sex=robot": "Select a valid choice",
        "?age_band=99": "Select a valid choice",
        "?standard=un": "Select a valid choice",
        "?sex=female&sex=male": "Give one value.",  # not the last one silently
    }
    for query, message in cases.items():
        response = client.get("/report/" + query)
        assert response.status_code == 400, query
        text = response.content.decode()
        assert message in text, query
        assert 'class="errorlist"' in text
        assert '<dl class="figures">' not in text
        export = client.get("/report/export.csv" + query)
        assert export.status_code == 400, query
        assert message in export.content.decode()
    assert client.get("/report/export.pdf").status_code == 404
    unknown = client.get("/report/export.csv?table=nothing")
    assert unknown.status_code == 400
    assert "Unknown table: nothing" in unknown.content.decode()


def _trimmed(row: list) -> list:
    while row and row[-1] is None:
        row = row[:-1]
    return row


def test_csv_and_xlsx_exports_carry_the_ngo_header_and_every_number(counted, team_a):
    client = _client(team_a["me"])
    response = client.get("/report/export.csv" + PERIOD + "&table=services")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert re.fullmatch(
        r'attachment; filename="terpadu-yayasan-a-services-\d{8}-\d{4}\.csv"',
        response["Content-Disposition"],
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Services delivered, by type"]
    assert rows[1] == ["NGO", "Yayasan Anak Sejahtera"]
    assert ["Period", "2026-09 – 2026-11"] in rows
    assert ["Child-labour rules", "ILO"] in rows
    assert ["Filters", "none"] in rows
    assert any(row[:1] == ["Figures as of"] and row[1] != "not counted yet" for row in rows)
    assert any(row[:1] == ["Generated"] for row in rows)
    table = rows[rows.index(["Service type", "Value"]) :]
    assert ["Counselling", "1"] in table
    assert ["Health", "1"] in table
    assert ["Education: return to school", "1"] in table
    assert ["Vocational training", "0"] in table
    assert table[-1] == ["All", "3"]
    assert len(table) == 1 + 9 + 1  # heading, nine service types, all

    xlsx = client.get("/report/export.xlsx" + PERIOD + "&table=all&sex=female")
    assert xlsx.status_code == 200
    workbook = load_workbook(io.BytesIO(xlsx.content))
    assert len(workbook.sheetnames) == 11
    first = [_trimmed([c.value for c in row]) for row in workbook.worksheets[0].iter_rows()]
    assert first[0] == ["Active cases at the end of each month"]
    assert ["NGO", "Yayasan Anak Sejahtera"] in first
    assert ["Filters", "sex=female"] in first
    assert first[first.index(["Month", "Value"]) + 1 :] == [
        ["2026-09", 2],
        ["2026-10", 2],
        ["2026-11", 2],
    ]
    identified = [_trimmed([c.value for c in row]) for row in workbook.worksheets[2].iter_rows()]
    assert identified[identified.index(["Age band", "Value"]) + 1 :] == [
        ["5-11 years", 0],
        ["12-14 years", 1],
        ["15-17 years", 0],
        ["Under 5 or 18 and over", 0],
        ["Unknown", 0],
        ["All", 1],
    ]


def test_an_export_in_bahasa_indonesia_names_the_ngo(counted, team_a):
    response = _client(team_a["admin"], "id").get("/report/export.xlsx" + PERIOD + "&table=status")
    workbook = load_workbook(io.BytesIO(response.content))
    rows = [_trimmed([c.value for c in row]) for row in workbook.worksheets[0].iter_rows()]
    assert ["Lembaga", "Yayasan Anak Sejahtera"] in rows
    assert ["Periode", "2026-09 – 2026-11"] in rows
    assert rows[rows.index(["Jenis kelamin", "Nilai"]) + 1 :] == [
        ["Perempuan", 2],
        ["Laki-laki", 0],
        ["Semua", 2],
    ]


def test_who_reaches_the_report(counted, team_a, team_b, ngo_a):
    for role in ("admin", "supervisor", "me"):
        client = _client(team_a[role])
        assert client.get("/report/" + PERIOD).status_code == 200, role
        assert client.get("/report/export.csv" + PERIOD).status_code == 200, role
        assert 'href="/report/"' in client.get("/").content.decode(), role
    for role in ("worker", "other_worker"):
        client = _client(team_a[role])
        assert client.get("/report/").status_code == 403, role
        assert client.get("/report/export.xlsx").status_code == 403, role
        assert client.post("/report/recount/").status_code == 403, role
        assert 'href="/report/"' not in client.get("/").content.decode(), role
    anonymous = host_client(ngo_a.host)
    assert anonymous.get("/report/")["Location"].startswith("/accounts/login/")
    # NGO B's supervisor has no account on NGO A's host: sent to its login, never a figure.
    visitor = _client(team_b["supervisor"])
    visitor.defaults["HTTP_HOST"] = ngo_a.host
    response = visitor.get("/report/" + PERIOD)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_each_ngo_reads_only_its_own_rows(counted, team_a, team_b, ngo_a, ngo_b):
    """NGO B's page shows B's figures, NGO A's shows A's; every query of A's page that reads
    the aggregate table is limited to A's rows, and no other schema is entered."""
    b_page = _client(team_b["supervisor"]).get("/report/" + PERIOD).content.decode()
    b_figures = b_page.split('<dl class="figures">')[1].split("</dl>")[0]
    assert re.findall(r"<dd>(\d+)</dd>", b_figures) == ["0", str(B_ACTIVE), "0", "0", "555", "0"]
    assert "Kota Semarang" not in b_page  # A's regency

    client = _client(team_a["supervisor"])
    with CaptureQueriesContext(connection) as queries:
        for path in ("/report/", "/report/export.csv?table=all", "/report/export.xlsx"):
            joiner = "&" if "?" in path else "?"
            assert client.get(path + joiner + PERIOD[1:]).status_code == 200, path
    aggregate = [
        q["sql"] for q in queries.captured_queries if AggregateCell._meta.db_table in q["sql"]
    ]
    assert len(aggregate) == 3 * 11
    table = AggregateCell._meta.db_table
    for sql in aggregate:
        assert re.search(rf'"{table}"\."ngo_id" IN \({ngo_a.ngo.pk}\)', sql), sql
        assert re.search(rf'"{table}"\."consortium_id" = {ngo_a.ngo.consortium_id}\b', sql), sql
    rollups = [q["sql"] for q in queries.captured_queries if Rollup._meta.db_table in q["sql"]]
    assert rollups
    assert all(f'"ngo_id" = {ngo_a.ngo.pk}' in sql for sql in rollups)
    schemas = [q["sql"] for q in queries.captured_queries if "search_path" in q["sql"].lower()]
    assert not any(ngo_b.ngo.schema_name in sql for sql in schemas)


def test_recount_queues_this_ngos_rollup_and_it_runs_in_its_schema(
    counted, team_a, ngo_a, monkeypatch, django_capture_on_commit_callbacks
):
    from network import tasks

    sent = []
    monkeypatch.setattr(
        tasks.reporting_rollup_ngo,
        "delay",
        lambda ngo_id: sent.append((ngo_id, connection.schema_name)),
    )
    client = _client(team_a["me"])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post("/report/recount/", {"query": "sex=female&period_to=2026-11"})
    assert response.status_code == 302
    assert response["Location"] == "/report/?sex=female&period_to=2026-11"
    assert len(callbacks) == 1
    assert sent == [(ngo_a.ngo.pk, ngo_a.ngo.schema_name)]
    assert "Recounting" in client.get(response["Location"]).content.decode()

    # The task, as the worker runs it in the NGO's schema (where it was sent from), writes
    # the rows a rollup from the public schema writes (the default window, both times).
    fields = [f.name for f in AggregateCell._meta.concrete_fields if f.name != "id"]
    from_public = rollup.ngo_rollup(ngo=counted).rows
    expected = sorted(AggregateCell.objects.filter(ngo=counted).values_list(*fields))
    AggregateCell.objects.filter(ngo=counted).delete()
    with schema_context(ngo_a.ngo.schema_name):
        rows = tasks.reporting_rollup_ngo.run(ngo_a.ngo.pk)
    connection.set_schema_to_public()
    assert rows == from_public > 0
    assert sorted(AggregateCell.objects.filter(ngo=counted).values_list(*fields)) == expected
    assert Rollup.objects.get(ngo=counted).status == Rollup.Status.OK


def test_a_report_before_any_rollup_says_so(ngo_b, team_b):
    response = _client(team_b["supervisor"]).get("/report/?period_from=2026-09&period_to=2026-11")
    assert response.status_code == 200
    text = response.content.decode()
    assert "not counted yet" in text
    assert re.findall(r"<dd>(\d+)</dd>", text) == ["0"] * 6


def test_an_ngo_table_lists_every_month_and_value_and_no_sum_of_a_stock(counted):
    from network.reporting import selectors

    query = selectors.Query(
        indicator="active_cases", group_by=("month", "sex"), first=dt.date(2026, 8, 1), last=OCT
    )
    table = selectors.ngo_table(ngo=counted, query=query)
    assert table["threshold"] is None
    assert table["non_additive"] == ["month"]
    cells = {(c["month"], c["sex"]): c["value"] for c in table["cells"]}
    # August is outside the rollup's window (September to November): counted 0, still listed.
    assert cells == {
        ("2026-08", "female"): 0,
        ("2026-08", "male"): 0,
        ("2026-08", None): 0,
        ("2026-09", "female"): 2,
        ("2026-09", "male"): 0,
        ("2026-09", None): 2,
        ("2026-10", "female"): 2,
        ("2026-10", "male"): 1,
        ("2026-10", None): 3,
    }
