"""The NGO's web pages: parse the form, call a service or selector, render. No rules here."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from casework import forms, regions, selectors, services
from casework.access import Capability, can, role_of
from casework.models import Assessment, AuditEvent, Case, CasePlan, Notification
from ngo_platform.errors import ApplicationError, NotFoundError, PermissionDeniedError

WIZARD_SESSION_KEY = "registration_wizard"
WIZARD_STEPS = ["child", "household", "consent", "review"]


def staff_required(view):
    """Logged in with a role in this NGO; service errors become 404/403 pages."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if role_of(request.user) is None:
            return HttpResponseForbidden(
                render_to_string("casework/forbidden.html", request=request)
            )
        try:
            return view(request, *args, **kwargs)
        except NotFoundError:
            raise Http404 from None
        except PermissionDeniedError:
            return HttpResponseForbidden(
                render_to_string("casework/forbidden.html", request=request)
            )

    return wrapper


def _caps(user) -> dict[str, bool]:
    return {capability.value: can(user, capability) for capability in Capability}


def _render(request, template: str, context: dict | None = None, status: int = 200):
    context = {"caps": _caps(request.user), **(context or {})}
    return render(request, template, context, status=status)


# --- Home and lists ----------------------------------------------------------------------------


@staff_required
def home(request):
    """The worker's home: overdue follow-ups and verifications, my cases (urgent first),
    notifications; supervisors also see their approval queues' sizes."""
    data = selectors.dashboard(actor=request.user)
    risk_order = {"urgent": 0, "high": 1, "medium": 2, "low": 3, "": 4}
    my_cases = list(
        data["cases"].exclude(status=Case.Status.CLOSED).filter(assigned_worker=request.user)[:50]
    )
    my_cases.sort(key=lambda case: (risk_order.get(case.risk_level, 4), -case.pk))
    queues = (
        selectors.approval_queues(actor=request.user)
        if can(request.user, Capability.APPROVE)
        else None
    )
    return _render(
        request,
        "casework/home.html",
        {
            "my_cases": my_cases,
            "overdue_followups": list(data["overdue_followups"][:50]),
            "notifications": list(data["notifications"][:20]),
            "queues": queues,
        },
    )


@staff_required
def case_list(request):
    """Cases with filters and search; htmx swaps only the results."""
    form = forms.CaseFilterForm(request.GET or None)
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
    queryset = selectors.case_list(actor=request.user, **filters).order_by("-id")
    page = Paginator(queryset, 25).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "identity": can(request.user, Capability.VIEW_IDENTITY),
        "query": request.GET.urlencode(),
    }
    if request.headers.get("HX-Request"):
        return _render(request, "casework/_case_results.html", context)
    return _render(request, "casework/case_list.html", context)


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


# --- Registration wizard -----------------------------------------------------------------------


def _wizard(request) -> dict:
    return request.session.setdefault(WIZARD_SESSION_KEY, {})


@staff_required
@require_http_methods(["GET", "POST"])
def register(request, step: str = "child"):
    """Child -> household -> consent and assent -> review with likely duplicates -> save.

    Steps are kept in the session (which lives in this NGO's schema) until saved.
    """
    if step not in WIZARD_STEPS:
        raise Http404
    if not can(request.user, Capability.EDIT_CASES):
        raise PermissionDeniedError("")
    wizard = _wizard(request)
    if request.method == "GET" and step == "child" and request.GET.get("new"):
        wizard.clear()
        request.session.modified = True
    form_classes = {
        "child": forms.ChildForm,
        "household": forms.HouseholdForm,
        "consent": forms.ConsentForm,
    }
    if step != "child" and "child" not in wizard:
        return redirect("register-step", step="child")
    if step == "review":
        return _register_review(request, wizard)
    form_class = form_classes[step]
    initial = wizard.get(step) or {}
    if step == "consent" and not initial and "household" in wizard:
        initial = {
            "guardian_name": wizard["household"].get("guardian_name", ""),
            "guardian_relationship": wizard["household"].get("guardian_relationship", ""),
            "consented_on": timezone.localdate().isoformat(),
        }
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            wizard[step] = {
                key: value.isoformat() if hasattr(value, "isoformat") else value
                for key, value in form.cleaned_data.items()
            }
            if step == "consent" and request.POST.get("skip"):
                wizard.pop("consent", None)
            request.session.modified = True
            next_step = WIZARD_STEPS[WIZARD_STEPS.index(step) + 1]
            return redirect("register-step", step=next_step)
        if step == "consent" and request.POST.get("skip"):
            wizard.pop("consent", None)
            request.session.modified = True
            return redirect("register-step", step="review")
    else:
        form = form_class(initial=initial)
    return _render(
        request,
        "casework/register.html",
        {"form": form, "step": step, "steps": WIZARD_STEPS, "wizard": wizard},
    )


