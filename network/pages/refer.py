"""The refer form, reached from the case page: a service, the agencies that may receive it
(htmx narrows them as the service changes), exactly the fields each would share, then send."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from casework import forms as casework_forms
from casework import selectors as casework_selectors
from casework import services as casework_services
from casework.views._base import FORM_TOKEN_FIELD, _render, staff_required
from core.errors import ApplicationError, PermissionDeniedError
from network.models import ServiceType
from network.pages import data
from network.pages.forms import ReferForm
from network.referrals import services


@staff_required
def referral_new(request, case_id: int):
    """GET: the form (htmx: only the agencies for the chosen service); POST: send once."""
    case = casework_selectors.case_for_form(actor=request.user, case_id=case_id)
    options_url = reverse("referral-new", kwargs={"case_id": case_id})
    params = request.POST if request.method == "POST" else request.GET
    service_type = params.get("service_type") or ""
    if service_type not in ServiceType.values:
        service_type = ""
    choices = (
        data.refer_choices(actor=request.user, case_id=case_id, service_type=service_type)
        if service_type
        else None
    )
    chosen = params.get("to_agency") or ""
    if request.method == "GET" and request.headers.get("HX-Request"):
        return _render(
            request,
            "network/_refer_options.html",
            {"choices": choices, "chosen": chosen, "case": case, "oob": True},
        )
    status = 200
    if request.method == "POST":
        token = request.POST.get(FORM_TOKEN_FIELD)
        earlier = casework_services.submission_result(actor=request.user, token=token)
        if earlier:
            return redirect(earlier)
        form = ReferForm(request.POST, options_url=options_url)
        if form.is_valid():
            values = form.cleaned_data

            def perform() -> str:
                referral = services.referral_send(
                    actor=request.user,
                    case_id=case_id,
                    to_agency_uuid=values["to_agency"],
                    service_type=values["service_type"],
                    reason=values["reason"],
                    urgency=values["urgency"],
                )
                return reverse("referral-detail", kwargs={"referral_uuid": referral.uuid})

            if values["to_agency"] is None:
                form.add_error("to_agency", _("Choose one of the agencies offered."))
            else:
                try:
                    url, _repeat = casework_services.submission_once(
                        actor=request.user, token=token, perform=perform
                    )
                except PermissionDeniedError as error:
                    if not error.fields:
                        raise
                    casework_forms.apply_error(form, error)
                except ApplicationError as error:
                    casework_forms.apply_error(form, error)
                else:
                    messages.success(request, _("Referral sent."))
                    return redirect(url)
        status = 400
    else:
        form = ReferForm(initial={"service_type": service_type}, options_url=options_url)
        token = casework_services.form_token_new()
    return _render(
        request,
        "network/refer.html",
        {
            "case": case,
            "form": form,
            "choices": choices,
            "chosen": chosen,
            "form_token": token or casework_services.form_token_new(),
        },
        status=status,
    )
