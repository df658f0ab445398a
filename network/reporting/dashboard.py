"""The coordinator's (and funder's) dashboard: the tables it shows, for a year and a filter.

Every table is a table of the consortium's publication (publication.py: fixed tables per
indicator and year, suppressed together, a filter a slice of one of them); the referral flow
between agencies is referrals_sent by NGO and receiving agency. Headline figures are those
tables' totals. A page, an export and the funder report
read the same `Dashboard`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from network.reporting import publication, selectors
from network.reporting.indicators import INDICATORS, NGO_DIMENSION
from network.reporting.shown import Table
from tenants.models import NGO, Consortium

STANDARDS = publication.STANDARDS


@dataclass(frozen=True)
class Filters:
    """What a reader chose: a year, at most one of NGO (slug) / province / sex / age band (a
    slice of the published tables, see publication.py), and the child-labour standard."""

    year: int
    ngo: str = ""
    province: str = ""
    sex: str = ""
    age_band: str = ""
    standard: str = "ilo"

    @property
    def period(self) -> publication.Period:
        return publication.Period(self.year)

    @property
    def first(self) -> dt.date:
        return self.period.first

    @property
    def last(self) -> dt.date:
        return self.period.last

    def dimensions(self) -> dict[str, str]:
        """The chosen filter (at most one), by dimension."""
        return {name: getattr(self, name) for name in publication.FILTERS if getattr(self, name)}

    def months(self) -> list[dt.date]:
        return self.period.months()


def default_filters() -> Filters:
    return Filters(year=publication.period_for(None).year)


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


# A table whose one dimension is the filter's shows, instead, the filtered children by this.
_ALTERNATIVES = ("age_band", "sex", "case_type", "month")


def _grouping(indicator: str, group_by: Sequence[str], filters: Filters) -> tuple[str, ...]:
    """The breakdown a table shows under the filter: itself when the filter is one of its
    dimensions (a slice), its first dimension when it has two (the published tables by a
    filter have one), another one when the filter is its only dimension (the region table
    shows the province's regencies)."""
    chosen = filters.dimensions()
    rest = [code for code in group_by if code not in chosen]
    if not chosen:
        return tuple(group_by)
    if rest and len(rest) < len(group_by):
        return tuple(group_by)  # a slice of the table itself
    if rest:
        return (rest[0],)  # a table of two dimensions is published by a filter as its first
    if tuple(group_by) == ("province",):
        return ("regency",)
    if tuple(group_by) == (NGO_DIMENSION,):
        return (NGO_DIMENSION,)  # the chosen NGO's own row
    dimensions = INDICATORS[indicator].dimensions
    return (next(code for code in _ALTERNATIVES if code in dimensions and code not in chosen),)


def _table(
    consortium: Consortium,
    indicator: str,
    group_by: Sequence[str],
    filters: Filters,
    version: str | None = None,
) -> dict[str, Any]:
    """A published table of the year, sliced at the filter when the indicator has it (an
    indicator without that dimension is shown whole: `Dashboard.not_filtered`)."""
    where = {
        name: value
        for name, value in filters.dimensions().items()
        if name in publication.filters_of(INDICATORS[indicator])
    }
    grouping = _grouping(indicator, group_by, filters) if where else tuple(group_by)
    return publication.published_table(
        consortium=consortium,
        indicator=indicator,
        period=filters.period,
        group_by=grouping,
        where=where,
        standard=filters.standard,
        version=version,
    )


def without_empty_lines(table: dict[str, Any]) -> dict[str, Any]:
    """A table without the rows and columns whose shown total is 0 (an NGO that sent no
    referral): zeros are published, so leaving them out of the page hides nothing and
    reveals nothing; a matrix of 200 NGOs shows the few that refer."""
    group_by = list(table["group_by"])
    empty: dict[str, set[Any]] = {name: set() for name in group_by}
    for cell in table["cells"]:
        rest = [name for name in group_by if cell[name] is not None]
        if len(rest) == 1 and len(group_by) > 1 and cell["value"] == 0:
            empty[rest[0]].add(cell[rest[0]])
    if not any(empty.values()):
        return table
    return {
        **table,
        "cells": [
            cell
            for cell in table["cells"]
            if not any(cell[name] in values for name, values in empty.items())
        ],
    }


def _agency_names(consortium: Consortium) -> dict[str, str]:
    """The directory's agencies by uuid (the referral flow's receiving agencies)."""
    from network.models import Agency

    return {
        str(uuid): name
        for uuid, name in Agency.objects.filter(consortium=consortium).values_list("uuid", "name")
    }


def dashboard(*, consortium: Consortium, filters: Filters) -> Dashboard:
    """Every table of the page for the year and filter, read from the publication."""
    ngo_names = dict(
        NGO.objects.filter(consortium=consortium, is_template=False)
        .exclude(schema_name="public")
        .values_list("slug", "name")
    )
    tables: dict[str, Table] = {}
    version = publication.data_version(consortium)  # once for the dozen tables read
    sliced_region = "province" in filters.dimensions()
    region = "regency" if sliced_region else "province"

    def table(key: str, title: str, indicator: str, group_by: Sequence[str], **extra) -> None:
        shown = _table(consortium, indicator, group_by, filters, version)
        tables[key] = Table(key, title, shown, **extra)

    table("active_by_month", _("Active cases at the end of each month"), "active_cases", ["month"])
    table(
        "identified_by_month",
        _("Children identified per month"),
        "children_identified",
        ["month"],
    )
    table(
        "identified_by_sex",
        _("Children identified in the period, by sex and age band"),
        "children_identified",
        ["sex", "age_band"],
    )
    table(
        "active_by_region",
        _("Active cases at the end of the period, by regency / city")
        if sliced_region
        else _("Active cases at the end of the period, by province"),
        "active_cases",
        ["province"],
        labels={region: _region_labels(region)},
    )
    table(
        "status",
        _("Children in child labour at the end of the period (%(standard)s rules), by sex")
        % {"standard": filters.standard.upper()},
        "children_in_child_labour",
        ["sex"],
    )
    table(
        "hazardous",
        _("Children in hazardous work at the end of the period, by sex"),
        "children_in_hazardous_work",
        ["sex"],
    )
    table("outcomes", _("Closed cases by outcome"), "closed_cases", ["closure_reason"])
    table(
        "monitoring",
        _("Children withdrawn from child labour, by month"),
        "children_withdrawn",
        ["month"],
    )
    table("services", _("Services delivered, by type"), "services_delivered", ["service_type"])
    table(
        "followups",
        _("Follow-up visits due in the period: done on time, late, or overdue"),
        "followups",
        ["timeliness"],
    )
    table(
        "several_ngos",
        _("Children with a case in two or more partner NGOs, at the end of each month"),
        "children_served_by_several_ngos",
        ["month"],
    )
    table(
        "ngo_active",
        _("Active cases at the end of the period, by NGO"),
        "active_cases",
        [NGO_DIMENSION],
        labels={NGO_DIMENSION: ngo_names},
    )
    table(
        "ngo_new",
        _("New cases in the period, by NGO"),
        "new_cases",
        [NGO_DIMENSION],
        labels={NGO_DIMENSION: ngo_names},
    )
    # The referral flow: referrals sent by each NGO (rows) to each agency (columns), a table
    # of the referrals_sent publication, suppressed with its table by NGO.
    table(
        "referral_flow",
        _("Referrals sent in the period, from (rows) to (columns)"),
        "referrals_sent",
        [NGO_DIMENSION, "to_agency"],
        labels={NGO_DIMENSION: ngo_names, "to_agency": _agency_names(consortium)},
    )
    flow = tables["referral_flow"]
    flow.table = without_empty_lines(flow.table)
    headlines = [
        ("children_identified", tables["identified_by_sex"].total()),
        ("active_cases", _last_month(tables["active_by_month"], filters)),
        ("children_in_child_labour", tables["status"].total()),
        ("children_withdrawn", _month_total(tables["monitoring"])),
        ("services_delivered", tables["services"].total()),
        ("referrals_sent", tables["referral_flow"].total()),
    ]
    chosen = filters.dimensions()
    not_filtered = [
        table.title
        for name, table in tables.items()
        if any(dimension not in _filters_of(name) for dimension in chosen)
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


def _last_month(table: Table, filters: Filters) -> dict[str, Any] | None:
    return table.cell(month=selectors.month_code(filters.last))


def _month_total(table: Table) -> dict[str, Any] | None:
    """A table by month's total (None for an indicator without a total over months)."""
    return table.total()


_TABLE_INDICATOR = {
    "active_by_month": "active_cases",
    "identified_by_month": "children_identified",
    "identified_by_sex": "children_identified",
    "active_by_region": "active_cases",
    "status": "children_in_child_labour",
    "hazardous": "children_in_hazardous_work",
    "outcomes": "closed_cases",
    "monitoring": "children_withdrawn",
    "services": "services_delivered",
    "followups": "followups",
    "several_ngos": "children_served_by_several_ngos",
    "ngo_active": "active_cases",
    "ngo_new": "new_cases",
    "referral_flow": "referrals_sent",
}


def _filters_of(table_key: str) -> tuple[str, ...]:
    indicator = _TABLE_INDICATOR.get(table_key)
    return publication.filters_of(INDICATORS[indicator]) if indicator else ()


def _region_labels(level: str) -> dict[str, str]:
    from casework import regions

    if level == "province":
        return {province.code: province.name for province in regions.provinces()}
    return {regency.code: regency.name for regency in regions.regencies()}
