"""The LP audit of a published table, independent of the suppression that produced it.

It knows only what a reader knows: the published table (tables.py). For every suppressed cell
it computes, with linear programming (HiGHS), the smallest and the largest value that cell can
take in a table consistent with the publication: every visible cell at its value, every margin
the sum of its cells, every count >= 0. The LP relaxation (no integrality) is the statistical
offices' standard (tau-Argus, Hundepool et al., Statistical Disclosure Control, 2012, 4.2).

A cell leaks when its interval is narrower than the threshold k while its lower end is below k:
then a reader narrows a small count (or a count near k) to fewer than k possibilities.

Rounded tables (`"rounding": b`): a visible value v stands for any count that rounds to it
(v - b//2 to v + b - 1 - b//2, i.e. v-2 to v+2 for base 5, never below 0); the margins are no
longer exact. Rounding only widens the intervals a reader can infer, so auditing a table before
rounding is the stronger check; a rounded table is audited with those intervals.

`audit_tables` audits tables published together (they share cells and margins) as one system.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np

from network.reporting.tables import Key, PublishedTable, TableError, published_parse

# Solver tolerance: an interval computed as 4.9999999 is 5 wide.
EPSILON = 1e-6


@dataclass(frozen=True)
class CellInterval:
    """The values a suppressed cell can take, given everything published."""

    key: Key
    lower: float
    upper: float  # math.inf when unbounded

    @property
    def width(self) -> float:
        return self.upper - self.lower

    def is_protected(self, threshold: int) -> bool:
        return self.width >= threshold - EPSILON or self.lower >= threshold - EPSILON


@dataclass(frozen=True)
class AuditResult:
    indicator: str
    group_by: tuple[str, ...]
    threshold: int
    intervals: tuple[CellInterval, ...]

    @property
    def leaks(self) -> list[CellInterval]:
        """Suppressed cells narrowed to fewer than `threshold` values below the threshold."""
        return [cell for cell in self.intervals if not cell.is_protected(self.threshold)]

    @property
    def ok(self) -> bool:
        return not self.leaks

    def to_json(self) -> dict[str, Any]:
        def bound(value: float) -> float | None:
            return None if math.isinf(value) else round(value, 6)

        return {
            "indicator": self.indicator,
            "group_by": list(self.group_by),
            "threshold": self.threshold,
            "suppressed": len(self.intervals),
            "ok": self.ok,
            "leaks": [
                {
                    "cell": dict(zip(self.group_by, leak.key, strict=True)),
                    "lower": bound(leak.lower),
                    "upper": bound(leak.upper),
                }
                for leak in self.leaks
            ],
        }


def audit_table(table: Mapping[str, Any] | PublishedTable) -> AuditResult:
    """The interval of every suppressed cell of a published table (JSON shape or parsed)."""
    return audit_tables([table])


def audit_tables(tables: Sequence[Mapping[str, Any] | PublishedTable]) -> AuditResult:
    """The intervals of the suppressed cells of tables published together, audited jointly.

    Tables of one indicator share cells: the row "girls" of a table by sex and age band is the
    cell "girls" of a table by sex, and the margin "girls" of a table by sex and sector. A
    reader combines them, so a cell hidden in one table but shown in another is known, and the
    tables' margins constrain each other. The result's `group_by` is every dimension of the
    tables (in order of appearance, with the dimensions they are fixed on); a cell's key has
    None for "all" and for a dimension its table does not have.
    """
    parsed = [
        table if isinstance(table, PublishedTable) else published_parse(table) for table in tables
    ]
    if not parsed:
        raise TableError("no table to audit")
    indicators = {table.indicator for table in parsed}
    thresholds = {table.threshold for table in parsed}
    if len(indicators) > 1 or len(thresholds) > 1:
        raise TableError("tables audited together share one indicator and one threshold")
    dimensions: list[str] = []
    for table in parsed:
        names = (*table.shape.group_by, *(table.fixed or {}))
        dimensions.extend(name for name in names if name not in dimensions)
    return AuditResult(
        indicator=parsed[0].indicator,
        group_by=tuple(dimensions),
        threshold=parsed[0].threshold,
        intervals=tuple(_intervals(parsed, dimensions)),
    )


def audit_balance(
    stock: Sequence[Mapping[str, Any]],
    inflow: Sequence[Mapping[str, Any]],
    outflow: Sequence[Mapping[str, Any]],
) -> AuditResult:
    """Tables of a stock counted at each month's end and of the flows that change it (active
    cases; new and closed cases), audited as one system with the balance a reader knows:
    stock(m) = stock(m - 1) + inflow(m) - outflow(m), in every cell of the breakdown they
    share. Each list holds tables of one indicator grouped by month and the same other
    dimensions; a cell hidden in a flow must keep its interval although the stock is shown.
    """
    groups = [list(stock), list(inflow), list(outflow)]
    parsed: list[PublishedTable] = []
    codes: list[str] = []
    for tables in groups:
        group = [published_parse(table) for table in tables]
        if not group:
            raise TableError("a balance needs tables of the stock and of both flows")
        codes.append(group[0].indicator)
        for table in group:
            if "month" not in table.shape.group_by:
                raise TableError("a balance's tables are grouped by month")
            parsed.append(
                PublishedTable(
                    indicator=table.indicator,
                    shape=table.shape,
                    threshold=table.threshold,
                    cells=table.cells,
                    rounding=table.rounding,
                    fixed={**(table.fixed or {}), "indicator": table.indicator},
                )
            )
    thresholds = {table.threshold for table in parsed}
    if len(thresholds) > 1:
        raise TableError("tables audited together share one threshold")
    dimensions = ["indicator"]
    for table in parsed:
        dimensions.extend(name for name in table.shape.group_by if name not in dimensions)
    identities: list[dict[tuple[tuple[str, Any], ...], float]] = []
    for table in parsed:
        if table.indicator != codes[0]:
            continue
        position = table.shape.group_by.index("month")
        months = sorted(str(month) for month in table.shape.categories[position])
        for key in table.shape.keys():
            month = key[position]
            if month is None or str(month) == months[0]:
                continue
            previous = months[months.index(str(month)) - 1]
            others = tuple(
                (name, value)
                for name, value in zip(table.shape.group_by, key, strict=True)
                if name != "month"
            )

            def cell(code: str, at: Any) -> tuple[tuple[str, Any], ...]:
                return (("indicator", code), ("month", at), *others)  # noqa: B023

            identities.append(
                {
                    cell(codes[0], month): 1.0,
                    cell(codes[0], previous): -1.0,
                    cell(codes[1], month): -1.0,
                    cell(codes[2], month): 1.0,
                }
            )
    return AuditResult(
        indicator=f"balance of {codes[0]}: {codes[1]} - {codes[2]}",
        group_by=tuple(dimensions),
        threshold=parsed[0].threshold,
        intervals=tuple(_intervals(parsed, dimensions, identities)),
    )


# The breakdowns a case keeps from one month to the next: the balance of a stock across a
# year holds exactly in their cells. (A child's age band, a case's region, sector, status or
# risk can change between the year's two ends: there the balance is only approximate.)
STABLE_DIMENSIONS = ("ngo", "sex", "case_type")


def audit_years(
    stock: Mapping[str, Sequence[Mapping[str, Any]]],
    inflow: Sequence[Mapping[str, Any]],
    outflow: Sequence[Mapping[str, Any]],
    *,
    stable: Sequence[str] = STABLE_DIMENSIONS,
    holds: Callable[[frozenset[tuple[str, Any]]], bool] | None = None,
) -> AuditResult:
    """A year's tables of a stock's flows (new and closed cases, published for the year) with
    the stock's tables of that year and of the year before (`stock`: {year: tables}, two years
    at most), audited as one system with the balance a reader knows across the year: the
    stock at this year's last month = the stock at last year's last month + inflow - outflow,
    in every cell of the breakdowns in `stable` that the four share. `holds` (for the
    suppression, which knows the counts): whether the balance holds in a cell (its values
    other than "all"); a reader assumes it everywhere.
    """
    years = sorted(stock, key=int)
    if not 1 <= len(years) <= 2 or not inflow or not outflow:
        raise TableError("a year's balance needs the flows and the stock of one or two years")
    parsed: list[PublishedTable] = []
    ends: dict[str, Any] = {}
    codes: list[str] = []

    def tagged(table: Mapping[str, Any], year: str) -> PublishedTable:
        found = published_parse(table)
        return PublishedTable(
            indicator=found.indicator,
            shape=found.shape,
            threshold=found.threshold,
            cells=found.cells,
            rounding=found.rounding,
            fixed={**(found.fixed or {}), "indicator": found.indicator, "year": year},
        )

    for year in years:
        tables = [tagged(table, year) for table in stock[year]]
        if not tables:
            raise TableError(f"no table of the stock in {year}")
        codes.append(tables[0].indicator)
        ends[year] = str(stock[year][0]["period_to"])
        parsed.extend(tables)
    current = years[-1]
    flows = []
    for flow in (inflow, outflow):
        flows.append(str(flow[0]["indicator"]))
        parsed.extend(tagged(table, current) for table in flow)
    if len({table.threshold for table in parsed}) > 1:
        raise TableError("tables audited together share one threshold")
    dimensions = ["indicator", "year"]
    for table in parsed:
        names = (*table.shape.group_by, *(table.fixed or {}))
        dimensions.extend(name for name in names if name not in dimensions)

    identities: list[dict[tuple[tuple[str, Any], ...], float]] = []
    if len(years) == 2:
        previous = years[0]
        seen: set[tuple[tuple[str, Any], ...]] = set()
        for table in parsed:
            if table.indicator != flows[0]:
                continue
            for key in table.shape.keys():
                fixed = table.fixed or {}
                cell = {
                    **{k: v for k, v in fixed.items() if k not in ("indicator", "year")},
                    **dict(zip(table.shape.group_by, key, strict=True)),
                }
                others = tuple(sorted((k, v) for k, v in cell.items() if v is not None))
                if others in seen or any(name not in stable for name, _ in others):
                    continue
                if holds is not None and not holds(frozenset(others)):
                    continue
                seen.add(others)

                def term(code: str, year: str, at: str | None) -> tuple[tuple[str, Any], ...]:
                    month = (("month", at),) if at else ()
                    return (("indicator", code), ("year", year), *month, *others)  # noqa: B023

                identities.append(
                    {
                        term(codes[-1], current, ends[current]): 1.0,
                        term(codes[0], previous, ends[previous]): -1.0,
                        term(flows[0], current, None): -1.0,
                        term(flows[1], current, None): 1.0,
                    }
                )
    return AuditResult(
        indicator=f"balance of {codes[-1]} over {current}: {flows[0]} - {flows[1]}",
        group_by=tuple(dimensions),
        threshold=parsed[0].threshold,
        intervals=tuple(_intervals(parsed, dimensions, identities)),
    )


def _bounds(value: int, rounding: int | None) -> tuple[float, float]:
    if rounding is None:
        return float(value), float(value)
    return float(max(0, value - rounding // 2)), float(value + rounding - 1 - rounding // 2)


def _intervals(
    tables: list[PublishedTable],
    dimensions: list[str],
    identities: Sequence[Mapping[tuple[tuple[str, Any], ...], float]] = (),
) -> list[CellInterval]:
    def joint(table: PublishedTable, key: Key) -> Key:
        values = {**(table.fixed or {}), **dict(zip(table.shape.group_by, key, strict=True))}
        return tuple(values.get(name) for name in dimensions)

    # What the tables say of each cell: a range (exact, or the counts that round to a rounded
    # value), or nothing (suppressed). Unknowns: the cells with no exact value.
    known: dict[Key, tuple[float, float]] = {}
    hidden: list[Key] = []
    for table in tables:
        for key in table.shape.keys():
            cell, shared = table.cells[key], joint(table, key)
            if cell.value is None:
                if shared not in hidden:
                    hidden.append(shared)
                continue
            low, high = _bounds(cell.value, table.rounding)
            if shared in known:
                low, high = max(low, known[shared][0]), min(high, known[shared][1])
                if low > high:
                    raise TableError(f"the tables publish different values for {shared!r}")
            known[shared] = (low, high)

    columns: dict[Key, int] = {}
    lower: list[float] = []
    upper: list[float] = []
    for table in tables:
        for key in table.shape.keys():
            shared = joint(table, key)
            if shared in columns or (shared in known and known[shared][0] == known[shared][1]):
                continue
            low, high = known.get(shared, (0.0, highspy.kHighsInf))
            columns[shared] = len(columns)
            lower.append(low)
            upper.append(high)

    rows: list[tuple[float, list[int], list[float]]] = []
    seen: set[tuple[Key, tuple[Key, ...]]] = set()
    lines: list[dict[Key, float]] = []
    for table in tables:
        for margin, parts in table.shape.lines():
            line = (joint(table, margin), tuple(joint(table, part) for part in parts))
            if line in seen:
                continue
            seen.add(line)
            lines.append({line[0]: 1.0, **dict.fromkeys(line[1], -1.0)})
    for identity in identities:  # {cell's values by dimension (as a key): coefficient}, = 0
        terms = {
            tuple(dict(cell).get(name) for name in dimensions): float(coefficient)
            for cell, coefficient in identity.items()
        }
        if all(key in columns or key in known for key in terms):  # else not all published
            lines.append(terms)
    for coefficients in lines:
        rhs = 0.0
        index: list[int] = []
        value: list[float] = []
        for shared, coefficient in coefficients.items():
            if shared in columns:
                index.append(columns[shared])
                value.append(coefficient)
            else:
                rhs -= coefficient * known[shared][0]
        if index:
            rows.append((rhs, index, value))
        elif abs(rhs) > EPSILON:
            first = next(iter(coefficients))
            raise TableError(f"the published cells of margin {first!r} do not add up")

    intervals = []
    for shared in hidden:
        if shared not in columns:  # hidden in one table, shown exactly in another
            intervals.append(
                CellInterval(key=shared, lower=known[shared][0], upper=known[shared][0])
            )
    targets = [shared for shared in hidden if shared in columns]
    if not targets:
        return intervals
    solver = _solver()
    count = len(columns)
    solver.addVars(count, np.array(lower), np.array(upper))
    for rhs, index, value in rows:
        solver.addRow(rhs, rhs, len(index), np.array(index, dtype=np.int32), np.array(value))
    all_columns = np.arange(count, dtype=np.int32)
    for shared in targets:
        cost = np.zeros(count)
        cost[columns[shared]] = 1.0
        solver.changeColsCost(count, all_columns, cost)
        low = _optimum(solver, highspy.ObjSense.kMinimize, shared)
        high = _optimum(solver, highspy.ObjSense.kMaximize, shared)
        intervals.append(CellInterval(key=shared, lower=low, upper=high))
    return intervals


_banner_printed = False


def _solver() -> highspy.Highs:
    """A quiet solver. HiGHS prints a banner to the process's stdout (from C, once per process)
    when the first solver is made, which would corrupt the JSON `audit_suppression` writes."""
    global _banner_printed
    if _banner_printed:
        solver = highspy.Highs()
    else:
        sys.stdout.flush()
        saved, null = os.dup(1), os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        try:
            solver = highspy.Highs()
            with contextlib.suppress(
                OSError, AttributeError
            ):  # no C library handle: nothing to flush
                ctypes.CDLL(None).fflush(None)
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(null)
        _banner_printed = True
    solver.setOptionValue("output_flag", False)
    return solver


def _optimum(solver: highspy.Highs, sense: highspy.ObjSense, key: Key) -> float:
    solver.changeObjectiveSense(sense)
    solver.run()
    status = solver.getModelStatus()
    if status == highspy.HighsModelStatus.kUnknown:
        # A warm start from the previous cell's basis can end without a verdict: solve afresh.
        solver.clearSolver()
        solver.run()
        status = solver.getModelStatus()
    if status == highspy.HighsModelStatus.kOptimal:
        return float(solver.getInfo().objective_function_value)
    unbounded = {
        highspy.HighsModelStatus.kUnbounded,
        highspy.HighsModelStatus.kUnboundedOrInfeasible,
    }
    # Maximising after a feasible minimisation: "unbounded or infeasible" can only be unbounded.
    if sense == highspy.ObjSense.kMaximize and status in unbounded:
        return math.inf
    if status == highspy.HighsModelStatus.kInfeasible:
        raise TableError("no table of counts >= 0 is consistent with the published values")
    raise TableError(
        f"the solver could not bound cell {key!r}: {solver.modelStatusToString(status)}"
    )
