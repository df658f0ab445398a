"""The NGO's own report on its host: the consortium's indicators for this NGO alone (no
suppression: its own figures), its CSV and XLSX exports, and a recount of its figures.

Staff who see every case read it (`access.may_read_own_report`: admins, supervisors, the M&E
officer). Every figure comes from `network.reporting.ngo_report`, which reads this NGO's rows of
the public aggregate table only.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from casework.views._base import _render, staff_required
from core.errors import ApplicationError
from network import access
from network.filterforms import bound_data
from network.pages.forms import OwnReportFilterForm
from network.reporting import ngo_report, selectors
from network.reporting.exports import ngo_table_rows, table_csv, tables_xlsx
from network.reporting.rollup import ngo_rollup_request

EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _report(request) -> tuple[OwnReportFilterForm, ngo_report.Report | None]:
    """The filter form and the report it asks for (None when the form has errors)."""
    access.require_own_report_reader(request.user)
    filters = ngo_report.default_filters()
    form = OwnReportFilterForm(
        bound_data(request.GET, OwnReportFilterForm),
        initial={  # the period shown, so the month fields say what the page counts
            "period_from": selectors.month_code(filters.first),
            "period_to": selectors.month_code(filters.last),
        },
    )
    if form.is_bound:
        chosen = form.filters() if form.is_valid() else None
        if chosen is None:
            return form, None
        filters = chosen
    try:
        return form, ngo_report.ngo_report(ngo=request.tenant, filters=filters)
    except ApplicationError as error:  # a filter the selectors refuse: beside its field
        for name, field_messages in (error.fields or {"period_from": [error.message]}).items():
            for message in field_messages:
                form.add_error(name if name in form.fields else None, message)
        return form, None


@staff_required
def report_page(request):
    """Headline figures, monthly trends, breakdowns, outcomes, services and follow-ups of this
    NGO, with when they were counted and a button to count again."""
    form, report = _report(request)
    return _render(
        request,
        "network/report.html",
        {"form": form, "report": report, "query": request.GET.urlencode()},
        status=200 if report is not None else 400,
    )


@staff_required
def report_export(request, fmt: str):
    """One table of the report (or every table: `table=all`) as CSV or XLSX, with a header
    naming the NGO, the period, the rules and filters, and when it was counted and written."""
    if fmt not in EXPORT_TYPES:
        raise Http404
    form, report = _report(request)
    if report is None:
        return HttpResponse(
            "\n".join(
                f"{name}: {' '.join(str(error) for error in errors)}"
                for name, errors in form.errors.items()
            ),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    if len(request.GET.getlist("table")) > 1:
        return HttpResponse(
            _("Give one table (or table=all)."),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    wanted = request.GET.get("table", "all")
    if wanted != "all" and wanted not in report.tables:
        return HttpResponse(
            _("Unknown table: %(table)s") % {"table": wanted},
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    tables = list(report.tables.values()) if wanted == "all" else [report.tables[wanted]]
    header = ngo_report.export_header(report)
    stamp = timezone.localtime(report.generated_at).strftime("%Y%m%d-%H%M")
    name = f"terpadu-{report.ngo.slug}-{wanted}-{stamp}.{fmt}"
    if fmt == "csv":
        body = "\n".join(
            table_csv(
                table.table,
                header=header,
                labels=table.labels,
                title=table.title,
                rows=ngo_table_rows,
            )
            for table in tables
        )
        response = HttpResponse("\ufeff" + body, content_type=EXPORT_TYPES["csv"])
    else:
        response = HttpResponse(
            tables_xlsx(
                [table.table for table in tables],
                header=header,
                labels=[table.labels for table in tables],
                titles=[table.title for table in tables],
                rows=ngo_table_rows,
            ),
            content_type=EXPORT_TYPES["xlsx"],
        )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@staff_required
@require_POST
def report_recount(request):
    """Count this NGO's figures again now (one rollup task), back to the same filters."""
    ngo_rollup_request(actor=request.user, ngo=request.tenant)
    messages.success(request, _("Recounting: the figures update in a minute or two."))
    query = QueryDict(request.POST.get("query", ""))  # the filters the page had
    target = reverse("ngo-report")
    return redirect(f"{target}?{query.urlencode()}" if query else target)
