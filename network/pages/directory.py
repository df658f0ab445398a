"""The directory as NGO staff see it (search, propose an outside agency) and the NGO's own
referral agreements."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from casework import forms as casework_forms
from casework import regions
from casework import services as casework_services
from casework.views._base import FORM_TOKEN_FIELD, _render, staff_required
from core.errors import ApplicationError
from network import access, selectors, services
from network.pages import data
from network.pages.forms import AgencyProposalForm, DirectorySearchForm
from network.referrals.services import own_agency


def _own_agency_or_none():
    try:
        return own_agency()
    except ApplicationError:
        return None


def region_names(agency) -> str:
    """Where an agency works, in words ("" when anywhere)."""
    names = [
        province.name for code in agency.province_codes if (province := regions.province(code))
    ]
    names += [regency.name for code in agency.regency_codes if (regency := regions.regency(code))]
    return ", ".join(names)


@staff_required
def directory(request):
    """The consortium's agencies, searched by service type, region and name."""
    agency = _own_agency_or_none()
    form = DirectorySearchForm(request.GET or None)
    rows = []
    page = None
    if agency is not None:
        filters = {}
        if form.is_valid():
            filters = {
                "service_type": form.cleaned_data["service_type"] or None,
                "region": form.region(),
                "search": form.cleaned_data["search"] or None,
            }
        queryset = selectors.agency_list(consortium=agency.consortium, **filters)
        page = Paginator(queryset, 25).get_page(request.GET.get("page"))
        rows = [(item, region_names(item)) for item in page]
    query = request.GET.copy()
    query.pop("page", None)
    return _render(
        request,
        "network/directory.html",
        {
            "agency": agency,
            "form": form,
            "rows": rows,
            "page": page,
            "query": query.urlencode(),
            "may_propose": access.may_propose_agency(request.user),
        },
        status=200 if form.is_bound is False or form.is_valid() else 400,
    )


@staff_required
def agency_propose(request):
    """Propose an outside agency; a coordinator approves it before anyone can refer to it."""
    access.require_agency_proposer(request.user)
    agency = _own_agency_or_none()
    if agency is None:
        return _render(request, "network/no_agency.html", status=404)
    if request.method == "POST":
        token = request.POST.get(FORM_TOKEN_FIELD)
        if casework_services.submission_result(actor=request.user, token=token):
            return redirect("network-directory")
        form = AgencyProposalForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data

            def perform() -> str:
                services.agency_propose(
                    consortium=agency.consortium,
                    proposer=agency,
                    proposer_name=request.user.get_username(),
                    data=services.AgencyInput(
                        kind=data["kind"],
                        name=data["name"],
                        service_types=data["service_types"],
                        province_codes=data["province_codes"],
                        contact_name=data["contact_name"],
                        phone=data["phone"],
                        email=data["email"],
                        address=data["address"],
                    ),
                )
                return reverse("network-directory")

            try:
                casework_services.submission_once(actor=request.user, token=token, perform=perform)
            except ApplicationError as error:
                casework_forms.apply_error(form, error)
            else:
                messages.success(
                    request, _("Thank you: the coordinator will review the proposed agency.")
                )
                return redirect("network-directory")
        status = 400
    else:
        form = AgencyProposalForm()
        token = casework_services.form_token_new()
        status = 200
    return _render(
        request,
        "network/agency_propose.html",
        {"form": form, "form_token": token or casework_services.form_token_new()},
        status=status,
    )


@staff_required
def agreements(request):
    """The NGO's own referral agreements: with whom, for what, sharing which fields."""
    agency = _own_agency_or_none()
    rows = data.agreement_rows(agency) if agency is not None else []
    return _render(request, "network/agreements.html", {"agency": agency, "rows": rows})
