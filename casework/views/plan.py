"""The case plan form: goals and planned services."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from casework import forms, selectors, services
from casework.views._base import _render, staff_required, typed
from casework.views.case import _case_form_view
from core.errors import ApplicationError, NotFoundError

MAX_NEW_GOALS = 20


@staff_required
@require_http_methods(["GET", "POST"])
def plan_edit(request, case_id: int):
    """Goals, each with one planned service; save as draft or send for approval."""
    case = selectors.case_for_form(actor=request.user, case_id=case_id)
    plan = selectors.plan_with_progress(actor=request.user, case_id=case_id)
    goal_kwargs = {"worker_choices": selectors.worker_choices(actor=request.user, case=case)}
    status = 200
    if request.method == "POST":
        form = forms.PlanForm(request.POST)
        formset = forms.PlanGoalFormSet(request.POST, prefix="goals", form_kwargs=goal_kwargs)
        if "add_goal" in request.POST:
            # One more goal row; what was typed stays, nothing is saved or checked yet.
            form = forms.PlanForm(initial=typed(form))
            rows = [typed(goal_form) for goal_form in formset.forms]
            formset = forms.PlanGoalFormSet(
                prefix="goals",
                initial=[*rows, {"responsible_worker": case.assigned_worker_id}],
                form_kwargs=goal_kwargs,
            )
        elif form.is_valid() and formset.is_valid():
            goals, goal_forms = [], []
            for goal_form, goal in zip(formset.forms, formset.cleaned_data, strict=True):
                if not goal:
                    continue
                goal_forms.append(goal_form)
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
                        "id": goal.get("goal_id"),
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
                    expected_version=form.cleaned_data.get("version") or None,
                )
            except ApplicationError as error:
                forms.apply_plan_error(form, goal_forms, error)
            else:
                messages.success(request, _("The plan is saved."))
                return redirect("case-detail", case_id=case_id)
            status = 400
        else:
            status = 400
    else:
        initial_goals = []
        if plan:
            for saved_goal in plan.goals.all():
                service = next(iter(saved_goal.services.all()), None)
                initial_goals.append(
                    {
                        "goal_id": saved_goal.pk,
                        "description": saved_goal.description,
                        "target_date": saved_goal.target_date,
                        "service_type": service.type if service else "",
                        "provider_kind": service.provider_kind if service else "own",
                        "provider_name": service.provider_name if service else "",
                        "responsible_worker": service.responsible_worker_id if service else "",
                        "due_on": service.due_on if service else None,
                    }
                )
        extra = request.GET.get("goals")
        asked = int(extra) if extra and extra.isdigit() and len(extra) < 3 else 1
        count = max(len(initial_goals), min(asked, MAX_NEW_GOALS))
        initial_goals += [
            {"responsible_worker": case.assigned_worker_id}
            for _ in range(count - len(initial_goals))
        ]
        form = forms.PlanForm(
            initial={
                "summary": plan.summary if plan else "",
                "version": services.plan_version(plan),
            }
        )
        formset = forms.PlanGoalFormSet(
            prefix="goals", initial=initial_goals, form_kwargs=goal_kwargs
        )
    return _render(
        request,
        "casework/plan_form.html",
        {
            "case": case,
            "form": form,
            "formset": formset,
            "plan": plan,
            "has_approved_assessment": any(
                assessment.status == "approved" for assessment in case.assessments.all()
            ),
        },
        status=status,
    )


@staff_required
def goal_achieved(request, case_id: int, goal_id: int):
    """Mark a plan goal achieved, with the day (a 404 for a goal not of this case's plan)."""
    if goal_id not in dict(selectors.plan_goal_choices(actor=request.user, case_id=case_id)):
        raise NotFoundError(_("Goal not found."))
    return _case_form_view(
        request,
        case_id,
        form_class=forms.GoalAchievedForm,
        title=_("Goal achieved"),
        initial={"achieved_on": timezone.localdate()},
        call=lambda data: services.goal_mark_achieved(
            actor=request.user, case_id=case_id, goal_id=goal_id, **data
        ),
    )
