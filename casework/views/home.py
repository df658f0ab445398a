"""The worker's home page, the case list and notifications."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.html import format_html_join
from django.utils.translation import gettext as _

from casework import exports, forms, regions, selectors, services
from casework.access import Capability, can
from casework.models import Notification
from casework.views._base import _render, extension_panels, staff_required
from core import clock


@staff_required
def home(request):
    """The worker's home: overdue follow-ups and verifications, my cases (urgent first),
    notifications; supervisors also see their approval queues' sizes."""
    data = selectors.dashboard(actor=request.user)
    risk_order = {"urgent": 0, "high": 1, "medium": 2, "low": 3, "": 4}
    my_cases = list(data["my_open_cases"][:50])
    my_cases.sort(key=lambda case: (risk_order.get(case.risk_level, 4), -case.pk))
    return _render(
        request,
        "casework/home.html",
        {
            "my_cases": my_cases,
            "overdue_followups": list(data["overdue_followups"][:50]),
            "notifications": list(data["notifications"][:20]),
            "queues": data["queues"],
            "panels": extension_panels("HOME_PAGE_PANELS", request=request),
        },
    )


@staff_required
def case_list(request):
    """Cases with filters and search; htmx swaps only the results."""
    form, filters = _case_filters(request)
    queryset = selectors.case_list(actor=request.user, **filters).order_by("-id")
    page = Paginator(queryset, 25).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "query": _without_page(request.GET)}
    if request.headers.get("HX-Request"):
        return _render(request, "casework/_case_results.html", context)
    return _render(request, "casework/case_list.html", context)


def _case_filters(request) -> tuple[forms.CaseFilterForm, dict]:
    """The case list's filter form and the selector's filters it gives (none when invalid)."""
    form = forms.CaseFilterForm(
        request.GET or None,
        worker_choices=selectors.worker_choices(actor=request.user, assigning=False),
    )
    if not can(request.user, Capability.VIEW_IDENTITY):
        # Names are not searched for a role without identity: only case numbers.
        form.fields["search"].label = _("Case number")
        form.fields["search"].widget.attrs["placeholder"] = "2026-00053"
    filters = {}
    if form.is_valid():
        data = form.cleaned_data
        filters = {
            "status": data.get("status") or None,
            "risk": data.get("risk") or None,
            "worker_id": data.get("worker") or None,
            "province_code": data.get("province") or None,
            "overdue": True if data.get("overdue") else None,
            "search": data.get("search") or None,
        }
    return form, filters


# The page's download is for people: headings and values in the reader's language.
EXPORT_FORMATS = {
    "csv": (
        "text/csv; charset=utf-8",
        lambda rows: exports.as_csv(rows, bom=True, header=exports.headings()),
    ),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        lambda rows: exports.as_xlsx(rows, header=exports.headings()),
    ),
}


@staff_required
def case_export(request, fmt: str):
    """The case list as it is filtered, as a CSV or XLSX file without names, NIK, photos or
    addresses (roles that may export); audited with the row count and filters."""
    if fmt not in EXPORT_FORMATS:
        raise Http404
    _form, filters = _case_filters(request)
    queryset = selectors.case_export(actor=request.user, filters=filters)
    content_type, write = EXPORT_FORMATS[fmt]
    content, count = write(exports.labelled_rows(queryset.iterator(chunk_size=2000)))
    selectors.case_export_record(
        actor=request.user,
        rows=count,
        filters={key: value for key, value in filters.items() if value is not None},
    )
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="cases-{clock.today()}.{fmt}"'
    return response


@staff_required
def notification_read(request, notification_id: int):
    if request.method == "POST":
        services.notification_mark_read(actor=request.user, notification_id=notification_id)
    notification = Notification.objects.filter(pk=notification_id, user=request.user).first()
    if notification and notification.case_id:
        return redirect("case-detail", case_id=notification.case_id)
    return redirect("home")


@staff_required
def regency_options(request):
    """A province's regency <option>s, swapped into the household form by htmx."""
    try:
        choices = regions.regency_choices(request.GET.get("province_code") or None)
    except ValueError:
        choices = []
    return HttpResponse(
        format_html_join("", '<option value="{}">{}</option>', [("", "—"), *choices])
    )


@staff_required
def tasks(request):
    """The worker's week: visits and verifications due in the next seven days, overdue ones,
    and assessments and plans returned to them, across all their cases."""
    return _render(
        request, "casework/tasks.html", {"tasks": selectors.worker_tasks(actor=request.user)}
    )


def _without_page(params) -> str:
    """The query string without `page`, for the pagination links to add their own."""
    query = params.copy()
    query.pop("page", None)
    return query.urlencode()
