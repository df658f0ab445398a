"""Rollups: each NGO's counts replace its rows of the aggregate table, in one transaction.

`ngo_rollup`, in one transaction, deletes the NGO's rows and counts the new ones in the NGO's
schema straight into the aggregate table (through `network.bridge`, the one module that enters
tenant schemas), then writes its linkage hashes: running it twice gives the same rows; a failure
anywhere leaves the previous rows (the failure is recorded on the NGO's `Rollup` row). The
counts are of one snapshot of the NGO's data (REPEATABLE READ), and one rollup of an NGO runs
at a time.

The window is the last `REPORTING_MONTHS` calendar months (default 24) up to the current one.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from core import clock
from network import bridge
from network.reporting.models import AggregateCell, LinkageHash, Rollup
from tenants.models import NGO

logger = logging.getLogger(__name__)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def months_back(last: dt.date, count: int) -> list[dt.date]:
    """`count` first-of-month dates ending with `last`'s month, oldest first."""
    year, month = last.year, last.month
    months = []
    for _ in range(count):
        months.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def rollup_window(today: dt.date | None = None) -> list[dt.date]:
    today = today or timezone.localdate(clock.now())
    return months_back(today, settings.REPORTING_MONTHS)


def ngos_to_roll_up(consortium_id: int | None = None):
    """Ready, active NGOs (a suspended NGO's last figures stay as they were)."""
    queryset = NGO.objects.filter(status=NGO.Status.ACTIVE, is_ready=True).exclude(
        schema_name="public"
    )
    if consortium_id is not None:
        queryset = queryset.filter(consortium_id=consortium_id)
    return queryset.order_by("pk")


def _rows_delete(model: type[models.Model], ngo_id: int) -> None:
    """Delete the NGO's rows of `model` in one statement. QuerySet.delete() would load every
    row first and delete them by id in batches: django-tenants connects a post_delete receiver
    for every model, which rules out Django's fast delete (3 s of 54,000 rows)."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        # The table name is the model's, quoted; the NGO's id is a parameter.
        cursor.execute(f"DELETE FROM {table} WHERE ngo_id = %s", [ngo_id])  # noqa: S608


def _rows_copy(model: type[models.Model], columns: Sequence[str], rows: Iterable[tuple]) -> None:
    """Write `rows` (values of `columns`, in order) into `model`'s table with COPY: at 50,000
    rows an NGO, bulk_create spent seconds building and sending INSERT statements."""
    table = connection.ops.quote_name(model._meta.db_table)
    column_of = {field.name: field.column for field in model._meta.concrete_fields}
    names = ", ".join(connection.ops.quote_name(column_of[name]) for name in columns)
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


# The first key of the advisory lock an NGO's rollup holds (the second is the NGO's id).
_ROLLUP_LOCK = 0x524F4C4C  # "ROLL"


@contextmanager
def _one_at_a_time(ngo_id: int) -> Iterator[None]:
    """Hold the NGO's rollup lock (a session advisory lock, taken before the transaction so
    that a rollup which waited for another counts what that one committed). Two rollups of one
    NGO at once would each delete the previous rows and both write theirs."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [_ROLLUP_LOCK, ngo_id])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_ROLLUP_LOCK, ngo_id])


def ngo_rollup(*, ngo: NGO, months: list[dt.date] | None = None) -> Rollup:
    """Replace the NGO's aggregate rows and linkage hashes with a fresh count."""
    months = months or rollup_window()
    consortium_id = ngo.consortium_id
    if consortium_id is None:  # pragma: no cover - ngos_to_roll_up() excludes the public tenant
        raise ValueError(f"{ngo.schema_name} belongs to no consortium")
    started = time.perf_counter()
    attempted_at = clock.now()
    try:
        outermost = not connection.in_atomic_block
        with _one_at_a_time(ngo.pk), transaction.atomic():
            with connection.cursor() as cursor:
                if outermost:
                    # Every counting statement reads the same snapshot: all indicators count
                    # the same cases, and the sector codes looked up first are those of every
                    # assessment counted.
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                # A rollup lost in a server crash is recounted by the next one, and its Rollup
                # row goes with it: no need to wait for the WAL flush of ~50,000 rows at commit.
                cursor.execute("SET LOCAL synchronous_commit = off")
            _rows_delete(AggregateCell, ngo.pk)
            rows, hashes = bridge.ngo_rollup_counts(ngo=ngo, months=months)
            _rows_delete(LinkageHash, ngo.pk)
            _rows_copy(
                LinkageHash,
                ("consortium", "ngo", "hash", "months"),
                ((consortium_id, ngo.pk, h, m) for h, m in hashes),
            )
            rollup, _created = Rollup.objects.update_or_create(
                ngo=ngo,
                defaults={
                    "status": Rollup.Status.OK,
                    "rolled_up_at": attempted_at,
                    "attempted_at": attempted_at,
                    "first_month": months[0],
                    "last_month": months[-1],
                    "rows": rows,
                    "seconds": time.perf_counter() - started,
                    "error": "",
                },
            )
        return rollup
    except Exception as error:
        logger.exception("rollup of %s failed", ngo.schema_name)
        Rollup.objects.update_or_create(
            ngo=ngo,
            defaults={
                "status": Rollup.Status.FAILED,
                "attempted_at": attempted_at,
                "seconds": time.perf_counter() - started,
                "error": f"{type(error).__name__}: {error}"[:300],
            },
        )
        raise


def rollups_request(*, actor, consortium) -> int:
    """A coordinator asks for fresh figures now: one rollup task per ready, active NGO of the
    consortium, queued when the transaction commits. Returns how many NGOs will be counted."""
    from network.access import require_coordinator
    from network.tasks import reporting_rollup_ngo

    require_coordinator(actor, consortium)
    ngo_ids = list(ngos_to_roll_up(consortium.pk).values_list("pk", flat=True))

    def enqueue() -> None:
        for ngo_id in ngo_ids:
            reporting_rollup_ngo.delay(ngo_id)

    transaction.on_commit(enqueue)
    logger.info("rollup of %d NGOs of %s requested by %s", len(ngo_ids), consortium.slug, actor)
    return len(ngo_ids)


def ngo_rollup_request(*, actor, ngo: NGO) -> None:
    """A reader of the NGO's own report asks for its figures to be recounted now: one rollup
    task for this NGO, queued when the transaction commits. It is sent from the NGO's schema
    (tenant-schemas-celery runs it there); the bridge counts in that schema and the rows go to
    the public aggregate table as in the nightly run."""
    from network.access import require_own_report_reader
    from network.tasks import reporting_rollup_ngo

    require_own_report_reader(actor)
    ngo_id = ngo.pk
    transaction.on_commit(lambda: reporting_rollup_ngo.delay(ngo_id))
    logger.info("rollup of %s requested by %s", ngo.schema_name, actor)
