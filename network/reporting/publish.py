"""One table of one indicator, as a coordinator or funder may see it: the registry decides the
dimensions and their values, `suppression.suppress` decides what is hidden."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from network.reporting.indicators import DIMENSIONS, group_by_check, indicator_get
from network.reporting.suppression import suppress, suppress_linked
from network.reporting.tables import DEFAULT_THRESHOLD, Key, Value


def table_publish(
    *,
    indicator: str,
    group_by: Sequence[str],
    counts: Mapping[Key, int],
    threshold: int = DEFAULT_THRESHOLD,
    rounding: int | None = None,
    fixed: Sequence[str] = (),
    values: Mapping[str, Sequence[Value]] | None = None,
) -> dict[str, Any]:
    """The published table of an indicator's inner counts grouped by `group_by` (`fixed`: the
    dimensions the counts were filtered on, one value each).

    A dimension with a fixed list of values (sex, age band, status, ...) gets every value, zero
    or not; an open one (month, province, regency) the values present in `counts`.
    """
    definition = indicator_get(indicator)
    group_by = group_by_check(definition, group_by, fixed)
    categories = categories_of(group_by, [(group_by, counts)])
    for code, listed in (values or {}).items():
        if code in categories:  # e.g. every month of a period, counts or not
            categories[code] = sorted(set(categories[code]) | set(listed), key=str)
    return suppress(
        counts,
        indicator=indicator,
        group_by=group_by,
        threshold=threshold,
        categories=[categories[code] for code in group_by],
        non_additive=[code for code in group_by if code in definition.non_additive],
        rounding=rounding,
    )


def tables_publish(
    *,
    indicator: str,
    tables: Sequence[tuple[Sequence[str], Mapping[Key, int]]],
    threshold: int = DEFAULT_THRESHOLD,
    rounding: int | None = None,
    fixed: Sequence[str] = (),
    values: Mapping[str, Sequence[Value]] | None = None,
) -> list[dict[str, Any]]:
    """Several tables of an indicator shown together (a page, an export), each given as
    (group_by, inner counts): suppressed as a set, so that no table shows what another hides.
    `values`: values an open dimension must list even without counts (the period's months)."""
    definition = indicator_get(indicator)
    checked = [(group_by_check(definition, group_by, fixed), counts) for group_by, counts in tables]
    codes = sorted({code for group_by, _ in checked for code in group_by})
    categories = categories_of(codes, checked)
    for code, listed in (values or {}).items():
        if code in categories:  # e.g. every month of a period, counts or not
            categories[code] = sorted(set(categories[code]) | set(listed), key=str)
    return suppress_linked(
        checked,
        indicator=indicator,
        threshold=threshold,
        categories=categories,
        non_additive=[code for code in codes if code in definition.non_additive],
        rounding=rounding,
    )


def categories_of(
    codes: Sequence[str], tables: Sequence[tuple[Sequence[str], Mapping[Key, int]]]
) -> dict[str, Sequence[Value]]:
    """Each dimension's values: the registry's fixed list, or those present in the counts."""
    categories: dict[str, Sequence[Value]] = {}
    for code in codes:
        fixed = DIMENSIONS[code].value_codes()
        if fixed is not None:
            categories[code] = fixed
            continue
        seen = {
            key[list(group_by).index(code)]
            for group_by, counts in tables
            if code in group_by
            for key in counts
        }
        categories[code] = sorted(seen, key=str)
    return categories
