"""The case page with its timeline, and the forms for each step of the case."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from casework import forms, navigation, regions, selectors, services
from casework.models import Assessment, Case
from casework.views._base import FORM_TOKEN_FIELD, _render, extension_panels, staff_required
from core.errors import ApplicationError, PermissionDeniedError


def _timeline(case: Case) -> list[dict]:
    """What happened on the case, newest first: by the day it happened, then, within a day, by
    when it was recorded. Planned visits are not history: the page lists them apart."""
    items: list[dict[str, Any]] = []
    previous_scores: dict[str, int] | None = None
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
        if followup.completed_on is not None:
            items.append({"kind": "followup", "on": followup.completed_on, "obj": followup})
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
    # Entries from other apps (each step of the case's referrals) carry a date-time.
    for entry in selectors.case_timeline_entries(case_id=case.pk):
        items.append(
            {"kind": "external", "on": timezone.localdate(entry.at), "obj": entry, "at": entry.at}
        )
    # Rows of different tables: their ids say nothing about which came first, their times do.
    items.sort(
        key=lambda item: (
            item["on"],
            (item.get("at") or item["obj"].created_at).timestamp(),
            item["kind"],
        ),
        reverse=True,
    )
    return items


@staff_required
def case_detail(request, case_id: int):
    """The case page: summary, next steps and a timeline of everything that happened."""
    case = selectors.case_detail(actor=request.user, case_id=case_id)
    plan = selectors.plan_with_progress(actor=request.user, case_id=case_id)
    return _render(
        request,
        "casework/case_detail.html",
        {
            "case": case,
            "child": case.child,
            "household": case.child.household,
            "plan": plan,
            "timeline": _timeline(case),
            "actions": navigation.case_actions(
                user=request.user, case=case, allowed_next=services.allowed_next(case)
            ),
            "province": regions.province(case.province_code) if case.province_code else None,
            "regency": regions.regency(case.regency_code) if case.regency_code else None,
            "pending_assessments": [
                a for a in case.assessments.all() if a.status == Assessment.Status.SUBMITTED
            ],
            "open_followups": [f for f in case.followups.all() if f.completed_on is None],
            "panels": extension_panels("CASE_PAGE_PANELS", request=request, case=case),
            "returned_assessments": [
                a for a in case.assessments.all() if a.status == Assessment.Status.RETURNED
            ],
            "age": selectors.child_age(actor=request.user, case_id=case_id),
        },
    )


@staff_required
def case_summary(request, case_id: int):
    """The case on paper: who (masked for roles without identity), where it stands, the plan
    and its progress, and the timeline; the browser's print prints it."""
    case, identity = selectors.case_summary(actor=request.user, case_id=case_id)
    return _render(
        request,
        "casework/case_summary.html",
        {
            "case": case,
            "child": case.child,
            "identity": identity,
            "masked": not identity,
            "plan": selectors.plan_with_progress(actor=request.user, case_id=case_id)
            if identity
            else None,
            "age": selectors.child_age(actor=request.user, case_id=case_id) if identity else None,
            "timeline": _timeline(case),
            "province": regions.province(case.province_code) if case.province_code else None,
            "regency": regions.regency(case.regency_code) if case.regency_code else None,
            "printed_at": timezone.localtime(),
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
    extra_context=None,
):
    """GET shows the form; POST validates it, calls the service and goes back to the case.
    Service errors are shown next to their fields; what the user typed is kept.

    The form carries a one-time token: the same form sent again (a double tap) goes back to
    the case without a second write."""
    case = selectors.case_for_form(actor=request.user, case_id=case_id)
    form_kwargs = form_kwargs or {}
    case_url = reverse("case-detail", kwargs={"case_id": case_id})
    if request.method == "POST":
        token = request.POST.get(FORM_TOKEN_FIELD)
        if services.submission_result(actor=request.user, token=token):
            return redirect(case_url)
        form = form_class(request.POST, request.FILES or None, **form_kwargs)
        if form.is_valid():

            def perform() -> str:
                call(form.cleaned_data)
                return case_url

            try:
                services.submission_once(actor=request.user, token=token, perform=perform)
            except PermissionDeniedError as error:
                if not error.fields:
                    raise  # the role may not do this at all: the 403 page
                forms.apply_error(form, error)
            except ApplicationError as error:
                forms.apply_error(form, error)
            else:
                messages.success(request, _("Saved."))
                return redirect(case_url)
        status = 400
    else:
        form = form_class(initial=initial or {}, **form_kwargs)
        token = services.form_token_new()
        status = 200
    return _render(
        request,
        template,
        {
            "case": case,
            "form": form,
            "title": title,
            "form_token": token or services.form_token_new(),
            **(extra_context(form) if callable(extra_context) else (extra_context or {})),
        },
        status=status,
    )


# The assessment form's parts, each a collapsible section; the date and the risk level the
# worker sets stay on top.
ASSESSMENT_TOP = ("assessed_on", "risk_level")
ASSESSMENT_SECTIONS = (
    (
        gettext_lazy("Work"),
        (
            "works",
            "sector",
            "tasks",
            "employer_type",
            "hours_per_week",
            "night_work",
            "monthly_wage",
        ),
    ),
    (gettext_lazy("Hazards and worst forms"), ("hazards", "worst_forms")),
    (
        gettext_lazy("School, health and family"),
        (
            "schooling_notes",
            "health_notes",
            "psychosocial_notes",
            "family_economy_notes",
            "safety_notes",
        ),
    ),
    (gettext_lazy("Scores (1 worst - 5 best)"), Assessment.SCORE_FIELDS),
)


def _assessment_sections(form) -> dict[str, Any]:
    """The form's top fields and its sections, each with a one-line summary of what it holds;
    a section with an error opens by itself."""

    def value(name: str):
        return form[name].value()

    def brief(names: tuple[str, ...]) -> str:
        if names == Assessment.SCORE_FIELDS:
            return " · ".join(str(value(name) or "—") for name in names)
        if "hazards" in names:
            count = len(value("hazards") or []) + len(value("worst_forms") or [])
            return ngettext("%(count)s marked", "%(count)s marked", count) % {"count": count}
        if "sector" in names:
            parts = [str(value("sector") or "")]
            if value("hours_per_week"):
                parts.append(_("%(hours)s h/week") % {"hours": value("hours_per_week")})
            return " · ".join(part for part in parts if part) or _("not filled in")
        filled = sum(1 for name in names if value(name))
        return ngettext("%(count)s of %(total)s noted", "%(count)s of %(total)s noted", filled) % {
            "count": filled,
            "total": len(names),
        }

    return {
        "top_fields": [form[name] for name in ASSESSMENT_TOP],
        "sections": [
            {
                "title": title,
                "fields": [form[name] for name in names],
                "open": any(form[name].errors for name in names),
                "brief": brief(tuple(names)),
            }
            for title, names in ASSESSMENT_SECTIONS
        ],
    }


@staff_required
def intervention_new(request, case_id: int):
    return _case_form_view(
        request,
        case_id,
        form_class=forms.InterventionForm,
        form_kwargs={
            "goal_choices": selectors.plan_goal_choices(actor=request.user, case_id=case_id)
        },
        title=_("Record a service"),
        initial={"delivered_on": timezone.localdate()},
        call=lambda data: services.intervention_record(actor=request.user, case_id=case_id, **data),
    )


@staff_required
def followup_new(request, case_id: int):
    case = selectors.case_for_form(actor=request.user, case_id=case_id)
    return _case_form_view(
        request,
        case_id,
        form_class=forms.FollowUpForm,
        form_kwargs={"worker_choices": selectors.worker_choices(actor=request.user, case=case)},
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
    case = selectors.case_for_form(actor=request.user, case_id=case_id)
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
        extra_context=lambda form: {"size_limit_field": form["file"]},
        call=lambda data: services.attachment_upload(
            actor=request.user, case_id=case_id, kind=data["kind"], uploaded_file=data["file"]
        ),
    )


@staff_required
def consent_withdraw(request, case_id: int, consent_id: int):
    """Withdraw a consent, with the day and the reason."""
    consent = selectors.consent_of_case(actor=request.user, case_id=case_id, consent_id=consent_id)
    return _case_form_view(
        request,
        case_id,
        form_class=forms.ConsentWithdrawForm,
        title=_("Withdraw the consent"),
        initial={"withdrawn_on": timezone.localdate()},
        extra_context={"consent": consent},
        call=lambda data: services.consent_withdraw(
            actor=request.user, consent_id=consent.pk, **data
        ),
    )


@staff_required
def consent_reconfirm(request, case_id: int, consent_id: int):
    """Reconfirm, at first contact, a consent carried over from the referring agency."""
    consent = selectors.consent_of_case(actor=request.user, case_id=case_id, consent_id=consent_id)
    return _case_form_view(
        request,
        case_id,
        form_class=forms.ConsentReconfirmForm,
        title=_("Reconfirm the consent"),
        initial={"reconfirmed_on": timezone.localdate()},
        extra_context={"consent": consent},
        call=lambda data: services.consent_reconfirm(
            actor=request.user, consent_id=consent.pk, **data
        ),
    )


@staff_required
def case_assign(request, case_id: int):
    """Give the case to a worker and share it with others (supervisors)."""
    case = selectors.case_for_assigning(actor=request.user, case_id=case_id)
    return _case_form_view(
        request,
        case_id,
        form_class=forms.AssignForm,
        form_kwargs={"worker_choices": selectors.worker_choices(actor=request.user, case=case)},
        title=_("Assign and share"),
        initial={
            "worker": case.assigned_worker_id,
            "shared_with": [user.pk for user in case.shared_with.all()],
        },
        call=lambda data: services.case_assign(
            actor=request.user,
            case_id=case_id,
            worker_id=data["worker"],
            shared_with_ids=data["shared_with"],
        ),
    )
