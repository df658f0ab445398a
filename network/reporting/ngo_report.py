"""An NGO's own report: the coordinator dashboard's indicators for one NGO, unsuppressed.

Every table is `selectors.ngo_table` of the NGO's own rows of the public aggregate table (what
its last rollup wrote): no other NGO's row is read, no tenant schema is entered, and nothing is
hidden, since the NGO already holds every record behind its counts. The page, its CSV and XLSX
exports read the same `Report`.

Kept apart from `dashboard` (the coordinator's): that one publishes through the suppression and
compares NGOs; this one does neither, and shares only the registry, the selectors and the
template tags.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from network.reporting import selectors
from network.reporting.indicators import INDICATORS
from network.reporting.models import Rollup
from network.reporting.rollup import months_back, rollup_window
from network.reporting.shown import Table
from tenants.models import NGO

STANDARDS = ("ilo", "bps")
FILTER_DIMENSIONS = ("sex", "age_band")
DEFAULT_MONTHS = 12


@dataclass(frozen=True)
class Filters:
    """The page's question: a period of whole months, a sex, an age band, a standard."""

    first: dt.date
    last: dt.date
    sex: str = ""
    age_band: str = ""
    standard: str = "ilo"

    def dimensions(self) -> dict[str, str]:
        """The breakdowns chosen (sex, age band), by dimension code."""
        return {name: getattr(self, name) for name in FILTER_DIMENSIONS if getattr(self, name)}


def default_filters() -> Filters:
    """The last twelve months up to the current one, everyone, ILO rules."""
    last = rollup_window()[-1]
    return Filters(first=months_back(last, DEFAULT_MONTHS)[0], last=last)


@dataclass
class Report:
    ngo: NGO
    filters: Filters
    tables: dict[str, Table]
    headlines: list[tuple[str, str, dict[str, Any] | None]]  # (code, name, cell)
    rollup: Rollup | None  # the NGO's last rollup: when its figures are from
    generated_at: dt.datetime
    not_filtered: list[str]  # titles of tables a chosen filter does not apply to

    @property
    def figures_as_of(self) -> dt.datetime | None:
        """When the figures were counted (the last rollup that succeeded)."""
        return self.rollup.rolled_up_at if self.rollup is not None else None


@dataclass(frozen=True)
class _Spec:
    key: str
    indicator: str
    group_by: tuple[str, ...]
    title: str | Promise


def _specs(filters: Filters) -> list[_Spec]:
    """The report's tables, in page order (the coordinator dashboard's, for one NGO, with its
    referrals by month instead of the flow between agencies)."""
    standard = filters.standard.upper()
    return [
        _Spec(
            "active_by_month",
            "active_cases",
            ("month",),
            _("Active cases at the end of each month"),
        ),
        _Spec("new_by_month", "new_cases", ("month",), _("New cases per month")),
        _Spec(
            "identified_by_sex",
            "children_identified",
            ("sex", "age_band"),
            _("Children identified in the period, by sex and age band"),
        ),
        _Spec(
            "active_by_regency",
            "active_cases",
            ("regency",),
            _("Active cases at the end of the period, by regency / city"),
        ),
        _Spec(
            "status",
            "children_in_child_labour",
            ("sex",),
            _("Children in child labour at the end of the period (%(standard)s rules), by sex")
            % {"standard": standard},
        ),
        _Spec(
            "hazardous",
            "children_in_hazardous_work",
            ("sex",),
            _("Children in hazardous work at the end of the period (%(standard)s rules), by sex")
            % {"standard": standard},
        ),
        _Spec("outcomes", "closed_cases", ("closure_reason",), _("Closed cases by outcome")),
        _Spec(
            "monitoring",
            "children_withdrawn",
            ("month",),
            _("Children withdrawn from child labour, by month"),
        ),
        _Spec(
            "services",
            "services_delivered",
            ("service_type",),
            _("Services delivered, by type"),
        ),
        _Spec(
            "followups",
            "followups",
            ("timeliness",),
            _("Follow-up visits due in the period: done on time, late, or overdue"),
        ),
        _Spec(
            "referrals_by_month",
            "referrals_sent",
            ("month",),
            _("Referrals sent to other agencies, by month"),
        ),
    ]