def _register_review(request, wizard: dict):
    from datetime import date

    child = dict(wizard["child"])
    household = dict(wizard.get("household") or {})
    consent = dict(wizard.get("consent") or {}) or None
    birth_year = child.get("birth_year") or (
        date.fromisoformat(child["date_of_birth"]).year if child.get("date_of_birth") else None
    )
    duplicates = selectors.child_duplicates(
        actor=request.user,
        full_name=child["full_name"],
        birth_year=birth_year,
        guardian_name=household.get("guardian_name", ""),
        village=household.get("village", ""),
        nik=child.get("nik", ""),
    )
    visible = selectors.children_visible_among(
        actor=request.user, child_ids=[match.pk for match, _ in duplicates]
    )
    duplicates = [
        (match if match.pk in visible else None, reasons) for match, reasons in duplicates
    ]
    error = None
    if request.method == "POST":
        if not household:
            return redirect("register-step", step="household")
        case_type = child.pop("case_type")
        if child.get("date_of_birth"):
            child["date_of_birth"] = date.fromisoformat(child["date_of_birth"])
        if consent:
            consent["consented_on"] = date.fromisoformat(consent["consented_on"])
        try:
            case = services.child_register(
                actor=request.user,
                child=services.ChildInput(**child),
                household=services.HouseholdInput(**household),
                consent=services.ConsentInput(**consent) if consent else None,
                case_type=case_type,
            )
        except ApplicationError as caught:
            error = caught
        else:
            request.session.pop(WIZARD_SESSION_KEY, None)
            messages.success(
                request,
                _("The child is registered: case %(reference)s.") % {"reference": case.reference},
            )
            return redirect("case-detail", case_id=case.pk)
    province = regions.province(household.get("province_code", "")) if household else None
    regency = regions.regency(household.get("regency_code", "")) if household else None
    return _render(
        request,
        "casework/register_review.html",
        {
            "wizard": wizard,
            "child": wizard["child"],
            "household": household,
            "consent": consent,
            "province": province,
            "regency": regency,
            "duplicates": duplicates,
            "error": error,
            "step": "review",
            "steps": WIZARD_STEPS,
        },
        status=400 if error else 200,
    )


# --- The case page and its forms ---------------------------------------------------------------


def _timeline(case: Case) -> list[dict]:
    """Everything that happened on the case, newest first."""
    items = []
    previous_scores = None
    for assessment in sorted(case.assessments.all(), key=lambda a: (a.assessed_on, a.pk)):
        scores = assessment.scores()
        changes = (
            {key: scores[key] - previous_scores[key] for key in scores} if previous_scores else None
        )
        items.append(
            {
                "kind": "assessment",
                "on": assessment.assessed_on,
                "obj": assessment,
                "scores": scores,
                "changes": changes,
            }
        )
        if assessment.status == Assessment.Status.APPROVED:
            previous_scores = scores
    for intervention in case.interventions.all():
        items.append({"kind": "intervention", "on": intervention.delivered_on, "obj": intervention})
    for followup in case.followups.all():
        items.append(
            {"kind": "followup", "on": followup.completed_on or followup.due_on, "obj": followup}
        )
    for verification in case.verifications.all():
        items.append({"kind": "verification", "on": verification.visited_on, "obj": verification})
    for note in case.notes.all():
        items.append({"kind": "note", "on": timezone.localdate(note.created_at), "obj": note})
    for consent in case.child.consents.all():
        items.append({"kind": "consent", "on": consent.consented_on, "obj": consent})
    for attachment in case.attachments.all():
        items.append(
            {
                "kind": "attachment",
                "on": timezone.localdate(attachment.created_at),
                "obj": attachment,
            }
        )
    items.sort(key=lambda item: (item["on"], item["obj"].pk), reverse=True)
    return items


@staff_required
def case_detail(request, case_id: int):
    """The case page: summary, next steps and a timeline of everything that happened."""
    if not can(request.user, Capability.VIEW_IDENTITY):
        raise PermissionDeniedError("")
    case = selectors.case_detail(actor=request.user, case_id=case_id)
    plan = CasePlan.objects.filter(case=case).prefetch_related("goals__services").first()
    return _render(
        request,
        "casework/case_detail.html",
        {
            "case": case,
            "child": case.child,
            "household": case.child.household,
            "plan": plan,
            "timeline": _timeline(case),
            "allowed_next": services.allowed_next(case),
            "province": regions.province(case.province_code) if case.province_code else None,
            "regency": regions.regency(case.regency_code) if case.regency_code else None,
            "pending_assessments": [
                a for a in case.assessments.all() if a.status == Assessment.Status.SUBMITTED
            ],
            "open_followups": [f for f in case.followups.all() if f.completed_on is None],
        },
    )


