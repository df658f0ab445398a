"""The coordinator's report API on the public host (funders read the pages): the registry,
the published tables (audited by the LP audit), bad parameters as 400s, who may read, the
refresh, and never a tenant schema."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from network.reporting.audit import audit_table, audit_tables
from network.reporting.indicators import INDICATORS
from network.reporting.models import AggregateCell
from tests.network.conftest import aggregate_cell, public_client

pytestmark = pytest.mark.django_db

OCT, NOV, DEC = dt.date(2026, 10, 1), dt.date(2026, 11, 1), dt.date(2026, 12, 1)
# Figures are published for calendar years: 2026 ends with December.
PERIOD = {"year": "2026"}


def _cells(ngo, indicator, month, rows):
    """Aggregate rows as a rollup would write them: (count, {dimension: value})."""
    AggregateCell.objects.bulk_create(
        aggregate_cell(ngo, indicator, month, n, **d) for n, d in rows
    )


@pytest.fixture
def figures(network, ngo_a, ngo_b):
    a, b = ngo_a.ngo, ngo_b.ngo
    for month, girls, boys in ((OCT, 20, 9), (NOV, 22, 11), (DEC, 25, 12)):
        _cells(a, "active_cases", month, [(girls, {"sex": "female", "age_band": "12_14"})])
        _cells(a, "active_cases", month, [(10, {"sex": "male", "age_band": "12_14"})])
        _cells(b, "active_cases", month, [(boys, {"sex": "male", "age_band": "12_14"})])
        _cells(b, "active_cases", month, [(8, {"sex": "female", "age_band": "12_14"})])
    # December: one 15-17-year-old girl in A, three in B; nine 5-11-year-old boys in B.
    _cells(a, "active_cases", DEC, [(1, {"sex": "female", "age_band": "15_17"})])
    _cells(b, "active_cases", DEC, [(3, {"sex": "female", "age_band": "15_17"})])
    _cells(b, "active_cases", DEC, [(9, {"sex": "male", "age_band": "5_11"})])
    for month, new in ((OCT, 7), (NOV, 2), (DEC, 8)):
        _cells(a, "new_cases", month, [(new, {"sex": "female", "case_type": "child_labour"})])
    return network


def _get(client, **params):
    return client.get("/api/v1/aggregates/", params)


def _cell(table, **where):
    (cell,) = [
        c
        for c in table["cells"]
        if all(c.get(k) == v for k, v in where.items())
        and all(c[d] is None for d in table["group_by"] if d not in where)
    ]
    return cell


def test_the_registry_lists_every_indicator_for_coordinators(network):
    for user in (network.coordinator,):
        response = public_client(user).get("/api/v1/indicators/", HTTP_ACCEPT_LANGUAGE="id")
        assert response.status_code == 200
        listed = {item["code"]: item for item in response.json()}
        assert set(listed) == set(INDICATORS)
        active = listed["active_cases"]
        assert active["name"] == "Kasus aktif"
        sex = next(d for d in active["dimensions"] if d["code"] == "sex")
        assert {v["code"] for v in sex["values"]} == {"female", "male"}
        assert active["non_additive"] == ["month"]
    assert public_client(None).get("/api/v1/indicators/").status_code in (401, 403)


def test_a_table_has_every_margin_and_hides_small_cells_provably(figures):
    response = _get(
        public_client(figures.coordinator),
        indicator="active_cases",
        group_by="sex,age_band",
        period_from="2026-01",
        period_to="2026-12",
    )
    assert response.status_code == 200, response.content
    table = response.json()
    assert table["group_by"] == ["sex", "age_band"]
    assert table["threshold"] == 5
    assert table["at_period_end"] is True  # a year: the stock is December's
    assert table["fixed"] == {"month": "2026-12"}
    assert "small" not in str(table)  # the API says a cell is hidden, not why
    sexes, bands = 2 + 1, 5 + 1  # every value and "all"
    assert len(table["cells"]) == sexes * bands
    truth = {("female", "12_14"): 33, ("female", "15_17"): 4, ("male", "12_14"): 22}
    truth[("male", "5_11")] = 9
    for cell in table["cells"]:
        key = (cell["sex"], cell["age_band"])
        expected = sum(
            n
            for (sex, band), n in truth.items()
            if key[0] in (None, sex) and key[1] in (None, band)
        )
        assert cell["value"] in (None, expected), cell  # what is shown is the true count
    # The table is published with the others of the year (by NGO too): the 15-17 row of the
    # table by age band and NGO is all small (1 in A, 3 in B), so its protection hides the
    # 5-11 and 12-14 rows there, and those age-band totals here; 5-11 is boys only, so girls
    # 12-14 and boys 12-14 go with it. The sex totals and the grand total stay published.
    hidden = {(c["sex"], c["age_band"]) for c in table["cells"] if c["suppressed"]}
    assert hidden == {
        ("female", "15_17"),
        (None, "15_17"),
        ("female", "12_14"),
        ("male", "12_14"),
        ("male", "5_11"),
        (None, "5_11"),
        (None, "12_14"),
    }
    assert [_cell(table, sex=s)["value"] for s in ("female", "male")] == [37, 31]
    assert _cell(table)["value"] == 68
    small = _cell(table, sex="female", age_band="15_17")  # 1 + 3 = 4 < 5
    assert small == {"sex": "female", "age_band": "15_17", "value": None, "suppressed": True}
    assert not [c for c in table["cells"] if c["value"] is not None and 0 < c["value"] < 5]
    assert audit_table(table).ok, audit_table(table).leaks
    zero = _cell(table, sex="female", age_band="5_11")
    assert zero["value"] == 0  # a true zero is no small cell


def test_a_stock_over_several_months_is_its_last_month_and_a_flow_the_sum(figures):
    client = public_client(figures.coordinator)
    stock = _get(client, indicator="active_cases", group_by="sex", **PERIOD).json()
    assert stock["at_period_end"] is True
    assert _cell(stock, sex="female")["value"] == 37  # December: 25 + 8 + 1 + 3
    flow = _get(client, indicator="new_cases", group_by="case_type", **PERIOD).json()
    assert flow["at_period_end"] is False
    assert _cell(flow, case_type="child_labour")["value"] == 17  # 7 + 2 + 8
    # New cases change active cases month by month: beside active cases by month, a hidden
    # month of new cases would be the rise in active cases, so they are published by year.
    refused = _get(client, indicator="new_cases", group_by="month", **PERIOD)
    assert refused.status_code == 400
    assert "group_by" in refused.json()["fields"]
    by_month = _get(client, indicator="active_cases", group_by="month", **PERIOD).json()
    assert [c["month"] for c in by_month["cells"]] == [
        f"2026-{month:02d}" for month in range(1, 13)
    ]  # every month, and no total over months for a stock
    assert _cell(by_month, month="2026-11")["value"] == 22 + 10 + 11 + 8
    assert audit_table(by_month).ok


def test_one_ngo_and_rounding(figures, ngo_b):
    from tenants.models import Consortium

    # A fresh instance: the session's consortium object is shared by later tests (the
    # database change is rolled back, an attribute set on that object would not be).
    consortium = Consortium.objects.get(pk=figures.consortium.pk)
    consortium.rounding_base = 5
    consortium.save()
    table = _get(
        public_client(figures.coordinator),
        indicator="active_cases",
        group_by="sex",
        ngo=ngo_b.ngo.slug,
        **PERIOD,
    ).json()
    assert table["rounding"] == 5
    assert table["fixed"] == {"ngo": ngo_b.ngo.slug, "month": "2026-12"}
    assert _cell(table, sex="male")["value"] == 20  # 12 + 9 = 21, rounded
    assert _cell(table, sex="female")["value"] == 10  # 8 + 3 = 11, rounded
    assert all(c["value"] is None or c["value"] % 5 == 0 for c in table["cells"])
    assert audit_table(table).ok


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "indicator"),
        ({"indicator": "nothing"}, "indicator"),
        ({"indicator": "active_cases", "group_by": "sex,colour"}, "group_by"),
        ({"indicator": "active_cases", "group_by": "sex,sex"}, "group_by"),
        ({"indicator": "active_cases", "group_by": "sex,age_band,regency,month"}, "group_by"),
        ({"indicator": "children_served", "group_by": "sex"}, "group_by"),  # by service type
        ({"indicator": "active_cases", "period_from": "2026-13"}, "period_from"),
        ({"indicator": "active_cases", "period_to": "last month"}, "period_to"),
        (
            {"indicator": "active_cases", "period_from": "2026-11", "period_to": "2026-01"},
            "period_from",
        ),
        # Only whole calendar years are published: no period one month longer than another.
        ({"indicator": "active_cases", "period_from": "2026-03"}, "period_from"),
        ({"indicator": "active_cases", "period_to": "2026-10"}, "period_to"),
        ({"indicator": "active_cases", "year": "1999"}, "year"),
        ({"indicator": "active_cases", "year": "twenty"}, "year"),
        # One NGO, one filter at a time: no NGO subsets, no slices of slices.
        ({"indicator": "active_cases", "ngo": "yayasan-a,lembaga-b"}, "ngo"),
        ({"indicator": "active_cases", "group_by": "sex", "ngo": "x", "age_band": "5_11"}, "ngo"),
        ({"indicator": "active_cases", "group_by": "sex,age_band", "ngo": "yayasan-a"}, "group_by"),
        ({"indicator": "active_cases", "group_by": "standard"}, "group_by"),
        ({"indicator": "followups", "sex": "female"}, "sex"),  # follow-ups have no sex
        ({"indicator": "active_cases", "ngo": "no-such-ngo"}, "ngo"),
        ({"indicator": "active_cases", "period_from": "26-01"}, "period_from"),  # year 26
        ({"indicator": "active_cases", "period_from": "0001-01"}, "period_from"),
        (
            {"indicator": "new_cases", "period_from": "2020-01", "period_to": "2026-11"},
            "period_from",
        ),
    ],
)
def test_bad_parameters_are_a_400_naming_the_parameter(figures, params, field):
    response = _get(public_client(figures.coordinator), **params)
    assert response.status_code == 400, response.content
    assert field in response.json().get("fields", response.json()), response.json()


def test_a_parameter_given_twice_is_a_400_not_the_last_value(figures):
    client = public_client(figures.coordinator)
    for query, field in (
        ("indicator=active_cases&year=2025&year=2026", "year"),
        ("indicator=active_cases&indicator=new_cases", "indicator"),
        ("indicator=active_cases&group_by=sex&sex=female&sex=male", "sex"),
    ):
        response = client.get(f"/api/v1/aggregates/?{query}")
        assert response.status_code == 400, query
        assert response.json()["fields"][field] == ["Give this parameter once."], query
    # A year and a period at once: which one would the table be of?
    both = client.get("/api/v1/aggregates/?indicator=active_cases&year=2025&period_from=2026-01")
    assert both.status_code == 400
    assert "not both" in both.json()["fields"]["year"][0]
    indonesian = client.get("/api/v1/aggregates/?indicator=nope", HTTP_ACCEPT_LANGUAGE="id").json()[
        "fields"
    ]["indicator"]
    assert indonesian == ["Indikator tidak dikenal: nope."]


def test_who_may_read_and_refresh(figures, ngo_a, team_a, django_capture_on_commit_callbacks):
    outsider = public_client(figures.outsider)
    response = _get(outsider, indicator="active_cases", consortium=figures.consortium.slug)
    assert response.status_code == 404
    assert public_client(None).get("/api/v1/aggregates/?indicator=active_cases").status_code in (
        401,
        403,
    )
    staff = team_a["worker"].client()  # NGO staff, on their NGO's host
    assert staff.get("/api/v1/aggregates/?indicator=active_cases").status_code == 404

    # Funders see the dashboard and the funder report (pages), not the coordinator API.
    funder = public_client(figures.funder)
    assert funder.post("/api/v1/aggregates/refresh/").status_code == 403
    assert _get(funder, indicator="active_cases", **PERIOD).status_code == 403
    assert funder.get("/api/v1/indicators/").status_code == 403
    with django_capture_on_commit_callbacks() as callbacks:
        response = public_client(figures.coordinator).post("/api/v1/aggregates/refresh/")
    assert response.status_code == 202
    from network.reporting.rollup import ngos_to_roll_up

    assert response.json() == {"queued": ngos_to_roll_up(figures.consortium.pk).count()}
    assert len(callbacks) == 1


def test_no_report_request_opens_a_tenant_schema(figures):
    client = public_client(figures.coordinator)
    with CaptureQueriesContext(connection) as queries:
        for params in (
            {"indicator": "active_cases", "group_by": "sex,age_band"},
            {"indicator": "children_served_by_several_ngos"},
            {"indicator": "domain_score_change", "group_by": "domain,month"},
            {"indicator": "days_to_first_service"},
        ):
            assert _get(client, **params).status_code == 200
        assert client.get("/api/v1/indicators/").status_code == 200
    tenant = [
        q["sql"]
        for q in queries.captured_queries
        if "search_path" in q["sql"].lower() and "ngo_" in q["sql"].lower()
    ]
    assert tenant == []
    assert all(
        "aggregatecell" in q["sql"] or "casework" not in q["sql"] for q in queries.captured_queries
    )


def test_a_mean_is_published_only_beside_a_published_count(network, ngo_a):
    a = ngo_a.ngo
    AggregateCell.objects.bulk_create(
        [
            aggregate_cell(
                a, "domain_score_change", DEC, 6, domain="education", sex="female", total=9.0
            ),
            aggregate_cell(
                a, "domain_score_change", DEC, 2, domain="education", sex="male", total=4.0
            ),
        ]
    )
    client = public_client(network.coordinator)
    by_domain = _get(client, indicator="domain_score_change", group_by="domain", **PERIOD).json()
    education = _cell(by_domain, domain="education")
    assert (education["value"], education["mean"]) == (8, 1.62)  # 13 points over 8 children
    assert _cell(by_domain, domain="health") == {
        "domain": "health",
        "value": 0,
        "suppressed": False,
        "mean": None,
    }
    by_sex = _get(client, indicator="domain_score_change", group_by="domain,sex", **PERIOD).json()
    boys = _cell(by_sex, domain="education", sex="male")
    assert (boys["value"], boys["mean"], boys["suppressed"]) == (None, None, True)
    for cell in by_sex["cells"]:
        assert (cell["mean"] is not None) == (not cell["suppressed"] and bool(cell["value"]))
    assert audit_table(by_sex).ok


def test_the_median_is_read_from_the_summed_distribution(network, ngo_a, ngo_b):
    for ngo, days in ((ngo_a.ngo, [3, 3, 10, 12, 40]), (ngo_b.ngo, [5, 6, 7])):
        _cells(ngo, "days_to_first_service", OCT, [(1, {"sex": "female", "days": d}) for d in days])
    table = _get(
        public_client(network.coordinator),
        indicator="days_to_first_service",
        group_by="sex",
        **PERIOD,
    ).json()
    girls = _cell(table, sex="female")
    assert (girls["value"], girls["median"]) == (8, 6.5)  # 3 3 5 6 | 7 10 12 40


def test_no_two_requests_together_reveal_a_small_cell(figures, ngo_a, ngo_b):
    """What helper 12 did to the old API: ask for the consortium and for each NGO, by every
    breakdown, and combine. Every table a reader can get for the year, audited as one system
    by the LP audit, leaves every hidden cell at least 5 wide."""
    client = public_client(figures.coordinator)
    tables = []
    for group_by in ("sex", "age_band", "sex,age_band", "month", "ngo"):
        tables.append(_get(client, indicator="active_cases", group_by=group_by, **PERIOD).json())
    for ngo in (ngo_a.ngo.slug, ngo_b.ngo.slug):
        for group_by in ("sex", "age_band", "month"):
            response = _get(client, indicator="active_cases", group_by=group_by, ngo=ngo, **PERIOD)
            assert response.status_code == 200, response.content
            tables.append(response.json())
    for sex in ("female", "male"):
        tables.append(
            _get(client, indicator="active_cases", group_by="age_band", sex=sex, **PERIOD).json()
        )
    for table in tables:
        table.pop("figures_as_of", None)
    result = audit_tables(tables)
    assert result.ok, result.leaks
    # The three girls aged 15-17 in NGO B are hidden wherever they would show.
    b_by_age = next(
        t
        for t in tables
        if t.get("fixed", {}).get("ngo") == ngo_b.ngo.slug and t["group_by"] == ["age_band"]
    )
    assert _cell(b_by_age, age_band="15_17")["suppressed"] is True
    # Months differing by one are not a period: only whole years are published.
    one_more = _get(client, indicator="active_cases", period_from="2026-01", period_to="2026-11")
    assert one_more.status_code == 400


def test_the_tasks_roll_up_and_fan_out(ngo_a, network, monkeypatch):
    from network import tasks
    from network.reporting.models import Rollup

    assert tasks.reporting_rollup_ngo.run(ngo_a.ngo.pk) >= 0
    assert Rollup.objects.get(ngo=ngo_a.ngo).status == Rollup.Status.OK
    sent = []
    monkeypatch.setattr(tasks.reporting_rollup_ngo, "delay", sent.append)
    queued = tasks.reporting_refresh_all.run(network.consortium.pk)
    assert queued == len(sent) >= 2
    assert ngo_a.ngo.pk in sent


def test_regencies_are_published_within_one_province(network, ngo_a, ngo_b):
    """Regencies nest in provinces: a table of one province's regencies, whose total is that
    province's cell of the table by province (linked with it), never a cross table."""
    rows = [
        (ngo_a.ngo, 20, "33", "3301"),
        (ngo_a.ngo, 2, "33", "3302"),
        (ngo_b.ngo, 15, "33", "3302"),
        (ngo_b.ngo, 9, "35", "3501"),
    ]
    AggregateCell.objects.bulk_create(
        aggregate_cell(ngo, "new_cases", NOV, n, province=province, regency=regency)
        for ngo, n, province, regency in rows
    )
    client = public_client(network.coordinator)
    whole = _get(client, indicator="new_cases", group_by="province,regency", **PERIOD)
    assert whole.status_code == 400
    assert "province" in whole.json()["fields"]
    central_java = _get(
        client, indicator="new_cases", group_by="province,regency", province="33", **PERIOD
    ).json()
    assert central_java["group_by"] == ["regency"]
    assert central_java["fixed"] == {"province": "33"}
    assert {c["regency"] for c in central_java["cells"]} == {"3301", "3302", None}
    assert _cell(central_java)["value"] == 37
    by_province = _get(client, indicator="new_cases", group_by="province", **PERIOD).json()
    assert _cell(by_province, province="33")["value"] == 37
    assert _cell(by_province)["value"] == 46  # the consortium's total stays published
    assert audit_tables([central_java, by_province]).ok
    empty = _get(
        client, indicator="new_cases", group_by="province,regency", province="11", **PERIOD
    ).json()
    assert empty["cells"] == [{"regency": None, "value": 0, "suppressed": False}]
