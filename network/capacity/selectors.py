"""Reads of capacity building, with what the pages and the API show already loaded.

Per-NGO figures are computed in a fixed number of queries whatever the number of NGOs
(`capacity_status`, `capacity_overview`); an NGO's history (`ngo_history`) holds that NGO's own
rows only: its participation in trainings (never another NGO's), its visits with their actions,
and its self-assessments.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Prefetch, Q, QuerySet

from core import clock
from network.capacity.access import member_ngos
from network.capacity.models import (
    SCORECARD,
    AgreedAction,
    Area,
    MentoringVisit,
    SelfAssessment,
    Training,
    TrainingParticipation,
    overdue_condition,
)
from tenants.models import NGO, Consortium


def year_ago(today: date) -> date:
    """The same day a year before `today` (28 February for a 29 February)."""
    try:
        return today.replace(year=today.year - 1)
    except ValueError:
        return today.replace(year=today.year - 1, day=28)


def trainings_in(*, consortium: Consortium, ngo: NGO | None = None) -> QuerySet[Training]:
    """A consortium's trainings, newest first, each with its participants per NGO loaded;
    with `ngo`, only the trainings that NGO's staff attended."""
    queryset = (
        Training.objects.filter(consortium=consortium)
        .select_related("consortium")
        .prefetch_related(
            Prefetch(
                "participations",
                queryset=TrainingParticipation.objects.select_related("ngo").order_by(
                    "ngo__name", "id"
                ),
            )
        )
        .order_by("-held_on", "-id")
    )
    if ngo is not None:
        queryset = queryset.filter(participations__ngo=ngo)
    return queryset


def _actions() -> Prefetch[str, QuerySet[AgreedAction]]:
    return Prefetch("actions", queryset=AgreedAction.objects.order_by("due_on", "id"))


def visits_in(
    *, consortium: Consortium, ngo: NGO | None = None, overdue: bool = False
) -> QuerySet[MentoringVisit]:
    """A consortium's mentoring visits, newest first, with the NGO and the actions loaded and
    `open_actions` / `overdue_actions` counted; `overdue` keeps the visits with an overdue
    action."""
    today = clock.today()
    queryset = (
        MentoringVisit.objects.filter(consortium=consortium)
        .select_related("consortium", "ngo")
        .prefetch_related(_actions())
        .annotate(
            open_actions=Count("actions", filter=Q(actions__status=AgreedAction.Status.OPEN)),
            overdue_actions=Count("actions", filter=overdue_condition(today, "actions__")),
        )
        .order_by("-visited_on", "-id")
    )
    if ngo is not None:
        queryset = queryset.filter(ngo=ngo)
    if overdue:
        queryset = queryset.filter(overdue_actions__gt=0)
    return queryset


def self_assessments_in(
    *, consortium: Consortium, ngo: NGO | None = None, year: int | None = None
) -> QuerySet[SelfAssessment]:
    """The self-assessments of a consortium's NGOs, newest year first, NGO loaded."""
    queryset = (
        SelfAssessment.objects.filter(ngo__consortium=consortium)
        .select_related("ngo")
        .order_by("-year", "ngo__name", "id")
    )
    if ngo is not None:
        queryset = queryset.filter(ngo=ngo)
    if year is not None:
        queryset = queryset.filter(year=year)
    return queryset


def self_assessment_of(*, ngo: NGO, year: int) -> SelfAssessment | None:
    """The NGO's self-assessment of `year`, if recorded."""
    return SelfAssessment.objects.filter(ngo=ngo, year=year).select_related("ngo").first()


# --- Per-NGO figures ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CapacityStatus:
    """One NGO's capacity-building figures, as the coordinator's dashboard shows them."""

    ngo: NGO
    trainings_last_12_months: int  # trainings its staff attended, today included
    open_actions: int  # agreed on visits, not done yet
    overdue_actions: int  # open past their due date
    latest_assessment_year: int | None
    latest_assessment_mean: float | None  # the mean of its five scores, to one decimal


def _latest_assessments(ngo_ids: list[int]) -> dict[int, SelfAssessment]:
    latest = (
        SelfAssessment.objects.filter(ngo_id__in=ngo_ids)
        .order_by("ngo_id", "-year")
        .distinct("ngo_id")
    )
    return {assessment.ngo_id: assessment for assessment in latest}


