"""The consortium's publication: every table a coordinator or funder can see, fixed in advance
and suppressed together, so that no two requests can be combined to reveal a small count.

A reader combines everything the pages, the API and the exports show. Tables counted for each
request (any months, any NGO subset, any filter) can each be safe and still, subtracted from
one another, recover hidden cells: January to April minus January to March is April; the
consortium minus every NGO but one is that NGO. So nothing is counted for a request. Instead:

- **Periods are calendar years** (the current year up to its last counted month). Years do not
  overlap, and a year's months are a dimension of its tables, not separate periods.
- **Each indicator has a fixed catalog of tables** (`catalog`): by each of its dimensions, by
  sex and age band, by province and regency, by NGO; and each table of one dimension again by
  one of the filters (NGO, province, sex, age band). A filter shows a slice of such a table,
  never a table counted for the request: "girls only" is the girls' row of the table by sex.
- **An indicator's catalog of a year is suppressed as one linked set** (`suppress_linked`): the
  NGO is a dimension suppressed together with the totals, a margin hidden in one table is
  hidden in all.
- A stock (or a count of children that may recur across months) without a month breakdown is
  its last month's: published `fixed` at that month, so that it is linked with that month's
  row of the table by month.
- The flows that change a stock month by month (new and closed cases change active cases:
  `Indicator.balances`) are published for the year, not by month: beside the stock's monthly
  series, a month's hidden new cases would be the rise in active cases (`audit.audit_balance`
  finds it). The year's totals meet the stock across years (last year's end + this year's
  flows = this year's end): a stock and its flows are published together, every year at
  once, so that this balance reveals nothing either (balance.py, audited by
  `audit.audit_years`).
- The publication is cached by the data's version (the consortium's latest rollup, its NGOs,
  threshold and rounding): every request between two rollups reads the same suppression, and
  `audit_suppression --consortium` audits a year's whole publication with the LP audit.

What this does not cover, and the note of issue 10 says so: figures of a year change when the
NGOs are counted again, and two versions of a year's table can differ by a few children.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Max
from django.utils.translation import gettext

from core.errors import ApplicationError
from network.reporting import selectors
from network.reporting.balance import publish_balance
from network.reporting.indicators import (
    DIMENSIONS,
    INDICATORS,
    NGO_DIMENSION,
    Indicator,
    Kind,
    Source,
    indicator_get,
)
from network.reporting.models import AggregateCell, LinkageHash, Rollup
from network.reporting.publish import categories_of
from network.reporting.rollup import rollup_window
from network.reporting.suppression import (
    SharedCell,
    flows_movable,
    linked_values,
    suppress_linked,
)
from network.reporting.tables import MAX_DIMENSIONS, Key, Value
from tenants.models import NGO, Consortium

# The filters a page or the API may slice a table by (one at a time), besides the standard.
FILTERS = ("ngo", "province", "sex", "age_band")
STANDARDS = ("ilo", "bps")
# The order of a grouping's dimensions: the registry's.
_ORDER = {code: position for position, code in enumerate(DIMENSIONS)}
CACHE_SECONDS = 24 * 3600

Grouping = tuple[str, ...]


def canonical(codes) -> Grouping:
    return tuple(sorted(set(codes), key=lambda code: _ORDER.get(code, len(_ORDER))))


def _per_ngo(definition: Indicator) -> bool:
    return definition.source == Source.TENANT


def base_groupings(definition: Indicator) -> list[Grouping]:
    """The tables of an indicator without a filter: by each dimension (a required one always
    included), by sex and age band, by province and regency, by NGO."""
    required = tuple(code for code in definition.required if code != "standard")
    free = [
        code
        for code in definition.dimensions
        if code not in ("standard", "regency")
        and code not in required
        # A flow of a stock published by month is not (Indicator.balances).
        and not (code == "month" and definition.balances)
    ]
    if _per_ngo(definition):
        free.append(NGO_DIMENSION)
    groupings: list[Grouping] = [required] if required else []
    groupings += [(*required, code) for code in free]
    if "sex" in free and "age_band" in free:
        groupings.append((*required, "sex", "age_band"))
    if "regency" in definition.dimensions:
        groupings.append((*required, "province", "regency"))
    return list(dict.fromkeys(canonical(grouping) for grouping in groupings))


def filters_of(definition: Indicator) -> tuple[str, ...]:
    """The filters that apply to an indicator."""
    return tuple(
        code
        for code in FILTERS
        if code in definition.dimensions or (code == NGO_DIMENSION and _per_ngo(definition))
    )


def catalog(indicator: str) -> list[Grouping]:
    """Every table of the indicator that is published: its base tables, and each table of one
    dimension (besides a required one) again by one filter: the tables a filtered page or API
    request reads a slice of. (A table of two dimensions is not published by a third: such
    tables are sparse, and protecting their small cells would hide most of the totals.)"""
    definition = indicator_get(indicator)
    base = base_groupings(definition)
    tables = list(base)
    required = set(definition.required)
    for grouping in base:
        free = [code for code in grouping if code not in required]
        if "regency" in grouping or len(free) != 1 or len(grouping) >= MAX_DIMENSIONS:
            continue
        for code in filters_of(definition):
            if code not in grouping:
                tables.append(canonical((*grouping, code)))
    return list(dict.fromkeys(tables))


@dataclass(frozen=True)
class Period:
    """A calendar year, the current one up to its last counted month."""

    year: int

    @property
    def first(self) -> dt.date:
        return dt.date(self.year, 1, 1)

    @property
    def last(self) -> dt.date:
        current = rollup_window()[-1]
        return current if self.year == current.year else dt.date(self.year, 12, 1)

    def months(self) -> list[dt.date]:
        return [dt.date(self.year, month, 1) for month in range(1, self.last.month + 1)]

    @property
    def code(self) -> str:
        return str(self.year)


def years() -> list[int]:
    """The years that can be published: whole years inside the counted window, and the
    current year so far."""
    window = rollup_window()
    first, current = window[0], window[-1].year
    return [year for year in range(first.year, current + 1) if dt.date(year, 1, 1) >= first] or [
        current
    ]


def period_for(year: int | str | None, *, field_name: str = "year") -> Period:
    """The period of a year ("2026"), the current year when None; ApplicationError naming the
    field for a year that is not published."""
    available = years()
    if year in (None, ""):
        return Period(available[-1])
    try:
        number = int(str(year).strip())
    except ValueError:
        number = 0
    if number not in available:
        message = gettext("Figures are published for the years %(years)s.") % {
            "years": ", ".join(str(y) for y in available)
        }
        raise ApplicationError(message, code="invalid_period", fields={field_name: [message]})
    return Period(number)


def period_from_months(first: str | None, last: str | None) -> Period:
    """The period named by `period_from` / `period_to` (YYYY-MM): a whole calendar year, from
    January to December (or to the current month in the current year)."""
    if not first and not last:
        return period_for(None)
    start = selectors.month_parse(first, field_name="period_from") if first else None
    end = selectors.month_parse(last, field_name="period_to") if last else None
    year = (start or end).year  # type: ignore[union-attr]
    period = period_for(year, field_name="period_from" if start else "period_to")
    if (start and start != period.first) or (
        end and end not in (dt.date(year, 12, 1), period.last)
    ):
        message = gettext(
            "Figures are published for whole calendar years: period_from is January "
            "(%(year)d-01) and period_to December (%(year)d-12) of the same year."
        ) % {"year": year}
        field = "period_from" if start and start != period.first else "period_to"
        raise ApplicationError(message, code="invalid_period", fields={field: [message]})
    return period


def _version(consortium: Consortium) -> str:
    """What the publication depends on besides the year: the rows (each rollup), the NGOs,
    the threshold and the rounding. A deleted NGO's rows go with it (and its slug from the
    list)."""
    rollups = Rollup.objects.filter(ngo__consortium=consortium).aggregate(
        latest=Max("rolled_up_at"), count=Count("pk")
    )
    # Rows are only ever replaced (new ids), so the newest id changes with any new rows.
    newest = (
        AggregateCell.objects.aggregate(newest=Max("pk"))["newest"],
        LinkageHash.objects.aggregate(newest=Max("pk"))["newest"],
    )
    ngos = ",".join(_member_slugs(consortium))
    raw = (
        f"{rollups['latest']}|{rollups['count']}|{newest}|{ngos}|"
        f"{consortium.suppression_threshold}|{consortium.rounding_base}"
    )
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _member_slugs(consortium: Consortium) -> list[str]:
    return list(
        NGO.objects.filter(consortium=consortium, is_template=False)
        .exclude(schema_name="public")
        .order_by("slug")
        .values_list("slug", flat=True)
    )


@dataclass
class Publication:
    """An indicator's published tables of one year (and standard), by grouping, and its
    tables of regencies by province."""

    indicator: str
    period: Period
    standard: str | None
    tables: dict[Grouping, dict[str, Any]]
    regions: dict[tuple[Grouping, str], dict[str, Any]]  # (grouping without province, province)

    def all(self) -> list[dict[str, Any]]:
        return [*self.tables.values(), *self.regions.values()]

    @classmethod
    def of(cls, indicator: str, period: Period, standard: str | None, tables) -> Publication:
        grouped: dict[Grouping, dict[str, Any]] = {}
        regions: dict[tuple[Grouping, str], dict[str, Any]] = {}
        for table in tables:
            if "regency" in table["group_by"] and "province" in table.get("fixed", {}):
                regions[(tuple(table["group_by"]), str(table["fixed"]["province"]))] = table
            else:
                grouped[tuple(table["group_by"])] = table
        return cls(indicator, period, standard, grouped, regions)


Ident = tuple[Any, ...]  # ("table", grouping) or ("region", grouping, province)


def _ident(table: Mapping[str, Any]) -> Ident:
    if "regency" in table["group_by"] and "province" in table.get("fixed", {}):
        return ("region", tuple(table["group_by"]), str(table["fixed"]["province"]))
    return ("table", tuple(table["group_by"]))


def data_version(consortium: Consortium) -> str:
    """What the consortium's publication depends on (its rows, NGOs, threshold, rounding): a
    page that reads many tables computes it once and passes it on (`version=`)."""
    return _version(consortium)


def _cache_key(
    consortium: Consortium,
    indicator: str,
    period: Period,
    used: str | None,
    version: str | None = None,
) -> str:
    shape = hashlib.sha256(repr(catalog(indicator)).encode()).hexdigest()[:8]
    return (
        f"publication:{consortium.pk}:{indicator}:{period.code}:{used}:{shape}:"
        f"{version or _version(consortium)}"
    )


def _slot(key: str, ident: Ident) -> str:
    return f"{key}:{hashlib.sha256(repr(ident).encode()).hexdigest()[:12]}"


def _standard(definition: Indicator, standard: str) -> str | None:
    if standard not in STANDARDS:
        message = gettext("Choose ILO or BPS rules.")
        raise ApplicationError(message, code="invalid_standard", fields={"standard": [message]})
    return standard if "standard" in definition.dimensions else None


def _latest_key(consortium: Consortium, indicator: str, period: Period, used: str | None) -> str:
    return f"publication-latest:{consortium.pk}:{indicator}:{period.code}:{used}"


def publication(
    *,
    consortium: Consortium,
    indicator: str,
    period: Period,
    standard: str = "ilo",
    version: str | None = None,
) -> Publication:
    """The indicator's published tables for the year: from the cache while no NGO has been
    counted since, else counted from the aggregate table and suppressed as one set. Each table
    is cached by itself (a page reads a few of them), with an index of them all."""
    definition = indicator_get(indicator)
    used = _standard(definition, standard)
    version = version or _version(consortium)
    key = _cache_key(consortium, indicator, period, used, version)
    index = cache.get(key)
    if index is not None:
        slots = [_slot(key, ident) for ident in index]
        found = cache.get_many(slots)
        if len(found) == len(slots):
            return Publication.of(indicator, period, used, [found[slot] for slot in slots])
    stock = definition.balances or (indicator if _is_stock(indicator) else None)
    if stock is None:
        tables = _publish(consortium, definition, period, used)
        _store(consortium, indicator, period, used, tables, version)
        return Publication.of(indicator, period, used, tables)
    # A stock and its flows, every year, published together (balance.py).
    group = _publish_balance(consortium, indicator_get(stock))
    for (code, year), each in group.items():
        _store(consortium, code, Period(year), None, each, version)
    return Publication.of(indicator, period, used, group[(indicator, period.year)])


def _is_stock(indicator: str) -> bool:
    """Whether flows of other indicators change this one (Indicator.balances)."""
    return any(definition.balances == indicator for definition in INDICATORS.values())


def _store(
    consortium: Consortium,
    indicator: str,
    period: Period,
    used: str | None,
    tables: list[dict[str, Any]],
    version: str,
) -> None:
    key = _cache_key(consortium, indicator, period, used, version)
    cache.set_many({_slot(key, _ident(table)): table for table in tables}, CACHE_SECONDS)
    cache.set(key, [_ident(table) for table in tables], CACHE_SECONDS)
    cache.set(_latest_key(consortium, indicator, period, used), key, CACHE_SECONDS * 7)


def publish_all(*, consortium: Consortium) -> int:
    """Count and cache the current year's publication of every indicator (both standards),
    so that readers do not wait for it: run by `network.tasks.reporting_publish` after
    rollups. Returns the number of tables."""
    period = period_for(None)
    tables = 0
    for code, definition in INDICATORS.items():
        for standard in STANDARDS if "standard" in definition.dimensions else ("ilo",):
            published = publication(
                consortium=consortium, indicator=code, period=period, standard=standard
            )
            tables += len(published.all())
    return tables


_UNPUBLISHED = object()


def _one(
    consortium: Consortium,
    indicator: str,
    period: Period,
    standard: str,
    ident: Ident,
    version: str | None = None,
) -> dict[str, Any] | None:
    """One published table (None: the publication has no such table), read alone from the
    cache; the whole publication is counted if it is not there."""
    definition = indicator_get(indicator)
    used = _standard(definition, standard)
    version = version or _version(consortium)
    key = _cache_key(consortium, indicator, period, used, version)
    # After a rollup the new publication is counted in the background (reporting_publish):
    # until it is there, readers get the last one, whole and consistent, not a wait.
    for attempt in range(2):
        candidate = (
            key if attempt == 0 else cache.get(_latest_key(consortium, indicator, period, used))
        )
        index = cache.get(candidate) if candidate else None
        if index is None:
            continue
        if ident not in index:
            return None
        table = cache.get(_slot(candidate, ident), _UNPUBLISHED)
        if table is not _UNPUBLISHED:
            return table
    published = publication(
        consortium=consortium,
        indicator=indicator,
        period=period,
        standard=standard,
        version=version,
    )
    if ident[0] == "region":
        return published.regions.get((ident[1], ident[2]))
    return published.tables.get(ident[1])


@dataclass
class _Counted:
    """An indicator's catalog of a year, counted and not yet suppressed."""

    definition: Indicator
    period: Period
    counted: list[tuple[Grouping, dict[Key, int]]]
    queries: list[selectors.Query]
    extras: list[Mapping[Key, Any]]
    slices: list[dict[str, Value] | None]
    regencies: list[Mapping[str, Sequence[Value]] | None]
    categories: dict[str, Sequence[Value]]
    non_additive: list[str]


