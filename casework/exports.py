"""The case export's rows and files (CSV and XLSX), shared by the page and the API: one list of
columns, identity-free for every role (no names, NIK, photos or addresses), each export audited
with its row count and filters by `selectors.case_export_record`."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from openpyxl import Workbook

COLUMNS = [
    "reference",
    "case_type",
    "status",
    "risk_level",
    "child_labour_status",
    "sex",
    "birth_year",
    "province_code",
    "regency_code",
    "opened_on",
    "closed_on",
    "closure_reason",
    "has_overdue",
]


def case_rows(cases: Iterable) -> Iterator[list]:
    """One row of COLUMNS a case (the queryset of `selectors.case_export`)."""
    for case in cases:
        yield [
            case.reference,
            case.case_type,
            case.status,
            case.risk_level,
            case.child_labour_status,
            case.child.sex,
            case.child.birth_year,
            case.province_code,
            case.regency_code,
            case.opened_on,
            case.closed_on or "",
            case.closure_reason,
            case.has_overdue,
        ]


def as_csv(rows: Iterable[list], *, bom: bool = False) -> tuple[bytes, int]:
    """The header and `rows` as UTF-8 CSV, and the row count. `bom`: start with a byte-order
    mark, so spreadsheet programs opening the download read it as UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8"), count


def as_xlsx(rows: Iterable[list]) -> tuple[bytes, int]:
    """The header and `rows` as an XLSX workbook (one sheet, "cases"), and the row count."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("cases")
    sheet.append(COLUMNS)
    count = 0
    for row in rows:
        sheet.append(row)
        count += 1
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue(), count
