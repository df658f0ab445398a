"""Tables of the aggregate table, as the coordinator's pages, API and exports read them.

Only `AggregateCell` and `LinkageHash` rows are read (public schema): nothing here, nor what
calls it, enters a tenant schema. A coordinator or funder sees only tables of the consortium's
publication (`publication.py`: fixed tables per year, suppressed together), which counts them
with `inner_counts`; an NGO's own report reads its own rows unsuppressed (`ngo_table`).

Periods are whole months. A count over several months is the sum of its months for a flow; for
an indicator counted at the end of each month or of children who may recur across months
(`month` in the indicator's `non_additive`), a period without `month` in `group_by` means its
last month (stated on pages and exports as "at the end of the period").
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count, Sum
from django.utils.translation import gettext

from core import clock
from core.errors import ApplicationError
from network.reporting.indicators import (
    DIMENSIONS,
    INDICATORS,
    NGO_DIMENSION,
    Indicator,
    Kind,
    group_by_check,
    indicator_get,
)
from network.reporting.models import AggregateCell, LinkageHash, Rollup
from network.reporting.tables import Key, TableShape, margins_fill
from tenants.models import NGO


def month_code(month: dt.date) -> str:
    return f"{month:%Y-%m}"


MONTH_RE = re.compile(r"(\d{4})-(\d{2})")
EARLIEST_YEAR = 2000


def month_parse(value: str, *, field_name: str) -> dt.date:
    """ "YYYY-MM" (a year from 2000 to next year) as the month's first day; ApplicationError
    (400) naming the field otherwise."""
    found = MONTH_RE.fullmatch((value or "").strip())
    this_year = clock.today().year
    if found and not EARLIEST_YEAR <= int(found.group(1)) <= this_year + 1:
        message = gettext("Figures are counted from %(first)d to %(last)d.") % {
            "first": EARLIEST_YEAR,
            "last": this_year + 1,
        }
        raise ApplicationError(message, code="invalid_month", fields={field_name: [message]})
    if found:
        try:
            return dt.date(int(found.group(1)), int(found.group(2)), 1)
        except ValueError:
            pass
    message = gettext("Enter a month as YYYY-MM, e.g. 2026-01.")
    raise ApplicationError(message, code="invalid_month", fields={field_name: [message]})


def months_between(first: dt.date, last: dt.date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month + 1


@dataclass(frozen=True)
class Query:
    """One table's question: which indicator, grouped how, over which months and rows."""

    indicator: str
    group_by: tuple[str, ...]
    first: dt.date
    last: dt.date
    ngo_ids: tuple[int, ...] = ()
    filters: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        definition = indicator_get(self.indicator)
        group_by_check(definition, self.group_by, fixed=tuple(self.filters))
        if self.first > self.last:
            message = gettext("The period ends before it starts.")
            raise ApplicationError(message, code="invalid_period", fields={"period_to": [message]})
        longest = settings.REPORTING_MONTHS
        if months_between(self.first, self.last) > longest:
            message = gettext("A period is at most %(count)d months.") % {"count": longest}
            raise ApplicationError(
                message, code="invalid_period", fields={"period_from": [message]}
            )
        for name in self.filters:
            if name not in definition.dimensions or name in self.group_by:
                message = gettext("%(indicator)s cannot be filtered by %(dimension)s here.") % {
                    "indicator": self.indicator,
                    "dimension": name,
                }
                raise ApplicationError(message, code="invalid_filter", fields={name: [message]})

    @property
    def definition(self) -> Indicator:
        return INDICATORS[self.indicator]

    def month_list(self) -> list[dt.date]:
        """Every month the table lists (all of the period's, counts or not)."""
        first, last = self.months()
        months, month = [], first
        while month <= last:
            months.append(month)
            month = (month + dt.timedelta(days=32)).replace(day=1)
        return months

    def months(self) -> tuple[dt.date, dt.date]:
        """The months read: the last one alone for a non-additive indicator not by month."""
        if "month" in self.definition.non_additive and "month" not in self.group_by:
            return self.last, self.last
        return self.first, self.last


