"""One NGO's indicator counts, by SQL aggregation in the schema the connection is set to.

`network.bridge.ngo_rollup_counts` calls `count_cells` inside the NGO's schema; nothing here
chooses a schema. What comes out are counts per indicator, month and finest breakdown (the
registry's dimensions): no identity, no row id. The counting rules are the registry's
(`network.reporting.indicators`); each query below names the indicators it counts.

Months are calendar months in the platform's time zone. A case's breakdown at a month is taken
at the month's last day: the child's sex and age then, the case's region, type and risk, and the
latest assessment approved by then (its sector, its status under ILO and BPS rules).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import repeat

from django.conf import settings
from django.db import connection, transaction

from network.reporting.indicators import CHILD_DIMENSIONS, UNKNOWN, age_band_sql
from network.reporting.models import CELL_DIMENSIONS
from network.reporting.sectors import sector_code

DOMAINS = ("education", "health", "psychosocial", "safety", "family_economy")
CellKey = tuple[str, dt.date, tuple[str, ...], int | None]  # indicator, month, dims, days
# The columns of a row of `count_cells`, in order (AggregateCell's, less the NGO's keys).
CELL_COLUMNS = ("indicator", "month", *CELL_DIMENSIONS, "days", "value", "total")
_CELL_DIMENSION_SET = frozenset(CELL_DIMENSIONS)


@dataclass
class CellValue:
    value: int = 0
    total: float | None = None


class Cells:
    """Accumulates counts by (indicator, month, the CELL_DIMENSIONS values, days)."""

    def __init__(self) -> None:
        self.cells: dict[CellKey, CellValue] = defaultdict(CellValue)

    def add(
        self,
        indicator: str,
        month: dt.date,
        value: int,
        dimensions: Mapping[str, str],
        *,
        total: float | None = None,
        days: int | None = None,
    ) -> None:
        if not value:
            return
        if not _CELL_DIMENSION_SET.issuperset(dimensions):  # pragma: no cover - a programming error
            raise ValueError(
                f"not a cell dimension: {sorted(set(dimensions) - _CELL_DIMENSION_SET)}"
            )
        # Called once a cell and indicator (~80,000 times for 5,000 cases): map() over the
        # dimensions costs a third of a generator expression.
        key = tuple(map(dimensions.get, CELL_DIMENSIONS, repeat("")))
        cell = self.cells[(indicator, month, key, days)]
        cell.value += value
        if total is not None:
            cell.total = (cell.total or 0.0) + total

    def rows(self) -> Iterator[tuple]:
        """One tuple per cell, its values in `CELL_COLUMNS` order."""
        for (indicator, month, key, days), cell in self.cells.items():
            yield (indicator, month, *key, days, cell.value, cell.total)


def _tz() -> str:
    return settings.TIME_ZONE


@contextmanager
def _counting_settings() -> Iterator[None]:
    """A transaction set for the counting queries (measured by EXPLAIN ANALYZE, 5,000 cases):
    no JIT (the planner takes the months' series for 1,000 rows, not 24, so every query passed
    `jit_above_cost`, and compiling took ~1 s of a query that then runs in 0.05-0.5 s), and
    enough memory to sort a month-by-breakdown grouping in memory (the default 4 MB spilled
    the active cases' 10 MB to disk: 0.6 s instead of 0.35 s)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '32MB'")
        yield


def _fetch(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# The months of the window, and the assessments in force on any day (approved ones only).
_MONTHS = """months AS (
    SELECT m::date AS month, (m + interval '1 month' - interval '1 day')::date AS month_end
    FROM generate_series(%(first)s::date, %(last)s::date, interval '1 month') AS m
)"""
_ASSESSMENTS = """assessed AS (
    SELECT case_id, assessed_on AS valid_from, sector, works, status_ilo, status_bps,
        lead(assessed_on) OVER (PARTITION BY case_id ORDER BY assessed_on, id) AS valid_to
    FROM casework_assessment WHERE status = 'approved'
)"""
# A case (c), its child (ch) and its assessment in force (a) at a month's end (m).
_JOIN_CHILD_ASSESSMENT = """
    JOIN casework_child ch ON ch.id = c.child_id
    LEFT JOIN assessed a ON a.case_id = c.id AND a.valid_from <= m.month_end
        AND (a.valid_to IS NULL OR a.valid_to > m.month_end)"""
_BREAKDOWN = f"""
    ch.sex, {{age_band}} AS age_band,
    coalesce(nullif(c.province_code, ''), '{UNKNOWN}') AS province,
    coalesce(nullif(c.regency_code, ''), '{UNKNOWN}') AS regency,
    CASE WHEN a.case_id IS NULL THEN NULL WHEN NOT a.works THEN ''
        WHEN a.sector = '' THEN 'other' ELSE a.sector END AS sector,
    coalesce(a.status_ilo, '{UNKNOWN}') AS status_ilo,
    coalesce(a.status_bps, '{UNKNOWN}') AS status_bps,
    coalesce(nullif(c.risk_level, ''), '{UNKNOWN}') AS risk_level,
    c.case_type"""
# The breakdown of a case's counts: the registry's child dimensions after the month, in order.
BREAKDOWN_COLUMNS = tuple(code for code in CHILD_DIMENSIONS if code != "month")
# By position: an output name such as `sector` would mean the input column in GROUP BY.
_GROUP_BREAKDOWN = ", ".join(str(position) for position in range(1, 2 + len(BREAKDOWN_COLUMNS)))
_OPEN_AT_MONTH_END = (
    "c.opened_on <= m.month_end AND NOT (c.status = 'closed' AND c.closed_on <= m.month_end)"
)


# Open on any day of the month (the linkage count: "served in the month").
_OPEN_IN_MONTH = (
    "c.opened_on <= m.month_end AND NOT (c.status = 'closed' AND c.closed_on < m.month)"
)


def _breakdown() -> str:
    return _BREAKDOWN.format(
        age_band=age_band_sql("ch.date_of_birth", "ch.birth_year", "m.month_end")
    )


def _dims(row: Sequence, offset: int = 1) -> dict[str, str]:
    """The breakdown columns of a row (after the month), the sector as its registry code."""
    values = dict(
        zip(BREAKDOWN_COLUMNS, row[offset : offset + len(BREAKDOWN_COLUMNS)], strict=True)
    )
    values["sector"] = sector_code(values["sector"])
    return values


_N = len(BREAKDOWN_COLUMNS)


def count_stocks(cells: Cells, params: dict) -> None:
    """active_cases; children_in_child_labour, _in_hazardous_work, _in_worst_forms (ILO, BPS)."""
    rows = _fetch(
        f"""WITH {_MONTHS}, {_ASSESSMENTS}
        SELECT m.month, {_breakdown()},
            count(*),
            count(DISTINCT c.child_id) FILTER (WHERE a.status_ilo IN
                ('child_labour', 'hazardous', 'worst_form')),
            count(DISTINCT c.child_id) FILTER (WHERE a.status_bps IN
                ('child_labour', 'hazardous', 'worst_form')),
            count(DISTINCT c.child_id) FILTER (WHERE a.status_ilo IN ('hazardous', 'worst_form')),
            count(DISTINCT c.child_id) FILTER (WHERE a.status_bps IN ('hazardous', 'worst_form')),
            count(DISTINCT c.child_id) FILTER (WHERE a.status_ilo = 'worst_form'),
            count(DISTINCT c.child_id) FILTER (WHERE a.status_bps = 'worst_form')
        FROM months m JOIN casework_case c ON {_OPEN_AT_MONTH_END}
        {_JOIN_CHILD_ASSESSMENT}
        GROUP BY {_GROUP_BREAKDOWN}""",
        params,
    )
    for row in rows:
        month, dims = row[0], _dims(row)
        active, *by_standard = row[1 + _N :]
        cells.add("active_cases", month, active, dims)
        without_status = {k: v for k, v in dims.items() if k not in ("status_ilo", "status_bps")}
        for index, indicator in enumerate(
            ("children_in_child_labour", "children_in_hazardous_work", "children_in_worst_forms")
        ):
            cells.add(
                indicator, month, by_standard[2 * index], {**without_status, "standard": "ilo"}
            )
            cells.add(
                indicator, month, by_standard[2 * index + 1], {**without_status, "standard": "bps"}
            )


def count_case_flows(cells: Cells, params: dict) -> None:
    """new_cases, closed_cases (by closure reason), children_identified."""
    rows = _fetch(
        f"""WITH {_MONTHS}, {_ASSESSMENTS},
        first_case AS (
            SELECT DISTINCT ON (child_id) child_id, id FROM casework_case
            ORDER BY child_id, opened_on, id
        )
        SELECT m.month, {_breakdown()}, 'new', '', count(*),
            count(DISTINCT c.child_id) FILTER (WHERE c.id IN (SELECT id FROM first_case))
        FROM months m JOIN casework_case c
            ON c.opened_on >= m.month AND c.opened_on <= m.month_end
        {_JOIN_CHILD_ASSESSMENT}
        GROUP BY {_GROUP_BREAKDOWN}
        UNION ALL
        SELECT m.month, {_breakdown()}, 'closed', c.closure_reason, count(*), 0
        FROM months m JOIN casework_case c ON c.status = 'closed'
            AND c.closed_on >= m.month AND c.closed_on <= m.month_end
        {_JOIN_CHILD_ASSESSMENT}
        GROUP BY {_GROUP_BREAKDOWN}, {3 + _N}""",
        params,
    )
    for row in rows:
        month, dims = row[0], _dims(row)
        kind, reason, cases, first = row[1 + _N :]
        if kind == "new":
            cells.add("new_cases", month, cases, dims)
            cells.add("children_identified", month, first, dims)
        else:
            cells.add("closed_cases", month, cases, {**dims, "closure_reason": reason or "other"})


def count_monitoring(cells: Cells, params: dict) -> None:
    """children_withdrawn, children_prevented, children_relapsed, children_back_in_school
    (ILO child labour monitoring, from verification visits)."""
    rows = _fetch(
        f"""WITH {_MONTHS}, {_ASSESSMENTS},
        visits AS (
            SELECT v.case_id, v.visited_on, v.id, v.left_work, v.in_school_or_training,
                v.seen_back_at_work,
                lag(v.in_school_or_training) OVER w AS was_in_school,
                row_number() OVER (PARTITION BY v.case_id, date_trunc('month', v.visited_on)
                    ORDER BY v.visited_on DESC, v.id DESC) AS latest_in_month,
                bool_or((c.case_type = 'child_labour' AND v.left_work
                         OR c.case_type = 'prevention' AND v.in_school_or_training)
                        AND NOT v.seen_back_at_work)
                    OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS was_out,
                c.case_type
            FROM casework_verification v JOIN casework_case c ON c.id = v.case_id
            WINDOW w AS (PARTITION BY v.case_id ORDER BY v.visited_on, v.id)
        ),
        marked AS (
            SELECT *,
                (case_type = 'child_labour' AND left_work AND NOT seen_back_at_work
                 AND NOT coalesce(was_out, false)) AS withdrawn,
                (case_type = 'prevention' AND in_school_or_training AND NOT seen_back_at_work
                 AND NOT coalesce(was_out, false)) AS prevented,
                (seen_back_at_work AND coalesce(was_out, false)) AS relapsed
            FROM visits
        )
        SELECT m.month, {_breakdown()},
            count(DISTINCT c.child_id) FILTER (WHERE v.withdrawn),
            count(DISTINCT c.child_id) FILTER (WHERE v.prevented),
            count(DISTINCT c.child_id) FILTER (WHERE v.relapsed),
            count(DISTINCT c.child_id) FILTER (WHERE v.latest_in_month = 1
                AND v.in_school_or_training
                AND NOT coalesce(v.was_in_school, ch.school_status = 'in_school'))
        FROM months m
        JOIN marked v ON v.visited_on >= m.month AND v.visited_on <= m.month_end
        JOIN casework_case c ON c.id = v.case_id
        {_JOIN_CHILD_ASSESSMENT}
        GROUP BY {_GROUP_BREAKDOWN}""",
        params,
    )
    for row in rows:
        month, dims = row[0], _dims(row)
        withdrawn, prevented, relapsed, back = row[1 + _N :]
        cells.add("children_withdrawn", month, withdrawn, dims)
        cells.add("children_prevented", month, prevented, dims)
        cells.add("children_relapsed", month, relapsed, dims)
        cells.add("children_back_in_school", month, back, dims)


def count_domain_scores(cells: Cells, params: dict) -> None:
    """domain_score_change: per case with two or more approved assessments by the month's end,
    latest minus first score in each domain; the count and the sum of changes per cell.

    The latest approved assessment by a month's end is the one in force then (as in
    `_ASSESSMENTS`), so each assessment carries its change from the case's first one (a window
    over the case's approved assessments) and a case counts where the one in force is not its
    first: one join, where a lookup of the first and latest per case and month was 95% of a
    rollup's time."""
    changes = ", ".join(
        f"count(*) FILTER (WHERE a.change_{d} IS NOT NULL), sum(a.change_{d})" for d in DOMAINS
    )
    scored = ",\n            ".join(
        f"score_{d} - first_value(score_{d}) OVER w AS change_{d}" for d in DOMAINS
    )
    rows = _fetch(
        f"""WITH {_MONTHS},
        scored AS (
            SELECT case_id, assessed_on AS valid_from, sector, works, status_ilo, status_bps,
                lead(assessed_on) OVER w AS valid_to, row_number() OVER w AS position,
                {scored}
            FROM casework_assessment WHERE status = 'approved'
            WINDOW w AS (PARTITION BY case_id ORDER BY assessed_on, id)
        )
        SELECT m.month, {_breakdown()}, {changes}
        FROM months m JOIN casework_case c ON c.opened_on <= m.month_end
        JOIN casework_child ch ON ch.id = c.child_id
        JOIN scored a ON a.case_id = c.id AND a.position > 1 AND a.valid_from <= m.month_end
            AND (a.valid_to IS NULL OR a.valid_to > m.month_end)
        GROUP BY {_GROUP_BREAKDOWN}""",
        params,
    )
    for row in rows:
        month, dims = row[0], _dims(row)
        values = row[1 + _N :]
        for index, domain in enumerate(DOMAINS):
            count, total = values[2 * index], values[2 * index + 1]
            cells.add(
                "domain_score_change",
                month,
                count,
                {**dims, "domain": domain},
                total=float(total or 0),
            )


def count_services(cells: Cells, params: dict) -> None:
    """services_delivered, children_served (by service type), days_to_first_service."""
    rows = _fetch(
        f"""WITH {_MONTHS}, {_ASSESSMENTS},
        first_service AS (
            SELECT DISTINCT ON (case_id) case_id, id, delivered_on FROM casework_intervention
            ORDER BY case_id, delivered_on, id
        )
        SELECT m.month, {_breakdown()}, i.type, count(*), count(DISTINCT c.child_id),
            array_agg(i.delivered_on - c.opened_on) FILTER (WHERE i.id IN
                (SELECT id FROM first_service))
        FROM months m
        JOIN casework_intervention i ON i.delivered_on >= m.month AND i.delivered_on <= m.month_end
        JOIN casework_case c ON c.id = i.case_id
        {_JOIN_CHILD_ASSESSMENT}
        GROUP BY {_GROUP_BREAKDOWN}, {2 + _N}""",
        params,
    )
    for row in rows:
        month, dims = row[0], _dims(row)
        service_type, services, children, first_days = row[1 + _N :]
        cells.add("services_delivered", month, services, {**dims, "service_type": service_type})
        cells.add("children_served", month, children, {**dims, "service_type": service_type})
        for days in first_days or ():
            cells.add("days_to_first_service", month, 1, dims, days=max(int(days), 0))


def count_followups(cells: Cells, params: dict) -> None:
    """followups: visits due in the month, on time, late or still not done at its end."""
    rows = _fetch(
        f"""WITH {_MONTHS}
        SELECT m.month,
            coalesce(nullif(c.province_code, ''), '{UNKNOWN}'),
            coalesce(nullif(c.regency_code, ''), '{UNKNOWN}'),
            coalesce(nullif(c.risk_level, ''), '{UNKNOWN}'),
            c.case_type,
            CASE WHEN f.completed_on IS NOT NULL AND f.completed_on <= f.due_on THEN 'on_time'
                 WHEN f.completed_on IS NOT NULL AND f.completed_on <= m.month_end THEN 'late'
                 ELSE 'overdue' END AS timeliness,
            count(*)
        FROM months m
        JOIN casework_followup f ON f.due_on >= m.month AND f.due_on <= m.month_end
        JOIN casework_case c ON c.id = f.case_id
        GROUP BY 1, 2, 3, 4, 5, 6""",
        params,
    )
    for month, province, regency, risk, case_type, timeliness, count in rows:
        cells.add(
            "followups",
            month,
            count,
            {
                "province": province,
                "regency": regency,
                "risk_level": risk,
                "case_type": case_type,
                "timeliness": timeliness,
            },
        )


def count_referrals(cells: Cells, params: dict) -> None:
    """referrals_sent (outgoing, by the month sent), referrals_received (incoming, by the
    month they arrived), referrals_accepted / _declined / _completed (this NGO's answers to
    incoming referrals), referrals_overdue (incoming, still unanswered after the due date at
    the month's end)."""
    tz = {"tz": _tz()}
    rows = _fetch(
        f"""WITH {_MONTHS},
        steps AS (
            SELECT r.service_type, r.urgency, 'sent' AS what,
                (r.sent_at AT TIME ZONE %(tz)s)::date AS on_day
            FROM referrals_referral r WHERE r.direction = 'outgoing'
            UNION ALL
            SELECT r.service_type, r.urgency, 'received', (r.created_at AT TIME ZONE %(tz)s)::date
            FROM referrals_referral r WHERE r.direction = 'incoming'
            UNION ALL
            SELECT r.service_type, r.urgency, e.state, (e.at AT TIME ZONE %(tz)s)::date
            FROM referrals_referral r JOIN referrals_referralevent e ON e.referral_id = r.id
            WHERE r.direction = 'incoming' AND e.state IN ('accepted', 'declined', 'completed')
        )
        SELECT m.month, s.service_type, s.urgency, s.what, count(*)
        FROM months m JOIN steps s ON s.on_day >= m.month AND s.on_day <= m.month_end
        GROUP BY 1, 2, 3, 4
        UNION ALL
        SELECT m.month, r.service_type, r.urgency, 'overdue', count(*)
        FROM months m JOIN referrals_referral r ON r.direction = 'incoming'
            AND r.response_due_on < m.month_end
            AND (r.created_at AT TIME ZONE %(tz)s)::date <= m.month_end
        WHERE NOT EXISTS (SELECT 1 FROM referrals_referralevent e WHERE e.referral_id = r.id
            AND e.state <> 'sent' AND (e.at AT TIME ZONE %(tz)s)::date <= m.month_end)
        GROUP BY 1, 2, 3""",
        {**params, **tz},
    )
    for month, service_type, urgency, what, count in rows:
        cells.add(
            f"referrals_{what}", month, count, {"service_type": service_type, "urgency": urgency}
        )


COUNTERS = (
    count_stocks,
    count_case_flows,
    count_monitoring,
    count_domain_scores,
    count_services,
    count_followups,
    count_referrals,
)


def count_cells(months: Sequence[dt.date]) -> list[tuple]:
    """Every tenant-counted indicator's cells for `months` (first days, in order), in the
    schema the connection is set to: tuples of `CELL_COLUMNS`."""
    cells = Cells()
    if months:
        params = {"first": months[0], "last": months[-1]}
        with _counting_settings():
            for counter in COUNTERS:
                counter(cells, params)
    return list(cells.rows())


def open_children(months: Sequence[dt.date]) -> Iterable[tuple]:
    """For the linkage count: each child with a case open in the window, with the name,
    birth year and guardian's name the keyed hash is made of and the months in which a case of
    theirs was open on at least one day."""
    if not months:
        return []
    with _counting_settings():
        return _fetch(
            f"""WITH {_MONTHS}
        SELECT ch.full_name, ch.birth_year, coalesce(h.guardian_name, ''),
            array_agg(DISTINCT m.month ORDER BY m.month)
        FROM months m JOIN casework_case c ON {_OPEN_IN_MONTH}
        JOIN casework_child ch ON ch.id = c.child_id
        LEFT JOIN casework_household h ON h.id = ch.household_id
        GROUP BY ch.id, ch.full_name, ch.birth_year, h.guardian_name""",
            {"first": months[0], "last": months[-1]},
        )