def _statuses(consortium: Consortium) -> tuple[list[CapacityStatus], dict[int, SelfAssessment]]:
    today = clock.today()
    ngos = list(member_ngos(consortium))
    ids = [ngo.pk for ngo in ngos]
    trainings = dict(
        TrainingParticipation.objects.filter(
            ngo_id__in=ids,
            training__consortium=consortium,
            training__held_on__gt=year_ago(today),
            training__held_on__lte=today,
        )
        .values("ngo_id")
        .annotate(count=Count("training_id", distinct=True))
        .values_list("ngo_id", "count")
    )
    actions = {
        row["visit__ngo_id"]: row
        for row in AgreedAction.objects.filter(
            visit__consortium=consortium,
            visit__ngo_id__in=ids,
            status=AgreedAction.Status.OPEN,
        )
        .values("visit__ngo_id")
        .annotate(open=Count("id"), overdue=Count("id", filter=Q(due_on__lt=today)))
    }
    latest = _latest_assessments(ids)
    rows = []
    for ngo in ngos:
        assessment = latest.get(ngo.pk)
        counts = actions.get(ngo.pk, {})
        rows.append(
            CapacityStatus(
                ngo=ngo,
                trainings_last_12_months=trainings.get(ngo.pk, 0),
                open_actions=counts.get("open", 0),
                overdue_actions=counts.get("overdue", 0),
                latest_assessment_year=assessment.year if assessment else None,
                latest_assessment_mean=assessment.mean_score if assessment else None,
            )
        )
    return rows, latest


def capacity_status(consortium: Consortium) -> list[CapacityStatus]:
    """Per partner NGO of `consortium` (archived ones left out), by name: trainings attended
    in the last 12 months, open and overdue agreed actions, and the latest self-assessment's
    year and mean score. Four queries, whatever the number of NGOs."""
    return _statuses(consortium)[0]


@dataclass(frozen=True)
class CapacityOverviewRow:
    """What the console's capacity overview shows of one NGO."""

    status: CapacityStatus
    last_training: Training | None  # the latest training its staff attended (any date)
    last_visit: MentoringVisit | None
    latest_assessment: SelfAssessment | None

    @property
    def ngo(self) -> NGO:
        return self.status.ngo


def capacity_overview(*, consortium: Consortium) -> list[CapacityOverviewRow]:
    """`capacity_status` with, per NGO, the last training attended, the last visit and the
    latest self-assessment's scores. Six queries, whatever the number of NGOs."""
    statuses, latest = _statuses(consortium)
    ids = [status.ngo.pk for status in statuses]
    last_training: dict[int, Training] = {}
    participations = (
        TrainingParticipation.objects.filter(ngo_id__in=ids, training__consortium=consortium)
        .select_related("training")
        .order_by("ngo_id", "-training__held_on", "-training_id")
        .distinct("ngo_id")
    )
    for participation in participations:
        last_training[participation.ngo_id] = participation.training
    last_visit = {
        visit.ngo_id: visit
        for visit in MentoringVisit.objects.filter(consortium=consortium, ngo_id__in=ids)
        .order_by("ngo_id", "-visited_on", "-id")
        .distinct("ngo_id")
    }
    return [
        CapacityOverviewRow(
            status=status,
            last_training=last_training.get(status.ngo.pk),
            last_visit=last_visit.get(status.ngo.pk),
            latest_assessment=latest.get(status.ngo.pk),
        )
        for status in statuses
    ]


# --- One NGO's history -------------------------------------------------------------------------


@dataclass
class NGOHistory:
    """Everything capacity building recorded about one NGO, newest first."""

    ngo: NGO
    participations: Sequence[TrainingParticipation] = ()
    visits: Sequence[MentoringVisit] = ()  # annotated with open_actions and overdue_actions
    self_assessments: Sequence[SelfAssessment] = ()

    @property
    def score_rows(self) -> list[tuple[Area, list[int]]]:
        """Each area of the scorecard with its score in each year, newest year first."""
        return [
            (area, [getattr(assessment, area.field) for assessment in self.self_assessments])
            for area in SCORECARD
        ]

    @property
    def open_actions(self) -> int:
        return sum(visit.open_actions for visit in self.visits)  # type: ignore[attr-defined]

    @property
    def overdue_actions(self) -> int:
        return sum(visit.overdue_actions for visit in self.visits)  # type: ignore[attr-defined]


def ngo_history(*, ngo: NGO) -> NGOHistory:
    """The NGO's own capacity-building record: its staff's participation in trainings (with
    the training; other NGOs' participants are not loaded), its mentoring visits with their
    actions (overdue ones marked by `is_overdue`), and its self-assessments by year. Four
    queries; only rows of `ngo`, so an NGO's page can never show another's."""
    today = clock.today()
    participations = list(
        TrainingParticipation.objects.filter(ngo=ngo)
        .select_related("training")
        .order_by("-training__held_on", "-training_id")
    )
    visits = list(
        MentoringVisit.objects.filter(ngo=ngo)
        .prefetch_related(_actions())
        .annotate(
            open_actions=Count("actions", filter=Q(actions__status=AgreedAction.Status.OPEN)),
            overdue_actions=Count("actions", filter=overdue_condition(today, "actions__")),
        )
        .order_by("-visited_on", "-id")
    )
    assessments = list(SelfAssessment.objects.filter(ngo=ngo).order_by("-year"))
    return NGOHistory(ngo, participations, visits, assessments)


def recent_years(count: int = 3) -> list[int]:
    """This year and the ones before it, newest first (the self-assessment years offered)."""
    this_year = clock.today().year
    return [this_year - offset for offset in range(count)]