def _count(
    consortium: Consortium, definition: Indicator, period: Period, standard: str | None
) -> _Counted:
    filters = {"standard": standard} if standard else {}
    at_end = "month" in definition.non_additive
    last_month = selectors.month_code(period.last)
    counted = _Counted(definition, period, [], [], [], [], [], {}, [])

    def add(
        query: selectors.Query,
        counts: dict[Key, int],
        extra: Mapping[Key, Any],
        where: dict[str, Value],
        regency_values: Sequence[Value] | None = None,
    ) -> None:
        counted.counted.append((query.group_by, counts))
        counted.queries.append(query)
        counted.extras.append(extra)
        counted.slices.append(where or None)
        counted.regencies.append(
            {"regency": regency_values} if regency_values is not None else None
        )

    for grouping in catalog(definition.code):
        where: dict[str, Value] = dict(filters)
        if at_end and "month" not in grouping:
            where["month"] = last_month
        query = selectors.Query(
            indicator=definition.code,
            group_by=grouping,
            first=period.first,
            last=period.last,
            filters=filters,
        )
        counts, extra = selectors.inner_counts(query, consortium.pk)
        if "regency" not in grouping:
            add(query, counts, extra, where)
            continue
        # Regencies nest in provinces: one table of regencies per province, whose total is
        # the province's cell of the table by province (a cross table of provinces and
        # regencies has a zero wherever they do not nest, and protecting a province there
        # would hide the consortium's total).
        at = grouping.index("province")
        rest = grouping[:at] + grouping[at + 1 :]
        split: dict[Value, tuple[dict[Key, int], dict[Key, Any]]] = {}
        for part, source in ((0, counts), (1, extra)):
            for key, number in source.items():
                split.setdefault(key[at], ({}, {}))[part][key[:at] + key[at + 1 :]] = number
        for province, (in_province, province_basis) in sorted(
            split.items(), key=lambda item: str(item[0])
        ):
            within = selectors.Query(
                indicator=definition.code,
                group_by=rest,
                first=period.first,
                last=period.last,
                filters={**filters, "province": str(province)},
            )
            seen = sorted({key[rest.index("regency")] for key in in_province}, key=str)
            add(within, in_province, province_basis, {**where, "province": province}, seen)
    codes = canonical(code for grouping, _ in counted.counted for code in grouping)
    categories = categories_of(codes, counted.counted)
    listed: dict[str, Sequence[Value]] = {
        "month": [selectors.month_code(month) for month in period.months()],
        NGO_DIMENSION: _member_slugs(consortium),
    }
    for code, values in listed.items():
        if code in categories:
            categories[code] = sorted(set(categories[code]) | set(values), key=str)
    counted.categories = categories
    counted.non_additive = [code for code in codes if code in definition.non_additive]
    return counted


