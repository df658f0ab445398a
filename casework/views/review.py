"""Supervisors' approval queues and their decisions."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from casework import forms, selectors, services
from casework.views._base import _render, safe_next, staff_required
from core.errors import ApplicationError, PermissionDeniedError


@staff_required
def approvals(request):
    """Supervisor queues: assessments, plans and closures awaiting approval."""
    return _render(
        request,
        "casework/approvals.html",
        {"queues": selectors.approval_queues(actor=request.user)},
    )


@staff_required
@require_POST
def review(request, case_id: int, what: str, object_id: int | None = None):
    """Approve or return an assessment, a plan or a closure request."""
    form = forms.ReviewForm(request.POST)
    form.is_valid()
    comment = form.cleaned_data.get("comment", "")
    approve = request.POST.get("decision") == "approve"
    calls = {
        "assessment": lambda: services.assessment_review(
            actor=request.user,
            case_id=case_id,
            assessment_id=object_id,  # type: ignore[arg-type]  # its URL always has the id
            approve=approve,
            comment=comment,
        ),
        "plan": lambda: services.plan_review(
            actor=request.user, case_id=case_id, approve=approve, comment=comment
        ),
        "closure": lambda: services.case_closure_review(
            actor=request.user, case_id=case_id, approve=approve, comment=comment
        ),
    }
    if what not in calls:
        raise Http404
    try:
        calls[what]()
    except PermissionDeniedError:
        raise  # the role may not review: the 403 page, nothing changed
    except ApplicationError as error:
        # The decision's answer comes back on the page it was sent from: a comment that is
        # missing is named with its field's label (the box the supervisor has to fill in).
        if error.fields.get("comment"):
            label = forms.ReviewForm.base_fields["comment"].label
            messages.error(request, f"{label}: {error.fields['comment'][0]}")
        else:
            messages.error(request, error.message)
    else:
        messages.success(request, _("Approved.") if approve else _("Returned."))
    return redirect(safe_next(request, reverse("case-detail", args=[case_id])))
