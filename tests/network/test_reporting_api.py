"""The coordinator's and funder's report API on the public host: the registry, suppressed
tables of the aggregate table (audited by the LP audit), bad parameters as 400s, who may read,
the refresh, and never a tenant schema."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from network.reporting.audit import audit_table
from network.reporting.indicators import INDICATORS
from network.reporting.models import AggregateCell
from tests.network.conftest import public_client

pytestmark = pytest.mark.django_db

SEP, OCT, NOV = dt.date(2026, 9, 1), dt.date(2026, 10, 1), dt.date(2026, 11, 1)
PERIOD = {"period_from": "2026-09", "period_to": "2026-11"}


def _cells(ngo, indicator, month, rows):
    """Aggregate rows as a rollup would write them: (count, {dimension: value})."""
    AggregateCell.objects.bulk_create(
        AggregateCell(
            consortium_id=ngo.consortium_id, ngo=ngo, indicator=indicator, month=month, value=n, **d
        )
        for n, d in rows
    )


@pytest.fixture
def figures(network, ngo_a, ngo_b):
    a, b = ngo_a.ngo, ngo_b.ngo
    for month, girls, boys in ((SEP, 20, 9), (OCT, 22, 11), (NOV, 25, 12)):
        _cells(a, "active_cases", month, [(girls, {"sex": "female", "age_band": "12_14"})])
        _cells(b, "active_cases", month, [(boys, {"sex": "male", "age_band": "12_14"})])
    # November: one 15-17-year-old girl in A, three in B; nine 5-11-year-old boys in B.
    _cells(a, "active_cases", NOV, [(1, {"sex": "female", "age_band": "15_17"})])
    _cells(b, "active_cases", NOV, [(3, {"sex": "female", "age_band": "15_17"})])
    _cells(b, "active_cases", NOV, [(9, {"sex": "male", "age_band": "5_11"})])
    for month, new in ((SEP, 7), (OCT, 2), (NOV, 8)):
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


def test_the_registry_lists_every_indicator_for_coordinators_and_funders(network):
    for user in (network.coordinator, network.funder):
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
        period_to="2026-11",
    )
    assert response.status_code == 200, response.content
    table = response.json()
    assert table["group_by"] == ["sex", "age_band"]
    assert table["threshold"] == 5
    assert table["at_period_end"] is True  # 12 months by default: the stock is November's
    sexes, bands = 2 + 1, 5 + 1  # every value and "all"
    assert len(table["cells"]) == sexes * bands
    truth = {("female", "12_14"): 25, ("female", "15_17"): 4, ("male", "12_14"): 12}
    truth[("male", "5_11")] = 9
    for cell in table["cells"]:
        key = (cell["sex"], cell["age_band"])
        expected = sum(
            n
            for (sex, band), n in truth.items()
            if key[0] in (None, sex) and key[1] in (None, band)
        )
        assert cell["value"] in (None, expected), cell  # what is shown is the true count
    # One small cell in a table with margins: a rectangle of four cells hides it, no more.
    assert sum(c["suppressed"] for c in table["cells"]) == 4
    small = _cell(table, sex="female", age_band="15_17")  # 1 + 3 = 4 < 5
    assert small == {"sex": "female", "age_band": "15_17", "value": None, "suppressed": True}
    assert not [c for c in table["cells"] if c["value"] is not None and 0 < c["value"] < 5]
    assert audit_table(table).ok, audit_table(table).leaks
    zero = _cell(table, sex="female", age_band="5_11")
    assert zero["value"] == 0  # a true zero is no small cell


def test_a_stock_over_several_months_is_its_last_month_and_a_flow_the_sum(figures):
    client = public_client(figures.funder)
    stock = _get(client, indicator="active_cases", group_by="sex", **PERIOD).json()
    assert stock["at_period_end"] is True
    assert _cell(stock, sex="female")["value"] == 29  # November: 25 + 1 + 3
    flow = _get(client, indicator="new_cases", group_by="case_type", **PERIOD).json()
    assert flow["at_period_end"] is False
    assert _cell(flow, case_type="child_labour")["value"] == 17  # 7 + 2 + 8
    by_month = _get(client, indicator="new_cases", group_by="month", **PERIOD).json()
    assert [c["month"] for c in by_month["cells"] if c["month"]] == [
        "2026-09",
        "2026-10",
        "2026-11",
    ]
    assert _cell(by_month, month="2026-10") == {
        "month": "2026-10",
        "value": None,
        "suppressed": True,
    }
    assert audit_table(by_month).ok


def test_one_ngo_and_rounding(figures, ngo_b):
    consortium = figures.consortium
    consortium.rounding_base = 5
    consortium.save()
    table = _get(
        public_client(figures.coordinator),
        indicator="active_cases",
        group_by="age_band",
        ngo=ngo_b.ngo.slug,
        period_to="2026-11",
    ).json()
    assert table["rounding"] == 5
    assert _cell(table, age_band="12_14")["value"] == 10  # 12, rounded
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
            "period_to",
        ),
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

    funder = public_client(figures.funder)
    assert funder.post("/api/v1/aggregates/refresh/").status_code == 403
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
            AggregateCell(
                consortium_id=a.consortium_id, ngo=a, indicator="domain_score_change", month=NOV,
                domain="education", sex="female", value=6, total=9.0,
            ),
            AggregateCell(
                consortium_id=a.consortium_id, ngo=a, indicator="domain_score_change", month=NOV,
                domain="education", sex="male", value=2, total=4.0,
            ),
        ]
    )  # fmt: skip
    client = public_client(network.coordinator)
    by_domain = _get(
        client, indicator="domain_score_change", group_by="domain", period_to="2026-11"
    ).json()
    education = _cell(by_domain, domain="education")
    assert (education["value"], education["mean"]) == (8, 1.62)  # 13 points over 8 children
    assert _cell(by_domain, domain="health") == {
        "domain": "health",
        "value": 0,
        "suppressed": False,
        "mean": None,
    }
    by_sex = _get(
        client, indicator="domain_score_change", group_by="domain,sex", period_to="2026-11"
    ).json()
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
        period_from="2026-10",
        period_to="2026-10",
    ).json()
    girls = _cell(table, sex="female")
    assert (girls["value"], girls["median"]) == (8, 6.5)  # 3 3 5 6 | 7 10 12 40


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