def _case_form_view(
    request,
    case_id: int,
    *,
    form_class,
    title: str,
    call,
    template="casework/case_form.html",
    form_kwargs=None,
    initial=None,
):
    """GET shows the form; POST validates it, calls the service and goes back to the case.
    Service errors are shown next to their fields; what the user typed is kept."""
    case = selectors.case_detail(actor=request.user, case_id=case_id, audit_view=False)
    form_kwargs = form_kwargs or {}
    if request.method == "POST":
        form = form_class(request.POST, request.FILES or None, **form_kwargs)
        if form.is_valid():
            try:
                call(form.cleaned_data)
            except ApplicationError as error:
                forms.apply_error(form, error)
            else:
                messages.success(request, _("Saved."))
                return redirect("case-detail", case_id=case_id)
        status = 400
    else:
        form = form_class(initial=initial or {}, **form_kwargs)
        status = 200
    return _render(request, template, {"case": case, "form": form, "title": title}, status=status)


@staff_required
def assessment_new(request, case_id: int):
    today = timezone.localdate()
    return _case_form_view(
        request,
        case_id,
        form_class=forms.AssessmentForm,
        title=_("New assessment"),
        initial={
            "assessed_on": today,
            "risk_level": "medium",
            **{name: 3 for name in Assessment.SCORE_FIELDS},
        },
        call=lambda data: services.assessment_create(actor=request.user, case_id=case_id, **data),
    )


@staff_required
def intervention_new(request, case_id: int):
    return _case_form_view(
        request,
        case_id,
        form_class=forms.InterventionForm,
        title=_("Record a service"),
        initial={"delivered_on": timezone.localdate()},
        call=lambda data: services.intervention_record(actor=request.user, case_id=case_id, **data),
    )


@staff_required
def followup_new(request, case_id: int):
    return _case_form_view(
        request,
        case_id,
        form_class=forms.FollowUpForm,
        title=_("Schedule a visit"),
        call=lambda data: services.followup_schedule(
            actor=request.user,
            case_id=case_id,
            due_on=data["due_on"],
            kind=data["kind"],
            assigned_worker_id=data.get("assigned_worker") or None,
            purpose=data["purpose"],
        ),
    )


@staff_required
def followup_complete(request, case_id: int, followup_id: int):
    return _case_form_view(
        request,
        case_id,
        form_class=forms.FollowUpCompleteForm,
        title=_("Visit done"),
        initial={"completed_on": timezone.localdate()},
        call=lambda data: services.followup_complete(
            actor=request.user, case_id=case_id, followup_id=followup_id, **data
        ),
    )


@staff_required
def verification_new(request, case_id: int):
    return _case_form_view(
        request,
        case_id,
        form_class=forms.VerificationForm,
        title=_("Verification visit"),
        initial={"visited_on": timezone.localdate()},
        call=lambda data: services.verification_record(actor=request.user, case_id=case_id, **data),
    )


@staff_required
def note_new(request, case_id: int):
    return _case_form_view(
        request,
        case_id,
        form_class=forms.NoteForm,
        title=_("Add a note"),
        call=lambda data: services.note_add(actor=request.user, case_id=case_id, **data),
    )


@staff_required
def closure_request(request, case_id: int):
    return _case_form_view(
        request,
        case_id,
        form_class=forms.ClosureForm,
        title=_("Request closure"),
        call=lambda data: services.case_closure_request(
            actor=request.user, case_id=case_id, **data
        ),
    )


@staff_required
def reopen(request, case_id: int):
    return _case_form_view(
        request,
        case_id,
        form_class=forms.ReasonForm,
        title=_("Reopen the case"),
        call=lambda data: services.case_reopen(actor=request.user, case_id=case_id, **data),
    )


@staff_required
def consent_new(request, case_id: int):
    case = selectors.case_detail(actor=request.user, case_id=case_id, audit_view=False)
    household = case.child.household
    return _case_form_view(
        request,
        case_id,
        form_class=forms.ConsentForm,
        title=_("Record consent and assent"),
        initial={
            "guardian_name": household.guardian_name if household else "",
            "guardian_relationship": household.guardian_relationship if household else "",
            "consented_on": timezone.localdate(),
        },
        call=lambda data: services.consent_record(
            actor=request.user, child_id=case.child_id, data=services.ConsentInput(**data)
        ),
    )


@staff_required
def attachment_new(request, case_id: int):
    return _case_form_view(
        request,
        case_id,
        form_class=forms.AttachmentForm,
        title=_("Add a document or photo"),
        call=lambda data: services.attachment_upload(
            actor=request.user, case_id=case_id, kind=data["kind"], uploaded_file=data["file"]
        ),
    )


