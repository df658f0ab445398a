"""The NGO's referral inbox (received) and sent list, with a state filter and overdue marks."""

from __future__ import annotations

from django.core.paginator import Paginator

from casework.selectors import with_identity
from casework.views._base import _render, staff_required
from network.pages._common import mark_overdue
from network.pages.forms import ListFilterForm
from network.referrals import selectors


def _list(request, *, tab: str):
    form = ListFilterForm(request.GET or None)
    state, overdue = "", False
    if form.is_valid():
        state, overdue = form.cleaned_data["state"], form.cleaned_data["overdue"]
    if tab == "inbox":
        queryset = selectors.referrals_incoming(actor=request.user, overdue=overdue)
    else:
        queryset = with_identity(
            request.user,
            selectors.referrals_outgoing(actor=request.user, overdue=overdue),
            "case__",
        )
    if state:
        queryset = queryset.filter(state=state)
    page = Paginator(queryset, 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return _render(
        request,
        "network/referral_list.html",
        {
            "tab": tab,
            "form": form,
            "page": page,
            "referrals": mark_overdue(page),
            "query": query.urlencode(),
            "filtered": bool(state or overdue),
        },
        status=200 if not form.is_bound or form.is_valid() else 400,
    )


@staff_required
def inbox(request):
    """Referrals other agencies sent to this NGO."""
    return _list(request, tab="inbox")


@staff_required
def sent(request):
    """Referrals sent from the cases the actor may see."""
    return _list(request, tab="sent")