def _suppressed(
    consortium: Consortium,
    counted: _Counted,
    forced: Collection[SharedCell] = (),
    movable: Mapping[SharedCell, int] | None = None,
) -> list[dict[str, Any]]:
    """The counted catalog suppressed as one linked set, `forced` cells hidden too."""
    definition, period = counted.definition, counted.period
    at_end = "month" in definition.non_additive
    tables = suppress_linked(
        counted.counted,
        indicator=definition.code,
        threshold=consortium.suppression_threshold,
        categories=counted.categories,
        non_additive=counted.non_additive,
        rounding=consortium.rounding_base,
        fixed=counted.slices,
        table_categories=counted.regencies,
        forced=forced,
        movable=movable,
    )
    for table, query, (_grouping, inner), basis in zip(
        tables, counted.queries, counted.counted, counted.extras, strict=True
    ):
        if definition.kind != Kind.COUNT:
            selectors.statistics_add(query, table, inner, basis)
        table["period"] = period.code
        table["period_from"] = selectors.month_code(period.first)
        table["period_to"] = selectors.month_code(period.last)
        table["at_period_end"] = at_end and "month" not in query.group_by
    return tables


def _publish(
    consortium: Consortium, definition: Indicator, period: Period, standard: str | None
) -> list[dict[str, Any]]:
    return _suppressed(consortium, _count(consortium, definition, period, standard))


