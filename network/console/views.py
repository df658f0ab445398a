"""Pages of the coordinator console. Access is decided by `network.access` only: a coordinator
sees their consortia, the operator every consortium, a funder the reports page; anything else
answers 404 alike for missing and forbidden. No view enters a tenant schema: the member NGOs'
counts come from their summary rows (`network.NGOSummary`)."""

from __future__ import annotations

import time
import uuid
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from casework import regions
from casework.forms import apply_error
from core.errors import ApplicationError, NotFoundError, PermissionDeniedError
from network import access, selectors, services
from network.console import forms
from network.models import Agency, ReferralAgreement, ServiceType, SharedField
from tenants.models import NGO
from tenants.services import host_for

TEMPLATES = "network/console/"


def _forbidden(request, message: str = "") -> HttpResponse:
    return render(request, TEMPLATES + "forbidden.html", {"message": message}, status=403)


def _guarded(view):
    """Service refusals become pages: not found is a 404, a refusal a 403 page."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFoundError:
            raise Http404 from None
        except PermissionDeniedError as error:
            return _forbidden(request, error.message)

    return wrapper


def coordinator_page(view):
    """Logged in, and coordinating the consortium in the URL (or the operator)."""

    @login_required
    @_guarded
    @wraps(view)
    def wrapper(request, consortium_id: int, *args, **kwargs):
        consortium = access.consortium_for_coordinator(request.user, consortium_id)
        return view(request, consortium, *args, **kwargs)

    return wrapper


def _render(request, template: str, consortium, context=None, *, status: int = 200, section=""):
    values = {
        "consortium": consortium,
        "is_coordinator": access.coordinated_consortia(request.user)
        .filter(pk=consortium.pk)
        .exists(),
        "section": section,
        **(context or {}),
    }
    return render(request, TEMPLATES + template, values, status=status)


def _labels(values, choices) -> list[str]:
    names = dict(choices)
    return [str(names.get(value, value)) for value in values]


def _region_names(agency: Agency) -> list[str]:
    names = []
    for code in agency.province_codes:
        province = regions.province(code)
        names.append(province.name if province else code)
    for code in agency.regency_codes:
        regency = regions.regency(code)
        names.append(regency.name if regency else code)
    return names


def _agency_row(agency: Agency) -> dict:
    return {
        "agency": agency,
        "services": _labels(agency.service_types, ServiceType.choices),
        "regions": _region_names(agency),
    }


# --- Entry --------------------------------------------------------------------------------------


@login_required
def console_index(request):
    """Where a public-host account lands: its one consortium, or a list to pick from (the
    operator sees every consortium). An account with no role here gets a 403 page."""
    user = request.user
    coordinated = list(access.coordinated_consortia(user).order_by("name"))
    funded = list(
        access.funded_consortia(user).exclude(pk__in=[c.pk for c in coordinated]).order_by("name")
    )
    if not coordinated and not funded:
        return _forbidden(request, _("Your account has no role in any consortium."))
    if len(coordinated) + len(funded) == 1 and not user.is_superuser:
        if coordinated:
            return redirect("console:home", consortium_id=coordinated[0].pk)
        return redirect("console:reports", consortium_id=funded[0].pk)
    return render(
        request,
        TEMPLATES + "index.html",
        {"coordinated": coordinated, "funded": funded, "is_operator": user.is_superuser},
    )


@coordinator_page
def home(request, consortium):
    """The consortium at a glance: members, directory, agreements, referrals (overdue first)."""
    counts = selectors.console_counts(consortium=consortium)
    return _render(request, "home.html", consortium, {"counts": counts}, section="home")


# --- Member NGOs --------------------------------------------------------------------------------


@coordinator_page
def members(request, consortium, *, error: str = "", status: int = 200):
    """Member NGOs: status, ready, staff and case counts from their summary rows."""
    ngos = selectors.console_members(consortium=consortium)
    rows = [
        {"ngo": ngo, "host": host_for(ngo.slug), "summary": getattr(ngo, "summary", None)}
        for ngo in ngos
    ]
    return _render(
        request,
        "members.html",
        consortium,
        {"rows": rows, "error": error, "Status": NGO.Status},
        status=status,
        section="members",
    )


# The onboarding answer holds the first admin's password, shown once. The form carries a
# one-time token: the first POST claims it in the cache and leaves its answer there for the
# result page, which shows it once and forgets it. A repeat of the same form (a double tap,
# whose first answer the browser drops) waits for the first and is sent to the same result
# page instead of failing with "slug already taken" and losing the password.
ONBOARD_RESULT_SECONDS = 600
_PENDING = "pending"


def _onboard_key(request, token: str) -> str:
    return f"console-onboard:{request.user.pk}:{token}"


def _onboard_token(request) -> str | None:
    token = request.POST.get("form_token", "")
    try:
        return str(uuid.UUID(token))
    except ValueError:
        return None


def _await_first(key: str) -> bool:
    """True once the first submission of this form left its answer; False if it failed."""
    for _attempt in range(150):
        value = cache.get(key)
        if value is None:
            return False
        if value != _PENDING:
            return True
        time.sleep(0.1)
    return False


@never_cache
@coordinator_page
@require_http_methods(["GET", "POST"])
def onboard(request, consortium):
    """Onboard a partner NGO; the first admin's password is shown once, on the result page
    (kept only until then, never stored for display, no page cached)."""
    form = forms.OnboardForm(request.POST or None, base_domain=settings.BASE_DOMAIN)
    status = 200
    token = _onboard_token(request) if request.method == "POST" else None
    if token and not cache.add(_onboard_key(request, token), _PENDING, ONBOARD_RESULT_SECONDS):
        if _await_first(_onboard_key(request, token)):
            return redirect("console:onboarded", consortium.pk, token)
        cache.add(_onboard_key(request, token), _PENDING, ONBOARD_RESULT_SECONDS)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = services.ngo_onboard(
                    actor=request.user,
                    consortium=consortium,
                    slug=data["slug"],
                    name=data["name"],
                    admin_email=data["admin_email"],
                    admin_password=data["admin_password"] or None,
                    contact_name=data["contact_name"],
                    contact_phone=data["contact_phone"],
                    region=data["region"],
                )
            except ApplicationError as error:
                apply_error(form, error)
            else:
                answer = {
                    "ngo_id": result.ngo.pk,
                    "admin_username": result.admin_username,
                    "admin_password": result.admin_password if not data["admin_password"] else "",
                    "login_url": _ngo_login_url(request, result.domain),
                }
                if token is None:  # an old page without a token: answer at once
                    return _onboarded(request, consortium, answer)
                cache.set(_onboard_key(request, token), answer, ONBOARD_RESULT_SECONDS)
                return redirect("console:onboarded", consortium.pk, token)
        status = 400
    if token:
        cache.delete(_onboard_key(request, token))  # nothing saved: the form may be sent again
    return _render(
        request,
        "onboard.html",
        consortium,
        {"form": form, "form_token": str(uuid.uuid4())},
        status=status,
    )


def _onboarded(request, consortium, answer: dict):
    ngo = NGO.objects.get(pk=answer["ngo_id"])
    return _render(
        request,
        "onboarded.html",
        consortium,
        {
            "ngo": ngo,
            "admin_username": answer["admin_username"],
            "admin_password": answer["admin_password"],
            "generated": bool(answer["admin_password"]),
            "login_url": answer["login_url"],
        },
        section="members",
    )


@never_cache
@coordinator_page
@require_http_methods(["GET"])
def onboarded(request, consortium, token):
    """The onboarding's answer, once: shown, then forgotten."""
    key = _onboard_key(request, str(token))
    answer = cache.get(key)
    if not isinstance(answer, dict):
        messages.info(request, _("The onboarding's answer was shown once and is no longer kept."))
        return redirect("console:members", consortium.pk)
    cache.delete(key)
    return _onboarded(request, consortium, answer)


