"""The case export's rows and files (CSV and XLSX), shared by the page and the API: one list of
columns, identity-free for every role (no names, NIK, photos or addresses), each export audited
with its row count and filters by `selectors.case_export_record`."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
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


# Column headings of the page's download, in the reader's language (the API keeps the codes).
HEADINGS = {
    "reference": gettext_lazy("Case number"),
    "case_type": gettext_lazy("Case type"),
    "status": gettext_lazy("Status"),
    "risk_level": gettext_lazy("Risk level"),
    "child_labour_status": gettext_lazy("Child labour status"),
    "sex": gettext_lazy("Sex"),
    "birth_year": gettext_lazy("Birth year"),
    "province_code": gettext_lazy("Province"),
    "regency_code": gettext_lazy("Regency / city"),
    "opened_on": gettext_lazy("Opened"),
    "closed_on": gettext_lazy("Closed"),
    "closure_reason": gettext_lazy("Closure outcome"),
    "has_overdue": gettext_lazy("Overdue visit"),
}


def headings() -> list[str]:
    return [str(HEADINGS[name]) for name in COLUMNS]


def labelled_rows(cases: Iterable) -> Iterator[list]:
    """The rows of `case_rows` as people read them: each code's label in the active language,
    regions by name, yes/no."""
    from casework import regions

    for case in cases:
        province = regions.province(case.province_code) if case.province_code else None
        regency = regions.regency(case.regency_code) if case.regency_code else None
        yield [
            case.reference,
            case.get_case_type_display(),
            case.get_status_display(),
            case.get_risk_level_display() if case.risk_level else "",
            _status_label(case.child_labour_status),
            case.child.get_sex_display(),
            case.child.birth_year,
            province.name if province else case.province_code,
            regency.name if regency else case.regency_code,
            case.opened_on,
            case.closed_on or "",
            case.get_closure_reason_display() if case.closure_reason else "",
            _("Yes") if case.has_overdue else _("No"),
        ]


def _status_label(code: str) -> str:
    labels = {
        "none": _("Not child labour"),
        "child_labour": _("Child labour"),
        "hazardous": _("Hazardous work"),
        "worst_form": _("Worst forms of child labour"),
    }
    return labels.get(code, code or "")


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


def as_csv(
    rows: Iterable[list], *, bom: bool = False, header: list[str] | None = None
) -> tuple[bytes, int]:
    """The header (COLUMNS, or `header`) and `rows` as UTF-8 CSV, and the row count. `bom`:
    start with a byte-order mark, so spreadsheet programs opening the download read UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header or COLUMNS)
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8"), count


def as_xlsx(rows: Iterable[list], *, header: list[str] | None = None) -> tuple[bytes, int]:
    """The header (COLUMNS, or `header`) and `rows` as an XLSX workbook (one sheet, "cases"),
    and the row count."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("cases")
    sheet.append(header or COLUMNS)
    count = 0
    for row in rows:
        sheet.append(row)
        count += 1
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue(), count
