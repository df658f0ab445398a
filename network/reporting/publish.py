"""One table of one indicator, as a coordinator or funder may see it: the registry decides the
dimensions and their values, `suppression.suppress` decides what is hidden."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from network.reporting.indicators import DIMENSIONS, group_by_check, indicator_get
from network.reporting.suppression import suppress
from network.reporting.tables import DEFAULT_THRESHOLD, Key, Value


def table_publish(
    *,
    indicator: str,
    group_by: Sequence[str],
    counts: Mapping[Key, int],
    threshold: int = DEFAULT_THRESHOLD,
    rounding: int | None = None,
) -> dict[str, Any]:
    """The published table of an indicator's inner counts grouped by `group_by`.

    A dimension with a fixed list of values (sex, age band, status, ...) gets every value, zero
    or not; an open one (month, province, regency) the values present in `counts`.
    """
    definition = indicator_get(indicator)
    group_by = group_by_check(definition, group_by)
    categories: list[Sequence[Value]] = []
    for position, code in enumerate(group_by):
        fixed = DIMENSIONS[code].value_codes()
        seen = sorted({key[position] for key in counts}, key=str)
        categories.append(fixed if fixed is not None else seen)
    return suppress(
        counts,
        indicator=indicator,
        group_by=group_by,
        threshold=threshold,
        categories=categories,
        non_additive=[code for code in group_by if code in definition.non_additive],
        rounding=rounding,
    )
