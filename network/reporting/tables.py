"""The shape of a published table, shared by the suppression (which writes it), the LP audit
(which reads it) and, later, the API and the exports.

A published table is a JSON object::

    {"indicator": "children_identified", "group_by": ["sex", "age_band"], "threshold": 5,
     "cells": [{"sex": "female", "age_band": "5_11", "value": 12, "suppressed": false},
               {"sex": "female", "age_band": null, "value": null, "suppressed": true}, ...]}

`cells` holds one object per combination of the `group_by` dimensions' values, including every
margin and the grand total: a dimension whose value is null means "all". A suppressed cell has
`"value": null`. Two optional keys:

- `"rounding"`: the base (e.g. 5) published values were rounded to after suppression, or null;
- `"non_additive"`: dimensions with no "all" margin, because a unit can fall in several of their
  values (a child served in January and in March; a child receiving counselling and health care).
  Such a table is a set of independent tables, one per value of those dimensions;
- `"fixed"`: `{dimension: value}`, the slice of a larger table this one is (the NGO a table is
  of, the standard, the month a stock is counted at). Tables published together share a cell
  when its values and their fixed values agree: a table of active cases by sex at the end of
  December (`"fixed": {"month": "2026-12"}`) has the cells of December's row of a table by
  month and sex.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Value = Hashable  # a dimension value: a code (str) or a number (a month as "2026-01", a year)
Key = tuple[Value | None, ...]  # one value per group_by dimension, None = "all"

MAX_DIMENSIONS = 3
DEFAULT_THRESHOLD = 5
MIN_THRESHOLD = 3


class TableError(ValueError):
    """A table that does not have the published shape (missing cells, bad values, ...)."""


def threshold_check(threshold: object) -> int:
    """`threshold` as an int, or TableError unless it is an integer of at least MIN_THRESHOLD."""
    if isinstance(threshold, bool) or not isinstance(threshold, int):
        raise TableError(f"threshold must be an integer, got {threshold!r}")
    if threshold < MIN_THRESHOLD:
        raise TableError(f"threshold must be at least {MIN_THRESHOLD}, got {threshold}")
    return threshold


def rounding_check(rounding: object) -> int | None:
    """`rounding` as an int of at least 2, or None."""
    if rounding is None:
        return None
    if isinstance(rounding, bool) or not isinstance(rounding, int) or rounding < 2:
        raise TableError(f"rounding must be null or an integer of at least 2, got {rounding!r}")
    return rounding


@dataclass(frozen=True)
class TableShape:
    """The dimensions of a table, the values of each (without "all") and which have margins."""

    group_by: tuple[str, ...]
    categories: tuple[tuple[Value, ...], ...]
    non_additive: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not 1 <= len(self.group_by) <= MAX_DIMENSIONS:
            raise TableError(f"a table has 1 to {MAX_DIMENSIONS} dimensions, got {self.group_by}")
        if len(set(self.group_by)) != len(self.group_by):
            raise TableError(f"group_by names a dimension twice: {list(self.group_by)}")
        if len(self.categories) != len(self.group_by):
            raise TableError("one list of values per dimension is needed")
        for name, values in zip(self.group_by, self.categories, strict=True):
            if None in values:
                raise TableError(f"dimension {name!r}: null means 'all', not a value")
            if len(set(values)) != len(values):
                raise TableError(f"dimension {name!r} lists a value twice")
        unknown = self.non_additive - set(self.group_by)
        if unknown:
            raise TableError(f"non_additive names dimensions not grouped by: {sorted(unknown)}")

    def is_additive(self, position: int) -> bool:
        return self.group_by[position] not in self.non_additive

    def levels(self, position: int) -> tuple[Value | None, ...]:
        """The values a cell may take in one dimension: its categories, then None ("all")."""
        values = self.categories[position]
        return (*values, None) if self.is_additive(position) else values

    def keys(self) -> Iterator[Key]:
        """Every cell of the table: interior cells, margins and the grand total."""
        return itertools.product(*(self.levels(i) for i in range(len(self.group_by))))

    def interior_keys(self) -> Iterator[Key]:
        return itertools.product(*self.categories)

    def lines(self) -> Iterator[tuple[Key, list[Key]]]:
        """Every additivity constraint: a margin cell and the cells that sum to it."""
        for position in range(len(self.group_by)):
            if not self.is_additive(position):
                continue
            for key in self.keys():
                if key[position] is not None:
                    continue
                parts = [
                    key[:position] + (value,) + key[position + 1 :]
                    for value in self.categories[position]
                ]
                yield key, parts


def margins_fill(shape: TableShape, counts: Mapping[Key, int]) -> dict[Key, int]:
    """Every cell's value from the interior counts (a missing interior cell counts 0)."""
    for key, count in counts.items():
        if len(key) != len(shape.group_by):
            raise TableError(f"cell {key!r} does not have one value per dimension")
        if any(value not in shape.categories[position] for position, value in enumerate(key)):
            raise TableError(f"cell {key!r} has a value outside the table's categories")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise TableError(f"cell {key!r}: a count is an integer of at least 0, got {count!r}")
    values: dict[Key, int] = {}
    for key in shape.keys():
        values[key] = sum(
            counts.get(interior, 0)
            for interior in itertools.product(
                *(
                    shape.categories[position] if value is None else (value,)
                    for position, value in enumerate(key)
                )
            )
        )
    return values


@dataclass(frozen=True)
class PublishedCell:
    value: int | None
    suppressed: bool