def _rows(query: Query, consortium_id: int):
    first, last = query.months()
    rows = AggregateCell.objects.filter(
        consortium_id=consortium_id, indicator=query.indicator, month__gte=first, month__lte=last
    )
    if query.ngo_ids:
        rows = rows.filter(ngo_id__in=query.ngo_ids)
    if query.filters:
        rows = rows.filter(**dict(query.filters))
    return rows


def _column(code: str) -> str:
    """The AggregateCell column of a dimension (the NGO by its slug)."""
    return "ngo__slug" if code == NGO_DIMENSION else code


def _key(row: Mapping[str, Any], group_by: Sequence[str]) -> Key:
    return tuple(
        month_code(row["month"]) if code == "month" else row[_column(code)] for code in group_by
    )


def inner_counts(query: Query, consortium_id: int) -> tuple[dict[Key, int], dict[Key, Any]]:
    """The table's inner cells (one per combination of the group_by values present) and, for a
    mean or a median, what it is computed from (sum of values / distribution of days)."""
    if query.indicator == "children_served_by_several_ngos":
        return linkage_counts(query, consortium_id), {}
    rows = _rows(query, consortium_id)
    columns = list(query.group_by)
    selected = [_column(code) for code in columns]
    kind = query.definition.kind
    counts: dict[Key, int] = {}
    extra: dict[Key, Any] = {}
    if kind == Kind.MEDIAN:
        histogram: dict[Key, dict[int, int]] = defaultdict(dict)
        for row in rows.values(*selected, "days").annotate(n=Sum("value")).order_by():
            key = _key(row, columns)
            counts[key] = counts.get(key, 0) + row["n"]
            histogram[key][row["days"]] = histogram[key].get(row["days"], 0) + row["n"]
        return counts, dict(histogram)
    annotations: dict[str, Any] = {"n": Sum("value")}
    if kind == Kind.MEAN:
        annotations["total"] = Sum("total")
    for row in rows.values(*selected).annotate(**annotations).order_by():
        key = _key(row, columns)
        counts[key] = row["n"]
        if kind == Kind.MEAN:
            extra[key] = row["total"] or 0.0
    return counts, extra


def linkage_counts(query: Query, consortium_id: int) -> dict[Key, int]:
    """children_served_by_several_ngos: per month, the hashes found for two or more NGOs."""
    first, last = query.months()
    hashes = LinkageHash.objects.filter(consortium_id=consortium_id)
    if query.ngo_ids:
        hashes = hashes.filter(ngo_id__in=query.ngo_ids)
    per_month: dict[Key, int] = defaultdict(int)
    shared = hashes.values("hash").annotate(ngos=Count("ngo", distinct=True)).filter(ngos__gte=2)
    months_of: dict[str, set[dt.date]] = defaultdict(set)
    ngos_in_month: dict[tuple[str, dt.date], set[int]] = defaultdict(set)
    for row in hashes.filter(hash__in=shared.values("hash")).values("hash", "ngo_id", "months"):
        for month in row["months"]:
            if first <= month <= last:
                months_of[row["hash"]].add(month)
                ngos_in_month[(row["hash"], month)].add(row["ngo_id"])
    for (_hash, month), ngos in ngos_in_month.items():
        if len(ngos) >= 2:
            per_month[(month_code(month),)] += 1
    return dict(per_month)


def _merge(group_by: Sequence[str], inner: Mapping[Key, Any], combine) -> dict[Key, Any]:
    """Every margin of `inner` (a dimension None = all), combining values with `combine`."""
    merged: dict[Key, Any] = {}
    for key, value in inner.items():
        for mask in range(1 << len(group_by)):
            margin = tuple(None if mask >> i & 1 else part for i, part in enumerate(key))
            merged[margin] = combine(merged.get(margin), value)
    return merged