def balance_ends(period: Period) -> list[tuple[Period, str]]:
    """The ends of a year's balance of a stock: the previous year's last month (when that
    year is published) and this year's, each with its year."""
    ends = [(period, selectors.month_code(period.last))]
    if period.year - 1 in years():
        previous = Period(period.year - 1)
        ends.insert(0, (previous, selectors.month_code(previous.last)))
    return ends


def _values(counted: _Counted) -> dict[SharedCell, int]:
    """Every cell's count (margins too) of a counted catalog."""
    return linked_values(
        counted.counted,
        categories=counted.categories,
        non_additive=counted.non_additive,
        fixed=counted.slices,
        table_categories=counted.regencies,
    )


def _publish_balance(
    consortium: Consortium, stock: Indicator
) -> dict[tuple[str, int], list[dict[str, Any]]]:
    """A stock and its flows (active cases; new and closed cases) of every published year,
    suppressed together so that the balance across each year leaks nothing (balance.py)."""
    flows = [definition for definition in INDICATORS.values() if definition.balances == stock.code]
    periods = {str(year): Period(year) for year in years()}
    stocks = {year: _count(consortium, stock, period, None) for year, period in periods.items()}
    counted = {
        year: {flow.code: _count(consortium, flow, period, None) for flow in flows}
        for year, period in periods.items()
    }
    stock_values = {year: _values(each) for year, each in stocks.items()}
    flow_values = {
        year: [_values(each) for each in by_flow.values()] for year, by_flow in counted.items()
    }
    movable = {year: flows_movable(values) for year, values in flow_values.items()}
    ends = {year: selectors.month_code(period.last) for year, period in periods.items()}

    def holds(year: str, cell: SharedCell) -> bool:
        previous = str(int(year) - 1)
        stock_at = [stock_values[at].get(cell | {("month", ends[at])}) for at in (year, previous)]
        inflow, outflow = (values.get(cell) for values in flow_values[year])
        terms = [*stock_at, inflow, outflow]
        if any(term is None for term in terms):
            return False
        end, start, added, removed = (int(term) for term in terms)  # type: ignore[arg-type]
        return end == start + added - removed

    def publish_stock(year: str, forced: set[SharedCell]) -> list[dict[str, Any]]:
        return _suppressed(consortium, stocks[year], forced)

    def publish_flows(year: str, forced: set[SharedCell]) -> dict[str, list[dict[str, Any]]]:
        return {
            code: _suppressed(consortium, each, forced, movable[year])
            for code, each in counted[year].items()
        }

    published_stocks, published_flows = publish_balance(
        ends=ends,
        stock=publish_stock,
        flows=publish_flows,
        inflow=flows[0].code,
        outflow=flows[1].code,
        holds=holds,
    )
    group = {(stock.code, int(year)): tables for year, tables in published_stocks.items()}
    for year, by_flow in published_flows.items():
        group.update({(code, int(year)): tables for code, tables in by_flow.items()})
    return group