def _ngo_login_url(request, domain: str) -> str:
    port = request.get_port()
    scheme = "https" if request.is_secure() else "http"
    default = port in ("80", "443")
    return f"{scheme}://{domain}{'' if default else ':' + port}/accounts/login/"


@coordinator_page
@require_POST
def ngo_status(request, consortium, slug: str):
    """Suspend or reactivate a member NGO."""
    try:
        ngo = services.ngo_status_change(
            actor=request.user,
            consortium=consortium,
            slug=slug,
            status=request.POST.get("status", ""),
        )
    except (NotFoundError, PermissionDeniedError):
        raise
    except ApplicationError as error:
        return members(request, consortium.pk, error=error.message, status=400)
    if ngo.status == NGO.Status.ACTIVE:
        messages.success(request, _("%(name)s is active again.") % {"name": ngo.name})
    else:
        messages.success(request, _("%(name)s is suspended.") % {"name": ngo.name})
    return redirect("console:members", consortium_id=consortium.pk)


# --- Directory ----------------------------------------------------------------------------------


@coordinator_page
def directory(request, consortium):
    """The agency directory, searchable by service type, region and name, with the proposals
    that wait for review."""
    search = forms.DirectorySearchForm(request.GET or None)
    filters = search.cleaned_data if search.is_valid() else {}
    agencies = selectors.agency_list(
        consortium=consortium,
        service_type=filters.get("service_type") or None,
        region=filters.get("region") or None,
        search=filters.get("search") or None,
        include_inactive=True,
    )
    proposals = selectors.agency_proposals(consortium=consortium)
    return _render(
        request,
        "directory.html",
        consortium,
        {
            "search": search,
            "rows": [_agency_row(agency) for agency in agencies],
            "proposals": [_agency_row(agency) for agency in proposals],
            "filtered": bool(request.GET),
        },
        status=200 if search.is_bound is False or search.is_valid() else 400,
        section="directory",
    )


