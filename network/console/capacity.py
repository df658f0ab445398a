"""The console's capacity-building pages: the overview per NGO, trainings, mentoring visits with
their agreed actions, each NGO's history and its yearly self-assessment.

Coordinators (and the operator) only: `coordinator_page` answers a funder, another consortium's
coordinator and a missing record alike with 404. Reads are `network.capacity.selectors`, writes
`network.capacity.services`; no page enters a tenant schema.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from casework.forms import apply_error
from core import clock
from core.errors import ApplicationError
from network import access as network_access
from network.capacity import access, selectors, services
from network.capacity.models import SCORECARD
from network.console import capacity_forms as forms
from network.console.views import _render, coordinator_page

SECTION = "capacity"
TEMPLATES = "capacity/"


def _page(request, template: str, consortium, context: dict, *, status: int = 200, tab: str = ""):
    return _render(
        request,
        TEMPLATES + template,
        consortium,
        {"tab": tab, "scorecard": SCORECARD, **context},
        status=status,
        section=SECTION,
    )


def _member_named(consortium, slug: str | None):
    """A member NGO picked in a filter, or None (an unknown slug filters nothing)."""
    return access.member_ngos(consortium).filter(slug=slug).first() if slug else None


# --- Overview ----------------------------------------------------------------------------------


@coordinator_page
def overview(request, consortium):
    """Per NGO: the last training attended, the last visit, open and overdue actions, the
    latest self-assessment's scores; NGOs with overdue actions are marked."""
    rows = selectors.capacity_overview(consortium=consortium)
    return _page(
        request,
        "overview.html",
        consortium,
        {
            "rows": rows,
            "overdue_total": sum(row.status.overdue_actions for row in rows),
            "this_year": clock.today().year,
        },
        tab="overview",
    )


# --- Trainings ---------------------------------------------------------------------------------


@coordinator_page
def trainings(request, consortium):
    """The consortium's trainings, newest first, with their participants per NGO."""
    ngo = _member_named(consortium, request.GET.get("ngo"))
    queryset = selectors.trainings_in(consortium=consortium, ngo=ngo)
    page = Paginator(queryset, 25).get_page(request.GET.get("page"))
    return _page(
        request,
        "trainings.html",
        consortium,
        {"page": page, "ngo": ngo, "ngos": access.member_ngos(consortium)},
        tab="trainings",
    )


def _training_form_page(request, consortium, form, *, training=None, status: int = 200):
    return _page(
        request,
        "training_form.html",
        consortium,
        {"form": form, "training": training},
        status=status,
        tab="trainings",
    )


@coordinator_page
@require_http_methods(["GET", "POST"])
def training_new(request, consortium):
    """Record a training: topic, date, trainer, and how many came from each NGO."""
    form = forms.TrainingForm(request.POST or None, ngos=access.member_ngos(consortium))
    if request.method == "POST":
        if form.is_valid():
            try:
                services.training_create(
                    actor=request.user, consortium=consortium, data=form.training_input()
                )
            except ApplicationError as error:
                form.apply_service_error(error)
            else:
                messages.success(request, _("The training is recorded."))
                return redirect("console:capacity-trainings", consortium_id=consortium.pk)
        return _training_form_page(request, consortium, form, status=400)
    return _training_form_page(request, consortium, form)