@staff_required
@require_http_methods(["GET", "POST"])
def plan_edit(request, case_id: int):
    """Goals, each with one planned service; save as draft or send for approval."""
    case = selectors.case_detail(actor=request.user, case_id=case_id, audit_view=False)
    plan = CasePlan.objects.filter(case=case).prefetch_related("goals__services").first()
    status = 200
    if request.method == "POST":
        form = forms.PlanForm(request.POST)
        formset = forms.PlanGoalFormSet(request.POST, prefix="goals")
        if form.is_valid() and formset.is_valid():
            goals = []
            for goal in formset.cleaned_data:
                if not goal:
                    continue
                services_list = []
                if goal.get("service_type"):
                    services_list.append(
                        {
                            "type": goal["service_type"],
                            "provider_kind": goal.get("provider_kind") or "own",
                            "provider_name": goal.get("provider_name", ""),
                            "responsible_worker_id": goal.get("responsible_worker"),
                            "due_on": goal.get("due_on") or goal["target_date"],
                        }
                    )
                goals.append(
                    {
                        "description": goal["description"],
                        "target_date": goal["target_date"],
                        "services": services_list,
                    }
                )
            try:
                services.plan_save(
                    actor=request.user,
                    case_id=case_id,
                    summary=form.cleaned_data["summary"],
                    goals=goals,
                    submit=form.cleaned_data["submit"],
                )
            except ApplicationError as error:
                forms.apply_error(form, error)
            else:
                messages.success(request, _("The plan is saved."))
                return redirect("case-detail", case_id=case_id)
        status = 400
    else:
        initial_goals = []
        if plan:
            for goal in plan.goals.all():
                service = next(iter(goal.services.all()), None)
                initial_goals.append(
                    {
                        "description": goal.description,
                        "target_date": goal.target_date,
                        "service_type": service.type if service else "",
                        "provider_kind": service.provider_kind if service else "own",
                        "provider_name": service.provider_name if service else "",
                        "responsible_worker": service.responsible_worker_id if service else "",
                        "due_on": service.due_on if service else None,
                    }
                )
        extra = request.GET.get("goals")
        count = max(len(initial_goals), int(extra) if extra and extra.isdigit() else 1)
        initial_goals += [
            {"responsible_worker": request.user.pk} for _ in range(count - len(initial_goals))
        ]
        form = forms.PlanForm(initial={"summary": plan.summary if plan else ""})
        formset = forms.PlanGoalFormSet(prefix="goals", initial=initial_goals)
    return _render(
        request,
        "casework/plan_form.html",
        {
            "case": case,
            "form": form,
            "formset": formset,
            "plan": plan,
            "more_goals": len(formset.forms) + 1,
        },
        status=status,
    )


# --- Approvals ---------------------------------------------------------------------------------


@staff_required
def approvals(request):
    """Supervisor queues: assessments, plans and closures awaiting approval."""
    if not can(request.user, Capability.APPROVE):
        raise PermissionDeniedError("")
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
            assessment_id=object_id,
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
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Approved.") if approve else _("Returned."))
    target = request.POST.get("next") or reverse("case-detail", args=[case_id])
    if not target.startswith("/"):
        target = reverse("case-detail", args=[case_id])
    return redirect(target)


# --- Admin pages -------------------------------------------------------------------------------


@staff_required
@require_http_methods(["GET", "POST"])
def staff(request):
    """Staff accounts and roles (NGO admins)."""
    if not can(request.user, Capability.MANAGE_STAFF):
        raise PermissionDeniedError("")
    status = 200
    if request.method == "POST" and request.POST.get("action") == "update":
        try:
            services.staff_update(
                actor=request.user,
                user_id=int(request.POST.get("user_id", "0")),
                role=request.POST.get("role") or None,
                is_active=request.POST.get("is_active") == "1"
                if "is_active" in request.POST
                else None,
            )
        except (ApplicationError, ValueError) as error:
            messages.error(request, getattr(error, "message", str(error)))
        else:
            messages.success(request, _("Saved."))
        return redirect("staff")
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
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.select_related("staff_profile").order_by("username")
    rows = [(user, role_of(user) or "") for user in users]
    return _render(
        request,
        "casework/staff.html",
        {"form": form, "rows": rows, "roles": forms.StaffProfile.Role.choices},
        status=status,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def ngo_settings(request):
    """Classification standard and follow-up intervals (NGO admins)."""
    if not can(request.user, Capability.MANAGE_SETTINGS):
        raise PermissionDeniedError("")
    row = selectors.ngo_settings_get()
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
        actor_username=params.get("actor") or None,
        action=params.get("action") or None,
        object_type=params.get("object_type") or None,
        case_id=int(params["case"]) if params.get("case", "").isdigit() else None,
    )
    page = Paginator(events, 50).get_page(params.get("page"))
    return _render(
        request,
        "casework/audit.html",
        {
            "page": page,
            "params": params,
            "actions": AuditEvent.Action.choices,
            "query": params.urlencode(),
        },
    )