def _agency_input(data: dict, agency: Agency | None = None) -> services.AgencyInput:
    return services.AgencyInput(
        kind=data.get("kind") or (agency.kind if agency else ""),
        name=data.get("name") or (agency.name if agency else ""),
        service_types=data["service_types"],
        province_codes=data["province_codes"],
        regency_codes=data["regency_codes"],
        contact_name=data["contact_name"],
        phone=data["phone"],
        email=data["email"],
        address=data["address"],
    )


@coordinator_page
@require_http_methods(["GET", "POST"])
def agency_new(request, consortium):
    """A coordinator adds an outside agency (approved at once)."""
    form = forms.AgencyForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                agency = services.agency_create(
                    actor=request.user,
                    consortium=consortium,
                    data=_agency_input(form.cleaned_data),
                )
            except ApplicationError as error:
                apply_error(form, error)
            else:
                messages.success(request, _("%(name)s is in the directory.") % {"name": agency})
                return redirect("console:directory", consortium_id=consortium.pk)
        status = 400
    return _render(
        request, "agency_form.html", consortium, {"form": form}, status=status, section="directory"
    )


def _agency_initial(agency: Agency) -> dict:
    return {
        "kind": agency.kind,
        "name": agency.name,
        "service_types": agency.service_types,
        "province_codes": agency.province_codes,
        "regency_codes": agency.regency_codes,
        "contact_name": agency.contact_name,
        "phone": agency.phone,
        "email": agency.email,
        "address": agency.address,
        "is_active": agency.is_active,
    }