def table_slice(table: Mapping[str, Any], where: Mapping[str, Value]) -> dict[str, Any]:
    """The cells of a published table at fixed values of some of its dimensions: a table of
    the other dimensions, `fixed` at those values (or, when none would remain, the chosen
    cells of its one dimension, without a total)."""
    group_by = list(table["group_by"])
    cells = [
        cell for cell in table["cells"] if all(cell.get(name) == v for name, v in where.items())
    ]
    rest = [name for name in group_by if name not in where]
    sliced = {key: value for key, value in table.items() if key != "cells"}
    if not rest:
        sliced["non_additive"] = list(dict.fromkeys([*table.get("non_additive", []), *where]))
        sliced["cells"] = cells
        return sliced
    sliced["group_by"] = rest
    sliced["fixed"] = {**table.get("fixed", {}), **where}
    sliced["non_additive"] = [name for name in table.get("non_additive", []) if name in rest]
    if not sliced["non_additive"]:
        del sliced["non_additive"]
    sliced["cells"] = [{k: v for k, v in cell.items() if k not in where} for cell in cells]
    return sliced


def _region(
    consortium: Consortium,
    indicator: str,
    period: Period,
    standard: str,
    wanted: Grouping,
    where: Mapping[str, Value],
    version: str | None,
) -> dict[str, Any]:
    """The regencies of one province (there is no table of every regency)."""
    if "province" not in where:
        message = gettext("Regencies are published for one province at a time: choose one.")
        raise ApplicationError(message, code="invalid_group_by", fields={"province": [message]})
    province = str(where["province"])
    grouping = tuple(code for code in wanted if code != "province")
    table = _one(consortium, indicator, period, standard, ("region", grouping, province), version)
    if table is not None:
        return dict(table)
    if len(grouping) > 1:  # by a required dimension too: nothing counted there
        message = gettext("Unknown value for %(dimension)s.") % {"dimension": "province"}
        raise ApplicationError(message, code="invalid_filter", fields={"province": [message]})
    return {  # no count in that province this year
        "indicator": indicator,
        "group_by": ["regency"],
        "threshold": consortium.suppression_threshold,
        "fixed": {"province": province},
        "period": period.code,
        "period_from": selectors.month_code(period.first),
        "period_to": selectors.month_code(period.last),
        "at_period_end": "month" in INDICATORS[indicator].non_additive,
        "cells": [{"regency": None, "value": 0, "suppressed": False}],
    }


