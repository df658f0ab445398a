"""NGO management pages: staff, settings and the audit trail."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from casework import forms, presenters, selectors, services
from casework.views._base import _render, staff_required
from core.audit import AuditAction
from core.errors import ApplicationError


@staff_required
@require_http_methods(["GET", "POST"])
def staff(request):
    """Staff accounts and roles (NGO admins)."""
    rows = selectors.staff_list(actor=request.user)
    status = 200
    if request.method == "POST" and request.POST.get("action") == "update":
        return _staff_update(request, rows)
    form = forms.StaffForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.staff_create(actor=request.user, **form.cleaned_data)
            except ApplicationError as error:
                forms.apply_error(form, error)
            else:
                messages.success(request, _("The account is created."))
                return redirect("staff")
        status = 400
    return _render(
        request,
        "casework/staff.html",
        {"form": form, "rows": rows, "roles": forms.StaffProfile.Role.choices},
        status=status,
    )


def _staff_update(request, rows):
    """One row's role or active switch. Changing one's own role shows a confirmation step
    first (the service asks for `confirm`)."""
    post = request.POST
    change = {
        "user_id": int(post["user_id"]) if post.get("user_id", "").isdigit() else 0,
        "role": post.get("role") or None,
        "is_active": post.get("is_active") == "1" if "is_active" in post else None,
    }
    try:
        services.staff_update(actor=request.user, confirm=post.get("confirm") == "1", **change)
    except ApplicationError as error:
        if error.code == "confirmation_required":
            member = next(user for user, _role in rows if user.pk == change["user_id"])
            role_label = dict(forms.StaffProfile.Role.choices).get(change["role"], "")
            return _render(
                request,
                "casework/staff_confirm.html",
                {"member": member, "change": change, "role_label": role_label, "error": error},
            )
        messages.error(request, error.message)
    else:
        messages.success(request, _("Saved."))
    return redirect("staff")


@staff_required
@require_http_methods(["GET", "POST"])
def ngo_settings(request):
    """Classification standard and follow-up intervals (NGO admins)."""
    row = selectors.ngo_settings_for_editing(actor=request.user)
    form = forms.SettingsForm(request.POST or None, instance=row)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.ngo_settings_update(actor=request.user, **form.cleaned_data)
            except ApplicationError as error:
                forms.apply_error(form, error)
            else:
                messages.success(request, _("Saved."))
                return redirect("ngo-settings")
        status = 400
    return _render(request, "casework/settings.html", {"form": form}, status=status)


@staff_required
def audit(request):
    """The audit browser (NGO admins), filterable."""
    params = request.GET
    events = selectors.audit_events(
        actor=request.user,
        actor_search=params.get("actor") or None,
        action=params.get("action") or None,
        object_type=params.get("object_type") or None,
        case_reference=params.get("case") or None,
    )
    page = Paginator(events, 50).get_page(params.get("page"))
    return _render(
        request,
        "casework/audit.html",
        {
            "page": page,
            "rows": presenters.audit_rows(page.object_list),
            "params": params,
            "actions": AuditAction.choices,
            "object_types": presenters.object_type_choices(),
            "query": _without_page(params),
        },
    )


def _without_page(params) -> str:
    query = params.copy()
    query.pop("page", None)
    return query.urlencode()
