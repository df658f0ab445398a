"""Published tables on a page: figures ("< 5" for a small count, "—" for a count hidden to
protect one), tables of one or two dimensions, and bar charts as inline SVG (no script, no
library: readable at 360 px, and every chart sits next to its table)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from network.reporting.suppression import cell_display

register = template.Library()

WIDTH, HEIGHT, BOTTOM, TOP = 340, 150, 22, 14


@register.filter
def figure(cell: dict[str, Any] | None, threshold: int) -> str:
    """A published cell as text: the number, "< k" for a small count, "—" for a count hidden
    to protect one (or an absent cell)."""
    if cell is None:
        return "—"
    if cell.get("suppressed"):
        return cell_display(cell, threshold)
    value = cell.get("value")
    return "—" if value is None else number_format(value, force_grouping=True)


def _series(table, dimension: str) -> list[tuple[Any, dict[str, Any]]]:
    others = [name for name in table.group_by if name != dimension]
    return [
        (cell[dimension], cell)
        for cell in table.table["cells"]
        if cell.get(dimension) is not None and all(cell.get(o) is None for o in others)
    ]


def _short(table, dimension: str, value: Any) -> str:
    if dimension == "month":
        from django.utils.dates import MONTHS_3

        _year, month = str(value).split("-")
        return f"{MONTHS_3[int(month)].title()}"
    return table.label(dimension, value)[:10]


@register.simple_tag
def bar_chart(table, dimension: str = "month") -> SafeString:
    """Bars of the table's cells along `dimension` (the others at "all"). A suppressed cell is
    an outlined bar of the threshold's height marked "< k": it says "few", never how many."""
    series = _series(table, dimension)
    if not series:
        return mark_safe("")  # noqa: S308 - nothing to draw
    threshold = table.table["threshold"] or 0  # null: an NGO's own table, nothing hidden
    values = [cell["value"] or 0 for _value, cell in series if not cell["suppressed"]]
    top = max([*values, threshold, 1])
    step = WIDTH / len(series)
    bar = max(step * 0.7, 2)
    plot = HEIGHT - BOTTOM - TOP
    parts = []
    for index, (value, cell) in enumerate(series):
        x = index * step + (step - bar) / 2
        label = table.label(dimension, value)
        if cell["suppressed"]:
            height = plot * threshold / top
            shown = cell_display(cell, threshold)
            css = "bar suppressed"
        else:
            height = plot * (cell["value"] or 0) / top
            shown = figure(cell, threshold)
            css = "bar"
        y = HEIGHT - BOTTOM - height
        parts.append(
            format_html(
                '<g><title>{}: {}</title><rect class="{}" x="{}" y="{}" width="{}" '
                'height="{}"></rect><text class="bar-value" x="{}" y="{}">{}</text>'
                '<text class="bar-label" x="{}" y="{}">{}</text></g>',
                label,
                shown,
                css,
                f"{x:.1f}",
                f"{y:.1f}",
                f"{bar:.1f}",
                f"{max(height, 0.5):.1f}",
                f"{x + bar / 2:.1f}",
                f"{y - 3:.1f}",
                shown if len(series) <= 14 else "",
                f"{x + bar / 2:.1f}",
                HEIGHT - 6,
                _short(table, dimension, value),
            )
        )
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}">{}</svg>',
        WIDTH,
        HEIGHT,
        table.title,
        format_html_join("", "{}", ((part,) for part in parts)),
    )


@register.simple_tag
def table_rows(table) -> list[dict[str, Any]]:
    """A one-dimension table as rows (values, then "All"); a two-dimension one as a matrix:
    rows of the first dimension, columns of the second, each with its "All"."""
    group_by = table.group_by
    cells = table.table["cells"]
    if len(group_by) == 1:
        (name,) = group_by
        ordered = sorted(cells, key=lambda cell: cell[name] is None)
        return [
            {"label": table.label(name, cell[name]), "cells": [cell], "total": cell[name] is None}
            for cell in ordered
        ]
    first, second = group_by[:2]
    columns = [c[second] for c in cells if c[first] is None and c[second] is not None] + [None]
    rows = [c[first] for c in cells if c[second] is None and c[first] is not None] + [None]
    index = {(c[first], c[second]): c for c in cells}
    return [
        {
            "label": table.label(first, row),
            "cells": [index.get((row, column)) for column in columns],
            "total": row is None,
        }
        for row in rows
    ]


@register.simple_tag
def table_columns(table) -> list[str]:
    group_by = table.group_by
    if len(group_by) == 1:
        return [_("Value")]
    first, second = group_by[:2]
    columns = [
        c[second] for c in table.table["cells"] if c[first] is None and c[second] is not None
    ]
    return [table.label(second, column) for column in columns] + [_("All")]