def _median(histogram: Mapping[int, int]) -> float | None:
    total = sum(histogram.values())
    if not total:
        return None
    ordered = sorted(histogram.items())

    def at(rank: int) -> int:
        seen = 0
        for value, count in ordered:
            seen += count
            if seen > rank:
                return value
        return ordered[-1][0]  # pragma: no cover - rank < total

    return (at((total - 1) // 2) + at(total // 2)) / 2


def _statistics(query: Query, table: dict[str, Any], extra: Mapping[Key, Any]) -> None:
    """A mean or median on each cell whose count (the basis) is published, else null."""
    kind = query.definition.kind
    if kind == Kind.COUNT:
        return
    group_by = list(query.group_by)
    if kind == Kind.MEAN:
        sums = _merge(group_by, extra, lambda a, b: (a or 0.0) + b)
    else:
        sums = _merge(
            group_by,
            extra,
            lambda a, b: {d: (a or {}).get(d, 0) + b.get(d, 0) for d in {*(a or {}), *b}},
        )
    name = "mean" if kind == Kind.MEAN else "median"
    for cell in table["cells"]:
        key = tuple(cell[code] for code in group_by)
        statistic = None
        if not cell["suppressed"] and cell["value"]:
            if kind == Kind.MEAN:
                basis = cell.get("_basis") or cell["value"]
                statistic = round(sums.get(key, 0.0) / basis, 2) if basis else None
            else:
                statistic = _median(sums.get(key, {}))
        cell[name] = statistic


def statistics_add(
    query: Query, table: dict[str, Any], counts: Mapping[Key, int], extra: Mapping[Key, Any]
) -> None:
    """The mean or median of each published cell of a table of a mean or median indicator
    (`counts`, `extra`: what inner_counts gave), null beside a suppressed count."""
    exact = _merge(list(query.group_by), counts, lambda a, b: (a or 0) + b)
    for cell in table["cells"]:
        key = tuple(cell[code] for code in query.group_by)
        cell["_basis"] = exact.get(key, 0)
    _statistics(query, table, extra)
    for cell in table["cells"]:
        cell.pop("_basis", None)


def ngo_table(*, ngo: NGO, query: Query) -> dict[str, Any]:
    """The same table of one NGO's own rows, unsuppressed (its own report page), in the
    published shape: every registry value and every month of the period, zero or not, each
    margin, and no "all" across a non-additive dimension (a stock is not summed over months).
    Reads the aggregate rows of `ngo` only; `threshold` is null (nothing is hidden)."""
    query = Query(
        indicator=query.indicator,
        group_by=query.group_by,
        first=query.first,
        last=query.last,
        ngo_ids=(ngo.pk,),
        filters=query.filters,
    )
    if ngo.consortium_id is None:  # pragma: no cover - the public tenant has no report
        raise ValueError(f"{ngo.schema_name} belongs to no consortium")
    counts, extra = inner_counts(query, ngo.consortium_id)
    group_by = list(query.group_by)
    months = [month_code(month) for month in query.month_list()]
    categories = []
    for position, code in enumerate(group_by):
        listed = list(months if code == "month" else DIMENSIONS[code].value_codes() or ())
        # An open dimension (regency) lists the values counted; a value the registry does not
        # know (an old code) is kept, so that the totals still add up.
        seen = {key[position] for key in counts} - set(listed)
        categories.append(tuple(listed + sorted(seen, key=str)))
    shape = TableShape(
        group_by=tuple(group_by),
        categories=tuple(categories),
        non_additive=frozenset(code for code in group_by if code in query.definition.non_additive),
    )
    values = margins_fill(shape, counts)
    table: dict[str, Any] = {
        "indicator": query.indicator,
        "group_by": group_by,
        "threshold": None,
        "cells": [
            {**dict(zip(group_by, key, strict=True)), "value": values[key], "suppressed": False}
            for key in shape.keys()
        ],
    }
    if shape.non_additive:
        table["non_additive"] = [code for code in group_by if code in shape.non_additive]
    if query.definition.kind != Kind.COUNT:
        _statistics(query, table, extra)
    table["period_from"] = month_code(query.first)
    table["period_to"] = month_code(query.last)
    table["at_period_end"] = query.months()[0] == query.last and query.first != query.last
    return table


def rollups(consortium_id: int):
    """Each NGO's last rollup (when its figures are from), for the console."""
    return (
        NGO.objects.filter(consortium_id=consortium_id)
        .exclude(schema_name="public")
        .select_related("rollup")
        .order_by("name")
    )


def oldest_figures(consortium_id: int) -> dt.datetime | None:
    """When the least recently rolled-up NGO was counted: every figure is at least this new."""
    return (
        Rollup.objects.filter(ngo__consortium_id=consortium_id, status=Rollup.Status.OK)
        .order_by("rolled_up_at")
        .values_list("rolled_up_at", flat=True)
        .first()
    )
