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
longer exact. Rounding only widens what a reader can infer, so auditing a table before rounding
is the stronger check; a rounded table is audited with those intervals.
"""

from __future__ import annotations

import ctypes
import math
import os
import sys
from collections.abc import Mapping
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
    parsed = table if isinstance(table, PublishedTable) else published_parse(table)
    intervals = _intervals(parsed)
    return AuditResult(
        indicator=parsed.indicator,
        group_by=parsed.shape.group_by,
        threshold=parsed.threshold,
        intervals=tuple(intervals),
    )


def _bounds(value: int, rounding: int | None) -> tuple[float, float]:
    if rounding is None:
        return float(value), float(value)
    return float(max(0, value - rounding // 2)), float(value + rounding - 1 - rounding // 2)


def _intervals(table: PublishedTable) -> list[CellInterval]:
    # Unknowns: the suppressed cells, and with rounding every visible cell too (known to lie in
    # a range). Exact visible cells are constants and move to the right-hand side.
    columns: dict[Key, int] = {}
    lower: list[float] = []
    upper: list[float] = []
    for key in table.shape.keys():
        cell = table.cells[key]
        if cell.value is None:
            low, high = 0.0, highspy.kHighsInf
        elif table.rounding is not None:
            low, high = _bounds(cell.value, table.rounding)
        else:
            continue
        columns[key] = len(columns)
        lower.append(low)
        upper.append(high)

    rows: list[tuple[float, list[int], list[float]]] = []
    for margin, parts in table.shape.lines():
        coefficients = {margin: 1.0, **dict.fromkeys(parts, -1.0)}
        rhs = 0.0
        index: list[int] = []
        value: list[float] = []
        for key, coefficient in coefficients.items():
            if key in columns:
                index.append(columns[key])
                value.append(coefficient)
            else:
                rhs -= coefficient * (table.cells[key].value or 0)
        if index:
            rows.append((rhs, index, value))
        elif abs(rhs) > EPSILON:
            raise TableError(f"the published cells of margin {margin!r} do not add up")

    targets = table.suppressed_keys()
    if not targets:
        return []
    solver = _solver()
    count = len(columns)
    solver.addVars(count, np.array(lower), np.array(upper))
    for rhs, index, value in rows:
        solver.addRow(rhs, rhs, len(index), np.array(index, dtype=np.int32), np.array(value))

    intervals = []
    all_columns = np.arange(count, dtype=np.int32)
    for key in targets:
        cost = np.zeros(count)
        cost[columns[key]] = 1.0
        solver.changeColsCost(count, all_columns, cost)
        low = _optimum(solver, highspy.ObjSense.kMinimize, key)
        high = _optimum(solver, highspy.ObjSense.kMaximize, key)
        intervals.append(CellInterval(key=key, lower=low, upper=high))
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