def _query(indicator: str, group_by: Sequence[str], filters: Filters) -> selectors.Query:
    """The table's query: the filters its indicator has, a filtered dimension no longer a
    breakdown (one value is left of it)."""
    definition = INDICATORS[indicator]
    chosen = filters.dimensions()
    if "standard" in definition.dimensions:
        chosen["standard"] = filters.standard
    applicable = {name: value for name, value in chosen.items() if name in definition.dimensions}
    grouped = [code for code in group_by if code not in applicable]
    if not grouped:  # e.g. by sex, for girls only: by age band instead
        grouped = [
            next(
                code
                for code in ("age_band", "sex", "case_type", "month")
                if code in definition.dimensions and code not in applicable
            )
        ]
    return selectors.Query(
        indicator=indicator,
        group_by=tuple(grouped),
        first=filters.first,
        last=filters.last,
        filters=applicable,
    )


def _regency_labels(table: Mapping[str, Any]) -> dict[str, str]:
    """The names of the regencies a table lists (its cells carry Kemendagri codes)."""
    from casework import regions

    codes = {cell["regency"] for cell in table["cells"] if cell.get("regency")}
    return {code: found.name for code in codes if (found := regions.regency(code)) is not None}


def ngo_report(*, ngo: NGO, filters: Filters) -> Report:
    """The NGO's own report for `filters`: its tables, headline figures and last rollup, read
    from its own aggregate rows only. ApplicationError (400, with fields) for a period the
    selectors refuse (longer than REPORTING_MONTHS)."""
    tables: dict[str, Table] = {}
    for spec in _specs(filters):
        table = selectors.ngo_table(ngo=ngo, query=_query(spec.indicator, spec.group_by, filters))
        labels = {"regency": _regency_labels(table)} if "regency" in table["group_by"] else {}
        tables[spec.key] = Table(spec.key, str(spec.title), table, labels, indicator=spec.indicator)
    last_month = selectors.month_code(filters.last)
    headlines = [
        ("children_identified", tables["identified_by_sex"].total()),
        ("active_cases", tables["active_by_month"].cell(month=last_month)),
        ("children_in_child_labour", tables["status"].total()),
        ("children_withdrawn", tables["monitoring"].total()),
        ("services_delivered", tables["services"].total()),
        ("referrals_sent", tables["referrals_by_month"].total()),
    ]
    chosen = filters.dimensions()
    not_filtered = [
        table.title
        for table in tables.values()
        if any(name not in INDICATORS[table.indicator].dimensions for name in chosen)
    ]
    return Report(
        ngo=ngo,
        filters=filters,
        tables=tables,
        headlines=[(code, str(INDICATORS[code].name), cell) for code, cell in headlines],
        rollup=Rollup.objects.filter(ngo=ngo).first(),
        generated_at=timezone.now(),
        not_filtered=not_filtered,
    )


def export_header(report: Report) -> list[tuple[str, str]]:
    """What every export of the report states about its figures: whose, which months, which
    rules and filters, when counted and when written."""
    filters = report.filters
    chosen = ", ".join(f"{name}={value}" for name, value in filters.dimensions().items())
    return [
        (_("NGO"), report.ngo.name),
        (
            _("Period"),
            f"{selectors.month_code(filters.first)} – {selectors.month_code(filters.last)}",
        ),
        (_("Child-labour rules"), filters.standard.upper()),
        (_("Filters"), chosen or _("none")),
        (_("Small-cell threshold"), _("none: the NGO's own figures, not published")),
        (
            _("Figures as of"),
            date_format(timezone.localtime(report.figures_as_of), "DATETIME_FORMAT")
            if report.figures_as_of
            else _("not counted yet"),
        ),
        (_("Generated"), date_format(timezone.localtime(report.generated_at), "DATETIME_FORMAT")),
    ]