@coordinator_page
@require_http_methods(["GET", "POST"])
def agency_detail(request, consortium, agency_uuid):
    """Correct an agency, (de)activate it; a proposal also shows the review form."""
    agency = access.agency_for_coordinator(request.user, consortium, agency_uuid)
    form = forms.AgencyForm(
        request.POST or None,
        initial=_agency_initial(agency),
        partner=agency.is_partner,
        with_active=True,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.agency_update(
                    actor=request.user,
                    agency_uuid=agency.uuid,
                    data=_agency_input(form.cleaned_data, agency),
                    is_active=form.cleaned_data["is_active"],
                )
            except ApplicationError as error:
                apply_error(form, error)
            else:
                messages.success(request, _("Saved."))
                return redirect("console:directory", consortium_id=consortium.pk)
        status = 400
    return _agency_page(request, consortium, agency, form=form, status=status)


def _agency_page(request, consortium, agency, *, form=None, review=None, status=200):
    if form is None:
        form = forms.AgencyForm(
            initial=_agency_initial(agency), partner=agency.is_partner, with_active=True
        )
    if review is None and agency.status == Agency.Status.PROPOSED:
        review = forms.ReviewForm()
    return _render(
        request,
        "agency_form.html",
        consortium,
        {"form": form, "review": review, "agency": agency, "row": _agency_row(agency)},
        status=status,
        section="directory",
    )


@coordinator_page
@require_POST
def agency_review(request, consortium, agency_uuid):
    """Approve or reject a proposed agency."""
    agency = access.agency_for_coordinator(request.user, consortium, agency_uuid)
    review = forms.ReviewForm(request.POST)
    if review.is_valid():
        approve = review.cleaned_data["decision"] == "approve"
        try:
            services.agency_review(
                actor=request.user,
                agency_uuid=agency.uuid,
                approve=approve,
                comment=review.cleaned_data["comment"],
            )
        except ApplicationError as error:
            apply_error(review, error)
        else:
            if approve:
                messages.success(request, _("%(name)s is approved.") % {"name": agency.name})
            else:
                messages.success(request, _("%(name)s is rejected.") % {"name": agency.name})
            return redirect("console:directory", consortium_id=consortium.pk)
    return _agency_page(request, consortium, agency, review=review, status=400)


# --- Agreements ---------------------------------------------------------------------------------


def _agreement_row(agreement: ReferralAgreement) -> dict:
    return {
        "agreement": agreement,
        "services": _labels(agreement.service_types, ServiceType.choices),
        "fields": _labels(agreement.shared_fields, SharedField.choices),
    }


@coordinator_page
def agreements(request, consortium):
    """The consortium's referral agreements, newest first, filterable by status."""
    status = request.GET.get("status") or None
    if status not in (None, *ReferralAgreement.Status.values):
        status = None
    rows = [
        _agreement_row(agreement)
        for agreement in selectors.agreement_list(consortium=consortium, status=status)
    ]
    return _render(
        request,
        "agreements.html",
        consortium,
        {"rows": rows, "status": status, "statuses": ReferralAgreement.Status.choices},
        section="agreements",
    )


@coordinator_page
@require_http_methods(["GET", "POST"])
def agreement_new(request, consortium):
    """A draft agreement between two agencies, with the signed MoU when there is one."""
    agencies = selectors.agency_list(consortium=consortium).order_by("name")
    form = forms.AgreementForm(request.POST or None, request.FILES or None, agencies=agencies)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                agreement = services.agreement_create(
                    actor=request.user,
                    consortium=consortium,
                    first_agency_uuid=data["first_agency"],
                    second_agency_uuid=data["second_agency"],
                    direction=data["direction"],
                    service_types=data["service_types"],
                    shared_fields=data["shared_fields"],
                    response_days=data["response_days"],
                    valid_from=data["valid_from"],
                    valid_to=data["valid_to"],
                    mou=data["mou"] or None,
                )
            except ApplicationError as error:
                apply_error(form, error)
            else:
                messages.success(request, _("The agreement is saved as a draft."))
                return redirect(
                    "console:agreement", consortium_id=consortium.pk, agreement_uuid=agreement.uuid
                )
        status = 400
    return _render(
        request,
        "agreement_form.html",
        consortium,
        {"form": form},
        status=status,
        section="agreements",
    )


def _agreement_page(request, consortium, agreement, *, activate=None, revoke=None, status=200):
    return _render(
        request,
        "agreement_detail.html",
        consortium,
        {
            **_agreement_row(agreement),
            "activate": activate or forms.ActivateForm(),
            "revoke": revoke or forms.RevokeForm(),
            "can_activate": agreement.status == ReferralAgreement.Status.DRAFT,
            "can_revoke": agreement.status
            in (ReferralAgreement.Status.DRAFT, ReferralAgreement.Status.ACTIVE),
        },
        status=status,
        section="agreements",
    )


@coordinator_page
def agreement_detail(request, consortium, agreement_uuid):
    """One agreement: its terms, the MoU, and the activate and revoke forms."""
    agreement = access.agreement_for_coordinator(request.user, consortium, agreement_uuid)
    return _agreement_page(request, consortium, agreement)


@coordinator_page
@require_POST
def agreement_activate(request, consortium, agreement_uuid):
    """Put a draft in force (uploading the signed MoU here if it is not there yet)."""
    agreement = access.agreement_for_coordinator(request.user, consortium, agreement_uuid)
    form = forms.ActivateForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.agreement_activate(
                actor=request.user, agreement_uuid=agreement.uuid, mou=form.cleaned_data["mou"]
            )
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("The agreement is active."))
            return redirect(
                "console:agreement", consortium_id=consortium.pk, agreement_uuid=agreement.uuid
            )
    agreement.refresh_from_db()
    return _agreement_page(request, consortium, agreement, activate=form, status=400)


@coordinator_page
@require_POST
def agreement_revoke(request, consortium, agreement_uuid):
    """End an agreement early, saying why."""
    agreement = access.agreement_for_coordinator(request.user, consortium, agreement_uuid)
    form = forms.RevokeForm(request.POST)
    if form.is_valid():
        try:
            services.agreement_revoke(
                actor=request.user,
                agreement_uuid=agreement.uuid,
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("The agreement is revoked."))
            return redirect(
                "console:agreement", consortium_id=consortium.pk, agreement_uuid=agreement.uuid
            )
    agreement.refresh_from_db()
    return _agreement_page(request, consortium, agreement, revoke=form, status=400)


@coordinator_page
def agreement_mou(request, consortium, agreement_uuid):
    """The signed MoU (PDF) of an agreement, for its consortium's coordinators only."""
    agreement = access.agreement_for_coordinator(request.user, consortium, agreement_uuid)
    if not agreement.mou:
        raise Http404
    return FileResponse(
        agreement.mou.open("rb"),
        content_type="application/pdf",
        filename=f"mou-{agreement.uuid}.pdf",
    )


# --- Referrals ----------------------------------------------------------------------------------


@coordinator_page
def referrals(request, consortium):
    """Referral metadata between the consortium's NGOs (never a child's data), overdue marked;
    `?overdue=1` lists only those still unanswered after their due date."""
    overdue = request.GET.get("overdue") == "1"
    envelopes = selectors.envelopes_for_coordinator(consortium=consortium, overdue=overdue)
    page = Paginator(envelopes, 50).get_page(request.GET.get("page"))
    return _render(
        request,
        "referrals.html",
        consortium,
        {"page": page, "overdue": overdue},
        section="referrals",
    )
