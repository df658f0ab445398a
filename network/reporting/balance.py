"""A stock and the flows that change it, published together across the years: active cases at
each year's end, and the year's new and closed cases.

A reader knows the balance: the stock at this year's end = the stock at last year's end + this
year's inflow - this year's outflow, exactly, in every cell of the breakdowns a case keeps
(`audit.STABLE_DIMENSIONS`: the NGO, the child's sex, the case type, and their totals). A cell
of one of the four terms shown while the other three are hidden, or hidden while the other
three are shown, is known; two hidden terms are tied to each other. Each year's stock and flows
are suppressed as their own linked sets (`suppression.suppress_linked`), and then:

1. a cell the stock hides at either end is hidden in both flows, and a cell one flow hides in
   the other, their hypercubes measured by the smaller of the two flows (they move together:
   `suppression.suppress_flows`);
2. the four terms are audited together with the balance as a constraint (`audit.audit_years`,
   on the tables of the stable breakdowns, where the balance lives: a few tables, solved in
   milliseconds); each cell it finds narrower than k is hidden in all four terms, at its
   stable breakdown, and everything is suppressed again;
3. if a leak remains at cells already hidden in all four terms, every hidden stable cell of
   the four is hidden in all four; until the audit finds nothing. The whole publication is
   audited again by `manage.py audit_suppression --consortium` (every table, every balance).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from network.reporting.audit import STABLE_DIMENSIONS, audit_years
from network.reporting.suppression import SharedCell, balance_forced, hidden_cells, suppress_flows
from network.reporting.tables import TableError

Tables = list[dict[str, Any]]
# (year, forced cells) -> the year's tables of the stock, suppressed with those cells hidden.
StockPublish = Callable[[str, set[SharedCell]], Tables]
# (year, forced cells) -> each flow's tables of the year, suppressed once with them hidden.
FlowsPublish = Callable[[str, set[SharedCell]], dict[str, Tables]]


def stable_table(table: Mapping[str, Any], stable: Sequence[str] = STABLE_DIMENSIONS) -> bool:
    """A table of the stable breakdowns only (and the month): where the balance holds."""
    names = {*table["group_by"], *(table.get("fixed") or {})}
    return names <= {*stable, "month"}


def _stable_part(cell: SharedCell, stable: Sequence[str]) -> SharedCell:
    return frozenset((name, value) for name, value in cell if name in stable)


def publish_balance(
    *,
    ends: Mapping[str, str],
    stock: StockPublish,
    flows: FlowsPublish,
    inflow: str,
    outflow: str,
    stable: Sequence[str] = STABLE_DIMENSIONS,
    holds: Callable[[str, SharedCell], bool] | None = None,
) -> tuple[dict[str, Tables], dict[str, dict[str, Tables]]]:
    """The stock's tables of every year in `ends` (year -> its last month, in order) and the
    flows' tables of every year, suppressed so that the audit of each year's balance with
    the year before finds no cell narrower than the threshold. `holds(year, cell)`: whether
    the year's balance holds in a stable cell (counted rows always balance; hand-made ones
    need not, and the audit imposes the balance only where it holds)."""
    years = sorted(ends, key=int)
    # Stable cells (without the month) hidden in the stock at a year's end, and in the flows.
    at_end: dict[str, set[SharedCell]] = {year: set() for year in years}
    in_flows: dict[str, set[SharedCell]] = {year: set() for year in years}
    while True:
        stocks = {
            year: stock(year, {cell | {("month", ends[year])} for cell in at_end[year]})
            for year in years
        }
        published: dict[str, dict[str, Tables]] = {}
        for position, year in enumerate(years):
            around = [(stocks[year], ends[year])]
            if position:
                around.insert(0, (stocks[years[position - 1]], ends[years[position - 1]]))
            published[year] = suppress_flows(
                lambda forced, year=year: flows(year, forced),  # type: ignore[misc]
                balance_forced(around, stable) | in_flows[year],
                stable,
            )
        added = False
        for previous, year in zip(years, years[1:], strict=False):
            result = audit_years(
                {
                    previous: [t for t in stocks[previous] if stable_table(t, stable)],
                    year: [t for t in stocks[year] if stable_table(t, stable)],
                },
                [t for t in published[year][inflow] if stable_table(t, stable)],
                [t for t in published[year][outflow] if stable_table(t, stable)],
                stable=stable,
                holds=None if holds is None else (lambda cell, year=year: holds(year, cell)),  # type: ignore[misc]
            )
            if result.ok:
                continue
            wanted = {
                frozenset(
                    (name, value)
                    for name, value in zip(result.group_by, leak.key, strict=True)
                    if name in stable and value is not None
                )
                for leak in result.leaks
            }
            if wanted <= at_end[previous] & at_end[year] & in_flows[year]:
                # Hidden in all four already: link every hidden stable cell of the four.
                wanted = set()
                for end in (previous, year):
                    tables, month = stocks[end], ends[end]
                    for table in tables:
                        wanted |= {
                            _stable_part(cell, stable)
                            for cell in hidden_cells(table)
                            if ("month", month) in cell
                            and _stable_part(cell, stable) == cell - {("month", month)}
                        }
                for tables in published[year].values():
                    for table in tables:
                        wanted |= {
                            cell
                            for cell in hidden_cells(table)
                            if _stable_part(cell, stable) == cell
                        }
            progress = False
            for forced in (at_end[previous], at_end[year], in_flows[year]):
                if not wanted <= forced:
                    forced |= wanted
                    progress = True
            added = added or progress
            if not progress:
                leaks = [(leak.key, leak.lower, leak.upper) for leak in result.leaks]
                raise TableError(f"the balance over {year} cannot be protected: {leaks!r}")
        if not added:
            return stocks, published