@coordinator_page
@require_http_methods(["GET", "POST"])
def training_edit(request, consortium, training_uuid):
    """Correct a training and its participants."""
    training = access.training_coordinated(request.user, training_uuid, consortium)
    form = forms.TrainingForm(
        request.POST or None,
        initial=forms.training_initial(training),
        ngos=access.member_ngos(consortium),
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                services.training_update(
                    actor=request.user, training_uuid=training.uuid, data=form.training_input()
                )
            except ApplicationError as error:
                form.apply_service_error(error)
            else:
                messages.success(request, _("Saved."))
                return redirect("console:capacity-trainings", consortium_id=consortium.pk)
        return _training_form_page(request, consortium, form, training=training, status=400)
    return _training_form_page(request, consortium, form, training=training)


# --- Mentoring visits --------------------------------------------------------------------------


@coordinator_page
def visits(request, consortium):
    """The consortium's mentoring visits, newest first; `?overdue=1` keeps those with an
    overdue action, `?ngo=<slug>` one NGO's."""
    ngo = _member_named(consortium, request.GET.get("ngo"))
    overdue = request.GET.get("overdue") == "1"
    queryset = selectors.visits_in(consortium=consortium, ngo=ngo, overdue=overdue)
    page = Paginator(queryset, 25).get_page(request.GET.get("page"))
    return _page(
        request,
        "visits.html",
        consortium,
        {"page": page, "ngo": ngo, "overdue": overdue},
        tab="visits",
    )


def _visit_form_page(request, consortium, form, *, visit=None, status: int = 200):
    return _page(
        request,
        "visit_form.html",
        consortium,
        {"form": form, "visit": visit},
        status=status,
        tab="visits",
    )


@coordinator_page
@require_http_methods(["GET", "POST"])
def visit_new(request, consortium):
    """Record a mentoring visit; its agreed actions are added on the visit's page."""
    ngos = access.member_ngos(consortium)
    form = forms.VisitForm(
        request.POST or None,
        ngos=ngos,
        initial={"ngo": request.GET.get("ngo", ""), "visited_on": clock.today()},
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                visit = services.mentoring_visit_create(
                    actor=request.user, consortium=consortium, data=form.visit_input()
                )
            except ApplicationError as error:
                apply_error(form, error)
            else:
                messages.success(request, _("The visit is recorded: add the agreed actions."))
                return redirect(
                    "console:capacity-visit", consortium_id=consortium.pk, visit_uuid=visit.uuid
                )
        return _visit_form_page(request, consortium, form, status=400)
    return _visit_form_page(request, consortium, form)


@coordinator_page
@require_http_methods(["GET", "POST"])
def visit_edit(request, consortium, visit_uuid):
    """Correct a visit's NGO, date, mentor, topics or findings."""
    visit = access.visit_coordinated(request.user, visit_uuid, consortium)
    form = forms.VisitForm(
        request.POST or None,
        ngos=access.member_ngos(consortium),
        initial={
            "ngo": visit.ngo.slug,
            "visited_on": visit.visited_on,
            "mentor": visit.mentor,
            "topics": visit.topics,
            "findings": visit.findings,
        },
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                services.mentoring_visit_update(
                    actor=request.user, visit_uuid=visit.uuid, data=form.visit_input()
                )
            except ApplicationError as error:
                apply_error(form, error)
            else:
                messages.success(request, _("Saved."))
                return redirect(
                    "console:capacity-visit", consortium_id=consortium.pk, visit_uuid=visit.uuid
                )
        return _visit_form_page(request, consortium, form, visit=visit, status=400)
    return _visit_form_page(request, consortium, form, visit=visit)


def _visit_page(request, consortium, visit_uuid, *, add=None, done=None, status: int = 200):
    """The visit (of the page's consortium, else 404) with its actions; `done` is (action uuid,
    bound form) of a refused mark-done."""
    visit = selectors.visits_in(consortium=consortium).filter(uuid=visit_uuid).first()
    if visit is None:
        raise Http404
    done_uuid, done_form = done or (None, None)
    rows = [
        {
            "action": action,
            "done_form": done_form
            if action.uuid == done_uuid
            else forms.ActionDoneForm(prefix=f"done-{action.uuid}"),
        }
        for action in visit.actions.all()
    ]
    return _page(
        request,
        "visit_detail.html",
        consortium,
        {"visit": visit, "rows": rows, "add": add or forms.ActionForm()},
        status=status,
        tab="visits",
    )


@coordinator_page
def visit_detail(request, consortium, visit_uuid):
    """One visit: its topics and findings, the agreed actions (overdue ones marked) with a
    mark-done form on each open one, and the form to add an action."""
    return _visit_page(request, consortium, visit_uuid)


@coordinator_page
@require_POST
def action_add(request, consortium, visit_uuid):
    """Add an action agreed on the visit."""
    visit = access.visit_coordinated(request.user, visit_uuid, consortium)
    form = forms.ActionForm(request.POST)
    if form.is_valid():
        try:
            services.agreed_action_add(
                actor=request.user,
                visit_uuid=visit.uuid,
                data=services.ActionInput(**form.cleaned_data),
            )
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("The action is added."))
            return redirect(
                "console:capacity-visit", consortium_id=consortium.pk, visit_uuid=visit.uuid
            )
    return _visit_page(request, consortium, visit.uuid, add=form, status=400)


@coordinator_page
@require_POST
def action_done(request, consortium, visit_uuid, action_uuid):
    """Mark an agreed action done, with the date and the follow-up note."""
    visit = access.visit_coordinated(request.user, visit_uuid, consortium)
    action = access.action_coordinated(request.user, action_uuid, visit)
    form = forms.ActionDoneForm(request.POST, prefix=f"done-{action.uuid}")
    if form.is_valid():
        try:
            services.agreed_action_complete(
                actor=request.user,
                action_uuid=action.uuid,
                done_on=form.cleaned_data["done_on"],
                follow_up_note=form.cleaned_data["follow_up_note"],
            )
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("The action is marked done."))
            return redirect(
                "console:capacity-visit", consortium_id=consortium.pk, visit_uuid=visit.uuid
            )
    return _visit_page(request, consortium, visit.uuid, done=(action.uuid, form), status=400)


# --- One NGO -----------------------------------------------------------------------------------


@coordinator_page
def ngo_detail(request, consortium, slug: str):
    """One NGO's capacity-building history, as its admin reads it on its own host, with the
    links to record a visit or a self-assessment."""
    ngo = network_access.ngo_for_coordinator(request.user, consortium, slug)
    history = selectors.ngo_history(ngo=ngo)
    recorded = {assessment.year for assessment in history.self_assessments}
    return _page(
        request,
        "ngo.html",
        consortium,
        {
            "ngo": ngo,
            "history": history,
            "years": [(year, year in recorded) for year in selectors.recent_years()],
        },
        tab="overview",
    )


@coordinator_page
@require_http_methods(["GET", "POST"])
def self_assessment(request, consortium, slug: str, year: int):
    """The NGO's self-assessment of `year`: recorded the first time, changed afterwards."""
    ngo = network_access.ngo_for_coordinator(request.user, consortium, slug)
    if services.year_problem(year):
        raise Http404
    existing = selectors.self_assessment_of(ngo=ngo, year=year)
    form = forms.SelfAssessmentForm(
        request.POST or None, initial=forms.self_assessment_initial(existing)
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                if existing is None:
                    services.self_assessment_create(
                        actor=request.user,
                        consortium=consortium,
                        ngo=ngo.slug,
                        year=year,
                        scores=form.scores(),
                        comment=form.cleaned_data["comment"],
                    )
                else:
                    services.self_assessment_update(
                        actor=request.user,
                        assessment_uuid=existing.uuid,
                        scores=form.scores(),
                        comment=form.cleaned_data["comment"],
                    )
            except ApplicationError as error:
                apply_error(form, error)
            else:
                messages.success(request, _("The self-assessment is saved."))
                return redirect("console:capacity-ngo", consortium_id=consortium.pk, slug=ngo.slug)
        status = 400
    return _page(
        request,
        "self_assessment_form.html",
        consortium,
        {"ngo": ngo, "year": year, "existing": existing, "form": form},
        status=status,
        tab="overview",
    )
