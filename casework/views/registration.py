"""The registration wizard: child, household, consent, review with duplicates, save."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from casework import forms, regions, selectors, services
from casework.views._base import FORM_TOKEN_FIELD, _render, staff_required
from core.errors import ApplicationError

WIZARD_SESSION_KEY = "registration_wizard"


WIZARD_STEPS = ["child", "household", "consent", "review"]

STEP_FORMS = {
    "child": forms.ChildForm,
    "household": forms.HouseholdForm,
    "consent": forms.ConsentForm,
}


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
    selectors.registration_open(actor=request.user)
    wizard = _wizard(request)
    in_progress = bool(wizard.get("child") or wizard.get("drafts"))
    if request.method == "POST" and request.POST.get("start_over"):
        wizard.clear()
        request.session.modified = True
        return redirect("register-step", step="child")
    # "Register a child" from the menu (?new=1) starts afresh only when nothing is in
    # progress; otherwise step 1 offers to continue the draft or to start again (a POST).
    draft_notice = (
        request.method == "GET" and step == "child" and bool(request.GET.get("new")) and in_progress
    )
    if request.method == "GET" and step == "child" and request.GET.get("new") and not in_progress:
        wizard.clear()
        request.session.modified = True
    if step == "review" and request.method == "POST" and "child" not in wizard:
        # Saved, or started again, in another window: say so instead of an empty form.
        if not services.submission_result(
            actor=request.user, token=request.POST.get(FORM_TOKEN_FIELD)
        ):
            messages.warning(
                request,
                _(
                    "This registration was saved or started again in another window: nothing "
                    "was saved from this one. Check the case list before registering again."
                ),
            )
            return redirect("register-step", step="child")
    if step == "review" and request.method == "POST":
        # Sent again after it was saved (a double tap): the case the first one opened.
        earlier = services.submission_result(
            actor=request.user, token=request.POST.get(FORM_TOKEN_FIELD)
        )
        if earlier:
            return redirect(earlier)
    if step != "child" and "child" not in wizard:
        return redirect("register-step", step="child")
    if step == "review":
        return _register_review(request, wizard)
    form_class = STEP_FORMS[step]
    drafts = wizard.setdefault("drafts", {})
    initial = drafts.get(step) or wizard.get(step) or {}
    if step == "consent" and not initial and "household" in wizard:
        initial = {
            "guardian_name": wizard["household"].get("guardian_name", ""),
            "guardian_relationship": wizard["household"].get("guardian_relationship", ""),
            "consented_on": timezone.localdate().isoformat(),
        }
    if request.method == "POST" and request.POST.get("back") and step != "child":
        # Back keeps what was typed on this step, checked or not, for when the worker returns.
        drafts[step] = _typed_draft(form_class, request.POST)
        request.session.modified = True
        return redirect("register-step", step=WIZARD_STEPS[WIZARD_STEPS.index(step) - 1])
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            wizard[step] = {
                key: value.isoformat() if hasattr(value, "isoformat") else value
                for key, value in form.cleaned_data.items()
            }
            drafts.pop(step, None)
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
        {
            "form": form,
            "step": step,
            "steps": WIZARD_STEPS,
            "wizard": wizard,
            "draft_notice": draft_notice,
            "continue_step": next(
                (name for name in WIZARD_STEPS if name != "review" and name not in wizard),
                "review",
            ),
        },
    )


def _typed_draft(form_class, data) -> dict:
    """What the worker typed on a step, as initial values for its form (lists for fields that
    take several values), whether or not it is valid yet."""
    from django import forms as django_forms

    draft: dict = {}
    for name, field in form_class.base_fields.items():
        if isinstance(field, django_forms.MultipleChoiceField):
            draft[name] = data.getlist(name)
        elif isinstance(field, django_forms.BooleanField):
            draft[name] = bool(data.get(name))
        elif name in data:
            draft[name] = data.get(name)
    return draft


def _review_error(error: ApplicationError) -> tuple[list[str], list[str]]:
    """The save's field messages not already in its headline, once each, and the wizard steps
    whose fields they name (to go back and correct them)."""
    lines: list[str] = []
    steps: list[str] = []
    for name, field_messages in error.fields.items():
        listed = field_messages if isinstance(field_messages, list) else [field_messages]
        for message in listed:
            if message != error.message and message not in lines:
                lines.append(str(message))
        for step, form_class in STEP_FORMS.items():
            if name in form_class.base_fields and step not in steps:
                steps.append(step)
    return lines, steps


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
    error = None
    token = request.POST.get(FORM_TOKEN_FIELD) if request.method == "POST" else None
    if request.method == "POST":
        if not household:
            return redirect("register-step", step="household")
        case_type = child.pop("case_type")
        if child.get("date_of_birth"):
            child["date_of_birth"] = date.fromisoformat(child["date_of_birth"])
        if consent:
            consent["consented_on"] = date.fromisoformat(consent["consented_on"])
        registered = []

        def perform() -> str:
            case = services.child_register(
                actor=request.user,
                child=services.ChildInput(**child),
                household=services.HouseholdInput(**household),
                consent=services.ConsentInput(**consent) if consent else None,
                case_type=case_type,
            )
            registered.append(case)
            return reverse("case-detail", kwargs={"case_id": case.pk})

        try:
            case_url, _repeat = services.submission_once(
                actor=request.user, token=token, perform=perform
            )
        except ApplicationError as caught:
            error = caught
        else:
            request.session.pop(WIZARD_SESSION_KEY, None)
            if registered:
                messages.success(
                    request,
                    _("The child is registered: case %(reference)s.")
                    % {"reference": registered[0].reference},
                )
            return redirect(case_url)
    error_lines, error_steps = _review_error(error) if error else ([], [])
    province = regions.province(household.get("province_code", "")) if household else None
    regency = regions.regency(household.get("regency_code", "")) if household else None
    return _render(
        request,
        "casework/register_review.html",
        {
            "wizard": wizard,
            "child": wizard["child"],
            "child_birth_date": date.fromisoformat(wizard["child"]["date_of_birth"])
            if wizard["child"].get("date_of_birth")
            else None,
            "household": household,
            "consent": consent,
            "province": province,
            "regency": regency,
            "duplicates": duplicates,
            "error": error,
            "error_lines": error_lines,
            "error_steps": error_steps,
            "step": "review",
            "steps": WIZARD_STEPS,
            "form_token": token or services.form_token_new(),
        },
        status=400 if error else 200,
    )
