"""The coordinator's (and funder's) dashboard: the tables it shows, for a period and filters.

Every table is read from the aggregate table (or, for the referral flow, the public referral
envelopes' metadata) and published through the suppression with the consortium's threshold;
tables of one indicator are published together (`tables_publish`) so that no table shows what
another hides. Headline figures are those tables' grand totals. A page, an export and the funder
report read the same `Dashboard`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from network.models import ReferralEnvelope
from network.reporting import selectors
from network.reporting.indicators import DIMENSIONS, INDICATORS
from network.reporting.publish import tables_publish
from network.reporting.rollup import months_back, rollup_window
from network.reporting.suppression import suppress
from network.reporting.tables import Key
from tenants.models import NGO, Consortium

STANDARDS = ("ilo", "bps")


@dataclass(frozen=True)
class Filters:
    first: dt.date
    last: dt.date
    ngo_ids: tuple[int, ...] = ()
    province: str = ""
    regency: str = ""
    sex: str = ""
    age_band: str = ""
    standard: str = "ilo"

    def dimensions(self) -> dict[str, str]:
        return {
            name: getattr(self, name)
            for name in ("province", "regency", "sex", "age_band")
            if getattr(self, name)
        }

    def months(self) -> list[dt.date]:
        months, month = [], self.first
        while month <= self.last:
            months.append(month)
            month = (month + dt.timedelta(days=32)).replace(day=1)
        return months


def default_filters() -> Filters:
    last = rollup_window()[-1]
    return Filters(first=months_back(last, 12)[0], last=last)


@dataclass
class Table:
    """A published table and how a page titles and explains it."""

    key: str
    title: str
    table: dict[str, Any]
    note: str = ""
    labels: Mapping[str, Mapping[Any, str]] = field(default_factory=dict)  # value -> name

    @property
    def group_by(self) -> list[str]:
        return list(self.table["group_by"])

    def cell(self, **where) -> dict[str, Any] | None:
        for cell in self.table["cells"]:
            if all(cell.get(name) == where.get(name) for name in self.group_by):
                return cell
        return None

    def total(self) -> dict[str, Any] | None:
        return self.cell()

    def label(self, dimension: str, value: Any) -> str:
        if value is None:
            return _("All")
        if dimension == "month":
            from django.utils.formats import date_format

            year, month = str(value).split("-")
            return date_format(dt.date(int(year), int(month), 1), "M Y")
        if value in self.labels.get(dimension, {}):
            return str(self.labels[dimension][value])
        definition = DIMENSIONS.get(dimension)
        for known in (definition.values or ()) if definition else ():
            if known.code == value:
                return str(known.name)
        return str(value)


@dataclass
class Dashboard:
    consortium: Consortium
    filters: Filters
    tables: dict[str, Table]
    headlines: list[tuple[str, str, dict[str, Any] | None]]  # (code, name, grand total)
    figures_as_of: dt.datetime | None
    generated_at: dt.datetime
    not_filtered: list[str]  # titles of tables a chosen filter does not apply to

    @property
    def threshold(self) -> int:
        return self.consortium.suppression_threshold


def _query(indicator: str, group_by: Sequence[str], filters: Filters) -> selectors.Query:
    definition = INDICATORS[indicator]
    chosen = filters.dimensions()
    if "standard" in definition.dimensions:
        chosen["standard"] = filters.standard
    applicable = {k: v for k, v in chosen.items() if k in definition.dimensions}
    # A filtered dimension is no longer a breakdown: every table of the page is filtered alike
    # (tables published together must count the same cells the same way).
    group_by = [code for code in group_by if code not in applicable]
    if not group_by:
        group_by = [
            next(
                code
                for code in ("age_band", "sex", "case_type", "month")
                if code in definition.dimensions and code not in applicable
            )
        ]
    return selectors.Query(
        indicator=indicator,
        group_by=tuple(group_by),
        first=filters.first,
        last=filters.last,
        ngo_ids=filters.ngo_ids,
        filters=applicable,
    )


def _linked(
    consortium: Consortium, indicator: str, groupings: Sequence[Sequence[str]], filters: Filters
) -> list[dict[str, Any]]:
    """Tables of one indicator, published together."""
    queries = [_query(indicator, group_by, filters) for group_by in groupings]
    distinct = {query.group_by: query for query in queries}
    if len(distinct) < len(queries):  # a filter made two tables the same: publish it once
        published = dict(
            zip(
                distinct,
                _linked_queries(consortium, indicator, list(distinct.values()), filters),
                strict=True,
            )
        )
        return [published[query.group_by] for query in queries]
    return _linked_queries(consortium, indicator, queries, filters)


def _linked_queries(
    consortium: Consortium, indicator: str, queries: list[selectors.Query], filters: Filters
) -> list[dict[str, Any]]:
    counted = []
    for query in queries:
        counts, _extra = selectors.inner_counts(query, consortium.pk)
        counted.append((query.group_by, counts))
    fixed = tuple(queries[0].filters) if queries else ()
    tables = tables_publish(
        indicator=indicator,
        tables=counted,
        threshold=consortium.suppression_threshold,
        rounding=consortium.rounding_base,
        fixed=fixed,
        values={"month": [selectors.month_code(month) for month in filters.months()]},
    )
    for table, query in zip(tables, queries, strict=True):
        table["period_from"] = selectors.month_code(filters.first)
        table["period_to"] = selectors.month_code(filters.last)
        table["at_period_end"] = query.months()[0] == query.last and query.first != query.last
    return tables


def _pseudo(
    consortium: Consortium,
    indicator: str,
    dimension: str,
    counts: Mapping[Key, int],
    categories: Sequence[Any],
) -> dict[str, Any]:
    """A table by something the registry does not break down by (the NGO, the agency)."""
    return suppress(
        counts,
        indicator=indicator,
        group_by=[dimension] if isinstance(dimension, str) else list(dimension),
        threshold=consortium.suppression_threshold,
        categories=[list(categories)],
        rounding=consortium.rounding_base,
    )


def _by_ngo(consortium: Consortium, indicator: str, filters: Filters, ngos) -> dict[str, Any]:
    """The indicator's period total of each NGO (the last month's for a stock), one query."""
    query = _query(indicator, ("month",), filters)
    totals = selectors.counts_by_ngo(query, consortium.pk)
    counts: dict[Key, int] = {(ngo.slug,): totals.get(ngo.pk, 0) for ngo in ngos}
    return _pseudo(consortium, indicator, "ngo", counts, [ngo.slug for ngo in ngos])


def referral_flow(consortium: Consortium, filters: Filters) -> tuple[dict[str, Any], dict]:
    """Referrals sent in the period between the consortium's agencies: from x to, published
    with every margin (metadata of the public envelopes: no tenant schema)."""
    start = timezone.make_aware(dt.datetime.combine(filters.first, dt.time.min))
    end_month = (filters.last + dt.timedelta(days=32)).replace(day=1)
    end = timezone.make_aware(dt.datetime.combine(end_month, dt.time.min))
    envelopes = ReferralEnvelope.objects.filter(
        consortium=consortium, sent_at__gte=start, sent_at__lt=end
    )
    counts: dict[Key, int] = {}
    names: dict[str, str] = {}
    for row in envelopes.values(
        "from_agency__uuid", "from_agency__name", "to_agency__uuid", "to_agency__name"
    ):
        sender, receiver = str(row["from_agency__uuid"]), str(row["to_agency__uuid"])
        names[sender], names[receiver] = row["from_agency__name"], row["to_agency__name"]
        counts[(sender, receiver)] = counts.get((sender, receiver), 0) + 1
    agencies = sorted(names, key=lambda uuid: names[uuid])
    table = (
        suppress(
            counts,
            indicator="referrals_sent",
            group_by=["from_agency", "to_agency"],
            threshold=consortium.suppression_threshold,
            categories=[agencies, agencies],
            rounding=consortium.rounding_base,
        )
        if agencies
        else {
            "indicator": "referrals_sent",
            "group_by": ["from_agency", "to_agency"],
            "threshold": consortium.suppression_threshold,
            "cells": [],
        }
    )
    return table, names


def dashboard(*, consortium: Consortium, filters: Filters) -> Dashboard:
    ngos = list(
        NGO.objects.filter(consortium=consortium, is_template=False)
        .exclude(schema_name="public")
        .filter(pk__in=filters.ngo_ids or NGO.objects.filter(consortium=consortium).values("pk"))
        .order_by("name")
    )
    ngo_names = {ngo.slug: ngo.name for ngo in ngos}
    tables: dict[str, Table] = {}
    region = "regency" if filters.province else "province"

    active_by_month, active_by_region, _active_by_sex = _linked(
        consortium, "active_cases", [("month",), (region,), ("sex", "age_band")], filters
    )
    tables["active_by_month"] = Table(
        "active_by_month", _("Active cases at the end of each month"), active_by_month
    )
    tables["new_by_month"] = Table(
        "new_by_month",
        _("New cases per month"),
        _linked(consortium, "new_cases", [("month",)], filters)[0],
    )
    tables["identified_by_sex"] = Table(
        "identified_by_sex",
        _("Children identified in the period, by sex and age band"),
        _linked(consortium, "children_identified", [("sex", "age_band")], filters)[0],
    )
    tables["active_by_region"] = Table(
        "active_by_region",
        _("Active cases at the end of the period, by regency / city")
        if region == "regency"
        else _("Active cases at the end of the period, by province"),
        active_by_region,
        labels={region: _region_labels(region)},
    )
    status_tables = {}
    for indicator in (
        "children_in_child_labour",
        "children_in_hazardous_work",
        "children_in_worst_forms",
    ):
        status_tables[indicator] = _linked(consortium, indicator, [("sex",)], filters)[0]
    tables["status"] = Table(
        "status",
        _("Children in child labour at the end of the period (%(standard)s rules), by sex")
        % {"standard": filters.standard.upper()},
        status_tables["children_in_child_labour"],
    )
    tables["hazardous"] = Table(
        "hazardous",
        _("Children in hazardous work at the end of the period, by sex"),
        status_tables["children_in_hazardous_work"],
    )
    tables["outcomes"] = Table(
        "outcomes",
        _("Closed cases by outcome"),
        _linked(consortium, "closed_cases", [("closure_reason",)], filters)[0],
    )
    tables["monitoring"] = Table(
        "monitoring",
        _("Children withdrawn from child labour, by month"),
        _linked(consortium, "children_withdrawn", [("month",)], filters)[0],
    )
    tables["services"] = Table(
        "services",
        _("Services delivered, by type"),
        _linked(consortium, "services_delivered", [("service_type",)], filters)[0],
    )
    tables["followups"] = Table(
        "followups",
        _("Follow-up visits due in the period: done on time, late, or overdue"),
        _linked(consortium, "followups", [("timeliness",)], filters)[0],
    )
    tables["ngo_active"] = Table(
        "ngo_active",
        _("Active cases at the end of the period, by NGO"),
        _by_ngo(consortium, "active_cases", filters, ngos),
        labels={"ngo": ngo_names},
    )
    tables["ngo_new"] = Table(
        "ngo_new",
        _("New cases in the period, by NGO"),
        _by_ngo(consortium, "new_cases", filters, ngos),
        labels={"ngo": ngo_names},
    )
    flow, agency_names = referral_flow(consortium, filters)
    tables["referral_flow"] = Table(
        "referral_flow",
        _("Referrals sent in the period, from (rows) to (columns)"),
        flow,
        labels={"from_agency": agency_names, "to_agency": agency_names},
    )
    headlines = [
        ("children_identified", tables["identified_by_sex"].total()),
        ("active_cases", tables["active_by_month"].cell(month=selectors.month_code(filters.last))),
        ("children_in_child_labour", tables["status"].total()),
        ("children_withdrawn", tables["monitoring"].total()),
        ("services_delivered", tables["services"].total()),
        ("referrals_sent", tables["referral_flow"].total()),
    ]
    not_filtered = [
        table.title
        for name, table in tables.items()
        if filters.dimensions()
        and any(
            dimension not in table.table.get("group_by", [])
            and dimension not in _dimensions_of(name)
            for dimension in filters.dimensions()
        )
    ]
    return Dashboard(
        consortium=consortium,
        filters=filters,
        tables=tables,
        headlines=[(code, str(INDICATORS[code].name), cell) for code, cell in headlines],
        figures_as_of=selectors.oldest_figures(consortium.pk),
        generated_at=timezone.now(),
        not_filtered=not_filtered,
    )


_TABLE_INDICATOR = {
    "active_by_month": "active_cases",
    "new_by_month": "new_cases",
    "identified_by_sex": "children_identified",
    "active_by_region": "active_cases",
    "status": "children_in_child_labour",
    "hazardous": "children_in_hazardous_work",
    "outcomes": "closed_cases",
    "monitoring": "children_withdrawn",
    "services": "services_delivered",
    "followups": "followups",
    "ngo_active": "active_cases",
    "ngo_new": "new_cases",
    "referral_flow": "",  # public envelopes: no breakdown by child
}


def _dimensions_of(table_key: str) -> tuple[str, ...]:
    indicator = _TABLE_INDICATOR.get(table_key)
    return INDICATORS[indicator].dimensions if indicator else ()


def _region_labels(level: str) -> dict[str, str]:
    from casework import regions

    if level == "province":
        return {province.code: province.name for province in regions.provinces()}
    return {regency.code: regency.name for regency in regions.regencies()}
