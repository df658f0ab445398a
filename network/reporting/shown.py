"""A table as a report page shows it: the table (published, or an NGO's own), its title, and
the names of its values in the reader's language. The consortium's dashboard and an NGO's own
report both show them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from network.reporting.indicators import DIMENSIONS


@dataclass
class Table:
    key: str
    title: str
    table: dict[str, Any]
    labels: Mapping[str, Mapping[Any, str]] = field(default_factory=dict)  # value -> name
    indicator: str = ""

    @property
    def group_by(self) -> list[str]:
        return list(self.table["group_by"])

    @property
    def is_trend(self) -> bool:
        """A table by month alone: drawn as bars, its numbers one tap away."""
        return self.group_by == ["month"]

    @property
    def all_hidden(self) -> bool:
        """Every cell suppressed (the page says why: they protect small counts elsewhere)."""
        cells = self.table["cells"]
        return bool(cells) and all(cell.get("suppressed") for cell in cells)

    def cell(self, **where: Any) -> dict[str, Any] | None:
        """The cell with these values (a dimension left out: its "all" margin)."""
        for cell in self.table["cells"]:
            if all(cell.get(name) == where.get(name) for name in self.group_by):
                return cell
        return None

    def total(self) -> dict[str, Any] | None:
        return self.cell()

    def label(self, dimension: str, value: Any) -> str:
        """A value's name in the reader's language ("All" for a margin)."""
        if value is None:
            return _("All")
        if dimension == "month":
            year, month = str(value).split("-")
            return date_format(dt.date(int(year), int(month), 1), "M Y")
        if value in self.labels.get(dimension, {}):
            return str(self.labels[dimension][value])
        definition = DIMENSIONS.get(dimension)
        for known in (definition.values or ()) if definition else ():
            if known.code == value:
                return str(known.name)
        return str(value)
