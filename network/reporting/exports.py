"""Published tables as rows and as an Excel workbook, in the reader's language.

Only published tables come in (the output of `suppression.suppress`): a suppressed cell is
written as "< k" with the suppressed column true, never its number.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook

from network.reporting.indicators import DIMENSIONS, INDICATORS
from network.reporting.suppression import cell_display
from network.reporting.tables import published_parse


def _value_label(dimension: str, value: object) -> str:
    if value is None:
        return _("All")
    definition = DIMENSIONS.get(dimension)
    for known in (definition.values or ()) if definition else ():
        if known.code == value:
            return str(known.name)
    return str(value)


def table_rows(table: Mapping[str, Any]) -> list[list[object]]:
    """A header row, then one row per cell: dimension labels, the value (a number, or "< k"
    when suppressed) and whether it is suppressed."""
    parsed = published_parse(table)
    group_by = parsed.shape.group_by
    header: list[object] = [
        str(DIMENSIONS[name].name) if name in DIMENSIONS else name for name in group_by
    ]
    rows: list[list[object]] = [[*header, _("Value"), _("Suppressed")]]
    for key in parsed.shape.keys():
        cell = parsed.cells[key]
        shown: object = cell.value
        if cell.suppressed:
            shown = cell_display({"value": None, "suppressed": True}, parsed.threshold)
        labels: list[object] = [
            _value_label(name, value) for name, value in zip(group_by, key, strict=True)
        ]
        rows.append([*labels, shown, cell.suppressed])
    return rows


def tables_xlsx(tables: Sequence[Mapping[str, Any]]) -> bytes:
    """An Excel workbook with one sheet per published table, titled by its indicator."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for index, table in enumerate(tables, start=1):
        indicator = INDICATORS.get(table["indicator"])
        title = str(indicator.name) if indicator else str(table["indicator"])
        # Excel sheet titles: at most 31 characters, none of []:*?/\ and unique.
        safe = "".join(char for char in title if char not in "[]:*?/\\")[:27]
        sheet = workbook.create_sheet(f"{index} {safe}"[:31])
        for row in table_rows(table):
            sheet.append(row)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
