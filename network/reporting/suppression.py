"""Small-cell suppression: everything a coordinator or funder sees passes through `suppress`.

The rule (issue 10): a count from 1 to k-1 (k = the consortium's threshold, default 5, at least
3) is never published: pages show "< k", JSON and exports an explicit suppressed marker and a
null value. A zero is published: it is not a small count, and hiding zeros would hide nothing.

Complementary suppression: further cells (or totals) are suppressed so that no suppressed value
can be recovered or narrowed from what is published. The standard, checked independently by
`network.reporting.audit` with linear programming: for every suppressed cell, the interval of
values consistent with everything published (visible cells, row, column and grand totals,
counts >= 0) is at least k wide, unless its lower end is already >= k.

How: the hypercube method (Repsilber's GHMITER, as in tau-Argus), which protects each small cell
with a set of 2^n cells (n = the table's dimensions) in which it can move without changing any
published value. For a cell p and, in each dimension, a partner index (another value of that
dimension, or the dimension's "all"), the corners of the hypercube are the cells that take p's
index or the partner's in each dimension. Adding t to the corners with sign + and subtracting it
from those with sign - (the sign flips for each dimension where the partner is another value,
not where it is "all") keeps every margin equal: it is a direction in the set of tables
consistent with the publication. So when every corner is suppressed, p can move down by the
smallest + corner and up by the smallest - corner; the hypercube is chosen so that the sum is
at least k, which protects p and every other corner (each moves the same distance).

Among the hypercubes that protect p, the one that suppresses the fewest new cells wins, a total
costing more than an inner cell (a row total three, the grand total of a 2-D table five), then
the one hiding the smallest sum. Zeros are never corners: their suppression would not protect
and would mislead. A hypercube whose corners are p and its own totals always qualifies (p can
grow without bound), so every small cell is protected.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from network.reporting.tables import (
    DEFAULT_THRESHOLD,
    Key,
    PublishedCell,
    PublishedTable,
    TableError,
    TableShape,
    Value,
    margins_fill,
    published_parse,
    rounding_check,
    shape_for,
    threshold_check,
)

# A total hides more than an inner cell: each "all" in a cell's key costs this much more.
MARGIN_WEIGHT = 2

Corner = tuple[Key, int]  # a cell of a hypercube and its sign (+1 / -1)
# A cell as every table of an indicator names it: its values other than "all", with the slice
# its table is fixed at ({("sex", "f"), ("month", "2026-11")}).
SharedCell = frozenset[tuple[str, Value]]


def suppress(
    counts: Mapping[Key, int],
    *,
    indicator: str,
    group_by: Sequence[str],
    threshold: int = DEFAULT_THRESHOLD,
    categories: Sequence[Sequence[Value]] | None = None,
    non_additive: Sequence[str] = (),
    rounding: int | None = None,
    fixed: Mapping[str, Value] | None = None,
) -> dict[str, Any]:
    """The published table of `counts`, small cells and their complements suppressed.

    `counts` maps each inner cell (one value per `group_by` dimension) to its count; a missing
    cell counts 0; margins and the grand total are summed here. `categories` lists each
    dimension's values (default: the values seen in `counts`); `non_additive` names dimensions
    without an "all" margin (see tables.py). `rounding` (a base such as 5, or None) rounds the
    published values after suppression.
    """
    threshold = threshold_check(threshold)
    rounding = rounding_check(rounding)
    shape = shape_for(group_by, counts, categories, non_additive)
    values = margins_fill(shape, counts)
    hidden = suppression_pattern(shape, values, threshold)
    return _published(indicator, shape, values, hidden, threshold, rounding, fixed)


def _published(
    indicator: str,
    shape: TableShape,
    values: Mapping[Key, int],
    hidden: Collection[Key],
    threshold: int,
    rounding: int | None,
    fixed: Mapping[str, Value] | None,
) -> dict[str, Any]:
    table = PublishedTable(
        indicator=indicator,
        shape=shape,
        threshold=threshold,
        cells={
            key: PublishedCell(
                value=None if key in hidden else values[key], suppressed=key in hidden
            )
            for key in shape.keys()
        },
        fixed=dict(fixed) if fixed else None,
    )
    published = table.to_json()
    if rounding:
        published = round_published(published, rounding)
    for cell, key in zip(published["cells"], shape.keys(), strict=True):
        if cell["suppressed"] and 0 < values[key] < threshold:
            cell["small"] = True
    return published


def unmarked(table: dict[str, Any]) -> dict[str, Any]:
    """The published table without the pages' "small" marks (what the API and the audit
    read: a reader learns that a cell is hidden, not why)."""
    return {
        **table,
        "cells": [
            {name: value for name, value in cell.items() if name != "small"}
            for cell in table["cells"]
        ],
    }


def suppression_pattern(
    shape: TableShape,
    values: Mapping[Key, int],
    threshold: int,
    forced: Collection[Key] = (),
    movable: Mapping[Key, int] | None = None,
    dropped: set[Key] | None = None,
) -> set[Key]:
    """The cells to suppress: every count from 1 to threshold-1, the `forced` cells (hidden in
    a linked table), and their complements. `movable`: how far each cell can move down, when
    that is less than its count (a flow's cell moves with the other flow's: `suppress_flows`);
    the hypercubes are measured with it. A forced zero that no hypercube of non-zero cells can
    move stays shown (hidden, it would be known to be 0), and is added to `dropped`."""
    primary = [key for key in shape.keys() if 0 < values[key] < threshold or key in forced]
    # Inner cells first (their hypercubes often protect the small totals too), smallest first.
    primary.sort(key=lambda key: (sum(value is None for value in key), values[key], repr(key)))
    hidden = set(primary)
    measure = values if movable is None else movable
    for cell in primary:
        protection = _cheapest_protection(shape, measure, threshold, cell, hidden)
        if protection is None and measure is not values:  # protected by its own counts
            protection = _cheapest_protection(shape, values, threshold, cell, hidden)
        if protection is None:  # a forced zero with no non-zero cells to move it with
            # For a count >= 1 the hypercube of the cell and its totals always qualifies.
            assert values[cell] == 0, f"no protection for {cell!r}"  # noqa: S101
            hidden.discard(cell)
            if dropped is not None:
                dropped.add(cell)
            continue
        hidden.update(protection)
    return hidden


@dataclass
class _Linked:
    """Tables of one indicator with their margins, and each key as a shared cell."""

    shapes: list[TableShape]
    values: list[dict[Key, int]]
    slices: list[Mapping[str, Value] | None]
    sharing: list[dict[Key, SharedCell]]
    counts: dict[SharedCell, int]


def _linked(
    tables: Sequence[tuple[Sequence[str], Mapping[Key, int]]],
    categories: Mapping[str, Sequence[Value]] | None,
    non_additive: Sequence[str],
    fixed: Sequence[Mapping[str, Value] | None] | None,
    table_categories: Sequence[Mapping[str, Sequence[Value]] | None] | None,
) -> _Linked:
    shapes: list[TableShape] = []
    values: list[dict[Key, int]] = []
    overrides = list(table_categories) if table_categories is not None else [None] * len(tables)
    for (group_by, counts), override in zip(tables, overrides, strict=True):
        given = None
        if categories is not None or override:
            given = []
            for position, name in enumerate(group_by):
                if override and name in override:
                    given.append(override[name])
                elif categories is not None and name in categories:
                    given.append(categories[name])
                else:  # the values seen
                    given.append(sorted({key[position] for key in counts}, key=str))
        shape = shape_for(group_by, counts, given, [n for n in non_additive if n in group_by])
        shapes.append(shape)
        values.append(margins_fill(shape, counts))

    slices = list(fixed) if fixed is not None else [None] * len(shapes)
    if len(slices) != len(shapes):
        raise TableError("one fixed slice (or None) per table is needed")

    def shared(shape: TableShape, key: Key, where: Mapping[str, Value] | None) -> SharedCell:
        return frozenset(
            (
                *(where or {}).items(),
                *(
                    (name, value)
                    for name, value in zip(shape.group_by, key, strict=True)
                    if value is not None
                ),
            )
        )

    sharing = [
        {key: shared(shape, key, where) for key in shape.keys()}
        for shape, where in zip(shapes, slices, strict=True)
    ]
    seen: dict[SharedCell, int] = {}
    for table_values, cells in zip(values, sharing, strict=True):
        for key, value in table_values.items():
            if seen.setdefault(cells[key], value) != value:
                raise TableError(f"the tables count {key!r} differently")
    return _Linked(shapes, values, slices, sharing, seen)


def linked_values(
    tables: Sequence[tuple[Sequence[str], Mapping[Key, int]]],
    *,
    categories: Mapping[str, Sequence[Value]] | None = None,
    non_additive: Sequence[str] = (),
    fixed: Sequence[Mapping[str, Value] | None] | None = None,
    table_categories: Sequence[Mapping[str, Sequence[Value]] | None] | None = None,
) -> dict[SharedCell, int]:
    """The count of every cell (margins too) of tables given as to `suppress_linked`."""
    return _linked(tables, categories, non_additive, fixed, table_categories).counts


def suppress_linked(
    tables: Sequence[tuple[Sequence[str], Mapping[Key, int]]],
    *,
    indicator: str,
    threshold: int = DEFAULT_THRESHOLD,
    categories: Mapping[str, Sequence[Value]] | None = None,
    non_additive: Sequence[str] = (),
    rounding: int | None = None,
    fixed: Sequence[Mapping[str, Value] | None] | None = None,
    table_categories: Sequence[Mapping[str, Sequence[Value]] | None] | None = None,
    forced: Collection[SharedCell] = (),
    movable: Mapping[SharedCell, int] | None = None,
) -> list[dict[str, Any]]:
    """Several tables of one indicator published together (a page, an export), each given as
    (group_by, inner counts), suppressed consistently.

    The tables share cells (the total of girls appears in a table by sex and age band and in
    one by sex and sector): a cell hidden in one table is hidden in every table that has it,
    and protected there too, until no table hides a cell another shows. `categories` maps a
    dimension to its values (default: the values seen). `fixed`: for each table, the slice it
    is of (tables.py), or None; `table_categories`: for each table, values of some of its
    dimensions that replace `categories` there (the regencies of the province a table is
    fixed at), or None. `forced`: cells to hide because another publication hides them (a
    cell no table has is ignored); `movable`: for some cells, how far they can move down if
    less than their count (`suppression_pattern`). Audit them together with
    `audit.audit_tables`.
    """
    threshold = threshold_check(threshold)
    rounding = rounding_check(rounding)
    linked = _linked(tables, categories, non_additive, fixed, table_categories)
    shapes, values, slices, sharing = linked.shapes, linked.values, linked.slices, linked.sharing
    measures = [
        None
        if movable is None
        else {key: movable.get(cell, table_values[key]) for key, cell in cells.items()}
        for table_values, cells in zip(values, sharing, strict=True)
    ]
    # Each table's last pattern with the cells it was forced to hide: a table whose forced
    # cells did not change keeps its pattern.
    present = set(linked.counts)
    hiding: set[SharedCell] = {cell for cell in forced if cell in present}
    # Forced zeros that a table cannot hide (they would be known to be 0): shown everywhere.
    shown: set[SharedCell] = set()
    last: list[tuple[frozenset[Key], set[Key]] | None] = [None] * len(shapes)
    while True:
        patterns = []
        for index, (shape, table_values) in enumerate(zip(shapes, values, strict=True)):
            wanted = frozenset(
                key for key, cell in sharing[index].items() if cell in hiding and cell not in shown
            )
            previous = last[index]
            if previous is None or previous[0] != wanted:
                dropped: set[Key] = set()
                pattern = suppression_pattern(
                    shape, table_values, threshold, wanted, measures[index], dropped
                )
                shown.update(sharing[index][key] for key in dropped)
                previous = (wanted, pattern)
                last[index] = previous
            patterns.append(previous[1])
        hidden = {
            sharing[index][key]
            for index, pattern in enumerate(patterns)
            for key in pattern
            if sharing[index][key] not in shown
        }
        if hidden == hiding - shown and all(
            not any(sharing[index][key] in shown for key in pattern)
            for index, pattern in enumerate(patterns)
        ):
            break
        hiding = hidden

    return [
        _published(indicator, shape, table_values, pattern, threshold, rounding, where)
        for shape, table_values, pattern, where in zip(
            shapes, values, patterns, slices, strict=True
        )
    ]


def hidden_cells(table: Mapping[str, Any]) -> set[SharedCell]:
    """The suppressed cells of a published table, each as the values that name it in every
    table of the indicator (its slice and its dimensions other than "all")."""
    fixed = table.get("fixed") or {}
    return {
        frozenset(
            (
                *fixed.items(),
                *((name, cell[name]) for name in table["group_by"] if cell[name] is not None),
            )
        )
        for cell in table["cells"]
        if cell["suppressed"]
    }


def balance_forced(
    ends: Sequence[tuple[Sequence[Mapping[str, Any]], Value]], stable: Collection[str]
) -> set[SharedCell]:
    """The cells the flows of a stock must hide because the stock hides them at an end of
    their period: `ends` holds the stock's published tables and the month of each end; only
    cells of the `stable` breakdowns, where the balance holds (audit.STABLE_DIMENSIONS)."""
    forced: set[SharedCell] = set()
    for tables, month in ends:
        for table in tables:
            for cell in hidden_cells(table):
                if ("month", month) in cell:
                    rest = cell - {("month", month)}
                    if all(name in stable for name, _ in rest):
                        forced.add(rest)
    return forced


def flows_movable(counts: Sequence[Mapping[SharedCell, int]]) -> dict[SharedCell, int]:
    """For each cell the flows share (`linked_values` of each), the smallest of their counts:
    how far the cell can move in all of them at once."""
    shared = set(counts[0]).intersection(*counts[1:])
    return {cell: min(each[cell] for each in counts) for cell in shared}


def suppress_flows(
    publish: Callable[[set[SharedCell]], dict[str, list[dict[str, Any]]]],
    forced: set[SharedCell],
    stable: Collection[str],
) -> dict[str, list[dict[str, Any]]]:
    """The tables of the flows of a stock (inflow and outflow, by indicator), suppressed so
    that the balance (stock at the end = stock at the start + inflow - outflow, in every cell)
    never isolates one hidden term: `publish(forced)` suppresses every flow's tables with the
    `forced` cells hidden (`suppress_linked`); a cell of the `stable` breakdowns (where the
    balance holds) hidden by the stock at either end (`balance_forced`) or by one flow is
    forced in all, until no flow hides a new one.

    With both ends of the stock shown a reader knows inflow - outflow in every cell: hidden
    cells of the two flows move together, by the same amount, so `publish` measures each
    hypercube by the smaller of the two counts (`flows_movable`)."""
    forced = set(forced)
    while True:
        tables = publish(forced)
        hidden = forced.union(
            *(
                {cell for cell in hidden_cells(table) if all(name in stable for name, _ in cell)}
                for each in tables.values()
                for table in each
            )
        )
        if hidden == forced:
            return tables
        forced = hidden


def _weight(key: Key) -> int:
    return 1 + MARGIN_WEIGHT * sum(value is None for value in key)


def _cheapest_protection(
    shape: TableShape, values: Mapping[Key, int], threshold: int, cell: Key, hidden: set[Key]
) -> list[Key] | None:
    """The cells to suppress besides `hidden` so that a hypercube protects `cell` (None: a
    forced zero that no hypercube of non-zero cells can move: it stays shown)."""
    best = _cheapest(hypercubes(shape, cell, values), values, threshold, cell, hidden)
    return best


def _cheapest(
    candidates: Iterator[list[Corner]],
    values: Mapping[Key, int],
    threshold: int,
    cell: Key,
    hidden: set[Key],
) -> list[Key] | None:
    best: tuple[tuple[int, int], list[Key]] | None = None
    for corners in candidates:
        # A zero corner is not hidden to protect another (it would mislead); the cell itself
        # is zero only when forced: then it can only move up, by the smallest - corner.
        if any(values[key] == 0 for key, _ in corners if key != cell):
            continue
        down = min(values[key] for key, sign in corners if sign > 0)
        up = min((values[key] for key, sign in corners if sign < 0), default=math.inf)
        if down + up < threshold:
            continue
        new = [key for key, _ in corners if key not in hidden]
        cost = (sum(_weight(key) for key in new), sum(values[key] for key in new))
        if best is None or cost < best[0]:
            best = (cost, new)
            if not new:
                break
    return None if best is None else best[1]


def hypercubes(
    shape: TableShape, cell: Key, values: Mapping[Key, int] | None = None
) -> Iterator[list[Corner]]:
    """Every hypercube through `cell`: its corners with their signs (`cell` itself is +1).

    With `values`, only those whose corners next to `cell` (differing in one dimension) are
    not zero: a hypercube with a zero corner protects nothing (`_cheapest_protection` skips
    it), and in a sparse table (NGOs by province) this leaves a handful of partners instead
    of every value."""

    def usable(position: int, partner: Value | None) -> bool:
        if values is None:
            return True
        return values[cell[:position] + (partner,) + cell[position + 1 :]] != 0

    options: list[list[tuple[Value | None, int] | None]] = []
    for position, own in enumerate(cell):
        if not shape.is_additive(position):
            options.append([None])  # no margin: the hypercube stays at this value
        elif own is None:
            options.append(
                [(value, +1) for value in shape.categories[position] if usable(position, value)]
            )
        else:
            others: list[tuple[Value | None, int] | None] = [
                (value, -1)
                for value in shape.categories[position]
                if value != own and usable(position, value)
            ]
            if usable(position, None):
                others.append((None, +1))
            options.append(others)
    for partners in itertools.product(*options):
        per_dimension = [
            [(own, +1)] if partner is None else [(own, +1), partner]
            for own, partner in zip(cell, partners, strict=True)
        ]
        yield [
            (tuple(value for value, _ in choice), math.prod(sign for _, sign in choice))
            for choice in itertools.product(*per_dimension)
        ]


def round_to_base(value: int, base: int) -> int:
    """`value` rounded to the nearest multiple of `base`, halves up (base 5: 2 -> 0, 3 -> 5)."""
    return base * ((value + base // 2) // base)


def round_published(table: dict[str, Any], base: int) -> dict[str, Any]:
    """A published table with its visible values rounded to multiples of `base`.

    Applied after suppression (suppressed cells stay suppressed); the margins then no longer
    add up exactly. The audit reads each rounded value v as "one of the counts that round to v"
    (v-2 to v+2 for base 5), which can only widen the intervals it finds: a table that passed
    the audit before rounding passes after.
    """
    parsed = published_parse(table)
    if parsed.rounding is not None:
        raise ValueError("this table is already rounded")
    base = rounding_check(base) or 0
    rounded = PublishedTable(
        indicator=parsed.indicator,
        shape=parsed.shape,
        threshold=parsed.threshold,
        cells={
            key: cell
            if cell.value is None
            else PublishedCell(value=round_to_base(cell.value, base), suppressed=False)
            for key, cell in parsed.cells.items()
        },
        rounding=base,
        fixed=parsed.fixed,
    )
    return rounded.to_json()


PROTECTIVE_MARK = "—"


def cell_display(cell: Mapping[str, Any], threshold: int) -> str:
    """A cell as a page shows it: its value, "< k" for a small count, "—" for a count hidden
    to protect one (it may be large)."""
    if cell["suppressed"]:
        return f"< {threshold}" if cell.get("small") else PROTECTIVE_MARK
    return str(cell["value"])
