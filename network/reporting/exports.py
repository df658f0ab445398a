"""Published tables as rows and as an Excel workbook, in the reader's language.

Published tables (the output of `suppression.suppress`) are written with `table_rows`: a
suppressed cell as "< k" (a small count) or "—" (a count hidden to protect one) with the
suppressed column true, never its number. An NGO's own tables (`selectors.ngo_table`, nothing
suppressed) are written with `ngo_table_rows` (`rows=`): its numbers, without a suppressed
column.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook

from network.reporting.indicators import DIMENSIONS, INDICATORS
from network.reporting.suppression import cell_display
from network.reporting.tables import published_parse


def _value_label(dimension: str, value: object, labels: Mapping | None = None) -> str:
    if value is None:
        return _("All")
    if labels and value in labels.get(dimension, {}):
        return str(labels[dimension][value])
    definition = DIMENSIONS.get(dimension)
    for known in (definition.values or ()) if definition else ():
        if known.code == value:
            return str(known.name)
    return str(value)


def table_rows(
    table: Mapping[str, Any], labels: Mapping[str, Mapping] | None = None
) -> list[list[object]]:
    """A header row, then one row per cell: dimension labels, the value (a number, or "< k"
    when suppressed) and whether it is suppressed. `labels`: names of values the registry does
    not know (an NGO's slug, an agency's UUID)."""
    parsed = published_parse(table)
    group_by = parsed.shape.group_by
    rows: list[list[object]] = [[*_headings(group_by), _("Value"), _("Suppressed")]]
    small = {
        tuple(cell.get(name) for name in group_by) for cell in table["cells"] if cell.get("small")
    }
    for key in parsed.shape.keys():
        cell = parsed.cells[key]
        shown: object = cell.value
        if cell.suppressed:
            shown = cell_display(
                {"value": None, "suppressed": True, "small": key in small}, parsed.threshold
            )
        names: list[object] = [
            _value_label(name, value, labels) for name, value in zip(group_by, key, strict=True)
        ]
        rows.append([*names, shown, cell.suppressed])
    return rows


def ngo_table_rows(
    table: Mapping[str, Any], labels: Mapping[str, Mapping] | None = None
) -> list[list[object]]:
    """An NGO's own table as rows: a header row, then one row per cell (the table's order):
    dimension labels and the value."""
    group_by = list(table["group_by"])
    rows: list[list[object]] = [[*_headings(group_by), _("Value")]]
    for cell in table["cells"]:
        names = [_value_label(name, cell[name], labels) for name in group_by]
        rows.append([*names, cell["value"]])
    return rows


def _headings(group_by: Sequence[str]) -> list[object]:
    return [
        str(DIMENSIONS[name].name) if name in DIMENSIONS else _pseudo_names().get(name, name)
        for name in group_by
    ]


Rows = Callable[[Mapping[str, Any], Mapping[str, Mapping] | None], list[list[object]]]


def _pseudo_names() -> dict[str, str]:
    """Headings of columns that are not registry dimensions, in the reader's language."""
    return {"ngo": _("NGO")}


def tables_xlsx(
    tables: Sequence[Mapping[str, Any]],
    *,
    header: Sequence[tuple[str, str]] = (),
    labels: Sequence[Mapping[str, Mapping] | None] = (),
    titles: Sequence[str] = (),
    rows: Rows = table_rows,
) -> bytes:
    """An Excel workbook with one sheet per published table, titled by its indicator (or
    `titles`), each starting with the `header` lines (period, threshold, standard, when).
    `rows`: how a table becomes rows (`ngo_table_rows` for an NGO's own tables)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for index, table in enumerate(tables, start=1):
        indicator = INDICATORS.get(table["indicator"])
        title = str(indicator.name) if indicator else str(table["indicator"])
        if index <= len(titles):
            title = titles[index - 1]
        # Excel sheet titles: at most 31 characters, none of []:*?/\ and unique.
        safe = "".join(char for char in title if char not in "[]:*?/\\")[:27]
        sheet = workbook.create_sheet(f"{index} {safe}"[:31])
        if header:
            sheet.append([title])
            for name, value in header:
                sheet.append([name, value])
            sheet.append([])
        if not table.get("cells"):
            sheet.append([_("Nothing to show for this period.")])
            continue
        for row in rows(table, labels[index - 1] if index <= len(labels) else None):
            sheet.append(row)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def table_csv(
    table: Mapping[str, Any],
    *,
    header: Sequence[tuple[str, str]] = (),
    labels: Mapping[str, Mapping] | None = None,
    title: str = "",
    rows: Rows = table_rows,
) -> str:
    """One published table as CSV: the header lines, a blank line, then `table_rows` (or
    `rows`, e.g. `ngo_table_rows`)."""
    output = io.StringIO()
    writer = csv.writer(output)
    if title:
        writer.writerow([title])
    for name, value in header:
        writer.writerow([name, value])
    if header or title:
        writer.writerow([])
    if not table.get("cells"):
        writer.writerow([_("Nothing to show for this period.")])
        return output.getvalue()
    for row in rows(table, labels):
        writer.writerow([_csv_safe(value) for value in row])
    return output.getvalue()


def _csv_safe(value: object) -> object:
    """A label a spreadsheet would run as a formula (=, +, -, @ first) is quoted with '; a
    yes/no (the suppressed column) is written in the reader's language (a workbook keeps it
    a boolean, which the spreadsheet shows in its own)."""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value