@dataclass(frozen=True)
class PublishedTable:
    """A published table, parsed: what a reader of the page, the API or an export knows."""

    indicator: str
    shape: TableShape
    threshold: int
    cells: dict[Key, PublishedCell]
    rounding: int | None = None
    fixed: Mapping[str, Value] | None = None

    def suppressed_keys(self) -> list[Key]:
        return [key for key in self.shape.keys() if self.cells[key].suppressed]

    def to_json(self) -> dict[str, Any]:
        group_by = list(self.shape.group_by)
        data: dict[str, Any] = {
            "indicator": self.indicator,
            "group_by": group_by,
            "threshold": self.threshold,
            "cells": [
                {
                    **dict(zip(group_by, key, strict=True)),
                    "value": self.cells[key].value,
                    "suppressed": self.cells[key].suppressed,
                }
                for key in self.shape.keys()
            ],
        }
        if self.rounding is not None:
            data["rounding"] = self.rounding
        if self.shape.non_additive:
            data["non_additive"] = [name for name in group_by if name in self.shape.non_additive]
        if self.fixed:
            data["fixed"] = dict(self.fixed)
        return data


def _json_value(name: str, value: object) -> Value | None:
    if value is None or isinstance(value, str | int) and not isinstance(value, bool):
        return value
    raise TableError(f"dimension {name!r}: a value is a string, an integer or null, got {value!r}")


def published_parse(data: object) -> PublishedTable:
    """Read a published table from its JSON shape; TableError names what is wrong."""
    if not isinstance(data, dict):
        raise TableError("a published table is a JSON object")
    for name in ("indicator", "group_by", "threshold", "cells"):
        if name not in data:
            raise TableError(f"missing key {name!r}")
    indicator = data["indicator"]
    if not isinstance(indicator, str) or not indicator:
        raise TableError("indicator must be a non-empty string")
    group_by = data["group_by"]
    if not isinstance(group_by, list) or not all(isinstance(name, str) for name in group_by):
        raise TableError("group_by must be a list of dimension names")
    threshold = threshold_check(data["threshold"])
    rounding = rounding_check(data.get("rounding"))
    non_additive = data.get("non_additive") or []
    if not isinstance(non_additive, list) or not all(isinstance(n, str) for n in non_additive):
        raise TableError("non_additive must be a list of dimension names")
    fixed = data.get("fixed") or {}
    if not isinstance(fixed, dict) or not all(isinstance(name, str) for name in fixed):
        raise TableError("fixed must be an object of dimension: value")
    fixed = {name: _json_value(name, value) for name, value in fixed.items()}
    if None in fixed.values() or set(fixed) & set(group_by):
        raise TableError("fixed names dimensions not grouped by, each with a value")
    cells_data = data["cells"]
    if not isinstance(cells_data, list):
        raise TableError("cells must be a list")

    cells: dict[Key, PublishedCell] = {}
    categories: list[list[Value]] = [[] for _ in group_by]
    for cell in cells_data:
        if not isinstance(cell, dict):
            raise TableError("each cell is a JSON object")
        missing = [name for name in (*group_by, "value", "suppressed") if name not in cell]
        if missing:
            raise TableError(f"cell {cell!r} lacks {missing}")
        key = tuple(_json_value(name, cell[name]) for name in group_by)
        for position, value in enumerate(key):
            if value is not None and value not in categories[position]:
                categories[position].append(value)
        suppressed, value = cell["suppressed"], cell["value"]
        if not isinstance(suppressed, bool):
            raise TableError(f"cell {key!r}: suppressed must be true or false")
        if suppressed and value is not None:
            raise TableError(f"cell {key!r} is suppressed but publishes a value")
        if not suppressed and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise TableError(f"cell {key!r}: a published value is an integer of at least 0")
        if key in cells:
            raise TableError(f"cell {key!r} appears twice")
        cells[key] = PublishedCell(value=value, suppressed=suppressed)

    shape = TableShape(
        group_by=tuple(group_by),
        categories=tuple(tuple(values) for values in categories),
        non_additive=frozenset(non_additive),
    )
    expected = set(shape.keys())
    missing_keys = expected - cells.keys()
    if missing_keys:
        raise TableError(
            f"{len(missing_keys)} cells missing, e.g. {sorted(missing_keys, key=repr)[0]}"
        )
    extra = cells.keys() - expected
    if extra:
        raise TableError(f"cells outside the table's shape, e.g. {sorted(extra, key=repr)[0]}")
    return PublishedTable(
        indicator=indicator,
        shape=shape,
        threshold=threshold,
        cells=cells,
        rounding=rounding,
        fixed=fixed or None,
    )


def _sort_key(value: Value) -> tuple[str, Any]:
    return (type(value).__name__, value)


def shape_for(
    group_by: Sequence[str],
    counts: Mapping[Key, int],
    categories: Sequence[Sequence[Value]] | None = None,
    non_additive: Sequence[str] = (),
) -> TableShape:
    """The shape of a table of interior `counts`: the given categories, or the values seen."""
    if categories is None:
        seen: list[list[Value]] = [[] for _ in group_by]
        for key in counts:
            for position, value in enumerate(key):
                if position < len(seen) and value not in seen[position]:
                    seen[position].append(value)
        categories = [sorted(values, key=_sort_key) for values in seen]
    return TableShape(
        group_by=tuple(group_by),
        categories=tuple(tuple(values) for values in categories),
        non_additive=frozenset(non_additive),
    )
