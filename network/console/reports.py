"""The consortium's reports: the dashboard, its exports, the funder report and the refresh.

Coordinators and funders read them (`access.consortium_for_reader`); only coordinators see
each NGO's rollup state and may ask for fresh figures. Every figure comes from
`network.reporting.dashboard`, which reads the aggregate table only: no tenant schema.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from network import access
from network.capacity.selectors import capacity_status
from network.console import forms
from network.console.views import _guarded, _render
from network.filterforms import bound_data
from network.reporting import dashboard as reporting
from network.reporting import selectors
from network.reporting.exports import table_csv, tables_xlsx
from network.reporting.rollup import rollups_request

EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _dashboard(request, consortium):
    filters = reporting.default_filters()
    form = forms.ReportFilterForm(
        bound_data(request.GET, forms.ReportFilterForm),
        consortium=consortium,
        initial={"year": filters.year},
    )
    if form.is_bound:
        chosen = form.filters() if form.is_valid() else None
        if chosen is None:
            return form, None
        filters = chosen
    return form, reporting.dashboard(consortium=consortium, filters=filters)


def export_header(board: reporting.Dashboard) -> list[tuple[str, str]]:
    """What every export and the funder report state about their figures."""
    filters = board.filters
    chosen = ", ".join(f"{name}={value}" for name, value in filters.dimensions().items())
    return [
        (_("Consortium"), board.consortium.name),
        (
            _("Period"),
            f"{filters.year} ({selectors.month_code(filters.first)} – "
            f"{selectors.month_code(filters.last)})",
        ),
        (
            _("Small-cell threshold"),
            _(
                'counts from 1 to %(below)d are shown as "< %(threshold)d"; "—" is a count '
                "hidden so that a small one cannot be worked out (it may be large)"
            )
            % {"below": board.threshold - 1, "threshold": board.threshold},
        ),
        (_("Child-labour rules"), filters.standard.upper()),
        (_("Filters"), chosen or _("none")),
        (
            _("Rounding"),
            _("to multiples of %(base)d") % {"base": board.consortium.rounding_base}
            if board.consortium.rounding_base
            else _("none"),
        ),
        (
            _("Figures as of"),
            date_format(timezone.localtime(board.figures_as_of), "DATETIME_FORMAT")
            if board.figures_as_of
            else _("not counted yet"),
        ),
        (_("Generated"), date_format(timezone.localtime(board.generated_at), "DATETIME_FORMAT")),
    ]


@login_required
@_guarded
def dashboard_page(request, consortium_id: int):
    """Headline figures, monthly trends, regions, NGOs, referral flow, follow-ups: suppressed."""
    consortium = access.consortium_for_reader(request.user, consortium_id)
    form, board = _dashboard(request, consortium)
    is_coordinator = access.coordinated_consortia(request.user).filter(pk=consortium.pk).exists()
    context = {
        "form": form,
        "board": board,
        "query": request.GET.urlencode(),
        "rollups": selectors.rollups(consortium.pk) if is_coordinator else None,
        # The centre's own work with the NGOs (no child in it: nothing to suppress).
        "capacity": capacity_status(consortium),
    }
    status = 200 if board is not None else 400
    return _render(request, "reports.html", consortium, context, status=status, section="reports")


@login_required
@_guarded
def export(request, consortium_id: int, fmt: str):
    """One table of the dashboard (or every table: `table=all`) as CSV or XLSX, suppressed,
    with a header naming the period, threshold, standard and generation time."""
    if fmt not in EXPORT_TYPES:
        raise Http404
    consortium = access.consortium_for_reader(request.user, consortium_id)
    form, board = _dashboard(request, consortium)
    if board is None:
        return HttpResponse(
            "\n".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items()),
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
    if wanted != "all" and wanted not in board.tables:
        return HttpResponse(
            _("Unknown table: %(table)s") % {"table": wanted},
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    tables = list(board.tables.values()) if wanted == "all" else [board.tables[wanted]]
    header = export_header(board)
    stamp = timezone.localtime(board.generated_at).strftime("%Y%m%d-%H%M")
    name = f"terpadu-{consortium.slug}-{wanted}-{stamp}.{fmt}"
    if fmt == "csv":
        if len(tables) > 1:
            body = "\n".join(
                table_csv(t.table, header=header, labels=t.labels, title=t.title) for t in tables
            )
        else:
            body = table_csv(
                tables[0].table, header=header, labels=tables[0].labels, title=tables[0].title
            )
        response = HttpResponse("\ufeff" + body, content_type=EXPORT_TYPES["csv"])
    else:
        response = HttpResponse(
            tables_xlsx(
                [t.table for t in tables],
                header=header,
                labels=[t.labels for t in tables],
                titles=[t.title for t in tables],
            ),
            content_type=EXPORT_TYPES["xlsx"],
        )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@_guarded
def funder_report(request, consortium_id: int):
    """The dashboard as a printable report (the browser prints it, or saves it as PDF)."""
    consortium = access.consortium_for_reader(request.user, consortium_id)
    form, board = _dashboard(request, consortium)
    context = {
        "form": form,
        "board": board,
        "header": export_header(board) if board else [],
        "capacity": capacity_status(consortium),
    }
    return _render(
        request,
        "report_print.html",
        consortium,
        context,
        status=200 if board is not None else 400,
        section="reports",
    )


@require_POST
@login_required
@_guarded
def refresh(request, consortium_id: int):
    """A coordinator asks for every NGO's figures to be recounted now."""
    consortium = access.consortium_for_coordinator(request.user, consortium_id)
    queued = rollups_request(actor=request.user, consortium=consortium)
    messages.success(
        request,
        _("Recounting %(count)d NGOs: the figures update in a minute or two.") % {"count": queued},
    )
    query = QueryDict(request.POST.get("query", ""))  # the filters the page had
    target = reverse("console:reports", kwargs={"consortium_id": consortium.pk})
    return redirect(f"{target}?{query.urlencode()}" if query else target)
