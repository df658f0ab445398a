"""One NGO's indicator counts, by SQL aggregation in the schema the connection is set to.

`network.bridge.ngo_rollup_counts` calls `cells_insert` inside the NGO's schema; nothing here
chooses a schema. What comes out are counts per indicator, month and finest breakdown (the
registry's dimensions): no identity, no row id. The counting rules are the registry's
(`network.reporting.indicators`); each query below names the indicators it counts.

Each counter is one SQL statement whose rows are the cells themselves (`CELL_COLUMNS`): the
rows of one cell are summed in SQL, so the cells go straight into the aggregate table
(`INSERT ... SELECT`) and none of the ~50,000 rows of an NGO of 5,000 cases travels to Python
and back (`count_cells` returns them instead, to read them).

Months are calendar months in the platform's time zone. A case's breakdown at a month is taken
at the month's last day: the child's sex and age then, the case's region, type and risk, and the
latest assessment approved by then (its sector, its status under ILO and BPS rules).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from django.conf import settings
from django.db import connection, transaction

from network.reporting.indicators import CHILD_DIMENSIONS, UNKNOWN, age_band_sql
from network.reporting.models import CELL_DIMENSIONS
from network.reporting.sectors import sector_code

DOMAINS = ("education", "health", "psychosocial", "safety", "family_economy")
# The columns of a cell, in order (AggregateCell's, less the NGO's keys).
CELL_COLUMNS = ("indicator", "month", *CELL_DIMENSIONS, "days", "value", "total")


class CellSink(Protocol):
    """Where a counter's cells go: `sql` selects them (`CELL_COLUMNS`) with `params`."""

    def add(self, sql: str, params: Mapping[str, Any]) -> None: ...


class CellRows:
    """Keeps the cells, as tuples of `CELL_COLUMNS`."""

    def __init__(self) -> None:
        self.rows: list[tuple] = []

    def add(self, sql: str, params: Mapping[str, Any]) -> None:
        self.rows.extend(_fetch(sql, params))


class CellInsert:
    """Writes the cells into `table` (a quoted, schema-qualified name of a table with the
    `CELL_COLUMNS`), each with the values of `keys` (column: value) in front."""

    def __init__(self, table: str, keys: Mapping[str, int]) -> None:
        self.table = table
        self.keys = dict(keys)
        self.rows = 0

    def add(self, sql: str, params: Mapping[str, Any]) -> None:
        columns = ", ".join(connection.ops.quote_name(name) for name in (*self.keys, *CELL_COLUMNS))
        values = ", ".join(f"%(key_{name})s" for name in self.keys)
        with connection.cursor() as cursor:
            # The table and columns are the caller's and ours, quoted; values are parameters.
            cursor.execute(
                f"INSERT INTO {self.table} ({columns})"  # noqa: S608
                f" SELECT {values}, cells.* FROM ({sql}) AS cells",
                {**params, **{f"key_{name}": value for name, value in self.keys.items()}},
            )
            self.rows += cursor.rowcount


def _tz() -> str:
    return settings.TIME_ZONE