def published_table(
    *,
    consortium: Consortium,
    indicator: str,
    period: Period,
    group_by: Sequence[str],
    where: Mapping[str, Value] | None = None,
    standard: str = "ilo",
    version: str | None = None,
) -> dict[str, Any]:
    """One table as a reader sees it: the published table of `group_by` (and the filter's
    dimension), sliced at the filter (`where`: at most one of FILTERS). `version`: the
    `data_version` if the caller has it (a page of many tables)."""
    definition = indicator_get(indicator)
    where = {name: value for name, value in (where or {}).items() if value not in (None, "")}
    if len(where) > 1:
        message = gettext("Choose one of NGO, province, sex or age band at a time.")
        raise ApplicationError(message, code="invalid_filter", fields={"ngo": [message]})
    for name in where:
        if name not in filters_of(definition):
            message = gettext("%(indicator)s cannot be filtered by %(dimension)s.") % {
                "indicator": indicator,
                "dimension": name,
            }
            raise ApplicationError(message, code="invalid_filter", fields={name: [message]})
    wanted = canonical((*group_by, *where))
    _standard(definition, standard)
    if "regency" in wanted and wanted in catalog(indicator):
        return _region(consortium, indicator, period, standard, wanted, where, version)
    found = (
        _one(consortium, indicator, period, standard, ("table", wanted), version)
        if wanted in catalog(indicator)
        else None
    )
    if found is None:
        choices = "; ".join(",".join(grouping) for grouping in base_groupings(definition))
        message = gettext(
            "%(indicator)s is published grouped by one of: %(choices)s (and one filter)."
        ) % {"indicator": indicator, "choices": choices}
        raise ApplicationError(message, code="invalid_group_by", fields={"group_by": [message]})
    table = found
    if where and any(
        not any(cell.get(name) == value for cell in table["cells"]) for name, value in where.items()
    ):
        name = next(iter(where))
        message = gettext("Unknown value for %(dimension)s.") % {"dimension": name}
        raise ApplicationError(message, code="invalid_filter", fields={name: [message]})
    return table_slice(table, where) if where else dict(table)
