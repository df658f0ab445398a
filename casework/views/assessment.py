"""An assessment read in full (where a supervisor decides), corrected after a return, and the
suggestion shown next to the risk field while the form is filled in."""

from __future__ import annotations

from django.forms.models import model_to_dict
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from casework import forms, selectors, services
from casework.models import Assessment
from casework.views._base import _render, staff_required
from casework.views.case import _assessment_sections, _case_form_view


@staff_required
@require_GET
def assessment_detail(request, case_id: int, assessment_id: int):
    """Every answer of the assessment, what was derived from them, and its review; supervisors
    approve or return it here, having read it."""
    assessment = selectors.assessment_detail(
        actor=request.user, case_id=case_id, assessment_id=assessment_id
    )
    return _render(
        request,
        "casework/assessment_detail.html",
        {
            "case": assessment.case,
            "assessment": assessment,
            "hazards": _labels(Assessment.Hazard, assessment.hazards),
            "worst_forms": _labels(Assessment.WorstForm, assessment.worst_forms),
            "scores": assessment.scores(),
            "review_form": forms.ReviewForm(),
        },
    )


def _labels(choices, values: list[str]) -> list[str]:
    names = dict(choices.choices)
    return [str(names.get(value, value)) for value in values]


@staff_required
def assessment_new(request, case_id: int):
    """A new assessment; the risk field shows the child's age and the suggested risk."""
    today = timezone.localdate()
    return _case_form_view(
        request,
        case_id,
        form_class=forms.AssessmentForm,
        title=_("New assessment"),
        template="casework/assessment_form.html",
        initial={
            "assessed_on": today,
            # No risk chosen ahead: the worker picks one, with the suggestion beside the field.
            **{name: 3 for name in Assessment.SCORE_FIELDS},
        },
        extra_context=lambda form: {
            **_assessment_sections(form),
            "suggestion": suggestion_for(
                request, case_id, request.POST if request.method == "POST" else None
            ),
        },
        call=lambda data: services.assessment_create(actor=request.user, case_id=case_id, **data),
    )


@staff_required
def assessment_edit(request, case_id: int, assessment_id: int):
    """A returned assessment, corrected and sent for approval again (nothing retyped)."""
    assessment = selectors.assessment_detail(
        actor=request.user, case_id=case_id, assessment_id=assessment_id
    )
    if assessment.status != Assessment.Status.RETURNED and request.method == "GET":
        return redirect("assessment-detail", case_id=case_id, assessment_id=assessment_id)
    initial = model_to_dict(assessment, fields=list(services.ASSESSMENT_INPUT_FIELDS))
    data = request.POST if request.method == "POST" else initial
    return _case_form_view(
        request,
        case_id,
        form_class=forms.AssessmentForm,
        title=_("Correct the assessment"),
        template="casework/assessment_form.html",
        initial=initial,
        extra_context=lambda form: {
            **_assessment_sections(form),
            "assessment": assessment,
            "suggestion": suggestion_for(request, case_id, data),
        },
        call=lambda data: services.assessment_resubmit(
            actor=request.user, case_id=case_id, assessment_id=assessment_id, **data
        ),
    )


@staff_required
@require_GET
def assessment_suggestion(request, case_id: int):
    """The age, status and suggested risk for the answers typed so far (an htmx fragment)."""
    return _render(
        request,
        "casework/_risk_suggestion.html",
        {"case_id": case_id, "suggestion": suggestion_for(request, case_id, request.GET)},
    )


def suggestion_for(request, case_id: int, data) -> selectors.RiskSuggestion:
    """The suggestion for a (possibly incomplete) assessment form's data: the answers that
    are valid count, the rest take their defaults."""
    form = forms.AssessmentForm(data or None)
    form.is_valid()
    values = getattr(form, "cleaned_data", {}) if data else {}
    if not data:
        values = {"works": True}
    return selectors.assessment_suggestion(actor=request.user, case_id=case_id, values=values)