@contextmanager
def _counting_settings() -> Iterator[None]:
    """A transaction set for the counting queries (measured by EXPLAIN ANALYZE, 5,000 cases):
    no JIT (when the planner took the months for 1,000 rows, not 24, every query passed
    `jit_above_cost`, and compiling took ~1 s of a query that then runs in 0.05-0.5 s), and
    enough memory to sort a month-by-breakdown grouping in memory (the default 4 MB spilled
    the active cases' 10 MB to disk: 0.6 s instead of 0.35 s)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '32MB'")
        yield


def _fetch(sql: str, params: Mapping[str, Any]) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# The months of the window, and the assessments in force on any day (approved ones only).
# The months are a list, which the planner counts (it took a generate_series of dates for
# 1,000 rows, and sorted groupings it can hash), and materialized: inlined, each month's last
# day was computed afresh for every case it was compared with (~120,000 times in the active
# cases' join, a third of that query).
_MONTHS = """months AS MATERIALIZED (
    SELECT m AS month, (m + interval '1 month' - interval '1 day')::date AS month_end
    FROM unnest(%(months)s::date[]) AS m
)"""
_ASSESSMENTS = """assessed AS (
    SELECT case_id, assessed_on AS valid_from, sector, works, status_ilo, status_bps,
        lead(assessed_on) OVER (PARTITION BY case_id ORDER BY assessed_on, id) AS valid_to
    FROM casework_assessment WHERE status = 'approved'
)"""
# A sector as the worker wrote it ("" for a child who does not work, "other" for work without
# a sector): counts are grouped by it, cells by its registry code (`sector_code`).
_SECTOR_AS_WRITTEN = (
    "CASE WHEN NOT {a}works THEN '' WHEN {a}sector = '' THEN 'other' ELSE {a}sector END"
)
# A case (c), its child (ch) and its assessment in force (a) at a month's end (m).
_JOIN_CHILD_ASSESSMENT = """
    JOIN casework_child ch ON ch.id = c.child_id
    LEFT JOIN assessed a ON a.case_id = c.id AND a.valid_from <= m.month_end
        AND (a.valid_to IS NULL OR a.valid_to > m.month_end)"""
_BREAKDOWN = f"""
    ch.sex, {{age_band}} AS age_band,
    coalesce(nullif(c.province_code, ''), '{UNKNOWN}') AS province,
    coalesce(nullif(c.regency_code, ''), '{UNKNOWN}') AS regency,
    CASE WHEN a.case_id IS NULL THEN NULL ELSE {_SECTOR_AS_WRITTEN.format(a="a.")} END AS sector,
    coalesce(a.status_ilo, '{UNKNOWN}') AS status_ilo,
    coalesce(a.status_bps, '{UNKNOWN}') AS status_bps,
    coalesce(nullif(c.risk_level, ''), '{UNKNOWN}') AS risk_level,
    c.case_type"""
# The breakdown of a case's counts: the registry's child dimensions after the month, in order.
BREAKDOWN_COLUMNS = tuple(code for code in CHILD_DIMENSIONS if code != "month")
# By position: an output name such as `sector` would mean the input column in GROUP BY.
_GROUP_BREAKDOWN = ", ".join(str(position) for position in range(1, 2 + len(BREAKDOWN_COLUMNS)))
_N = len(BREAKDOWN_COLUMNS)
_OPEN_AT_MONTH_END = (
    "c.opened_on <= m.month_end AND NOT (c.status = 'closed' AND c.closed_on <= m.month_end)"
)
# Open on any day of the month (the linkage count: "served in the month").
_OPEN_IN_MONTH = (
    "c.opened_on <= m.month_end AND NOT (c.status = 'closed' AND c.closed_on < m.month)"
)
# The breakdown columns of a grouping `g` (the sector as written).
_BY_BREAKDOWN = {name: f"g.{name}" for name in BREAKDOWN_COLUMNS}
_NO_STATUS = {k: v for k, v in _BY_BREAKDOWN.items() if k not in ("status_ilo", "status_bps")}


def _in_month(day: str) -> str:
    """`day` (a date column) falls in the month `m`: an equality, which the planner joins by
    hash (comparing each event with every month's bounds took 24 x 14,000 services)."""
    return f"m.month = date_trunc('month', {day}::timestamp)::date"


def _breakdown() -> str:
    return _BREAKDOWN.format(
        age_band=age_band_sql("ch.date_of_birth", "ch.birth_year", "m.month_end")
    )


def _literal(text: str) -> str:
    """A constant of ours (an indicator or dimension code) as an SQL string."""
    return f"'{text}'"


def _cell(
    indicator: str,
    value: str,
    dimensions: Mapping[str, str],
    *,
    days: str = "NULL::integer",
    total: str = "NULL::double precision",
) -> str:
    """A select list of one indicator's rows (`CELL_COLUMNS`) from a grouping `g`: the
    indicator, value and dimensions given as SQL expressions, "" for the other dimensions."""
    empty = "''"
    listed = ", ".join(f"{dimensions.get(name, empty)} AS {name}" for name in CELL_DIMENSIONS)
    return (
        f"{indicator} AS indicator, g.month, {listed}, {days} AS days, {value} AS value, "
        f"{total} AS total"
    )


def _cells(rows: str, *, sector_as_written: bool = True) -> str:
    """The cells of `rows` (a query with the `CELL_COLUMNS`): the rows of one cell summed once
    the sector as written is its registry code (%(sector_texts)s -> %(sector_codes)s, no
    assessment -> unknown), counts of zero left out. A sector missing from the codes would be
    a null, which the aggregate table refuses: `sector_codes` reads the snapshot the counts
    read (the rollup's transaction is REPEATABLE READ)."""
    sector = f"CASE WHEN r.sector IS NULL THEN '{UNKNOWN}' ELSE s.code END"
    keys = [
        "r.indicator",
        "r.month",
        *(
            sector if sector_as_written and name == "sector" else f"r.{name}"
            for name in CELL_DIMENSIONS
        ),
        "r.days",
    ]
    join = (
        "LEFT JOIN unnest(%(sector_texts)s::text[], %(sector_codes)s::text[]) AS s (text, code)"
        " ON s.text = r.sector"
        if sector_as_written
        else ""
    )
    positions = ", ".join(str(position + 1) for position, _key in enumerate(keys))
    return f"""SELECT {", ".join(keys)}, sum(r.value)::integer, sum(r.total)::double precision
    FROM ({rows}) AS r {join}
    WHERE r.value > 0
    GROUP BY {positions}"""


def sector_codes() -> dict[str, list[str]]:
    """The parameters `_cells` reads the sector codes from: every sector as written of the
    NGO's approved assessments, and its code."""
    texts = [
        text
        for (text,) in _fetch(
            f"SELECT DISTINCT {_SECTOR_AS_WRITTEN.format(a='')} FROM casework_assessment"  # noqa: S608
            " WHERE status = 'approved'",
            {},
        )
    ]
    return {"sector_texts": texts, "sector_codes": [sector_code(text) for text in texts]}


def count_stocks(cells: CellSink, params: dict) -> None:
    """active_cases; children_in_child_labour, _in_hazardous_work, _in_worst_forms (ILO, BPS)."""
    by_standard = [
        (indicator, standard)
        for indicator in (
            "children_in_child_labour",
            "children_in_hazardous_work",
            "children_in_worst_forms",
        )
        for standard in ("ilo", "bps")
    ]
    children = "\n        UNION ALL ".join(
        "SELECT "
        + _cell(
            _literal(indicator),
            f"g.{indicator}_{standard}",
            {**_NO_STATUS, "standard": _literal(standard)},
        )
        + " FROM g"
        for indicator, standard in by_standard
    )
    cells.add(
        _cells(
            f"""WITH {_MONTHS}, {_ASSESSMENTS}, g AS (
        SELECT m.month, {_breakdown()},
            count(*) AS active,
            count(DISTINCT c.child_id) FILTER (WHERE a.status_ilo IN
                ('child_labour', 'hazardous', 'worst_form')) AS children_in_child_labour_ilo,
            count(DISTINCT c.child_id) FILTER (WHERE a.status_bps IN
                ('child_labour', 'hazardous', 'worst_form')) AS children_in_child_labour_bps,
            count(DISTINCT c.child_id) FILTER (WHERE a.status_ilo IN ('hazardous', 'worst_form'))
                AS children_in_hazardous_work_ilo,
            count(DISTINCT c.child_id) FILTER (WHERE a.status_bps IN ('hazardous', 'worst_form'))
                AS children_in_hazardous_work_bps,
            count(DISTINCT c.child_id) FILTER (WHERE a.status_ilo = 'worst_form')
                AS children_in_worst_forms_ilo,
            count(DISTINCT c.child_id) FILTER (WHERE a.status_bps = 'worst_form')
                AS children_in_worst_forms_bps
        FROM months m JOIN casework_case c ON {_OPEN_AT_MONTH_END}
        {_JOIN_CHILD_ASSESSMENT}
        GROUP BY {_GROUP_BREAKDOWN}
        )
        SELECT {_cell(_literal("active_cases"), "g.active", _BY_BREAKDOWN)} FROM g
        UNION ALL {children}"""
        ),
        params,
    )


def count_case_flows(cells: CellSink, params: dict) -> None:
    """new_cases, closed_cases (by closure reason), children_identified."""
    cells.add(
        _cells(
            f"""WITH {_MONTHS}, {_ASSESSMENTS},
        first_case AS (
            SELECT DISTINCT ON (child_id) child_id, id FROM casework_case
            ORDER BY child_id, opened_on, id
        ),
        g AS (
            SELECT m.month, {_breakdown()}, 'new' AS kind, '' AS reason, count(*) AS cases,
                count(DISTINCT c.child_id) FILTER (WHERE c.id IN (SELECT id FROM first_case))
                    AS first
            FROM months m JOIN casework_case c
                ON {_in_month("c.opened_on")}
            {_JOIN_CHILD_ASSESSMENT}
            GROUP BY {_GROUP_BREAKDOWN}
            UNION ALL
            SELECT m.month, {_breakdown()}, 'closed', c.closure_reason, count(*), 0
            FROM months m JOIN casework_case c ON c.status = 'closed'
                AND {_in_month("c.closed_on")}
            {_JOIN_CHILD_ASSESSMENT}
            GROUP BY {_GROUP_BREAKDOWN}, {3 + _N}
        )
        SELECT {_cell(_literal("new_cases"), "g.cases", _BY_BREAKDOWN)} FROM g WHERE g.kind = 'new'
        UNION ALL
        SELECT {_cell(_literal("children_identified"), "g.first", _BY_BREAKDOWN)} FROM g
        WHERE g.kind = 'new'
        UNION ALL
        SELECT {
                _cell(
                    _literal("closed_cases"),
                    "g.cases",
                    {**_BY_BREAKDOWN, "closure_reason": "coalesce(nullif(g.reason, ''), 'other')"},
                )
            } FROM g WHERE g.kind = 'closed'"""
        ),
        params,
    )


def count_monitoring(cells: CellSink, params: dict) -> None:
    """children_withdrawn, children_prevented, children_relapsed, children_back_in_school
    (ILO child labour monitoring, from verification visits)."""
    indicators = (
        "children_withdrawn",
        "children_prevented",
        "children_relapsed",
        "children_back_in_school",
    )
    each = "\n        UNION ALL ".join(
        "SELECT " + _cell(_literal(indicator), f"g.{indicator}", _BY_BREAKDOWN) + " FROM g"
        for indicator in indicators
    )
    cells.add(
        _cells(
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
        ),
        g AS (
            SELECT m.month, {_breakdown()},
                count(DISTINCT c.child_id) FILTER (WHERE v.withdrawn) AS children_withdrawn,
                count(DISTINCT c.child_id) FILTER (WHERE v.prevented) AS children_prevented,
                count(DISTINCT c.child_id) FILTER (WHERE v.relapsed) AS children_relapsed,
                count(DISTINCT c.child_id) FILTER (WHERE v.latest_in_month = 1
                    AND v.in_school_or_training
                    AND NOT coalesce(v.was_in_school, ch.school_status = 'in_school'))
                    AS children_back_in_school
            FROM months m
            JOIN marked v ON {_in_month("v.visited_on")}
            JOIN casework_case c ON c.id = v.case_id
            {_JOIN_CHILD_ASSESSMENT}
            GROUP BY {_GROUP_BREAKDOWN}
        )
        {each}"""
        ),
        params,
    )


def count_domain_scores(cells: CellSink, params: dict) -> None:
    """domain_score_change: per case with two or more approved assessments by the month's end,
    latest minus first score in each domain; the count and the sum of changes per cell.

    The latest approved assessment by a month's end is the one in force then (as in
    `_ASSESSMENTS`), so each assessment carries its change from the case's first one (a window
    over the case's approved assessments) and a case counts where the one in force is not its
    first: one join, where a lookup of the first and latest per case and month was 95% of a
    rollup's time."""
    changes = ", ".join(
        f"count(*) FILTER (WHERE a.change_{d} IS NOT NULL) AS changed_{d}, "
        f"sum(a.change_{d}) AS change_{d}"
        for d in DOMAINS
    )
    scored = ",\n            ".join(
        f"score_{d} - first_value(score_{d}) OVER w AS change_{d}" for d in DOMAINS
    )
    each = "\n        UNION ALL ".join(
        f"""SELECT {
            _cell(
                _literal("domain_score_change"),
                f"g.changed_{d}",
                {**_BY_BREAKDOWN, "domain": _literal(d)},
                total=f"coalesce(g.change_{d}, 0)::double precision",
            )
        } FROM g"""
        for d in DOMAINS
    )
    cells.add(
        _cells(
            f"""WITH {_MONTHS},
        scored AS (
            SELECT case_id, assessed_on AS valid_from, sector, works, status_ilo, status_bps,
                lead(assessed_on) OVER w AS valid_to, row_number() OVER w AS position,
                {scored}
            FROM casework_assessment WHERE status = 'approved'
            WINDOW w AS (PARTITION BY case_id ORDER BY assessed_on, id)
        ),
        g AS (
            SELECT m.month, {_breakdown()}, {changes}
            FROM months m JOIN casework_case c ON c.opened_on <= m.month_end
            JOIN casework_child ch ON ch.id = c.child_id
            JOIN scored a ON a.case_id = c.id AND a.position > 1 AND a.valid_from <= m.month_end
                AND (a.valid_to IS NULL OR a.valid_to > m.month_end)
            GROUP BY {_GROUP_BREAKDOWN}
        )
        {each}"""
        ),
        params,
    )


def count_services(cells: CellSink, params: dict) -> None:
    """services_delivered, children_served (by service type), days_to_first_service."""
    by_type = {**_BY_BREAKDOWN, "service_type": "g.service_type"}
    cells.add(
        _cells(
            f"""WITH {_MONTHS}, {_ASSESSMENTS},
        first_service AS (
            SELECT DISTINCT ON (case_id) case_id, id, delivered_on FROM casework_intervention
            ORDER BY case_id, delivered_on, id
        ),
        g AS (
            SELECT m.month, {_breakdown()}, i.type AS service_type, count(*) AS services,
                count(DISTINCT c.child_id) AS children,
                array_agg(i.delivered_on - c.opened_on) FILTER (WHERE i.id IN
                    (SELECT id FROM first_service)) AS first_days
            FROM months m
            JOIN casework_intervention i
                ON {_in_month("i.delivered_on")}
            JOIN casework_case c ON c.id = i.case_id
            {_JOIN_CHILD_ASSESSMENT}
            GROUP BY {_GROUP_BREAKDOWN}, {2 + _N}
        )
        SELECT {_cell(_literal("services_delivered"), "g.services", by_type)} FROM g
        UNION ALL
        SELECT {_cell(_literal("children_served"), "g.children", by_type)} FROM g
        UNION ALL
        SELECT {
                _cell(
                    _literal("days_to_first_service"),
                    "1",
                    _BY_BREAKDOWN,
                    days="greatest(first.days, 0)",
                )
            }
        FROM g CROSS JOIN LATERAL unnest(g.first_days) AS first (days)"""
        ),
        params,
    )


def count_followups(cells: CellSink, params: dict) -> None:
    """followups: visits due in the month, on time, late or still not done at its end."""
    dimensions = {
        name: f"g.{name}"
        for name in ("province", "regency", "risk_level", "case_type", "timeliness")
    }
    cells.add(
        _cells(
            f"""WITH {_MONTHS},
        g AS (
            SELECT m.month,
                coalesce(nullif(c.province_code, ''), '{UNKNOWN}') AS province,
                coalesce(nullif(c.regency_code, ''), '{UNKNOWN}') AS regency,
                coalesce(nullif(c.risk_level, ''), '{UNKNOWN}') AS risk_level,
                c.case_type,
                CASE WHEN f.completed_on IS NOT NULL AND f.completed_on <= f.due_on
                        THEN 'on_time'
                     WHEN f.completed_on IS NOT NULL AND f.completed_on <= m.month_end
                        THEN 'late'
                     ELSE 'overdue' END AS timeliness,
                count(*) AS followups
            FROM months m
            JOIN casework_followup f ON {_in_month("f.due_on")}
            JOIN casework_case c ON c.id = f.case_id
            GROUP BY 1, 2, 3, 4, 5, 6
        )
        SELECT {_cell(_literal("followups"), "g.followups", dimensions)} FROM g""",
            sector_as_written=False,
        ),
        params,
    )


def count_referrals(cells: CellSink, params: dict) -> None:
    """referrals_sent (outgoing, by the month sent and the receiving agency),
    referrals_received (incoming, by the month they arrived), referrals_accepted / _declined /
    _completed (this NGO's answers to incoming referrals), referrals_overdue (incoming, still
    unanswered after the due date at the month's end)."""
    dimensions = {
        "service_type": "g.service_type",
        "urgency": "g.urgency",
        "to_agency": "g.to_agency",
    }
    cells.add(
        _cells(
            f"""WITH {_MONTHS},
        steps AS (
            SELECT r.service_type, r.urgency, r.to_agency_uuid::text AS to_agency,
                'sent' AS what, (r.sent_at AT TIME ZONE %(tz)s)::date AS on_day
            FROM referrals_referral r WHERE r.direction = 'outgoing'
            UNION ALL
            SELECT r.service_type, r.urgency, '', 'received',
                (r.created_at AT TIME ZONE %(tz)s)::date
            FROM referrals_referral r WHERE r.direction = 'incoming'
            UNION ALL
            SELECT r.service_type, r.urgency, '', e.state, (e.at AT TIME ZONE %(tz)s)::date
            FROM referrals_referral r JOIN referrals_referralevent e ON e.referral_id = r.id
            WHERE r.direction = 'incoming' AND e.state IN ('accepted', 'declined', 'completed')
        ),
        g AS (
            SELECT m.month, s.service_type, s.urgency, s.to_agency, s.what, count(*) AS referrals
            FROM months m JOIN steps s ON {_in_month("s.on_day")}
            GROUP BY 1, 2, 3, 4, 5
            UNION ALL
            SELECT m.month, r.service_type, r.urgency, '', 'overdue', count(*)
            FROM months m JOIN referrals_referral r ON r.direction = 'incoming'
                AND r.response_due_on < m.month_end
                AND (r.created_at AT TIME ZONE %(tz)s)::date <= m.month_end
            WHERE NOT EXISTS (SELECT 1 FROM referrals_referralevent e WHERE e.referral_id = r.id
                AND e.state <> 'sent' AND (e.at AT TIME ZONE %(tz)s)::date <= m.month_end)
            GROUP BY 1, 2, 3
        )
        SELECT {_cell("'referrals_' || g.what", "g.referrals", dimensions)} FROM g""",
            sector_as_written=False,
        ),
        {**params, "tz": _tz()},
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


def _count(cells: CellSink, months: Sequence[dt.date]) -> None:
    if not months:
        return
    with _counting_settings():
        params = {"months": list(months), **sector_codes()}
        for counter in COUNTERS:
            counter(cells, params)


def count_cells(months: Sequence[dt.date]) -> list[tuple]:
    """Every tenant-counted indicator's cells for `months` (first days, in order), in the
    schema the connection is set to: tuples of `CELL_COLUMNS`."""
    cells = CellRows()
    _count(cells, months)
    return cells.rows


def cells_insert(months: Sequence[dt.date], *, table: str, keys: Mapping[str, int]) -> int:
    """Write the cells `count_cells` would return into `table` (quoted, schema-qualified),
    each with the values of `keys` (column: value) in front; returns how many."""
    cells = CellInsert(table, keys)
    _count(cells, months)
    return cells.rows


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
            {"months": list(months)},
        )
